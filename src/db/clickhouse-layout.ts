import type { ClickHouseClient } from '@clickhouse/client';
import { readSqlFile } from '../sql-file.js';
import { clickhouseMessage } from './clickhouse-engine.js';
import type { ClickHouseTarget } from './clickhouse-url.js';

/**
 * Where the tables live on ClickHouse, and how a load swaps new ones in.
 *
 * One server: each table of clickhouse-schema.sql is a MergeTree table under its own name.
 * A cluster (`?cluster=name`, every shard's address in the URL): on every shard a MergeTree
 * `<table>_local` holds that shard's rows, and a Distributed table `<table>` over the cluster's
 * `<table>_local` tables, also on every shard, is what the checks read. `loads` and `meta`
 * (a few rows) are plain tables on the first host only.
 *
 * A load writes `<table>__new` (`<table>__new_local` on the shards, filled through a Distributed
 * `<table>__load`) and swaps on each server with one `RENAME TABLE a TO a__old, a__new TO a` (18.16
 * has no EXCHANGE TABLES). Until that statement nothing the checks read has changed.
 */

export const DATA_TABLES = ['countries', 'orders', 'transactions', 'payments_aggregate', 'checkout_hourly', 'transaction_status'] as const;
export const BOOK_TABLES = ['loads', 'meta'] as const;
export type TableName = (typeof DATA_TABLES)[number] | (typeof BOOK_TABLES)[number];

/**
 * The shard a row goes to on a cluster (the Distributed tables' sharding key): an order and all of
 * its transactions share a shard (orders by id, transactions by order_id); minute and hour series are
 * spread minute by minute / hour by hour (the minute or hour number, not the Unix time: those
 * are all multiples of 60 and would all land on the even shards); the small tables by a hash of their key.
 */
export const SHARDING_KEYS: Record<(typeof DATA_TABLES)[number], string> = {
  countries: 'cityHash64(country)',
  orders: 'id',
  transactions: 'order_id',
  payments_aggregate: 'toUInt32(created_day)',
  checkout_hourly: 'intDiv(toUInt32(hour), 3600)',
  transaction_status: 'intDiv(toUInt32(minute), 60)',
};

/**
 * SHARDING_KEYS computed by init-db itself, so rows go straight to each shard's MergeTree table
 * instead of through the Distributed one: the column holding the key and, for times, the unit it is
 * counted in (seconds per step). The shard is the key as UInt64 modulo the shard count, as the
 * Distributed engine computes it (all weights 1). countries' hash is left to the server.
 */
export const SHARD_COLUMNS: Record<(typeof DATA_TABLES)[number], { column: string; seconds?: number } | undefined> = {
  countries: undefined,
  orders: { column: 'id' },
  transactions: { column: 'order_id' },
  payments_aggregate: { column: 'created_day' },
  checkout_hourly: { column: 'hour', seconds: 3600 },
  transaction_status: { column: 'minute', seconds: 60 },
};

/** Column name → ClickHouse type, from the table's CREATE statement in clickhouse-schema.sql. */
export function columnTypes(table: TableName): Map<string, string> {
  const body = createStatement(table, table);
  const inner = body.slice(body.indexOf('(') + 1, body.lastIndexOf(') ENGINE'));
  return new Map(
    inner
      .split(/,\s*\n/)
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map((line) => {
        const [name, ...type] = line.split(/\s+/);
        return [name!, type.join(' ')] as const;
      }),
  );
}

/** The CREATE TABLE statement of `table` from clickhouse-schema.sql, for `name` with `engine`. */
export function createStatement(table: TableName, name: string, engine = 'MergeTree'): string {
  const sql = readSqlFile('clickhouse-schema.sql', import.meta.url);
  const statement = sql
    .split(';')
    .map((s) => s.replace(/--[^\n]*/g, '').trim())
    .find((s) => s.startsWith(`CREATE TABLE {${table}} (`));
  if (!statement) throw new Error(`clickhouse-schema.sql has no table ${table}`);
  return statement.replace(`{${table}}`, name).replace('{engine}', engine);
}

export interface Server {
  client: ClickHouseClient;
  host: string;
}

export async function exec(server: Server, sql: string): Promise<void> {
  try {
    await server.client.command({ query: sql });
  } catch (error) {
    throw new Error(`${server.host}: ${clickhouseMessage(error)}`, { cause: error });
  }
}

export async function tablesOf(server: Server, database: string): Promise<Set<string>> {
  const result = await server.client.query({ query: `SELECT name FROM system.tables WHERE database = '${database}'`, format: 'JSONEachRow' });
  return new Set((await result.json<{ name: string }>()).map((r) => r.name));
}

/** The cluster named in the URL must exist on the first host with one shard per listed host. */
export async function checkCluster(entry: Server, target: ClickHouseTarget): Promise<void> {
  const result = await entry.client.query({
    query: `SELECT count(DISTINCT shard_num) AS shards FROM system.clusters WHERE cluster = '${target.cluster}'`,
    format: 'JSONEachRow',
  });
  const shards = Number((await result.json<{ shards: number }>())[0]?.shards ?? 0);
  if (shards === 0) throw new Error(`cluster ${target.cluster} is not in the remote_servers of ${target.hosts[0]}`);
  if (shards !== target.hosts.length) {
    throw new Error(`cluster ${target.cluster} has ${shards} shard(s) but the URL lists ${target.hosts.length} host(s); list each shard's HTTP address once`);
  }
}

