/**
 * `npm run bench -- --engine clickhouse`: SQLite, one ClickHouse server and a two-shard cluster side
 * by side, for 1 M and 10 M generated transactions (+ orders and per-minute status counts), and for
 * ClickHouse 100 M: load rows/s (`anomaly init-db`, whole process), `anomaly run --dry-run` (whole
 * process, best of 3) and `anomaly replay` per step (in-process, every check, 1-minute steps over
 * the last BENCH_CH_REPLAY_MINUTES minutes). The servers are throwaway ones on free ports.
 *   BENCH_CH_ROWS (1000000,10000000,100000000)  sizes; a size above the largest CSV is made inside
 *     ClickHouse from the largest one (INSERT … SELECT … ARRAY JOIN range(n): earlier copies of the
 *     same data, shifted back in time by its span), so it has no load figure
 *   BENCH_CH_CSV_MAX (10000000)  sizes up to this are generated as CSV and loaded by init-db (a
 *     load figure); larger ones are made inside ClickHouse from the 10 M set
 *   BENCH_CH_ENGINES (sqlite,single,sharded)  which engines to measure (to split a long run)
 *   BENCH_CH_CEILING (1)  0 skips the server-alone and sink-alone lines
 *   BENCH_CH_REPLAY_MINUTES (60)
 *   BENCH_DIR (data/bench)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { prepareChecks } from '../src/checks/prepare.js';
import { ClickHouseEngine, connectClient } from '../src/db/clickhouse-engine.js';
import { parseClickHouseUrl } from '../src/db/clickhouse-url.js';
import { silentLogger } from '../src/log.js';
import { replay } from '../src/replay/replay.js';
import { toIso, DAY, MINUTE } from '../src/time.js';
import { clickhouseAvailable, startCluster } from './bench-clickhouse-servers.js';
import { generateDemo } from './generate-demo.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');
const cli = join(repoRoot, 'bin/anomaly.js');
const config = join(repoRoot, 'anomaly.config.yaml');

interface Row {
  rows: number;
  engine: string;
  loadRowsPerSec?: number;
  loadNote?: string;
  runMs: number;
  replayMsPerStep: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function env(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, ANOMALY_STATE_DB: join(dir, 'state.db'), ANOMALY_LOG_DIR: join(dir, 'logs'), ANOMALY_LOG_LEVEL: 'warn', SLACK_ALERT_BOT_TOKEN: '', PATH_TO_GOOGLE_JSON_CREDENTIALS: '' };
}

export function timed(args: string[], dir: string): { seconds: number; stdout: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: env(dir), maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0 && r.status !== 2) throw new Error(`anomaly ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 800)}`);
  return { seconds, stdout: r.stdout };
}

/** Rows init-db reports loading, over all tables. */
function loadedRows(stdout: string): number {
  return [...stdout.matchAll(/: (\d+) rows? \(/g)].reduce((n, m) => n + Number(m[1]), 0);
}

export async function measure(rows: number, engine: string, db: string, dir: string, at: number, load?: { dataDir: string }): Promise<Row> {
  const row: Row = { rows, engine, runMs: 0, replayMsPerStep: 0 };
  if (load) {
    const r = timed(['init-db', '--data-dir', load.dataDir, '--db', db], dir);
    row.loadRowsPerSec = loadedRows(r.stdout) / r.seconds;
  }
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, timed(['run', '--dry-run', '--db', db, '--config', config, '--at', toIso(at)], dir).seconds);
  row.runMs = best * 1000;
  const minutes = Number(process.env.BENCH_CH_REPLAY_MINUTES ?? 60);
  const prepared = await prepareChecks({ config, db });
  const result = await replay({ from: at - minutes * MINUTE, to: at, stepMs: MINUTE, checks: prepared.checks, types: prepared.types, engine: prepared.engine, tz: 'UTC', log: silentLogger() });
  await prepared.engine.close();
  row.replayMsPerStep = result.elapsedMs / result.steps;
  return row;
}

/**
 * Makes `db` hold `factor` times its data: factor − 1 earlier copies of every time-stamped table,
 * each shifted back by the data's span (ids offset so they stay unique), inserted by ClickHouse.
 */
