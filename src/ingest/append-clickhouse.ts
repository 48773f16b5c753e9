import { connectClient } from '../db/clickhouse-engine.js';
import { checkCluster, createStatement, exec, LoadPlan, SHARD_COLUMNS, SHARDING_KEYS, tablesOf } from '../db/clickhouse-layout.js';
import type { DATA_TABLES, Server } from '../db/clickhouse-layout.js';
import { quoteString } from '../db/clickhouse-binding.js';
import type { ClickHouseTarget } from '../db/clickhouse-url.js';
import { AppError, ExitCode, InputMissingError } from '../errors.js';
import { readSqlFile } from '../sql-file.js';
import { toDbTime } from '../time.js';
import type { AppendedFile, AppendResult } from './append.js';
import { sha256File } from './read-records.js';
import { buildClickHouse } from './build-clickhouse.js';
import type { ClickHouseBuildOptions } from './build-clickhouse.js';
import { datesFor, fileDay } from './build-db.js';
import { ClickHouseSink } from './clickhouse-sink.js';
import type { InputFile } from './inputs.js';
import { loadFileInto } from './load-file.js';
import { ProgressBar } from './progress.js';

/**
 * `init-db --append` on ClickHouse: the same files, validation and merge rules as on SQLite
 * (append.ts, merge/<table>.sql), all of them or none.
 *
 * 1. Files whose bytes `loads` already holds for their table, source and day are skipped.
 * 2. Each new file is loaded into its own staging table `<table>__f<n>` (on a cluster
 *    `<table>__f<n>_local` on every shard, and a Distributed `<table>__f<n>` over them), with the
 *    full load's validation and duplicate-key check. A bad file stops here: nothing the checks read
 *    has changed, and the staging tables are dropped.
 * 3. Each table a new file touches is rebuilt into `<table>__new` (`__new_local` on each shard):
 *    the stored rows whose merge key no new file holds, then each file's rows whose key no later
 *    file holds (clickhouse-append.sql). On a cluster every shard copies its own rows; the keys
 *    come from the Distributed staging tables, so a row whose key moved shard is still replaced.
 * 4. `loads` is rebuilt with the new files' rows, and the rebuilt tables are swapped in with the
 *    same `RENAME TABLE` as a full load (atomic per server).
 *
 * The cost is a copy of each touched table on the server (no row goes through this process again),
 * plus the new rows; untouched tables are not copied.
 */

/** The same inputs as a full ClickHouse load. */
export type ClickHouseAppendOptions = ClickHouseBuildOptions;

type DataTable = (typeof DATA_TABLES)[number];

/** The columns each table's rows are replaced by: those of merge/<table>.sql's DELETE. */
export const MERGE_KEYS: Record<DataTable, string> = {
  countries: 'country',
  orders: 'id',
  transactions: 'id',
  payments_aggregate: 'created_day',
  checkout_hourly: 'source, hour',
  transaction_status: 'minute, source',
};

const statements = new Map<string, string>();

/** A named statement of clickhouse-append.sql with its `{placeholders}` filled. */
function statement(name: string, fill: Record<string, string>): string {
  if (statements.size === 0) {
    const text = readSqlFile('../db/clickhouse-append.sql', import.meta.url);
    for (const part of text.split(/^-- name: /m).slice(1)) {
      const [head, ...body] = part.split('\n');
      statements.set(head!.trim(), body.join('\n').replace(/--[^\n]*/g, '').trim().replace(/;$/, ''));
    }
  }
  const sql = statements.get(name);
  if (sql === undefined) throw new Error(`clickhouse-append.sql has no statement ${name}`);
  return sql.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (!(k in fill)) throw new Error(`clickhouse-append.sql ${name}: no value for {${k}}`);
    return fill[k]!;
  });
}

interface Staged {
  file: InputFile & { sha256: string };
  table: DataTable;
  /** `<table>__f<n>`: the whole file (Distributed on a cluster). */
  name: string;
  /** What the file loaded (its `replaced` count is set once the table is rebuilt). */
  result: AppendedFile;
}

