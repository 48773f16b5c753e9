import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, databaseFileError, IoError } from '../errors.js';
import { readSqlFile } from '../sql-file.js';
import { migrateState } from './migrate.js';

/** The schema version this code writes; an older file is upgraded by state.sql's idempotent DDL. */
export const STATE_SCHEMA_VERSION = 2;

/** What to do about a state database that exists but is not one we can trust (said in every error). */
export function stateRecovery(path: string): string {
  return (
    `restore ${path} from a backup, or move it aside to start afresh ` +
    `(a new state database announces every firing alert again and forgets snoozes and the outbox)`
  );
}

/**
 * The alert-state database. WAL lets `anomaly outbox` read while a run writes; busy_timeout makes
 * a second writer wait briefly instead of failing at once.
 */
export class StateStore {
  private constructor(
    readonly db: Database.Database,
    /** True when this open created the file (there was no state database at that path). */
    readonly created: boolean,
    readonly path: string,
  ) {}

  /**
   * Opens the state database, creating it (and its folder) when the file is missing. A file that
   * exists but is not a valid state database (garbage, truncated, another program's SQLite file, a
   * newer schema) is refused untouched: recreating it would silently announce every alert again.
   */
  static open(path: string): StateStore {
    const created = path !== ':memory:' && !existsSync(path);
    if (path !== ':memory:') {
      if (created) mkdirSync(dirname(path), { recursive: true });
      else checkFile(path);
    }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (error) {
      throw databaseFileError(error, 'state database', path, stateRecovery(path));
    }
    try {
      db.pragma('busy_timeout = 5000');
      if (!created && path !== ':memory:') checkSchema(db, path);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.exec(readSqlFile('state.sql', import.meta.url));
      migrateState(db);
    } catch (error) {
      db.close();
      throw databaseFileError(error, 'state database', path, stateRecovery(path));
    }
    return new StateStore(db, created, path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** Header and size checks that need no SQLite: a garbage or cut-off file is refused before it is opened. */
function checkFile(path: string): void {
  const st = statSync(path);
  if (!st.isFile()) throw new IoError(`state database ${path} is not a regular file: set ANOMALY_STATE_DB to a file path`);
  if (st.size === 0) throw new IoError(`state database ${path} is empty (truncated?): ${stateRecovery(path)}`);
  const head = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 100 || head.toString('latin1', 0, 16) !== SQLITE_HEADER) {
    throw new IoError(`state database ${path} is not a SQLite database (overwritten or damaged): ${stateRecovery(path)}`);
  }
  // Bytes 16-17: page size (1 means 65536); 28-31: pages in the file as of the last commit. With no
  // write-ahead log pending, a file shorter than that has been cut off.
  const pageSize = head.readUInt16BE(16) === 1 ? 65536 : head.readUInt16BE(16);
  const pages = head.readUInt32BE(28);
  const walPending = existsSync(path + '-wal') && statSync(path + '-wal').size > 0;
  if (!walPending && pages > 0 && st.size < pages * pageSize) {
    throw new IoError(
      `state database ${path} is truncated (${st.size} bytes, its header says ${pages * pageSize}): ${stateRecovery(path)}`,
    );
  }
}

/** The file must hold our tables and a schema version this program understands; nothing is written before. */
function checkSchema(db: Database.Database, path: string): void {
  const tables = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name));
  const version = tables.has('meta')
    ? (db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined)
    : undefined;
  if (!version || !tables.has('alerts') || !tables.has('outbox')) {
    const found = [...tables].slice(0, 8).join(', ') || 'no tables';
    throw new ConfigError(
      `${path} is a SQLite database but not an anomaly state database (found: ${found}): check ANOMALY_STATE_DB ` +
        `(it must not point at the data database); if it is the state database, ${stateRecovery(path)}`,
    );
  }
  const v = Number(version.value);
  if (!Number.isInteger(v) || v > STATE_SCHEMA_VERSION) {
    throw new ConfigError(
      `${path} has state schema version ${version.value}, newer than this program's ${STATE_SCHEMA_VERSION}: upgrade anomaly-monitoring`,
    );
  }
}

/**
 * Checks an existing state database the way StateStore.open does, without creating or changing
 * anything (for `anomaly doctor`). Throws the same IoError / ConfigError; false when it is missing.
 */
export function validateStateFile(path: string): boolean {
  if (!existsSync(path)) return false;
  checkFile(path);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    checkSchema(db, path);
  } catch (error) {
    throw databaseFileError(error, 'state database', path, stateRecovery(path));
  } finally {
    db?.close();
  }
  return true;
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
