import { PassThrough } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseMessage } from '../db/clickhouse-engine.js';
import { columnTypes } from '../db/clickhouse-layout.js';
import type { TableName } from '../db/clickhouse-layout.js';
import { DataError } from '../errors.js';
import { columnEncoding, dayNumber, OutOfRange, RowBinaryWriter, unixSeconds } from './clickhouse-rowbinary.js';
import type { ColumnEncoding } from './clickhouse-rowbinary.js';
import { KeyConflict } from './inserter.js';
import type { BatchInserter } from './load-file.js';
import { insertColumns } from './row-converter.js';
import type { TableSpec } from './tables.js';

/**
 * Streams one file's converted rows into ClickHouse as RowBinary: one INSERT per file and target
 * table, its body written in ~1 MiB chunks while the file is still being parsed (the parser runs in
 * a worker thread for big files, so parsing, encoding and the server's work overlap; a server that
 * reads slower than the parser holds the parser back through backlog(), so memory stays bounded). On a cluster
 * the sink computes each row's shard itself and writes to every shard's MergeTree table at once,
 * rather than through the Distributed table (which would parse everything on one server and
 * forward it). ClickHouse enforces no unique keys, so once every row is in, the table is asked for
 * a repeated key; one found becomes the same KeyConflict SQLite raises, and load-file.ts names both
 * lines exactly as it does for SQLite.
 */

export interface SinkTarget {
  client: ClickHouseClient;
  /** Qualified table name. */
  table: string;
}

export interface SinkOptions {
  /** Where rows go: one table, or one per shard (then `shard` is set). */
  targets: SinkTarget[];
  /** The table that holds every row of the file, for the duplicate-key query (a Distributed one on a cluster). */
  keysTable: SinkTarget;
  /** On a cluster: the column (table name) holding the sharding key, and its unit for times. */
  shard?: { column: string; seconds?: number };
  /** Settings for the INSERTs (insert_distributed_sync for a Distributed target). */
  settings?: Record<string, string | number>;
}

interface Stream {
  target: SinkTarget;
  body: PassThrough;
  writer: RowBinaryWriter;
  done: Promise<void>;
}

export class ClickHouseSink implements BatchInserter {
  private readonly streams: Stream[];
  private failure: unknown;
  private readonly width: number;
  private readonly encodings: ColumnEncoding[];
  private readonly names: string[];
  /** Index in a row of the sharding key, or -1 (one target). */
  private readonly shardAt: number;
  private readonly shardSeconds: number;
  /** 2^64 mod the shard count: the Distributed engine takes a negative key as UInt64. */
  private readonly wrap: number;
  private firstLine = 0;
  private lastLine = 0;

  constructor(
    private readonly spec: TableSpec,
    private readonly display: string,
    private readonly opts: SinkOptions,
  ) {
    this.names = insertColumns(spec);
    this.width = this.names.length;
    const types = columnTypes(spec.table as TableName);
    const enumValues = [...(spec.perSource ? [undefined] : []), ...spec.columns.map((c) => c.kind.values)];
    this.encodings = this.names.map((name, i) => {
      const type = types.get(name);
      if (type === undefined) throw new Error(`clickhouse-schema.sql: ${spec.table} has no column ${name}`);
      return columnEncoding(type, enumValues[i]);
    });
    const n = opts.targets.length;
    this.shardAt = n > 1 && opts.shard ? this.names.indexOf(opts.shard.column) : -1;
    if (n > 1 && this.shardAt === -1) throw new Error(`${spec.table}: several targets need a sharding column`);
    this.shardSeconds = opts.shard?.seconds ?? 0;
    this.wrap = Number(2n ** 64n % BigInt(n));
    const query = `INSERT INTO {table} (${this.names.join(', ')}) FORMAT RowBinary`;
    this.streams = opts.targets.map((target) => {
      const body = new PassThrough();
      // abort() destroys it with an error; the request's own failure is what gets reported.
      body.on('error', () => {});
      const done = target.client
        .exec({ query: query.replace('{table}', target.table), values: body, clickhouse_settings: opts.settings })
        .then((result) => {
          result.stream.destroy();
        })
        .catch((error: unknown) => {
          this.failure ??= error;
          body.destroy();
        });
      return { target, body, writer: new RowBinaryWriter((chunk) => body.write(chunk)), done };
    });
  }

