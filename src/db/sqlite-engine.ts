import Database from 'better-sqlite3';
import { databaseFileError } from '../errors.js';
import type { Params, QueryEngine, Row } from './engine.js';

/** Named parameters a statement uses, e.g. `:at` / `@at` / `$at` (quoted text and comments excluded). */
export function parameterNames(sql: string): string[] {
  const stripped = sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/--[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![:\w])[:@$]([A-Za-z_]\w*)/g)) names.add(m[1]!);
  return [...names];
}

const DATA_DB_FIX = 'rebuild it from the CSV exports with `anomaly init-db` (or point --db / ANOMALY_DB at the right file)';

/** SQLite through better-sqlite3; statements are prepared once and reused (replay runs thousands). */
export class SqliteEngine implements QueryEngine {
  readonly name = 'sqlite';
  private readonly statements = new Map<string, { stmt: Database.Statement; names: string[] }>();

  constructor(readonly db: Database.Database) {}

  /**
   * Opens the data database read-only. A file that is not a SQLite database, or is corrupt, is an
   * IoError (74) naming it and the fix, not a SQL error of whichever check reads it first.
   */
  static open(path: string): SqliteEngine {
    const fix = DATA_DB_FIX;
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw databaseFileError(error, 'data database', path, fix);
    }
    try {
      // Reading the schema reads the header and the first page: garbage shows here. (No full
      // integrity check: it would read every page of a multi-GB file on every run; damage found
      // later by a query is reported the same way, see querySync.)
      db.prepare(`SELECT count(*) FROM sqlite_master`).get();
    } catch (error) {
      db.close();
      throw databaseFileError(error, 'data database', path, fix);
    }
    return new SqliteEngine(db);
  }

  private prepared(sql: string): { stmt: Database.Statement; names: string[] } {
    let entry = this.statements.get(sql);
    if (!entry) {
      entry = { stmt: this.db.prepare(sql), names: parameterNames(sql) };
      this.statements.set(sql, entry);
    }
    return entry;
  }

  async query(sql: string, params: Params = {}): Promise<Row[]> {
    return this.querySync(sql, params);
  }

  querySync(sql: string, params: Params = {}): Row[] {
    const { stmt, names } = this.prepared(sql);
    const bound: Params = {};
    for (const n of names) {
      if (!(n in params)) throw new Error(`SQL parameter :${n} is not provided (available: ${Object.keys(params).map((k) => ':' + k).join(', ')})`);
      bound[n] = params[n]!;
    }
    try {
      return (names.length ? stmt.all(bound) : stmt.all()) as Row[];
    } catch (error) {
      // "database disk image is malformed" alone does not say which file.
      throw databaseFileError(error, 'data database', this.db.name, DATA_DB_FIX);
    }
  }

  async validate(sql: string): Promise<void> {
    try {
      this.prepared(sql);
    } catch (error) {
      throw databaseFileError(error, 'data database', this.db.name, DATA_DB_FIX);
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
