import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { startCluster } from '../../scripts/bench-clickhouse-servers.js';
import type { LocalCluster } from '../../scripts/bench-clickhouse-servers.js';
import { REPO, SHARED, workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';
import { describeClickHouse } from './support.js';

/**
 * The definition of done for the dialect twins: on the demo data and the real samples, every check
 * gives the same anomalies (keys, windows, observed / expected within 1e-9 relative) on SQLite, on
 * one ClickHouse server and on a two-shard cluster (MergeTree per shard, Distributed over them).
 */

interface Anomaly {
  key: string;
  start: string;
  end: string;
  observed: number | null;
  expected: number | null;
}
interface CheckJson {
  name: string;
  status: string;
  error?: string;
  anomalies: Anomaly[];
}

interface Dataset {
  name: string;
  day: string;
  moments: string[];
  /** Files to copy into the workspace's data dir, or a data dir to load as it is. */
  files?: [string, string][];
  dataDir?: string;
  /** At least this many anomalies over all moments, so the comparison is not of empty lists. */
  minAnomalies: number;
}

const DATASETS: Dataset[] = [
  {
    name: 'demo',
    day: '2026-11-20',
    dataDir: join(REPO, 'data'),
    moments: ['2026-11-17T03:10:00Z', '2026-11-18T10:30:00Z', '2026-11-20T10:00:00Z', '2026-11-20T15:00:00Z'],
    minAnomalies: 20,
  },
  {
    name: 'cloudwalk',
    day: '2023-01-10',
    files: [
      [join(SHARED, 'cloudwalk/checkout_1.csv'), 'checkout/checkout_1.csv'],
      [join(SHARED, 'cloudwalk/transactions_1.csv'), 'transaction_status/transactions_1.csv'],
    ],
    moments: ['2023-01-10T10:00:00Z', '2023-01-10T15:00:00Z', '2023-01-10T17:45:00Z'],
    minAnomalies: 3,
  },
  {
    name: 'pbilinskyi',
    day: '2023-05-25',
    files: [
      [join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv'],
      [join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv'],
    ],
    moments: ['2023-05-16T12:00:00Z', '2023-05-25T00:00:00Z', '2023-06-10T00:00:00Z'],
    minAnomalies: 2,
  },
];

async function countRows(httpPort: number, table: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/?query=${encodeURIComponent(`SELECT count() FROM ${table}`)}`);
  return Number((await res.text()).trim());
}

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

function sorted(anomalies: Anomaly[]): Anomaly[] {
  return [...anomalies].sort((x, y) => x.key.localeCompare(y.key) || x.start.localeCompare(y.start));
}

describeClickHouse('the same anomalies on SQLite, one ClickHouse server and a two-shard cluster', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startCluster({ shards: 2, timeoutMs: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  for (const ds of DATASETS) {
    it(`${ds.name}: every check at ${ds.moments.length} moments`, async () => {
      const ws: Workspace = workspace();
      for (const [from, to] of ds.files ?? []) ws.put(from, to);
      const dataDir = ds.dataDir ?? ws.dataDir;
      const dbs = {
        sqlite: join(ws.dir, 'anomaly.db'),
        single: cluster.singleUrl(`${ds.name}_single`),
        sharded: cluster.clusterUrl(`${ds.name}_sharded`),
      };
      const summaries: Record<string, string> = {};
      for (const [engine, db] of Object.entries(dbs)) {
        const init = await ws.cli('init-db', '--data-dir', dataDir, '--db', db, '--date', ds.day);
        expect(init.code, `${engine}: ${init.stderr}`).toBe(0);
        summaries[engine] = init.stdout;
      }
      // The same tables and row counts everywhere, and on the cluster both shards hold a share.
      expect(summaries.single).toBe(summaries.sqlite);
      expect(summaries.sharded).toBe(summaries.sqlite);
      const table = ds.name === 'cloudwalk' ? 'transaction_status' : 'transactions';
      const perShard = await Promise.all(cluster.servers.map((s) => countRows(s.http, `${ds.name}_sharded.${table}_local`)));
      expect(perShard.every((n) => n > 0), `${table} rows per shard: ${perShard.join(', ')}`).toBe(true);
      expect(summaries.sqlite).toContain(`${table}: ${perShard.reduce((a, b) => a + b, 0)} rows`);

      let total = 0;
      for (const at of ds.moments) {
        const results: Record<string, CheckJson[]> = {};
        for (const [engine, db] of Object.entries(dbs)) {
          const r = await ws.cli('run', '--at', at, '--db', db, '--json', '--dry-run');
          expect([0, 1], `${engine} at ${at}: ${r.stderr}`).toContain(r.code);
          results[engine] = (JSON.parse(r.stdout) as { checks: CheckJson[] }).checks;
        }
        const base = results.sqlite!;
        for (const c of base) expect(c.status, `sqlite ${c.name} at ${at}: ${c.error}`).not.toBe('error');
        total += base.reduce((n, c) => n + c.anomalies.length, 0);
        for (const engine of ['single', 'sharded']) {
          const other = results[engine]!;
          expect(other.map((c) => c.name)).toEqual(base.map((c) => c.name));
          for (const [i, c] of base.entries()) {
            const o = other[i]!;
            const where = `${ds.name} ${engine} ${c.name} at ${at}`;
            expect(o.status, `${where}: ${o.error ?? ''}`).toBe(c.status);
            const want = sorted(c.anomalies);
            const got = sorted(o.anomalies);
            expect(got.map((a) => [a.key, a.start, a.end]), where).toEqual(want.map((a) => [a.key, a.start, a.end]));
            for (const [j, a] of want.entries()) {
              const g = got[j]!;
              expect(close(g.observed, a.observed), `${where} ${a.key}: observed ${g.observed} vs ${a.observed}`).toBe(true);
              expect(close(g.expected, a.expected), `${where} ${a.key}: expected ${g.expected} vs ${a.expected}`).toBe(true);
            }
          }
        }
      }
      expect(total).toBeGreaterThanOrEqual(ds.minAnomalies);
    }, 300_000);
  }
});
