import type Database from 'better-sqlite3';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AppError, ExitCode } from '../errors.js';
import { acquireLock } from '../lock.js';
import { toDbTime } from '../time.js';
import { DateParser } from './dates.js';
import type { InputFile } from './inputs.js';
import { loadFile } from './load-file.js';
import type { LoadResult } from './load-file.js';
import { ProgressBar } from './progress.js';
import { readSqlFile } from '../sql-file.js';
import { openBuildDb } from './build-pragmas.js';
import { loadParallel, mergePart, partPath, partWorkerAvailable, planSplit } from './parallel-load.js';
import type { LoadPhases } from './parallel-load.js';
import { directLayout } from './btree/layout.js';
import type { DirectLayout } from './btree/layout.js';
import { directWorkerAvailable, loadDirect, removeScratch } from './direct-load.js';
import type { TableSpec } from './tables.js';

/**
 * Builds the data database beside the target (`<db>.tmp-<pid>`) and renames it over the target only
 * when everything loaded: a failure or a crash at any moment leaves the previous database as it was.
 */

export interface BuildOptions {
  files: InputFile[];
  dbPath: string;
  /** Day (YYYY-MM-DD) that date-less times belong to. */
  day: string;
  tz: string;
  now: () => number;
  /** Progress bar output (stderr) and whether to draw it at all. */
  progress?: { write: (text: string) => void; enabled: boolean };
  /**
   * Told when SIGINT / SIGTERM stopped the build, after the temp file and the lock are gone and
   * just before the process exits with 128 + the signal number (130, 143).
   */
  onInterrupt?: (signal: NodeJS.Signals, tmp: string) => void;
  /** Tests only: caps the temp database's pages, to provoke SQLITE_FULL. */
  maxPageCount?: number;
}

export interface LoadedFile extends LoadResult {
  table: string;
  relPath: string;
  /** Wall time of the load, milliseconds. */
  ms: number;
  /** For a file loaded by two threads: where their time went. */
  phases?: LoadPhases;
  /** For a big file: true when written as B-tree pages, else why it could not be (undefined: not tried). */
  direct?: true | string;
}

export interface BuildResult {
  files: LoadedFile[];
  /** Wall time of creating the indexes, milliseconds. */
  indexMs: number;
  /** Temp files of earlier runs that did not finish (killed, crashed), removed before this build. */
  removedTemps?: StaleTemp[];
}

export interface StaleTemp {
  path: string;
  bytes: number;
}

const SCHEMA_VERSION = '1';

/**
 * Indexes of indexes.sql built while loading rather than after it. transactions rows come in time
 * order, so each created_date entry lands at the end of the index: that costs the insert less than
 * sorting all of them afterwards (order_id is not ordered enough, and is left for afterwards).
 */
const DURING_LOAD = /\bON\s+transactions\s*\(\s*created_date\s*\)/i;