  insert(values: unknown[], rows: number, lines: ArrayLike<number>, from: number): void {
    if (this.failure) throw this.error();
    if (rows === 0) return;
    if (this.firstLine === 0) this.firstLine = lines[from]!;
    this.lastLine = lines[from + rows - 1]!;
    const w = this.width;
    const encodings = this.encodings;
    const single = this.shardAt === -1 ? this.streams[0]!.writer : undefined;
    for (let r = 0; r < rows; r++) {
      const base = r * w;
      const writer = single ?? this.streams[this.shardOf(values[base + this.shardAt])]!.writer;
      try {
        for (let c = 0; c < w; c++) writer.value(encodings[c]!, values[base + c], c);
      } catch (error) {
        if (error instanceof OutOfRange) {
          throw new DataError({ file: this.display, line: lines[from + r]!, column: this.names[error.column], value: error.value }, error.problem);
        }
        throw error;
      }
    }
  }

  /** The shard of a row from its key value, as the Distributed engine places it. */
  private shardOf(key: unknown): number {
    const n = this.streams.length;
    let k: number;
    if (typeof key === 'number') k = key;
    else if (this.shardSeconds > 0) k = Math.floor(unixSeconds(key as string) / this.shardSeconds);
    else k = dayNumber(key as string);
    const m = k % n;
    return m >= 0 ? m : (((this.wrap + m) % n) + n) % n;
  }

  async finish(): Promise<void> {
    for (const s of this.streams) {
      s.writer.flush();
      s.body.end();
    }
    await Promise.all(this.streams.map((s) => s.done));
    if (this.failure) throw this.error();
    await this.checkKeys();
  }

  /** Settles once every INSERT body has drained (or ended): until then the parser waits. */
  backlog(): Promise<void> | undefined {
    const full = this.streams.filter((s) => s.body.writableNeedDrain);
    if (full.length === 0) return undefined;
    return Promise.all(full.map((s) => drainedOrClosed(s.body))).then(() => undefined);
  }

  /** Ends the INSERTs without finishing them (after a parse error), so no request lingers. */
  abort(): void {
    for (const s of this.streams) s.body.destroy(new Error('load aborted'));
  }

  private error(): Error {
    const table = this.opts.targets.map((t) => t.table).filter((t, i, all) => all.indexOf(t) === i).join(', ');
    return new Error(`inserting into ${table}: ${clickhouseMessage(this.failure)}`, { cause: this.failure });
  }

  private async checkKeys(): Promise<void> {
    const key = this.spec.key;
    if (key.length === 0) return;
    const cols = key.map((k, i) => `toString(${k}) AS k${i}`).join(', ');
    const { client, table } = this.opts.keysTable;
    const result = await client.query({
      query: `SELECT ${cols} FROM ${table} GROUP BY ${key.join(', ')} HAVING count() > 1 LIMIT 100`,
      format: 'JSONEachRow',
      // Grouping 100M ids spills to disk instead of failing for memory.
      clickhouse_settings: { max_bytes_before_external_group_by: String(2_000_000_000) },
    });
    const rows = await result.json<Record<string, string>>();
    if (rows.length === 0) return;
    const keys = new Set(rows.map((r) => key.map((_, i) => r[`k${i}`]).join('\u0000')));
    throw new KeyConflict(keys, this.firstLine, this.lastLine, new Error(`duplicate ${key.join(', ')}`));
  }
}

function drainedOrClosed(body: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      body.off('drain', done);
      body.off('close', done);
      resolve();
    };
    body.on('drain', done);
    body.on('close', done);
  });
}