/** Plans the statements of one load on a layout; run them with `exec` on the servers named. */
export class LoadPlan {
  constructor(
    readonly target: ClickHouseTarget,
    readonly servers: Server[],
  ) {}

  get entry(): Server {
    return this.servers[0]!;
  }

  private q(name: string): string {
    return `${this.target.database}.${name}`;
  }

  /** The table rows of `table` are inserted into during the load. */
  loadTable(table: TableName): string {
    const distributed = this.target.cluster !== undefined && (DATA_TABLES as readonly string[]).includes(table);
    return this.q(distributed ? `${table}__load` : `${table}__new`);
  }

  private leftovers(table: TableName, present: Set<string>): string[] {
    // `__f<n>` / `__f<n>_local`: an append's staging tables, one per new file.
    const staged = [...present].filter((name) => name.startsWith(`${table}__f`) && /^__f\d+(_local)?$/.test(name.slice(table.length)));
    return [`${table}__new`, `${table}__new_local`, `${table}__load`, `${table}__old`, `${table}_local__old`, ...staged];
  }

  /**
   * Where a file's rows are written: on one server its `__new` table; on a cluster each shard's
   * `__new_local` table directly (init-db computes the shard, see SHARD_COLUMNS), or for a table
   * sharded by a hash the Distributed `__load` table on the first host.
   */
  insertTargets(table: (typeof DATA_TABLES)[number]): { server: Server; table: string }[] {
    if (this.target.cluster === undefined) return [{ server: this.entry, table: this.q(`${table}__new`) }];
    if (SHARD_COLUMNS[table] === undefined) return [{ server: this.entry, table: this.q(`${table}__load`) }];
    return this.servers.map((server) => ({ server, table: this.q(`${table}__new_local`) }));
  }

  /** Drops what a load that died left behind, then creates the new tables. */
  async create(): Promise<void> {
    for (const s of this.servers) await exec(s, `CREATE DATABASE IF NOT EXISTS ${this.target.database}`);
    await this.dropScratch();
    for (const table of BOOK_TABLES) await exec(this.entry, createStatement(table, this.q(`${table}__new`)));
    for (const table of DATA_TABLES) {
      if (this.target.cluster === undefined) {
        await exec(this.entry, createStatement(table, this.q(`${table}__new`)));
        continue;
      }
      for (const s of this.servers) await exec(s, createStatement(table, this.q(`${table}__new_local`)));
      await exec(
        this.entry,
        `CREATE TABLE ${this.q(`${table}__load`)} AS ${this.q(`${table}__new_local`)} ENGINE = Distributed(${this.target.cluster}, ${this.target.database}, ${table}__new_local, ${SHARDING_KEYS[table]})`,
      );
    }
  }

  /** Removes every scratch table of a load (best effort after a failure: the error that matters is the load's). */
  async dropScratch(): Promise<void> {
    for (const s of this.servers) {
      const present = await tablesOf(s, this.target.database);
      for (const table of [...DATA_TABLES, ...BOOK_TABLES]) {
        for (const name of this.leftovers(table, present)) if (present.has(name)) await exec(s, `DROP TABLE ${this.q(name)}`);
      }
    }
  }

  /**
   * Swaps the new tables in, server by server, and drops the old ones: every table after a full
   * load, or the ones an append rebuilt (`tables`, and `books` on the first host).
   */
  async swap(tables: readonly (typeof DATA_TABLES)[number][] = DATA_TABLES, books: readonly (typeof BOOK_TABLES)[number][] = BOOK_TABLES): Promise<void> {
    for (const [i, s] of this.servers.entries()) {
      const present = await tablesOf(s, this.target.database);
      const renames: string[] = [];
      const rename = (from: string, to: string) => {
        if (present.has(to)) renames.push(`${this.q(to)} TO ${this.q(to + '__old')}`);
        renames.push(`${this.q(from)} TO ${this.q(to)}`);
      };
      if (i === 0) for (const table of books) rename(`${table}__new`, table);
      for (const table of tables) {
        if (this.target.cluster === undefined) {
          rename(`${table}__new`, table);
          continue;
        }
        // The Distributed table names the shards' table, so the one checks will read is created
        // over `<table>_local`, the name the new local table is about to take.
        await exec(
          s,
          `CREATE TABLE ${this.q(`${table}__new`)} AS ${this.q(`${table}__new_local`)} ENGINE = Distributed(${this.target.cluster}, ${this.target.database}, ${table}_local, ${SHARDING_KEYS[table]})`,
        );
        const local = `${table}_local`;
        if (present.has(local)) renames.push(`${this.q(local)} TO ${this.q(`${table}_local__old`)}`);
        renames.push(`${this.q(`${table}__new_local`)} TO ${this.q(local)}`);
        rename(`${table}__new`, table);
      }
      await exec(s, `RENAME TABLE ${renames.join(', ')}`);
    }
    await this.dropScratch();
  }
}