export async function appendClickHouse(opts: ClickHouseAppendOptions): Promise<AppendResult> {
  const { target } = opts;
  const servers: Server[] = target.hosts.map((host) => ({ host, client: connectClient(target, opts.credentials, host, 'default') }));
  const plan = new LoadPlan(target, servers);
  const db = target.database;
  let fresh = false;
  try {
    for (const s of servers) {
      const ping = await s.client.ping();
      if (!ping.success) throw new InputMissingError(`cannot reach ClickHouse at ${s.host}: ${(ping.error as Error).message}`);
    }
    if (target.cluster !== undefined) await checkCluster(plan.entry, target);
    const present = await tablesOf(plan.entry, db);
    if (!present.has('meta')) {
      if (![...present].some((name) => !name.includes('__'))) fresh = true;
      else throw notBuilt(target);
    }
    if (!fresh) {
      const version = await plan.entry.client.query({ query: `SELECT value FROM ${db}.meta WHERE key = 'schema_version'`, format: 'JSONEachRow' });
      if ((await version.json<{ value: string }>()).length === 0) throw notBuilt(target);
      return await appendFiles(plan, opts);
    }
  } finally {
    await Promise.all(servers.map((s) => s.client.close()));
  }
  // The first append of a deployment: a full load is the same result.
  const built = await buildClickHouse(opts);
  return { created: true, files: built.files.map((f) => ({ ...f, replaced: 0 })), skipped: [] };
}

function notBuilt(target: ClickHouseTarget): AppError {
  return new AppError(`database ${target.database} is not one built by \`anomaly init-db\`; rebuild it with \`anomaly init-db\` without --append`, ExitCode.inputMissing);
}

async function appendFiles(plan: LoadPlan, opts: ClickHouseAppendOptions): Promise<AppendResult> {
  const db = plan.target.database;
  const q = (name: string) => `${db}.${name}`;
  const cluster = plan.target.cluster;
  const seenRows = await plan.entry.client.query({ query: `SELECT table_name, sha256, source, day FROM ${q('loads')}`, format: 'JSONEachRow' });
  const seen = new Set((await seenRows.json<Record<string, string | null>>()).map((r) => [r.table_name, r.sha256, r.source, r.day].join('\u0000')));
  const pending: (InputFile & { sha256: string })[] = [];
  const skipped: string[] = [];
  for (const file of opts.files) {
    const sha256 = await sha256File(file.path);
    const identity = [file.spec.table, sha256, file.source, fileDay(file, opts.day)].join('\u0000');
    if (seen.has(identity)) {
      skipped.push(file.relPath);
      continue;
    }
    seen.add(identity);
    pending.push({ ...file, sha256 });
  }
  if (pending.length === 0) return { created: false, files: [], skipped };

  const dates = datesFor(opts.tz, opts.day);
  const staged: Staged[] = [];
  try {
    await plan.dropScratch();
    // 2. Stage every new file (validation, duplicate keys): nothing stored changes yet.
    for (const [n, file] of pending.entries()) {
      const table = file.spec.table as DataTable;
      const name = `${table}__f${n + 1}`;
      const sink = await stagingSink(plan, table, name, file);
      const bar = new ProgressBar(opts.progress?.write ?? (() => {}), opts.progress?.enabled ?? false, file.relPath, file.bytes);
      const started = performance.now();
      try {
        const result = await loadFileInto(sink, file, file.bytes, dates(file.day), (b) => bar.update(b));
        staged.push({ file, table, name, result: { ...result, table, relPath: file.relPath, ms: Math.round(performance.now() - started), replaced: 0 } });
      } catch (error) {
        sink.abort();
        throw error;
      } finally {
        bar.finish();
      }
    }

    // 3. Rebuild each touched table from the rows no new file covers and the new rows.
    const touched = [...new Set(staged.map((s) => s.table))];
    for (const table of touched) {
      const files = staged.filter((s) => s.table === table);
      const key = MERGE_KEYS[table];
      const covered = (list: Staged[]) => list.map((s) => `SELECT ${key} FROM ${q(s.name)}`).join(' UNION ALL ');
      // Rows each file replaced, as SQLite counts them: those stored when the file was merged.
      for (const [i, f] of files.entries()) {
        let replaced = await count(plan, statement('replaced', { from: q(table), key, covered: covered([f]), and_not: notIn(key, covered(files.slice(0, i))) }));
        for (let j = 0; j < i; j++) {
          replaced += await count(plan, statement('replaced', { from: q(files[j]!.name), key, covered: covered([f]), and_not: notIn(key, covered(files.slice(j + 1, i))) }));
        }
        f.result.replaced = replaced;
      }
      const shards = cluster === undefined ? [plan.entry] : plan.servers;
      const local = (name: string) => q(cluster === undefined ? name : `${name}_local`);
      await Promise.all(
        shards.map(async (s) => {
          const fresh = local(`${table}__new`);
          await exec(s, createStatement(table, fresh));
          await exec(s, statement('keep', { new: fresh, from: local(table), key, covered: covered(files) }));
          for (const [i, f] of files.entries()) {
            const later = files.slice(i + 1);
            await exec(s, later.length === 0 ? statement('copy', { new: fresh, from: local(f.name) }) : statement('keep', { new: fresh, from: local(f.name), key, covered: covered(later) }));
          }
        }),
      );
    }

    // 4. loads with the new files, then the swap.
    const loadedAt = toDbTime(opts.now());
    await exec(plan.entry, createStatement('loads', q('loads__new')));
    const pairs = staged.map((s) => `(${quoteString(s.table)}, ${quoteString(s.file.relPath)})`).join(', ');
    await exec(plan.entry, statement('keep_loads', { new: q('loads__new'), from: q('loads'), covered: pairs }));
    await plan.entry.client.insert({
      table: q('loads__new'),
      format: 'JSONEachRow',
      values: staged.map(({ table, file, result: r }) => ({ table_name: table, file: r.relPath, source: file.source, bytes: r.bytes, rows: r.rows, sha256: r.sha256, loaded_at: loadedAt, day: fileDay(file, opts.day) })),
    });
    await plan.swap(touched, ['loads']);
    return { created: false, files: staged.map((s) => s.result), skipped };
  } catch (error) {
    await plan.dropScratch().catch(() => {});
    throw error;
  }
}