export async function multiply(url: string, factor: number): Promise<{ seconds: number; transactions: number }> {
  const target = parseClickHouseUrl(url);
  const engine = ClickHouseEngine.open(target, { user: process.env.CLICKHOUSE_USER ?? 'default', password: process.env.CLICKHOUSE_PASSWORD ?? '' });
  const db = target.database;
  const started = performance.now();
  const [span] = await engine.query(`SELECT intDiv(toUInt32(max(created_date)) - toUInt32(min(created_date)), 86400) + 1 AS days, max(id) AS maxId FROM ${db}.transactions`);
  const [ordersMax] = await engine.query(`SELECT max(id) AS maxId FROM ${db}.orders`);
  const days = Number(span!.days);
  const shift = `toIntervalDay(k * ${days})`;
  const txOffset = Number(span!.maxId) + 1;
  const orderOffset = Number(ordersMax!.maxId) + 1;
  const copies = `ARRAY JOIN arrayMap(x -> x + 1, range(${factor - 1})) AS k`; // range(from, to) is newer than 18.16
  // On a cluster the tables are Distributed: the rows reach the shards before each INSERT returns.
  const settings = { insert_distributed_sync: 1 as const };
  await engine.exec(
    `INSERT INTO ${db}.orders (id, created_date, merchant_id) SELECT id + k * ${orderOffset}, created_date - ${shift}, merchant_id FROM ${db}.orders ${copies}`,
    settings,
  );
  await engine.exec(
    `INSERT INTO ${db}.transactions (id, created_date, transaction_type, order_id, transaction_status) SELECT id + k * ${txOffset}, created_date - ${shift}, transaction_type, order_id + k * ${orderOffset}, transaction_status FROM ${db}.transactions ${copies}`,
    settings,
  );
  await engine.exec(
    `INSERT INTO ${db}.transaction_status (minute, source, status, count) SELECT minute - ${shift}, source, status, count FROM ${db}.transaction_status ${copies}`,
    settings,
  );
  const [count] = await engine.query(`SELECT count() AS n FROM ${db}.transactions`);
  await engine.close();
  return { seconds: (performance.now() - started) / 1000, transactions: Number(count!.n) };
}

