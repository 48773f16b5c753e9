import type Database from 'better-sqlite3';
import type { TableSpec } from './tables.js';
import { insertColumns } from './row-converter.js';

/**
 * Inserts rows in multi-row statements of BATCH_ROWS rows (one statement per batch is far cheaper
 * than one per row); a shorter batch (the file's tail) goes row by row.
 */
export const BATCH_ROWS = 200;

/** A batch broke a primary key: which keys it held and which lines they came from. */
export class KeyConflict {
  constructor(
    readonly keys: Set<string>,
    readonly firstLine: number,
    readonly lastLine: number,
    readonly cause: unknown,
  ) {}
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * An enumeration column arrives as the index of its value and is turned back into the text here, in
 * SQL (no ELSE: anything else is NULL, which the NOT NULL column refuses).
 */
function placeholder(values: readonly string[] | undefined): string {
  if (values === undefined) return '?';
  return 'CASE ?' + values.map((v, i) => ` WHEN ${i} THEN ${sqlText(v)}`).join('') + ' END';
}

function insertSql(spec: TableSpec, rows: number): string {
  const cols = insertColumns(spec);
  const kinds: (readonly string[] | undefined)[] = [...(spec.perSource ? [undefined] : []), ...spec.columns.map((c) => c.kind.values)];
  const tuple = '(' + kinds.map(placeholder).join(',') + ')';
  return `INSERT INTO ${spec.table} (${cols.join(',')}) VALUES ` + new Array(rows).fill(tuple).join(',');
}

function isConstraintError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

export class Inserter {
  readonly width: number;
  private readonly multi: Database.Statement;
  private readonly single: Database.Statement;
  private readonly keyIndexes: number[];

  constructor(db: Database.Database, spec: TableSpec) {
    const cols = insertColumns(spec);
    this.width = cols.length;
    this.multi = db.prepare(insertSql(spec, BATCH_ROWS));
    this.single = db.prepare(insertSql(spec, 1));
    this.keyIndexes = spec.key.map((k) => cols.indexOf(k));
  }

  /**
   * Inserts `rows` rows held in `values`; `lines[from + i]` is the line of row i. Throws KeyConflict
   * when a primary key is broken.
   */
  insert(values: unknown[], rows: number, lines: ArrayLike<number>, from: number): void {
    const w = this.width;
    if (rows === BATCH_ROWS && values.length === rows * w) {
      try {
        // Spread, not the array: better-sqlite3 reads arguments directly but an array's elements
        // through V8's generic property lookup, a measurable share of this (the busiest) thread.
        this.multi.run(...values);
        return;
      } catch (error) {
        if (isConstraintError(error)) throw this.conflict(values, 0, rows, lines, from, error);
        throw error;
      }
    }
    for (let r = 0; r < rows; r++) {
      try {
        this.single.run(values.slice(r * w, (r + 1) * w));
      } catch (error) {
        if (isConstraintError(error)) throw this.conflict(values, r, r + 1, lines, from, error);
        throw error;
      }
    }
  }

  private conflict(values: unknown[], r0: number, r1: number, lines: ArrayLike<number>, from: number, error: unknown): KeyConflict {
    const keys = new Set<string>();
    for (let r = r0; r < r1; r++) keys.add(this.keyIndexes.map((i) => String(values[r * this.width + i])).join('\u0000'));
    return new KeyConflict(keys, lines[from + r0]!, lines[from + r1 - 1]!, error);
  }
}