function notIn(key: string, subquery: string): string {
  return subquery === '' ? '' : ` AND (${key}) GLOBAL NOT IN (${subquery})`;
}

async function count(plan: LoadPlan, sql: string): Promise<number> {
  const result = await plan.entry.client.query({ query: sql, format: 'JSONEachRow' });
  return Number((await result.json<{ n: number | string }>())[0]?.n ?? 0);
}

/** Creates the staging table(s) of one file and the sink that fills them. */
async function stagingSink(plan: LoadPlan, table: DataTable, name: string, file: InputFile): Promise<ClickHouseSink> {
  const db = plan.target.database;
  const cluster = plan.target.cluster;
  const whole = { client: plan.entry.client, table: `${db}.${name}` };
  if (cluster === undefined) {
    await exec(plan.entry, createStatement(table, whole.table));
    return new ClickHouseSink(file.spec, file.display, { targets: [whole], keysTable: whole });
  }
  for (const s of plan.servers) await exec(s, createStatement(table, `${db}.${name}_local`));
  // The Distributed table on every server: each shard's rebuild reads the file's keys through it.
  for (const s of plan.servers) {
    await exec(s, `CREATE TABLE ${db}.${name} AS ${db}.${name}_local ENGINE = Distributed(${cluster}, ${db}, ${name}_local, ${SHARDING_KEYS[table]})`);
  }
  const shard = SHARD_COLUMNS[table];
  if (shard === undefined) {
    return new ClickHouseSink(file.spec, file.display, { targets: [whole], keysTable: whole, settings: { insert_distributed_sync: 1 } });
  }
  const targets = plan.servers.map((s) => ({ client: s.client, table: `${db}.${name}_local` }));
  return new ClickHouseSink(file.spec, file.display, { targets, keysTable: whole, shard });
}