export async function benchClickHouse(dir: string): Promise<void> {
  if (!clickhouseAvailable()) {
    console.error('bench: clickhouse-server is not installed: apt-get install clickhouse-server clickhouse-client');
    process.exit(66);
  }
  const sizes = (process.env.BENCH_CH_ROWS ?? '1000000,10000000,100000000').split(',').map(Number).filter((n) => n > 0);
  const csvMax = Number(process.env.BENCH_CH_CSV_MAX ?? 10_000_000);
  const csvSizes = sizes.filter((n) => n <= csvMax);
  const wanted = new Set((process.env.BENCH_CH_ENGINES ?? 'sqlite,single,sharded').split(','));
  const pick = <T extends readonly [string, string]>(list: T[]) => list.filter(([engine]) => wanted.has(engine === 'sqlite' ? 'sqlite' : engine === 'clickhouse' ? 'single' : 'sharded'));
  const cluster = await startCluster({ shards: 2, timeoutMs: 60_000 });
  const rows: Row[] = [];
  try {
    const version = await fetch(`http://127.0.0.1:${cluster.servers[0]!.http}/?query=SELECT%20version()`).then((r) => r.text());
    console.log(`== ClickHouse ${version.trim()} (two local clickhouse-server processes), node ${process.version}; sizes ${sizes.map(fmt).join(', ')}`);
    if (process.env.BENCH_CH_CEILING !== '0') await benchCeiling(cluster);
    if (process.env.BENCH_CH_CEILING !== '0') await benchSink(cluster.singleUrl('bench_sink'), cluster.servers[0]!.process.pid!);
    /** Generates (or reuses, when BENCH_DIR already holds it) the CSV set of `n` transactions. */
    const dataset = async (n: number): Promise<{ rows: number; at: number; dir: string }> => {
      const runDir = join(dir, `ch-${n}`);
      const dataDir = join(runDir, 'data');
      const manifestPath = join(dataDir, 'incidents.json');
      if (!existsSync(manifestPath)) {
        mkdirSync(dataDir, { recursive: true });
        const g0 = performance.now();
        await generateDemo({ outDir: dataDir, rows: n });
        console.log(`generated ${fmt(n)} transactions in ${((performance.now() - g0) / 1000).toFixed(0)} s`);
      }
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { period: { to: string } };
      return { rows: n, dir: runDir, at: Math.floor((Date.parse(manifest.period.to) - DAY / 2) / 3_600_000) * 3_600_000 };
    };
    for (const n of csvSizes) {
      const { at, dir: runDir } = await dataset(n);
      const dataDir = join(runDir, 'data');
      for (const [engine, db] of pick([
        ['sqlite', join(runDir, 'anomaly.db')],
        ['clickhouse', cluster.singleUrl(`bench_${n}`)],
        ['clickhouse ×2 shards', cluster.clusterUrl(`bench_${n}_sharded`)],
      ] as const)) {
        const r = await measure(n, engine, db, runDir, at, { dataDir });
        rows.push(r);
        print(r);
      }
    }
    const base = sizes.some((n) => n > csvMax) ? await dataset(10_000_000) : undefined;
    const largest = base;
    for (const n of sizes.filter((s) => s > csvMax)) {
      if (!largest) break;
      const factor = Math.round(n / largest.rows);
      for (const [engine, db] of pick([
        ['clickhouse', cluster.singleUrl(`bench_x${factor}`)],
        ['clickhouse ×2 shards', cluster.clusterUrl(`bench_x${factor}_sharded`)],
      ] as const)) {
        timed(['init-db', '--data-dir', join(largest.dir, 'data'), '--db', db], largest.dir);
        const made = await multiply(db, factor);
        console.log(`${engine}: ${fmt(made.transactions)} transactions made inside ClickHouse (INSERT … SELECT × ${factor}) in ${made.seconds.toFixed(0)} s`);
        const r = await measure(made.transactions, engine, db, largest.dir, largest.at);
        r.loadNote = 'generated in ClickHouse';
        rows.push(r);
        print(r);
      }
    }
  } finally {
    await cluster.stop();
  }
  console.log('\n| transactions | engine | load rows/s (init-db, all tables) | run --dry-run | replay per 1-minute step |');
  console.log('|---:|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${fmt(r.rows)} | ${r.engine} | ${r.loadRowsPerSec ? fmt(r.loadRowsPerSec) : r.loadNote ?? '—'} | ${fmt(r.runMs)} ms | ${r.replayMsPerStep.toFixed(1)} ms |`);
  }
}

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * The ClickHouse sink alone: 1 M converted transactions rows (no CSV parsing) into a MergeTree
 * table, with the CPU seconds of this process and of the server, which on a shared machine say
 * more than the wall time.
 */
async function benchSink(url: string, serverPid: number): Promise<void> {
  const { ClickHouseSink } = await import('../src/ingest/clickhouse-sink.js');
  const { TRANSACTIONS } = await import('../src/ingest/tables.js');
  const { createStatement } = await import('../src/db/clickhouse-layout.js');
  const target = parseClickHouseUrl(url);
  // Connected to `default`: the database is created here.
  const engine = new ClickHouseEngine(connectClient(target, { user: 'default', password: '' }, target.hosts[0], 'default'), target);
  await engine.exec(`CREATE DATABASE IF NOT EXISTS ${target.database}`);
  await engine.exec(`DROP TABLE IF EXISTS ${target.database}.sink`);
  await engine.exec(createStatement('transactions', `${target.database}.sink`));
  const n = 1_000_000;
  const batch = 200;
  const w = 5;
  const values: unknown[] = new Array(batch * w);
  const lines = new Int32Array(batch);
  const sink = new ClickHouseSink(TRANSACTIONS, 'bench', { targets: [{ client: engine.client, table: `${target.database}.sink` }], keysTable: { client: engine.client, table: `${target.database}.sink` } });
  const server0 = processCpuSeconds(serverPid);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    for (let r = 0; r < batch; r++) {
      const id = i + r + 1;
      values.splice(r * w, w, id, `2026-01-${String(1 + (id % 28)).padStart(2, '0')} 12:34:56`, id % 4, id >> 1, id % 2);
      lines[r] = id + 1;
    }
    sink.insert(values, batch, lines, 0);
    // Let the request send what is buffered, as a load does between the parser's row groups.
    if (i % 50_000 === 0) await new Promise((r) => setImmediate(r));
  }
  await sink.finish();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const nodeCpu = (cpu.user + cpu.system) / 1e6;
  const serverCpu = processCpuSeconds(serverPid) - server0;
  await engine.close();
  console.log(
    `sink alone: ${fmt(n)} rows in ${wall.toFixed(1)} s wall (${fmt(n / wall)} rows/s); CPU: node ${nodeCpu.toFixed(2)} s + server ${serverCpu.toFixed(2)} s = ${fmt(n / (nodeCpu + serverCpu))} rows per CPU-second`,
  );
}

