import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readSqlFile } from '../sql-file.js';

/** The schema version this code writes; an older file is upgraded by state.sql's idempotent DDL. */
export const STATE_SCHEMA_VERSION = 1;

/**
 * The alert-state database. WAL lets `anomaly outbox` read while a run writes; busy_timeout makes
 * a second writer wait briefly instead of failing at once.
 */
export class StateStore {
  private constructor(readonly db: Database.Database) {}

  /** Opens (creating the file and its directory if missing) and applies the schema. */
  static open(path: string): StateStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.exec(readSqlFile('state.sql', import.meta.url));
      const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string };
      const version = Number(row.value);
      if (version > STATE_SCHEMA_VERSION) {
        throw new Error(
          `${path} has state schema version ${version}, newer than this program's ${STATE_SCHEMA_VERSION}: upgrade anomaly-monitoring`,
        );
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new StateStore(db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens the state store, runs `fn` with it and closes it, whatever happens. */
export function withStateStore<T>(path: string, fn: (store: StateStore) => T): T {
  const store = StateStore.open(path);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
