import { connectClient } from '../db/clickhouse-engine.js';
import { checkCluster, LoadPlan, SHARD_COLUMNS } from '../db/clickhouse-layout.js';
import type { DATA_TABLES, Server } from '../db/clickhouse-layout.js';
import type { ClickHouseCredentials, ClickHouseTarget } from '../db/clickhouse-url.js';
import { InputMissingError } from '../errors.js';
import { toDbTime } from '../time.js';
import type { BuildResult, LoadedFile } from './build-db.js';
import { ClickHouseSink } from './clickhouse-sink.js';
import { datesFor, fileDay } from './build-db.js';
import type { InputFile } from './inputs.js';
import { loadFileInto } from './load-file.js';
import { ProgressBar } from './progress.js';

/**
 * init-db into ClickHouse: the same files, parser and validation as the SQLite build (load-file.ts),
 * with rows streamed into new tables that replace the old ones only once every file has loaded
 * (see clickhouse-layout.ts). A bad file (65), a lost connection or a crash leaves the previous tables.
 */

export interface ClickHouseBuildOptions {
  files: InputFile[];
  target: ClickHouseTarget;
  credentials: ClickHouseCredentials;
  day: string;
  tz: string;
  now: () => number;
  progress?: { write: (text: string) => void; enabled: boolean };
}

const SCHEMA_VERSION = '1';

export async function buildClickHouse(opts: ClickHouseBuildOptions): Promise<BuildResult> {
  const { target } = opts;
  const servers: Server[] = target.hosts.map((host) => ({ host, client: connectClient(target, opts.credentials, host, 'default') }));
  const plan = new LoadPlan(target, servers);
  try {
    for (const s of servers) {
      const ping = await s.client.ping();
      if (!ping.success) throw new InputMissingError(`cannot reach ClickHouse at ${s.host}: ${(ping.error as Error).message}`);
    }
    if (target.cluster !== undefined) await checkCluster(plan.entry, target);
    const loaded: LoadedFile[] = [];
    try {
      await plan.create();
      const dates = datesFor(opts.tz, opts.day);
      for (const file of opts.files) {
        const bar = new ProgressBar(opts.progress?.write ?? (() => {}), opts.progress?.enabled ?? false, file.relPath, file.bytes);
        const started = performance.now();
        const sink = sinkFor(plan, file);
        try {
          const result = await loadFileInto(sink, file, file.bytes, dates(file.day), (n) => bar.update(n));
          loaded.push({ ...result, table: file.spec.table, relPath: file.relPath, ms: Math.round(performance.now() - started) });
        } catch (error) {
          sink.abort();
          throw error;
        } finally {
          bar.finish();
        }
      }
      const loadedAt = toDbTime(opts.now());
      await plan.entry.client.insert({
        table: plan.loadTable('loads'),
        format: 'JSONEachRow',
        values: opts.files.map((file, i) => {
          const r = loaded[i]!;
          return { table_name: r.table, file: r.relPath, source: file.source, bytes: r.bytes, rows: r.rows, sha256: r.sha256, loaded_at: loadedAt, day: fileDay(file, opts.day) };
        }),
      });
      await plan.entry.client.insert({
        table: plan.loadTable('meta'),
        format: 'JSONEachRow',
        values: [
          { key: 'schema_version', value: SCHEMA_VERSION },
          { key: 'tz', value: opts.tz },
          { key: 'day', value: opts.day },
        ],
      });
      await plan.swap();
      return { files: loaded, indexMs: 0 };
    } catch (error) {
      await plan.dropScratch().catch(() => {});
      throw error;
    }
  } finally {
    await Promise.all(servers.map((s) => s.client.close()));
  }
}

/** The sink of one file: RowBinary into the new table, or into every shard's new local table. */
export function sinkFor(plan: LoadPlan, file: InputFile): ClickHouseSink {
  const table = file.spec.table as (typeof DATA_TABLES)[number];
  const targets = plan.insertTargets(table).map((t) => ({ client: t.server.client, table: t.table }));
  return new ClickHouseSink(file.spec, file.display, {
    targets,
    keysTable: { client: plan.entry.client, table: plan.loadTable(table) },
    shard: SHARD_COLUMNS[table],
    // Through a Distributed table (a hash-sharded table on a cluster): rows reach the shards before the INSERT returns.
    settings: plan.target.cluster !== undefined && targets.length === 1 ? { insert_distributed_sync: 1 } : undefined,
  });
}
