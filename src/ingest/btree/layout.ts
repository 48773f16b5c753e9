import type Database from 'better-sqlite3';
import { insertColumns } from '../row-converter.js';
import type { TableSpec } from '../tables.js';

/**
 * How the direct writer lays out one table's rows and index entries, worked out from the table as
 * SQLite created it (plain data: it is handed to worker threads). A table it cannot write the way
 * SQLite would gets no layout, and is loaded through SQLite.
 */

/** Where a stored column's value comes from in a converted row (insert order), and how it is stored. */
export type RecordColumn =
  | { from: number; kind: 'rowid' } // the INTEGER PRIMARY KEY: stored as NULL, its value is the rowid
  | { from: number; kind: 'int' }
  | { from: number; kind: 'text' }
  /** A date-time stored as the text 'YYYY-MM-DD HH:MM:SS': arrives as the number YYYYMMDDHHMMSS (or as that text). */
  | { from: number; kind: 'datetime' }
  | { from: number; kind: 'enum'; values: string[] };

export interface IndexLayout {
  name: string;
  /** Page number of the index's root (from sqlite_schema). */
  root: number;
  /** The indexed column's place in a converted row. */
  from: number;
  /** A whole number, or a UTC time text 'YYYY-MM-DD HH:MM:SS' (sorted as the number YYYYMMDDHHMMSS). */
  key: 'int' | 'datetime';
}

export interface DirectLayout {
  table: string;
  pageSize: number;
  /** Page number of the table's root. */
  root: number;
  /** Values per converted row. */
  rowWidth: number;
  /** The rowid's place in a converted row. */
  rowidFrom: number;
  /** The table's columns, in table order. */
  columns: RecordColumn[];
  indexes: IndexLayout[];
}

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/**
 * The layout of `spec`'s table in `db`, or the reason there is none: the table must be an empty
 * rowid table with an INTEGER PRIMARY KEY, every column filled from the file as a whole number or a
 * text, no triggers, and only single-column indexes on whole numbers or date-times.
 */
export function directLayout(db: Database.Database, spec: TableSpec): DirectLayout | string {
  const table = spec.table;
  const info = db.prepare(`PRAGMA table_info(${table})`).all() as ColumnInfo[];
  const pks = info.filter((c) => c.pk > 0);
  if (pks.length !== 1 || pks[0]!.type.toUpperCase() !== 'INTEGER') return 'no INTEGER PRIMARY KEY';
  const schema = db.prepare("SELECT sql, rootpage FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) as { sql: string; rootpage: number } | undefined;
  if (!schema || /WITHOUT\s+ROWID/i.test(schema.sql)) return 'a WITHOUT ROWID table';
  if (db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?").get(table)) return 'the table has triggers';
  if (db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get()) return 'the table is not empty';
  const order = insertColumns(spec);
  const kindOf = (name: string) => spec.columns.find((c) => c.dbName === name)?.kind;
  const columns: RecordColumn[] = [];
  let rowidFrom = -1;
  for (const c of info) {
    const from = order.indexOf(c.name);
    if (from === -1) return `column ${c.name} is not in the file`;
    const kind = kindOf(c.name);
    const type = c.type.toUpperCase();
    if (c.pk > 0) {
      if (!kind?.wholeNumber) return 'the primary key is not a whole number column';
      rowidFrom = from;
      columns.push({ from, kind: 'rowid' });
    } else if (kind?.values) {
      if (type !== 'TEXT') return `enumeration column ${c.name} is not TEXT`;
      columns.push({ from, kind: 'enum', values: [...kind.values] });
    } else if (kind?.wholeNumber && type === 'INTEGER') columns.push({ from, kind: 'int' });
    else if (type === 'TEXT' && kind?.makeNumber) columns.push({ from, kind: 'datetime' });
    // Checked again row by row: a value that is not a string sends the file back to SQLite.
    else if (type === 'TEXT' && !kind?.wholeNumber) columns.push({ from, kind: 'text' });
    else return `column ${c.name} (${c.type}) is not a whole number or a text`;
  }
  const indexes: IndexLayout[] = [];
  const list = db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; unique: number; origin: string; partial: number }[];
  for (const ix of list) {
    if (ix.unique || ix.partial || ix.origin !== 'c') return `index ${ix.name} is unique, partial or automatic`;
    const cols = db.prepare(`PRAGMA index_xinfo(${ix.name})`).all() as { cid: number; name: string | null; desc: number; coll: string | null; key: number }[];
    const keys = cols.filter((k) => k.key === 1);
    if (keys.length !== 1 || keys[0]!.desc || (keys[0]!.coll ?? 'BINARY') !== 'BINARY' || keys[0]!.name === null) return `index ${ix.name} is not on one column in ascending binary order`;
    const name = keys[0]!.name;
    const col = columns[info.findIndex((c) => c.name === name)]!;
    const root = (db.prepare("SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND name = ?").get(ix.name) as { rootpage: number }).rootpage;
    if (col.kind === 'int') indexes.push({ name: ix.name, root, from: col.from, key: 'int' });
    else if (col.kind === 'datetime') indexes.push({ name: ix.name, root, from: col.from, key: 'datetime' });
    else return `index ${ix.name} is not on a whole number or date-time column`;
  }
  // Date-time indexes first: index 0's pages are written straight into place and the others copied
  // in, so the widest entries (19-byte texts) are the ones not copied.
  indexes.sort((a, b) => Number(a.key !== 'datetime') - Number(b.key !== 'datetime'));
  const root = schema.rootpage;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  return { table, pageSize, root, rowWidth: order.length, rowidFrom, columns, indexes };
}
