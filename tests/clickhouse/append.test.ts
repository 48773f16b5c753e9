import { afterAll, beforeAll, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../../scripts/bench-clickhouse-servers.js';
import type { LocalCluster } from '../../scripts/bench-clickhouse-servers.js';
import { REPO, workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';
import { describeClickHouse } from './support.js';

/**
 * `init-db --append` on ClickHouse against SQLite's: the demo data loaded in two overlapping parts
 * (re-exported rows changed, a new source, files already loaded) gives the same output, the same
 * row counts and the same anomalies on SQLite, one server and a two-shard cluster; a bad new file is
 * 65 with the same message and changes nothing on any server.
 */

const DEMO = join(REPO, 'data');
const DAY = '2026-11-20';
const MOMENTS = ['2026-11-17T03:10:00Z', '2026-11-18T10:30:00Z', '2026-11-20T10:00:00Z', '2026-11-20T15:00:00Z'];
const TABLES = ['countries', 'orders', 'transactions', 'payments_aggregate', 'checkout_hourly', 'transaction_status'];

interface Anomaly {
  key: string;
  start: string;
  end: string;
  observed: number | null;
  expected: number | null;
}

/** The header and rows [from, to) (fractions of the rows) of a demo file, each row passed through `edit`. */
function part(rel: string, from: number, to: number, edit: (row: string, i: number) => string = (r) => r): string {
  const [header, ...rows] = readFileSync(join(DEMO, rel), 'utf8').trimEnd().split('\n');
  const a = Math.floor(rows.length * from);
  const b = Math.floor(rows.length * to);
  return [header, ...rows.slice(a, b).map((r, i) => edit(r, a + i))].join('\n') + '\n';
}

async function chCount(port: number, table: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/?query=${encodeURIComponent(`SELECT count() FROM ${table}`)}`);
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return Number(text.trim());
}

function sqliteCount(db: string, table: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    d.close();
  }
}

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

const sorted = (list: Anomaly[]) => [...list].sort((x, y) => x.key.localeCompare(y.key) || x.start.localeCompare(y.start));

describeClickHouse('init-db --append on ClickHouse, one server and two shards, against SQLite', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster({ shards: 2, timeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const engines = (ws: Workspace, name: string) => ({
    sqlite: join(ws.dir, `${name}.db`),
    single: cluster.singleUrl(`${name}_single`),
    sharded: cluster.clusterUrl(`${name}_sharded`),
  });
  const counts = async (dbs: ReturnType<typeof engines>, name: string) => {
    const out: Record<string, number[]> = {};
    out.sqlite = TABLES.map((t) => sqliteCount(dbs.sqlite, t));
    out.single = await Promise.all(TABLES.map((t) => chCount(cluster.servers[0]!.http, `${name}_single.${t}`)));
    out.sharded = await Promise.all(TABLES.map((t) => chCount(cluster.servers[0]!.http, `${name}_sharded.${t}`)));
    return out;
  };

  it('demo data in two overlapping parts: the same output, rows and anomalies on all three', async () => {
    const ws = workspace();
    const dbs = engines(ws, 'two_parts');
    ws.put(join(DEMO, 'countries.csv'), 'countries.csv');
    ws.put(join(DEMO, 'checkout/pos_a.csv'), 'checkout/pos_a.csv');
    ws.write('orders.csv', part('orders.csv', 0, 0.6));
    ws.write('transactions.csv', part('transactions.csv', 0, 0.6));
    ws.write('payments_aggregate.csv', part('payments_aggregate.csv', 0, 0.6));
    ws.write('transaction_status/acquirer.csv', part('transaction_status/acquirer.csv', 0, 0.6));
    for (const db of Object.values(dbs)) {
      const r = await ws.cli('init-db', '--db', db, '--date', DAY);
      expect(r.code, r.stderr).toBe(0);
    }
    // The second export overlaps the first: some transactions changed status, some minutes were
    // recounted, a new checkout source appears; countries and pos_a are the same bytes again.
    const flip = (row: string, i: number) => (i % 3 === 0 ? row.replace(/,success$/, ',FAIL_').replace(/,fail$/, ',success').replace(',FAIL_', ',fail') : row);
    ws.write('transactions.csv', part('transactions.csv', 0.5, 1, (r, i) => (i < 0.6 * 31447 ? flip(r, i) : r)));
    ws.write('orders.csv', part('orders.csv', 0.5, 1));
    ws.write('payments_aggregate.csv', part('payments_aggregate.csv', 0.5, 1));
    ws.write('transaction_status/acquirer.csv', part('transaction_status/acquirer.csv', 0.5, 1, (r, i) => (i % 5 === 0 ? r.replace(/,(\d+)$/, (_, n: string) => `,${Number(n) + 7}`) : r)));
    ws.put(join(DEMO, 'checkout/pos_b.csv'), 'checkout/pos_b.csv');
    const outputs: Record<string, string> = {};
    for (const [engine, db] of Object.entries(dbs)) {
      const r = await ws.cli('init-db', '--append', '--db', db, '--date', DAY);
      expect(r.code, `${engine}: ${r.stderr}`).toBe(0);
      outputs[engine] = r.stdout;
    }
    expect(outputs.sqlite).toMatch(/^transactions: \d+ rows \(transactions\.csv\); \d+ stored rows replaced$/m);
    expect(outputs.sqlite).toMatch(/^checkout_hourly: 24 rows \(checkout\/pos_b\.csv\)$/m);
    expect(outputs.sqlite).not.toContain('countries');
    expect(outputs.single).toBe(outputs.sqlite);
    expect(outputs.sharded).toBe(outputs.sqlite);
    const rows = await counts(dbs, 'two_parts');
    expect(rows.single).toEqual(rows.sqlite);
    expect(rows.sharded).toEqual(rows.sqlite);
    // The cluster's rows are on both shards, as after a full load.
    const perShard = await Promise.all(cluster.servers.map((s) => chCount(s.http, 'two_parts_sharded.transactions_local')));
    expect(perShard.every((n) => n > 0)).toBe(true);

    // The same bytes again: nothing to do, nothing printed, nothing changed.
    for (const [engine, db] of Object.entries(dbs)) {
      const r = await ws.cli('init-db', '--append', '--db', db, '--date', DAY);
      expect(r.code, `${engine}: ${r.stderr}`).toBe(0);
      expect(r.stdout, engine).toBe('');
    }
    expect(await counts(dbs, 'two_parts')).toEqual(rows);

    let total = 0;
    for (const at of MOMENTS) {
      const results: Record<string, { name: string; status: string; anomalies: Anomaly[] }[]> = {};
      for (const [engine, db] of Object.entries(dbs)) {
        const r = await ws.cli('run', '--at', at, '--db', db, '--json', '--dry-run');
        expect([0, 1], `${engine} at ${at}: ${r.stderr}`).toContain(r.code);
        results[engine] = (JSON.parse(r.stdout) as { checks: { name: string; status: string; anomalies: Anomaly[] }[] }).checks;
      }
      const base = results.sqlite!;
      total += base.reduce((n, c) => n + c.anomalies.length, 0);
      for (const engine of ['single', 'sharded']) {
        for (const [i, c] of base.entries()) {
          const o = results[engine]![i]!;
          const where = `${engine} ${c.name} at ${at}`;
          expect(o.status, where).toBe(c.status);
          const want = sorted(c.anomalies);
          const got = sorted(o.anomalies);
          expect(got.map((a) => [a.key, a.start, a.end]), where).toEqual(want.map((a) => [a.key, a.start, a.end]));
          for (const [j, a] of want.entries()) {
            expect(close(got[j]!.observed, a.observed) && close(got[j]!.expected, a.expected), `${where} ${a.key}`).toBe(true);
          }
        }
      }
    }
    expect(total).toBeGreaterThanOrEqual(10);
  }, 300_000);

  it('a bad or duplicate-keyed new file is 65 with the same message and changes nothing on any server', async () => {
    const ws = workspace();
    const dbs = engines(ws, 'bad_append');
    ws.put(join(DEMO, 'orders.csv'), 'orders.csv');
    ws.put(join(DEMO, 'transaction_status/acquirer.csv'), 'transaction_status/acquirer.csv');
    for (const db of Object.values(dbs)) expect((await ws.cli('init-db', '--db', db, '--date', DAY)).code).toBe(0);
    const before = await counts(dbs, 'bad_append');
    const tablesBefore = await Promise.all(cluster.servers.map((s) => fetch(`http://127.0.0.1:${s.http}/?query=${encodeURIComponent("SELECT groupArray(name) FROM (SELECT name FROM system.tables WHERE database = 'bad_append_sharded' ORDER BY name)")}`).then((r) => r.text())));
    const cases: [string, string][] = [
      ['transaction_status/acquirer.csv', 'time,status,count\n2026-11-21 10:00:00,approved,50\n2026-11-21 10:01:00,approved,-3\n'],
      ['orders.csv', 'id,created_date,merchant_id\n90001,2026-11-21 08:00:00,9\n90001,2026-11-21 08:01:00,9\n'],
    ];
    for (const [rel, text] of cases) {
      ws.put(join(DEMO, 'orders.csv'), 'orders.csv');
      ws.put(join(DEMO, 'transaction_status/acquirer.csv'), 'transaction_status/acquirer.csv');
      // A good new file beside the bad one: it is not appended either.
      ws.write('transaction_status/other.csv', 'time,status,count\n2026-11-21 10:00:00,approved,5\n');
      ws.write(rel, text);
      const lite = await ws.cli('init-db', '--append', '--db', dbs.sqlite, '--date', DAY);
      expect(lite.code, lite.stderr).toBe(65);
      for (const engine of ['single', 'sharded'] as const) {
        const r = await ws.cli('init-db', '--append', '--db', dbs[engine], '--date', DAY);
        expect(r.code, `${engine}: ${r.stderr}`).toBe(65);
        expect(r.stderr, engine).toBe(lite.stderr);
        expect(r.stdout).toBe('');
      }
    }
    expect(await counts(dbs, 'bad_append')).toEqual(before);
    // No staging or scratch table is left on any shard.
    const tablesAfter = await Promise.all(cluster.servers.map((s) => fetch(`http://127.0.0.1:${s.http}/?query=${encodeURIComponent("SELECT groupArray(name) FROM (SELECT name FROM system.tables WHERE database = 'bad_append_sharded' ORDER BY name)")}`).then((r) => r.text())));
    expect(tablesAfter).toEqual(tablesBefore);
  }, 300_000);

  it('the first append builds the database, as on SQLite', async () => {
    const ws = workspace();
    const dbs = engines(ws, 'first');
    ws.put(join(DEMO, 'orders.csv'), 'orders.csv');
    const outputs: string[] = [];
    for (const db of Object.values(dbs)) {
      const r = await ws.cli('init-db', '--append', '--db', db, '--date', DAY);
      expect(r.code, r.stderr).toBe(0);
      outputs.push(r.stdout);
    }
    expect(outputs[0]).toContain('orders: 16008 rows (orders.csv)');
    expect(new Set(outputs).size).toBe(1);
    expect(await counts(dbs, 'first')).toEqual({ sqlite: [0, 16008, 0, 0, 0, 0], single: [0, 16008, 0, 0, 0, 0], sharded: [0, 16008, 0, 0, 0, 0] });
  }, 120_000);
});
