import { PassThrough } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickhouseMessage } from '../db/clickhouse-engine.js';
import { DataError } from '../errors.js';
import { KeyConflict } from './inserter.js';
import type { BatchInserter } from './load-file.js';
import { insertColumns } from './row-converter.js';
import type { TableSpec } from './tables.js';

/**
 * Streams one file's converted rows into a ClickHouse table as TabSeparated text: one INSERT per
 * file, sent in ~1 MiB chunks while the file is parsed. ClickHouse enforces no unique keys, so once
 * every row is in, the table is asked for a repeated key; one found becomes the same KeyConflict
 * SQLite raises, and load-file.ts names both lines exactly as it does for SQLite.
 */

const CHUNK_CHARS = 1 << 20;
/** First stored time (UTC text) past the range of ClickHouse's DateTime (up to 2106-02-07 06:28:15). */
const LAST_DATETIME = '2106-01-01 00:00:00';

/** A value in TabSeparated: `\N` for NULL, backslash escapes for the characters TSV gives meaning. */
export function tsvValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  const s = String(value);
  return /[\\\t\n\r\0]/.test(s) ? s.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c]!) : s;
}

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

export class ClickHouseSink implements BatchInserter {
  private readonly stream = new PassThrough();
  private readonly done: Promise<unknown>;
  private failure: unknown;
  private buffer = '';
  private readonly width: number;
  /** For enumeration columns (which arrive as indexes, see FieldKind.values): their values. */
  private readonly enums: (readonly string[] | undefined)[];
  private firstLine = 0;
  private lastLine = 0;

  private readonly names: string[];

  constructor(
    private readonly client: ClickHouseClient,
    private readonly table: string,
    private readonly spec: TableSpec,
    private readonly display: string,
  ) {
    const columns = insertColumns(spec);
    this.names = [...(spec.perSource ? ['source'] : []), ...spec.columns.map((c) => c.name)];
    this.width = columns.length;
    this.enums = [...(spec.perSource ? [undefined] : []), ...spec.columns.map((c) => c.kind.values)];
    this.done = client
      .insert({
        table,
        values: this.stream,
        format: 'TabSeparated',
        columns: columns as [string, ...string[]],
        // Through a Distributed table: rows reach the shards before the INSERT returns.
        clickhouse_settings: { insert_distributed_sync: 1 },
      })
      .catch((error: unknown) => {
        this.failure = error;
      });
  }

  insert(values: unknown[], rows: number, lines: ArrayLike<number>, from: number): void {
    if (this.failure) throw this.error();
    if (this.firstLine === 0 && rows > 0) this.firstLine = lines[from]!;
    if (rows > 0) this.lastLine = lines[from + rows - 1]!;
    const w = this.width;
    let text = '';
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < w; c++) {
        const v = values[r * w + c];
        if (typeof v === 'string' && v.length === 19 && v >= LAST_DATETIME && v[4] === '-' && v[13] === ':') this.tooLate(v, lines[from + r]!, c);
        const e = this.enums[c];
        text += (c ? '\t' : '') + tsvValue(e !== undefined && typeof v === 'number' ? e[v] : v);
      }
      text += '\n';
    }
    this.buffer += text;
    if (this.buffer.length >= CHUNK_CHARS) {
      this.stream.write(this.buffer);
      this.buffer = '';
    }
  }

  async finish(): Promise<void> {
    if (this.buffer) this.stream.write(this.buffer);
    this.buffer = '';
    this.stream.end();
    await this.done;
    if (this.failure) throw this.error();
    await this.checkKeys();
  }

  /** Ends the INSERT without finishing it (after a parse error), so the request does not linger. */
  abort(): void {
    this.stream.destroy();
  }

  /** SQLite stores any year init-db accepts; ClickHouse's DateTime ends in 2106. */
  private tooLate(value: string, line: number, column: number): never {
    throw new DataError(
      { file: this.display, line, column: this.names[column], value },
      'date after 2105-12-31 23:59:59, the last time a ClickHouse DateTime column holds (SQLite databases take it)',
    );
  }

  private error(): Error {
    return new Error(`inserting into ${this.table}: ${clickhouseMessage(this.failure)}`, { cause: this.failure });
  }

  private async checkKeys(): Promise<void> {
    const key = this.spec.key;
    if (key.length === 0) return;
    const cols = key.map((k, i) => `toString(${k}) AS k${i}`).join(', ');
    const result = await this.client.query({
      query: `SELECT ${cols} FROM ${this.table} GROUP BY ${key.join(', ')} HAVING count() > 1 LIMIT 100`,
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