/** indexes.sql as single statements: those to create before loading, and the rest. */
export function splitIndexSql(sql: string): { before: string[]; after: string[] } {
  const statements = sql
    .split(';')
    .map((s) => s.replace(/--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
  return { before: statements.filter((s) => DURING_LOAD.test(s)), after: statements.filter((s) => !DURING_LOAD.test(s)) };
}

/** The statements of `after` that index `table` (built at the end of each part of a parallel load). */
function indexesOf(after: string[], table: string): string[] {
  return after.filter((s) => new RegExp(`\\bON\\s+${table}\\s*\\(`, 'i').test(s));
}

/** `CREATE INDEX x` as `CREATE INDEX IF NOT EXISTS x`: a parallel load may have built it already. */
function ifNotExists(statement: string): string {
  return statement.replace(/^CREATE\s+INDEX\s+(?!IF\s)/i, 'CREATE INDEX IF NOT EXISTS ');
}

/**
 * Removes `<db>.tmp-<pid>` files (and their journals) left by runs that did not finish. Call under
 * the init lock: every init-db of this database holds it while its temp file exists, so any temp
 * but ours is stale, whatever its pid now belongs to.
 */
export function removeStaleTemps(dbPath: string): StaleTemp[] {
  const dir = dirname(dbPath) || '.';
  const prefix = basename(dbPath) + '.tmp-';
  const ours = `${prefix}${process.pid}`;
  const removed: StaleTemp[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || name === ours || name === ours + '-journal') continue;
    const path = join(dir, name);
    let bytes = 0;
    try {
      bytes = statSync(path).size;
    } catch {
      continue; // gone meanwhile
    }
    rmSync(path, { force: true });
    removed.push({ path, bytes });
  }
  return removed;
}

/** SQLite or the OS said the disk is full: name the database being built and the one kept. */
function diskFull(error: unknown, dbPath: string, tmp: string): AppError | undefined {
  const code = (error as { code?: unknown }).code;
  if (code !== 'SQLITE_FULL' && code !== 'ENOSPC' && !(typeof code === 'string' && code.startsWith('SQLITE_IOERR') && /full|space/i.test(String(error)))) {
    return undefined;
  }
  return new AppError(
    `${tmp}: database or disk is full while building the new ${dbPath} (${String((error as Error).message)}); ` +
      `free space in ${dirname(dbPath) || '.'} and run init-db again — ${dbPath} was not changed`,
    ExitCode.ioError,
    { cause: error },
  );
}

/**
 * Creates `table`'s remaining indexes (still empty, so that each has its root page) and returns the
 * direct writer's layout; when the table cannot be written directly, drops them again and returns
 * undefined.
 */
function prepareDirect(db: Database.Database, spec: TableSpec, ownIndexes: string[]): DirectLayout | undefined {
  for (const statement of ownIndexes) db.exec(statement);
  const layout = directLayout(db, spec);
  if (typeof layout === 'string') {
    dropIndexes(db, ownIndexes);
    return undefined;
  }
  return layout;
}

/** Drops the indexes that `CREATE INDEX` statements made. */
function dropIndexes(db: Database.Database, statements: string[]): void {
  for (const statement of statements) db.exec(statement.replace(/^CREATE\s+INDEX\s+(\w+).*$/is, 'DROP INDEX $1'));
}

/** The `loads.day` of a file: its own day, `--date` for undated per-source files, null otherwise. */
export function fileDay(file: InputFile, defaultDay: string): string | null {
  return file.spec.perSource ? (file.day ?? defaultDay) : null;
}

/** A DateParser per day: dated files carry their own day, the others take `--date`. */
export function datesFor(tz: string, defaultDay: string): (day?: string) => DateParser {
  const parsers = new Map<string, DateParser>();
  return (day = defaultDay) => {
    let parser = parsers.get(day);
    if (!parser) parsers.set(day, (parser = new DateParser(tz, day)));
    return parser;
  };
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    closeSync(fd);
  }
}

