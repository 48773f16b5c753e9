/**
 * `npm run bench`: prints the figures the issues set targets for. Nothing here is a pass/fail test.
 *   BENCH_INIT_ROWS (2000000,5000000)  sizes for init-db vs `sqlite3 .import` (and the largest shuffled)
 *   BENCH_PAIRS (3)  paired runs of init-db and the CLI per file; BENCH_SHUFFLED_PAIRS (1) for the
 *     shuffled copy of the largest (about 2 minutes a pair: rows out of key order are slow for both)
 *   BENCH_RUN_ROWS (1,000,000,10,000,000)  data sizes for `anomaly run --dry-run` vs the sqlite3 CLI
 *   BENCH_DIR (data/bench)  scratch directory (large files; git-ignored)
 *   BENCH_ONLY (init,run,replay)  which parts to run; `parsers` (not in the default) compares the CSV
 *     parsers on the largest BENCH_INIT_ROWS file (scripts/bench-parsers.ts); `append` (not in the default) runs the
 *     init-db --append benchmark: BENCH_APPEND_ROWS (10,000,000) stored rows, BENCH_APPEND_NEW (10,000);
 *     `startup` (not in the default) times init-db's fixed costs (scripts/bench-startup.ts), BENCH_STARTUP_RUNS (20)
 * `npm run bench -- --engine clickhouse` compares SQLite with ClickHouse instead (bench-clickhouse.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAppend, nodeStartMs } from './bench-append.js';
import { benchInitDb, describeFigures, writeTransactionsCsv } from './bench-init-db.js';
import { benchParsers } from './bench-parsers.js';
import { printStartup } from './bench-startup.js';
import { benchReplay, benchRun, prepareDataset } from './bench-run.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');
const dir = resolve(process.env.BENCH_DIR ?? join(repoRoot, 'data/bench'));
const initRows = (process.env.BENCH_INIT_ROWS ?? '2000000,5000000').split(',').map(Number);
const initPairs = Number(process.env.BENCH_PAIRS ?? 3);
const runRows = (process.env.BENCH_RUN_ROWS ?? '1000000,10000000').split(',').map(Number);
const only = new Set((process.env.BENCH_ONLY ?? 'init,run,replay').split(','));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// `npm run bench -- --engine clickhouse`: SQLite vs ClickHouse (one server, two shards) instead.
const engineArg = process.argv.indexOf('--engine');
if (engineArg >= 0) {
  const engine = process.argv[engineArg + 1];
  if (engine !== 'clickhouse' && engine !== 'sqlite') {
    console.error(`bench: --engine ${engine ?? ''}: expected clickhouse or sqlite`);
    process.exit(64);
  }
  if (engine === 'clickhouse') {
    const { benchClickHouse } = await import('./bench-clickhouse.js');
    await benchClickHouse(dir);
    process.exit(0);
  }
}

if (spawnSync('sqlite3', ['-version']).error) {
  console.error('bench: the sqlite3 CLI is needed for the comparisons: apt-get install sqlite3');
  process.exit(66);
}
console.log(`node ${process.version}, sqlite3 ${spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).stdout.split(' ')[0]}, scratch ${dir}\n`);

if (only.has('init')) {
  console.log(`== init-db vs sqlite3 .import: transactions.csv of ${initRows.map(fmt).join(' and ')} rows (${initPairs} pairs each), then the largest shuffled`);
  const uptime = () => `load average ${loadavg().map((n) => n.toFixed(2)).join(', ')}`;
  console.log(uptime());
  const figures = await benchInitDb({ sizes: initRows, dir: join(dir, 'init'), pairs: initPairs, shuffledPairs: Number(process.env.BENCH_SHUFFLED_PAIRS ?? 1) });
  console.log('');
  for (const f of figures) for (const line of describeFigures(f)) console.log(line);
  console.log(`${uptime()}\n`);
  rmSync(join(dir, 'init'), { recursive: true, force: true });
}

if (only.has('parsers')) {
  const rows = initRows[initRows.length - 1]!;
  const csv = join(dir, 'parsers', 'transactions.csv');
  mkdirSync(join(dir, 'parsers'), { recursive: true });
  await writeTransactionsCsv(csv, rows);
  console.log(`== CSV to typed rows, one thread, nothing inserted: ${fmt(rows)}-row transactions.csv (best of 2; load average ${loadavg().map((n) => n.toFixed(2)).join(', ')})`);
  for (const f of await benchParsers(csv, 2)) console.log(`${f.name.padEnd(34)} ${fmt(f.rowsPerSec).padStart(10)} rows/s (${f.seconds.toFixed(2)} s)`);
  console.log('');
  rmSync(join(dir, 'parsers'), { recursive: true, force: true });
}

if (only.has('startup')) await printStartup({ runs: Number(process.env.BENCH_STARTUP_RUNS ?? 20) });

if (only.has('append')) {
  const rows = Number(process.env.BENCH_APPEND_ROWS ?? 10_000_000);
  const newRows = Number(process.env.BENCH_APPEND_NEW ?? 10_000);
  console.log(`== init-db --append: ${fmt(newRows)} rows into ${fmt(rows)} transactions + ${fmt(rows)} status rows`);
  const a = benchAppend({ rows, newRows, dir: join(dir, 'append') });
  if (a.buildSeconds !== null) console.log(`base database built in ${a.buildSeconds.toFixed(0)} s (kept for the next bench: ${a.dbMb} MB)`);
  for (const c of a.cases) {
    console.log(`${c.what.padEnd(30)} ${fmt(c.rows)} rows: append ${fmt(c.appendMs)} ms, whole process ${fmt(c.ms)} ms (best of 3; ${fmt(c.replaced)} stored rows replaced)`);
  }
  console.log(`node start-up   ${fmt(nodeStartMs())} ms (\`anomaly --version\`, included in each process figure; target: append < 1 s)\n`);
}

const runs = [];
let replayDataset;
for (const rows of only.has('run') || only.has('replay') ? runRows : []) {
  console.log(`== anomaly run --dry-run: ${fmt(rows)} transactions (+ orders and per-minute status counts)`);
  const ds = await prepareDataset(rows, dir);
  replayDataset = ds;
  if (!only.has('run')) continue;
  const r = await benchRun(ds);
  runs.push(r);
  console.log(`anomaly run     ${(r.ourSeconds * 1000).toFixed(0)} ms (whole process, best of 3)`);
  console.log(`sqlite3 CLI     ${(r.cliSeconds * 1000).toFixed(0)} ms (the same ${r.queries} queries and parameters, best of 3)`);
  console.log(`ratio           ${(r.ourSeconds / r.cliSeconds).toFixed(2)}× the CLI's time (target ≤ 1.2×)\n`);
}
if (runs.length >= 2) {
  const [small, large] = [runs[0]!, runs[runs.length - 1]!];
  console.log(`scaling         ${fmt(large.rows)}/${fmt(small.rows)} rows: run time ×${(large.ourSeconds / small.ourSeconds).toFixed(2)} (target ≤ 1.3), CLI ×${(large.cliSeconds / small.cliSeconds).toFixed(2)}\n`);
}
if (replayDataset && only.has('replay')) {
  console.log('== replay: one day of transaction_status at 1-minute steps (status_rate + isolation_forest)');
  const r = await benchReplay(replayDataset);
  console.log(`replay          ${r.msPerStep.toFixed(2)} ms a step (${r.steps} steps)`);
  console.log(`one process     ${r.processMs.toFixed(0)} ms (anomaly run --dry-run --only the same checks)`);
  console.log(`ratio           ${r.ratio.toFixed(0)}× faster per step (target ≥ 20×)`);
}
