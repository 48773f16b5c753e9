import { afterAll, beforeAll, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../../scripts/bench-clickhouse-servers.js';
import type { LocalCluster } from '../../scripts/bench-clickhouse-servers.js';
import { ClickHouseEngine } from '../../src/db/clickhouse-engine.js';
import { parseClickHouseUrl } from '../../src/db/clickhouse-url.js';
import { createStatement, SHARDING_KEYS } from '../../src/db/clickhouse-layout.js';
import { ClickHouseSink } from '../../src/ingest/clickhouse-sink.js';
import { PAYMENTS_AGGREGATE, TRANSACTIONS } from '../../src/ingest/tables.js';
import { REPO, workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';
import { describeClickHouse } from './support.js';

/**
 * ClickHouse behind the commands users run: init-db's validation and all-or-nothing swap, query
 * parameters that cannot inject SQL on a server without native parameters (18.16), doctor, replay
 * and report, and credentials that never show.
 */

const FIXTURES = join(REPO, 'tests/fixtures');
const GOOD = join(FIXTURES, 'good/all');
const DAY = '2023-01-10';
const cases = (JSON.parse(readFileSync(join(FIXTURES, 'bad/cases.json'), 'utf8')) as { case: string }[]).map((c) => c.case);

async function sql(port: number, query: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/?query=${encodeURIComponent(query)}`);
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return text.trim();
}

describeClickHouse('ClickHouse engine', () => {
  let cluster: LocalCluster;
  let ws: Workspace;
  let single: string;
  let sharded: string;
  let port: number;
  beforeAll(async () => {
    cluster = await startCluster({ shards: 2, timeoutMs: 60_000 });
    port = cluster.servers[0]!.http;
    ws = workspace();
    single = cluster.singleUrl('good');
    sharded = cluster.clusterUrl('good_sharded');
    for (const db of [single, sharded]) {
      const r = await ws.cli('init-db', '--data-dir', GOOD, '--db', db, '--date', DAY);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('rejects every bad input file exactly as SQLite does (same exit code and message) and keeps the previous tables', async () => {
    const before = await sql(port, 'SELECT count() FROM good.orders');
    expect(Number(before)).toBeGreaterThan(0);
    const tablesBefore = await sql(port, "SELECT groupArray(name) FROM (SELECT name FROM system.tables WHERE database = 'good' ORDER BY name)");
    let rejected = 0;
    for (const name of cases) {
      const dataDir = join(FIXTURES, 'bad', name);
      const lite = await ws.cli('init-db', '--data-dir', dataDir, '--db', join(ws.dir, `${name}.db`), '--date', DAY);
      // A few cases need files made at run time (a FIFO, a symlink loop): tests/ingest covers them.
      if (lite.code === 0) continue;
      rejected++;
      const ch = await ws.cli('init-db', '--data-dir', dataDir, '--db', single, '--date', DAY);
      expect(ch.code, `${name}: ${ch.stderr}`).toBe(lite.code);
      expect(ch.stderr, name).toBe(lite.stderr);
      expect(ch.stdout, name).toBe('');
    }
    expect(rejected).toBeGreaterThanOrEqual(40);
    expect(await sql(port, 'SELECT count() FROM good.orders')).toBe(before);
    // No scratch table (__new, __old, __load) is left behind.
    expect(await sql(port, "SELECT groupArray(name) FROM (SELECT name FROM system.tables WHERE database = 'good' ORDER BY name)")).toBe(tablesBefore);
  }, 240_000);

  it('refuses a date past 2105, which a ClickHouse DateTime cannot hold, naming file, line and column', async () => {
    const w = workspace();
    w.write('orders.csv', 'id,created_date,merchant_id\n1,2023-05-15 17:48,1\n2,2150-01-01 10:00,2\n');
    const lite = await w.cli('init-db', '--db', join(w.dir, 'a.db'), '--date', DAY);
    expect(lite.code, lite.stderr).toBe(0);
    const ch = await w.cli('init-db', '--db', cluster.singleUrl('late'), '--date', DAY);
    expect(ch.code).toBe(65);
    expect(ch.stderr).toContain(`${join(w.dataDir, 'orders.csv')}:3, column created_date (value "2150-01-01 10:00:00"): date after 2105-12-31`);
  });

  it('a failed load on the cluster leaves the previous tables on every shard', async () => {
    const counts = await Promise.all(cluster.servers.map((s) => sql(s.http, 'SELECT count() FROM good_sharded.transactions_local')));
    expect(counts.every((n) => Number(n) > 0)).toBe(true);
    const r = await ws.cli('init-db', '--data-dir', join(FIXTURES, 'bad/transactions-duplicate-id-far-apart'), '--db', sharded, '--date', DAY);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/transactions\.csv:\d+.*duplicate id: the same key is already on line \d+/);
    expect(await Promise.all(cluster.servers.map((s) => sql(s.http, 'SELECT count() FROM good_sharded.transactions_local')))).toEqual(counts);
    for (const s of cluster.servers) {
      expect(await sql(s.http, "SELECT count() FROM system.tables WHERE database = 'good_sharded' AND (name LIKE '%\\\\_\\\\_%')")).toBe('0');
    }
  });

  it('binds parameters client-side on 18.16 without letting any value change the statement', async () => {
    const engine = ClickHouseEngine.open(parseClickHouseUrl(single), { user: 'default', password: '' });
    try {
      const info = await engine.server();
      expect(info.version).toMatch(/^\d+\.\d+/);
      const evil = [
        "'; DROP TABLE good.orders; --",
        "\\'; DROP TABLE good.orders; --",
        'back\\slash\\',
        "quote ' and '' and \\' end",
        'nul \0 byte, tab \t, newline \n, return \r',
        '{x:String} :y',
        'é ü 日本 🙂',
        'x'.repeat(300_000), // longer than the server's default max_query_size (256 KiB)
        "\\".repeat(999) + "'",
      ];
      for (const s of evil) {
        const typed = await engine.query('SELECT {s:String} AS s, length({s:String}) AS n', { s });
        expect(typed[0]!.s).toBe(s);
        const plain = await engine.query('SELECT :s AS s', { s });
        expect(plain[0]!.s).toBe(s);
      }
      const t = await engine.query('SELECT {at:DateTime} AS at, {day:Date} AS day, {n:Int64} AS n', { at: '2023-01-10 08:00:00', day: '2023-01-10', n: -5 });
      expect(t[0]).toEqual({ at: '2023-01-10 08:00:00', day: '2023-01-10', n: -5 });
      await expect(engine.query('SELECT {at:DateTime} AS at', { at: "2023-01-10 08:00:00') OR (1" })).rejects.toThrow(/is not a DateTime/);
      await expect(engine.query('SELECT {n:Int64} AS n', { n: '1 OR 1=1' })).rejects.toThrow(/is not a Int64/);
      expect(await sql(port, 'SELECT count() FROM good.orders')).not.toBe('0');
    } finally {
      await engine.close();
    }
  });

  it('doctor reports the server version and that every check prepares; a broken twin is named', async () => {
    const ok = await ws.cli('doctor', '--db', sharded);
    expect(ok.stdout).toMatch(/✓ ClickHouse: clickhouse:\/\/.*server 18\.|✓ ClickHouse: clickhouse:\/\/.*server \d+\./);
    expect(ok.stdout).toMatch(/✓ database: clickhouse:\/\/.*orders \d+/);
    expect(ok.stdout).toMatch(/✓ checks file: .*7 checks, all SQL prepares/);

    const config = join(ws.dir, 'broken.yaml');
    cpSync(join(REPO, 'checks'), join(ws.dir, 'checks'), { recursive: true }); // twins included
    writeFileSync(config, readFileSync(join(REPO, 'anomaly.config.yaml'), 'utf8').replace(
      /sql_file: \S+orders_hourly\.sql/,
      'sql: "SELECT created_date AS hour, nope FROM orders WHERE created_date < :at"',
    ));
    const bad = await ws.cli('doctor', '--db', single, '--config', config);
    expect(bad.code).toBe(78);
    expect(bad.stdout).toMatch(/✗ checks file: .*orders_hourly: .*nope/);

    const down = await ws.cli('doctor', '--db', 'clickhouse://127.0.0.1:1/good');
    expect(down.code).toBe(78);
    expect(down.stdout).toMatch(/✗ database: cannot reach ClickHouse at clickhouse:\/\/127\.0\.0\.1:1\/good/);
  });

  it('replay and report run unchanged against the cluster and agree with SQLite', async () => {
    const lite = join(ws.dir, 'good.db');
    expect((await ws.cli('init-db', '--data-dir', GOOD, '--db', lite, '--date', DAY)).code).toBe(0);
    const args = ['replay', '--from', `${DAY}T08:00:00Z`, '--to', `${DAY}T14:00:00Z`, '--step', '1h', '--json'];
    const a = await ws.cli(...args, '--db', lite);
    const b = await ws.cli(...args, '--db', sharded);
    expect(b.code, b.stderr).toBe(a.code);
    const [fromLite, fromCh] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(fromLite.episodes.length).toBeGreaterThan(0);
    expect(fromCh.errors).toEqual([]);
    expect(fromCh.episodes).toEqual(fromLite.episodes);

    const out = join(ws.dir, 'report.html');
    const r = await ws.cli('report', '--at', `${DAY}T12:00:00Z`, '--db', sharded, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('unfinished_orders');
  }, 300_000);

  it('keeps credentials out of the URL, and a password out of every message', async () => {
    const inUrl = await ws.cli('run', '--dry-run', '--db', `clickhouse://default:hunter2secret@127.0.0.1:${port}/good`);
    expect(inUrl.code).toBe(78);
    expect(inUrl.stderr).toMatch(/credentials must not be in the URL.*CLICKHOUSE_USER and CLICKHOUSE_PASSWORD/);
    expect(inUrl.stderr + inUrl.stdout).not.toContain('hunter2secret');

    const wrong = workspace({ CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: 'hunter2secret' });
    const r = await wrong.cli('run', '--dry-run', '--db', single);
    expect(r.code).toBe(66);
    expect(r.stderr).toMatch(/cannot reach ClickHouse at clickhouse:\/\/127\.0\.0\.1:\d+\/good: .*(password|Authentication)/i);
    expect(r.stderr + r.stdout).not.toContain('hunter2secret');
    const logs = readFileSync(join(wrong.dir, 'logs/anomaly.log'), 'utf8');
    expect(logs).not.toContain('hunter2secret');
  });

  it('init-db puts each row on the shard named by the sharding key of the Distributed table (rows go to the shards directly)', async () => {
    const [a, b] = cluster.servers;
    let checked = 0;
    for (const [table, key] of Object.entries(SHARDING_KEYS)) {
      const onShard = await Promise.all([a!, b!].map((s) => sql(s.http, `SELECT count() FROM good_sharded.${table}_local`)));
      const total = Number(await sql(port, `SELECT count() FROM good_sharded.${table}`));
      expect(Number(onShard[0]) + Number(onShard[1]), table).toBe(total);
      // Shard i (0-based) holds exactly the rows whose key is i modulo 2, as the Distributed engine would place them.
      for (const [i, s] of [a!, b!].entries()) {
        expect(await sql(s.http, `SELECT count() FROM good_sharded.${table}_local WHERE (${key}) % 2 != ${i}`), `${table} on shard ${i + 1}`).toBe('0');
      }
      if (total > 0) checked++;
    }
    expect(checked).toBe(6);
  });

  it('RowBinary carries every value the loader produces unchanged (negative and 2^53 integers, NULLs, long and non-ASCII text, times at the ends of the range)', async () => {
    const engine = ClickHouseEngine.open(parseClickHouseUrl(cluster.singleUrl('default')), { user: 'default', password: '' });
    for (const ddl of ['CREATE DATABASE IF NOT EXISTS rb', createStatement('payments_aggregate', 'rb.pa'), createStatement('transactions', 'rb.tx')]) await engine.exec(ddl);
    const long = 'é'.repeat(100) + 'x'.repeat(20_000) + '\t\\\n\'"';
    const pa = new ClickHouseSink(PAYMENTS_AGGREGATE, 'pa.csv', { targets: [{ client: engine.client, table: 'rb.pa' }], keysTable: { client: engine.client, table: 'rb.pa' } });
    const row = (day: string, n: number, s: string | null, f: number | null) => [day, n, s, s, s, 1, s, 'approved', s, s, -n, s, s, n, n, n, s, Math.abs(n), f === null ? null : n];
    pa.insert([...row('1970-01-02', -1, null, null), ...row('2105-12-31', Number.MAX_SAFE_INTEGER, long, 1), ...row('2026-11-20', -Number.MAX_SAFE_INTEGER, 'Zürich ✓', 0)], 3, [2, 3, 4], 0);
    await pa.finish();
    const back = await engine.query('SELECT toString(created_day) AS d, channel_id AS c, order_type AS o, bank_issuer AS b, count_emails AS e, is_secured AS s FROM rb.pa ORDER BY created_day');
    expect(back).toEqual([
      { d: '1970-01-02', c: -1, o: null, b: 1, e: null, s: 1 },
      { d: '2026-11-20', c: -Number.MAX_SAFE_INTEGER, o: 'Zürich ✓', b: Number.MAX_SAFE_INTEGER, e: -Number.MAX_SAFE_INTEGER, s: 1 },
      { d: '2105-12-31', c: Number.MAX_SAFE_INTEGER, o: long, b: -Number.MAX_SAFE_INTEGER, e: Number.MAX_SAFE_INTEGER, s: 1 },
    ]);
    const tx = new ClickHouseSink(TRANSACTIONS, 'tx.csv', { targets: [{ client: engine.client, table: 'rb.tx' }], keysTable: { client: engine.client, table: 'rb.tx' } });
    tx.insert([1, '1970-01-01 00:00:01', 3, 7, 1, 2, '2105-12-31 23:59:59', 0, 7, 0], 2, [2, 3], 0);
    await tx.finish();
    expect(await engine.query("SELECT id, toString(created_date) AS t, transaction_type AS ty, transaction_status AS st FROM rb.tx ORDER BY id")).toEqual([
      { id: 1, t: '1970-01-01 00:00:01', ty: 'refund', st: 'fail' },
      { id: 2, t: '2105-12-31 23:59:59', ty: 'auth', st: 'success' },
    ]);
    await engine.close();
  });

  it('checks names the SQL file each engine runs: the ClickHouse twin where there is one', async () => {
    const lite = await ws.cli('checks', '--json', '--db', join(ws.dir, 'any.db'));
    const ch = await ws.cli('checks', '--json', '--db', single);
    expect(lite.code, lite.stderr).toBe(0);
    expect(ch.code, ch.stderr).toBe(0);
    const sqlOf = (out: string) => Object.fromEntries((JSON.parse(out) as { checks: { name: string; sql: string }[] }).checks.map((c) => [c.name, c.sql]));
    const [a, b] = [sqlOf(lite.stdout), sqlOf(ch.stdout)];
    const twinned = Object.keys(a).filter((name) => a[name] !== b[name]);
    expect(twinned.length).toBeGreaterThan(0);
    for (const name of twinned) expect(b[name]).toBe(a[name]!.replace(/([^/]+\.sql)$/, 'clickhouse/$1'));
    // A check without a twin shows the same file on both.
    expect(Object.keys(a).length).toBeGreaterThan(twinned.length);
  });
});