export async function buildDatabase(opts: BuildOptions): Promise<BuildResult> {
  const { dbPath } = opts;
  mkdirSync(dirname(dbPath) || '.', { recursive: true });
  const lock = acquireLock(dbPath + '.init.lock', 'init-db');
  const tmp = `${dbPath}.tmp-${process.pid}`;
  let db: Database.Database | undefined;
  const removeTemp = () => {
    rmSync(tmp, { force: true });
    rmSync(tmp + '-journal', { force: true });
    rmSync(partPath(tmp), { force: true });
    rmSync(partPath(tmp) + '-journal', { force: true });
    removeScratch(tmp);
  };
  // Interrupted (Ctrl-C, `kill`, systemd stop): remove the temp file and the lock, then exit. The
  // handler runs between chunks of the load, so it is prompt except during an index build.
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      if (db?.open) db.close();
    } catch {
      // closing is a courtesy; the file goes anyway
    }
    removeTemp();
    lock.release();
    opts.onInterrupt?.(signal, tmp);
    process.exit(128 + (osConstants.signals[signal] ?? 0));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const removedTemps = removeStaleTemps(dbPath);
    const dates = datesFor(opts.tz, opts.day);
    db = openBuildDb(tmp, opts.maxPageCount);
    const loaded: LoadedFile[] = [];
    try {
      const schema = readSqlFile('../db/schema.sql', import.meta.url);
      db.exec(schema);
      const indexes = splitIndexSql(readSqlFile('../db/indexes.sql', import.meta.url));
      for (const statement of indexes.before) db.exec(statement);
      for (const file of opts.files) {
        const bar = new ProgressBar(opts.progress?.write ?? (() => {}), opts.progress?.enabled ?? false, file.relPath, file.bytes);
        const started = performance.now();
        // A big file goes to two threads, each writing its own database file (parallel-load.ts).
        const plan = partWorkerAvailable ? planSplit(file.path, file.bytes) : null;
        if (plan) {
          try {
            const fileDates = dates(file.day);
            const ownIndexes = indexesOf(indexes.after, file.spec.table);
            // Written as B-tree pages when it can be (direct-load.ts), else inserted by two SQLite connections.
            const direct = directWorkerAvailable ? prepareDirect(db, file.spec, ownIndexes) : undefined;
            db.close();
            const run = direct
              ? await loadDirect({ target: file, dates: fileDates, bytes: file.bytes, plan, tmp, layout: direct, maxPageCount: opts.maxPageCount, onProgress: (n) => bar.update(n) })
              : undefined;
            db = openBuildDb(tmp, opts.maxPageCount);
            if (run?.ok) {
              loaded.push({ rows: run.rows, bytes: file.bytes, sha256: run.sha256, table: file.spec.table, relPath: file.relPath, ms: Math.round(performance.now() - started), phases: { parts: run.parts, mergeMs: run.assembleMs }, direct: true });
              continue;
            }
            // Back to an empty table with only its load-time indexes, for the SQLite load.
            if (direct) dropIndexes(db, ownIndexes);
            db.close();
            const parts = await loadParallel({
              target: file,
              dates: fileDates,
              bytes: file.bytes,
              plan,
              tmp,
              partSetup: [schema, ...indexes.before],
              indexes: ownIndexes,
              maxPageCount: opts.maxPageCount,
              onProgress: (n) => bar.update(n),
            });
            db = openBuildDb(tmp, opts.maxPageCount);
            const mergeMs = await mergePart(db, tmp, file, fileDates);
            loaded.push({ rows: parts.rows, bytes: file.bytes, sha256: parts.sha256, table: file.spec.table, relPath: file.relPath, ms: Math.round(performance.now() - started), phases: { parts: parts.parts, mergeMs }, direct: run ? run.reason : undefined });
          } finally {
            bar.finish();
          }
          continue;
        }
        db.exec('BEGIN');
        try {
          const result = await loadFile(db, file, file.bytes, dates(file.day), (n) => bar.update(n));
          db.exec('COMMIT');
          loaded.push({ ...result, table: file.spec.table, relPath: file.relPath, ms: Math.round(performance.now() - started) });
        } finally {
          bar.finish();
        }
      }
      const indexStart = performance.now();
      db.exec('BEGIN');
      for (const statement of indexes.after) db.exec(ifNotExists(statement));
      const indexMs = Math.round(performance.now() - indexStart);
      const loadedAt = toDbTime(opts.now());
      const insertLoad = db.prepare(
        'INSERT INTO loads (table_name, file, source, bytes, rows, sha256, loaded_at, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      opts.files.forEach((file, i) => {
        const r = loaded[i]!;
        insertLoad.run(r.table, r.relPath, file.source, r.bytes, r.rows, r.sha256, loadedAt, fileDay(file, opts.day));
      });
      const insertMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      insertMeta.run('schema_version', SCHEMA_VERSION);
      insertMeta.run('tz', opts.tz);
      insertMeta.run('day', opts.day);
      db.exec('COMMIT');
      db.close();
      fsyncPath(tmp, 'r+');
      renameSync(tmp, dbPath);
      fsyncPath(dirname(dbPath) || '.', 'r');
      return { files: loaded, indexMs, removedTemps };
    } catch (error) {
      if (db.open) db.close();
      throw diskFull(error, dbPath, tmp) ?? error;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // After a successful rename there is no temp left; after a failure this removes it.
    removeTemp();
    lock.release();
  }
}
