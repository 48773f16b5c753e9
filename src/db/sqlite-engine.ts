import Database from 'better-sqlite3';
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

/** SQLite through better-sqlite3; statements are prepared once and reused (replay runs thousands). */
export class SqliteEngine implements QueryEngine {
  readonly name = 'sqlite';
  private readonly statements = new Map<string, { stmt: Database.Statement; names: string[] }>();

  constructor(readonly db: Database.Database) {}

  static open(path: string): SqliteEngine {
    const db = new Database(path, { readonly: true, fileMustExist: true });
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
    return (names.length ? stmt.all(bound) : stmt.all()) as Row[];
  }

  async validate(sql: string): Promise<void> {
    this.prepared(sql);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
