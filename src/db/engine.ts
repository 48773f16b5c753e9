/**
 * The one small interface checks use to read data: run a query with named parameters, get rows.
 * SQLite is the embedded default; a server engine (ClickHouse) can implement the same interface.
 * Check classes must not use engine-specific tricks: those belong in the `.sql` files.
 */
export type Row = Record<string, unknown>;
export type Params = Record<string, string | number | null>;

export interface QueryEngine {
  readonly name: string;
  /** Runs `sql` with named parameters (`:name` in the SQL). Unused keys in `params` are ignored. */
  query(sql: string, params?: Params): Promise<Row[]>;
  /** Throws if `sql` does not prepare against the database (syntax error, unknown table or column). */
  validate(sql: string): Promise<void>;
  close(): Promise<void>;
}
