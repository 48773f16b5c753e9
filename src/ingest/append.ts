import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { AppError, ExitCode } from '../errors.js';
import { acquireLock } from '../lock.js';
import { readSqlFile } from '../sql-file.js';
import { toDbTime } from '../time.js';
import { buildDatabase, datesFor, fileDay, removeStaleTemps } from './build-db.js';
import type { BuildOptions, LoadedFile } from './build-db.js';
import type { InputFile } from './inputs.js';
import { loadFile } from './load-file.js';
import { sha256File } from './read-records.js';
import { ProgressBar } from './progress.js';
import type { TableSpec } from './tables.js';

/**
 * `init-db --append`: adds the files not loaded yet to the existing data database in one
 * transaction (all of them or none), without rebuilding it.
 *
 * A file counts as loaded when `loads` holds its sha256 for the same table, source and day (the same
 * bytes under another source name or day are other rows). Each new file is read into a TEMP table of
 * the same definition (unqualified names resolve to temp first, so the ordinary loader fills it,
 * with the same checks and messages as a full load), then merged by its table's rule in
 * merge/<table>.sql: stored rows that the file covers are deleted, the file's rows inserted. The
 * cost is that of the new rows plus index look-ups, whatever the size of the history.
 */

/** What a full build takes, less the signal hook: an append holds no temp file to clean up. */
export type AppendOptions = Pick<BuildOptions, 'files' | 'dbPath' | 'day' | 'tz' | 'now' | 'progress'>;

export interface AppendedFile extends LoadedFile {
  /** Stored rows the file's rows replaced (deleted by the table's merge rule). */
  replaced: number;
}

export interface AppendResult {
  /** True when there was no database and a full build made it. */
  created: boolean;
  files: AppendedFile[];
  /** Files skipped because the same bytes were loaded already (relative paths). */
  skipped: string[];
}

export async function appendToDatabase(opts: AppendOptions): Promise<AppendResult> {
  if (!existsSync(opts.dbPath)) {
    // The first append of a deployment: a full build (faster for a first big load) is the same result.
    const built = await buildDatabase(opts);
    return { created: true, files: built.files.map((f) => ({ ...f, replaced: 0 })), skipped: [] };
  }
  const lock = acquireLock(opts.dbPath + '.init.lock', 'init-db');
  try {
    removeStaleTemps(opts.dbPath);
    // better-sqlite3 waits up to `timeout` for a running check to finish reading before it commits.
    const db = new Database(opts.dbPath, { fileMustExist: true, timeout: 30_000 });
    try {
      assertDataDatabase(db, opts.dbPath);
      // Room for the pages one append dirties, so none spill to the file before the commit.
      db.pragma('cache_size = -65536');
      db.pragma('temp_store = MEMORY');
      const { pending, skipped } = await newFiles(db, opts);
      if (pending.length === 0) return { created: false, files: [], skipped };
      return { created: false, files: await appendFiles(db, pending, opts), skipped };
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}

function assertDataDatabase(db: Database.Database, dbPath: string): void {
  let version: string | undefined;
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    version = hasMeta ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined) : undefined;
  } catch {
    // not an SQLite file at all
  }
  if (version === undefined) {
    throw new AppError(`${dbPath} is not a database built by \`anomaly init-db\`; rebuild it with \`anomaly init-db\` without --append`, ExitCode.inputMissing);
  }
}

/** The files whose bytes are not loaded yet for their table, source and day; the rest as skipped. */
async function newFiles(db: Database.Database, opts: AppendOptions): Promise<{ pending: (InputFile & { sha256: string })[]; skipped: string[] }> {
  const seen = db.prepare('SELECT 1 FROM loads WHERE table_name = ? AND sha256 = ? AND source IS ? AND day IS ?').pluck();
  const pending: (InputFile & { sha256: string })[] = [];
  const skipped: string[] = [];
  const inBatch = new Set<string>();
  for (const file of opts.files) {
    const sha256 = await sha256File(file.path);
    const day = fileDay(file, opts.day);
    const identity = [file.spec.table, sha256, file.source, day].join('\u0000');
    if (inBatch.has(identity) || seen.get(file.spec.table, sha256, file.source, day) !== undefined) {
      skipped.push(file.relPath);
      continue;
    }
    inBatch.add(identity);
    pending.push({ ...file, sha256 });
  }
  return { pending, skipped };
}

async function appendFiles(db: Database.Database, files: InputFile[], opts: AppendOptions): Promise<AppendedFile[]> {
  const dates = datesFor(opts.tz, opts.day);
  const staged = new Set<string>();
  const appended: AppendedFile[] = [];
  const loadedAt = toDbTime(opts.now());
  const recordLoad = db.prepare(
    'INSERT OR REPLACE INTO loads (table_name, file, source, bytes, rows, sha256, loaded_at, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  // IMMEDIATE: take the write lock now (checks reading the database go on until the commit).
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const file of files) {
      const { spec } = file;
      if (!staged.has(spec.table)) {
        db.exec(tempTableSql(db, spec));
        staged.add(spec.table);
      } else {
        db.exec(`DELETE FROM temp.${spec.table}`);
      }
      const bar = new ProgressBar(opts.progress?.write ?? (() => {}), opts.progress?.enabled ?? false, file.relPath, file.bytes);
      const started = performance.now();
      try {
        const result = await loadFile(db, file, file.bytes, dates(file.day), (n) => bar.update(n));
        const replaced = mergeStaged(db, spec);
        recordLoad.run(spec.table, file.relPath, file.source, result.bytes, result.rows, result.sha256, loadedAt, fileDay(file, opts.day));
        appended.push({ ...result, table: spec.table, relPath: file.relPath, ms: Math.round(performance.now() - started), replaced });
      } finally {
        bar.finish();
      }
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  for (const table of staged) db.exec(`DROP TABLE IF EXISTS temp.${table}`);
  return appended;
}

/** `CREATE TEMP TABLE <t> …` with the stored table's own definition (keys, NOT NULL and all). */
function tempTableSql(db: Database.Database, spec: TableSpec): string {
  const sql = db.prepare("SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?").pluck().get(spec.table) as string | undefined;
  if (sql === undefined) {
    throw new AppError(`the database has no ${spec.table} table; rebuild it with \`anomaly init-db\` without --append`, ExitCode.inputMissing);
  }
  return sql.replace(/^\s*CREATE\s+TABLE\s+/i, 'CREATE TEMP TABLE ');
}

/** Applies merge/<table>.sql (a DELETE of the covered rows, then the INSERT); returns the rows deleted. */
function mergeStaged(db: Database.Database, spec: TableSpec): number {
  const [remove, insert] = mergeStatements(spec.table).map((sql) => db.prepare(sql));
  const replaced = remove!.run().changes;
  insert!.run();
  return replaced;
}

const mergeSql = new Map<string, string[]>();

function mergeStatements(table: string): string[] {
  let statements = mergeSql.get(table);
  if (!statements) {
    statements = readSqlFile(`merge/${table}.sql`, import.meta.url)
      .replace(/--.*$/gm, '')
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (statements.length !== 2) throw new Error(`merge/${table}.sql must hold a DELETE and an INSERT`);
    mergeSql.set(table, statements);
  }
  return statements;
}
