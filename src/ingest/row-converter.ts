import { DataError } from '../errors.js';
import type { DateParser } from './dates.js';
import type { Convert } from './fields.js';
import { expectedHeader } from './tables.js';
import type { TableSpec } from './tables.js';

/**
 * Turns CSV records of one file into rows of SQL values for its table: checks the header, then
 * converts each field, throwing a DataError that names the line, column and value.
 */

/** What a header field must look like to be quoted in an error message. */
const COLUMN_NAME_RE = /^\uFEFF?[\p{L}\p{N}_ .-]{0,64}$/u;

/** Maps a header record to, for each spec column, the index of its field. Throws on any mismatch. */
export function mapHeader(spec: TableSpec, fields: string[], display: string, line: number): number[] {
  const order = new Array<number>(spec.columns.length).fill(-1);
  const expected = expectedHeader(spec);
  fields.forEach((rawName, i) => {
    const name = rawName.replace(/^\uFEFF/, '').trim().toLowerCase();
    const c = spec.columns.findIndex((col) => col.name === name || (col.aliases ?? []).includes(name));
    if (c === -1) {
      // Quote only what looks like a column name: the "header" of a file that is not a CSV export
      // (a symlink to /etc/passwd, a key file) must not end up in a terminal or a log.
      if (!COLUMN_NAME_RE.test(rawName)) {
        throw new DataError(
          { file: display, line, column: i + 1 },
          `not a header of ${spec.table}: field ${i + 1} does not look like a column name (its text is not shown); is this the right file? expected header: ${expected}`,
        );
      }
      throw new DataError({ file: display, line, column: i + 1, value: rawName }, `unknown column ${JSON.stringify(rawName)}; expected header: ${expected}`);
    }
    if (order[c] !== -1) {
      const before = fields[order[c]!]!;
      throw new DataError(
        { file: display, line, column: i + 1, value: rawName },
        `duplicated column ${JSON.stringify(rawName)} (column ${order[c]! + 1} is ${JSON.stringify(before)} already); expected header: ${expected}`,
      );
    }
    order[c] = i;
  });
  const missing = spec.columns.findIndex((_, c) => order[c] === -1);
  if (missing !== -1) {
    const name = spec.columns[missing]!.name;
    throw new DataError({ file: display, line, column: name }, `missing column ${JSON.stringify(name)}; expected header: ${expected}`);
  }
  return order;
}

/** Table columns in insert order: `source` first for per-source tables. */
export function insertColumns(spec: TableSpec): string[] {
  return (spec.perSource ? ['source'] : []).concat(spec.columns.map((c) => c.dbName));
}

export class RowConverter {
  /** Values per row. */
  readonly width: number;
  /** Header fields as written in the file, once read. */
  header: string[] = [];
  private order: number[] | undefined;
  private readonly converters: Convert[];
  /** The key column holding a time (checkout's hour, transaction_status's minute), or -1. */
  private readonly timeKeyColumn: number;
  /** Rows seen per key whose time is a repeated (DST fall-back) wall-clock time. */
  private readonly repeated = new Map<string, number>();
  private scratch: unknown[] = [];
  /** Where each primary key column sits in a converted row. */
  private readonly keyPositions: number[];

  constructor(
    private readonly spec: TableSpec,
    private readonly dates: DateParser,
    private readonly display: string,
    private readonly source: string | null,
  ) {
    this.width = spec.columns.length + (source !== null ? 1 : 0);
    this.converters = spec.columns.map((c) => c.kind.make(dates));
    this.timeKeyColumn = spec.columns.findIndex((c) => c.kind.isTime === true && spec.key.includes(c.dbName));
    this.keyPositions = spec.key.map((name) => insertColumns(spec).indexOf(name));
  }

  get hasHeader(): boolean {
    return this.order !== undefined;
  }

  readHeader(fields: string[], line: number): void {
    this.order = mapHeader(this.spec, fields, this.display, line);
    this.header = fields;
  }

  /** Fails for a file without even a header line (a header-only file is fine: 0 rows). */
  assertHeaderSeen(): void {
    if (this.order === undefined) {
      throw new DataError({ file: this.display, line: 1 }, `empty file: expected a header line: ${expectedHeader(this.spec)}`);
    }
  }

  /** Writes the record's `width` values into `out` from index `k`. */
  convert(fields: string[], line: number, fieldLines: number[] | undefined, out: unknown[], k: number): void {
    const order = this.order!;
    const ncols = order.length;
    if (fields.length !== ncols) throw this.fieldCountError(line, fields);
    const start = k;
    if (this.source !== null) out[k++] = this.source;
    for (let c = 0; c < ncols; c++) {
      const f = order[c]!;
      const raw = fields[f]!;
      const v = this.converters[c]!(raw);
      if (v === undefined) {
        throw new DataError({ file: this.display, line: fieldLines?.[f] ?? line, column: this.header[f]!, value: raw }, this.spec.columns[c]!.kind.explain(raw));
      }
      out[k++] = v;
    }
    if (this.timeKeyColumn !== -1 && this.dates.later !== undefined) this.placeRepeated(fields, line, out, start);
  }

  /**
   * A key whose time occurs twice on a DST fall-back day: its first row is the first occurrence
   * (as converted), its second row the second occurrence, a third row is refused.
   */
  private placeRepeated(fields: string[], line: number, out: unknown[], start: number): void {
    const at = start + (this.source !== null ? 1 : 0) + this.timeKeyColumn;
    const later = this.dates.later!;
    const key = this.keyPositions.map((i) => String(out[start + i])).join('\u0000');
    const seen = this.repeated.get(key) ?? 0;
    this.repeated.set(key, seen + 1);
    if (seen === 1) out[at] = later;
    else if (seen >= 2) {
      const f = this.order![this.timeKeyColumn]!;
      throw new DataError(
        { file: this.display, line, column: this.header[f]!, value: fields[f]! },
        `third row for a repeated local time: ${this.dates.lastDstNote() ?? 'this time occurs twice on this day'}; a third row of the same key is a duplicate`,
      );
    }
  }

  /** The primary key of a converted record (for duplicate diagnosis), as one string. */
  keyOf(fields: string[], line: number): string {
    if (this.scratch.length < this.width) this.scratch = new Array<unknown>(this.width);
    this.convert(fields, line, undefined, this.scratch, 0);
    return this.keyPositions.map((i) => String(this.scratch[i])).join('\u0000');
  }

  /** Header names and values of the key columns of a record, for the duplicate message. */
  keyText(fields: string[]): { column: string; value: string } {
    const order = this.order!;
    const cols = this.spec.key.filter((k) => k !== 'source').map((name) => order[this.spec.columns.findIndex((col) => col.dbName === name)]!);
    return { column: cols.map((f) => this.header[f]).join(', '), value: cols.map((f) => fields[f]).join(', ') };
  }

  private fieldCountError(line: number, fields: string[]): DataError {
    const header = this.header;
    const n = header.length;
    const column = fields.length > n ? n + 1 : header[fields.length]!;
    const value = fields.length > n ? fields.slice(n).join(',') : fields.join(',');
    return new DataError(
      { file: this.display, line, column, value },
      `wrong number of fields: expected ${n} (${header.join(',')}), found ${fields.length}`,
    );
  }
}