/** POSTs `body` as `INSERT INTO table FORMAT format` to a server's HTTP port. */
async function post(port: number, sql: string, body?: Buffer): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/?query=${encodeURIComponent(sql)}`, { method: 'POST', body });
  if (!res.ok) throw new Error(await res.text());
}

/**
 * The server's own ceiling: 2 M transactions rows encoded beforehand (no parsing, no encoding
 * timed) and POSTed in one INSERT, as RowBinary and as TabSeparated, into our MergeTree table on
 * one server, and into both shards' tables at once (rows split by the sharding key, order_id).
 */
async function benchCeiling(cluster: Awaited<ReturnType<typeof startCluster>>): Promise<void> {
  const { RowBinaryWriter, columnEncoding } = await import('../src/ingest/clickhouse-rowbinary.js');
  const { createStatement, columnTypes } = await import('../src/db/clickhouse-layout.js');
  const n = 2_000_000;
  const types = columnTypes('transactions');
  const names = ['id', 'created_date', 'transaction_type', 'order_id', 'transaction_status'];
  const enc = names.map((c) => columnEncoding(types.get(c)!));
  const chunks: Buffer[][] = [[], [], []];
  const writers = chunks.map((list) => new RowBinaryWriter((c) => list.push(c)));
  const tsv: string[] = [];
  const start = Date.UTC(2026, 9, 1);
  const kinds = ['auth', 'settle', 'void', 'refund'];
  for (let i = 0; i < n; i++) {
    const t = toDbTimeText(start + Math.floor((i * 86_400_000) / 29_000));
    const row = [i + 1, t, kinds[i % 4]!, i >> 1, i % 3 === 0 ? 'fail' : 'success'];
    for (const w of [writers[0]!, writers[1 + ((i >> 1) % 2)]!]) row.forEach((v, c) => w.value(enc[c]!, v, c));
    tsv.push(row.join('\t'));
  }
  writers.forEach((w) => w.flush());
  const [all, shard0, shard1] = chunks.map((list) => Buffer.concat(list));
  const text = Buffer.from(tsv.join('\n') + '\n');
  const ports = cluster.servers.map((s) => s.http);
  const fresh = async (port: number) => {
    await post(port, 'CREATE DATABASE IF NOT EXISTS bench_ceiling');
    await post(port, 'DROP TABLE IF EXISTS bench_ceiling.t');
    await post(port, createStatement('transactions', 'bench_ceiling.t'));
  };
  const insert = (format: string) => `INSERT INTO bench_ceiling.t (${names.join(', ')}) FORMAT ${format}`;
  for (const [format, body] of [['RowBinary', all!], ['TabSeparated', text]] as const) {
    await fresh(ports[0]!);
    const t0 = performance.now();
    await post(ports[0]!, insert(format), body);
    const s = (performance.now() - t0) / 1000;
    console.log(`server alone, one server, ${format} (${(body.length / 1e6).toFixed(0)} MB pre-encoded): ${fmt(n)} rows in ${s.toFixed(2)} s = ${fmt(n / s)} rows/s`);
  }
  for (const port of ports.slice(0, 2)) await fresh(port);
  const t0 = performance.now();
  await Promise.all([post(ports[0]!, insert('RowBinary'), shard0), post(ports[1]!, insert('RowBinary'), shard1)]);
  const s = (performance.now() - t0) / 1000;
  console.log(`server alone, two shards at once, RowBinary split by order_id: ${fmt(n)} rows in ${s.toFixed(2)} s = ${fmt(n / s)} rows/s`);
  for (const port of ports) await post(port, 'DROP DATABASE bench_ceiling');
}

function toDbTimeText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function print(r: Row): void {
  console.log(
    `${fmt(r.rows).padStart(11)}  ${r.engine.padEnd(21)} load ${r.loadRowsPerSec ? fmt(r.loadRowsPerSec) + ' rows/s' : r.loadNote ?? '—'}, run ${fmt(r.runMs)} ms, replay ${r.replayMsPerStep.toFixed(1)} ms/step`,
  );
}
