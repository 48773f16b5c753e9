import Database from 'better-sqlite3';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { acquireLock, isRunning } from '../lock.js';
import { toDbTime } from '../time.js';
import { DateParser } from './dates.js';
import type { InputFile } from './inputs.js';
import { loadFile } from './load-file.js';
import type { LoadResult } from './load-file.js';
import { ProgressBar } from './progress.js';
import { readSqlFile } from '../sql-file.js';

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
}

export interface LoadedFile extends LoadResult {
  table: string;
  relPath: string;
  /** Wall time of the load, milliseconds. */
  ms: number;
}

export interface BuildResult {
  files: LoadedFile[];
  /** Wall time of creating the indexes, milliseconds. */
  indexMs: number;
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

/** Removes `<db>.tmp-<pid>` files (and their journals) left by runs that died. Call under the lock. */
export function removeStaleTemps(dbPath: string): string[] {
  const dir = dirname(dbPath);
  const prefix = basename(dbPath) + '.tmp-';
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (!Number.isFinite(pid) || (pid !== process.pid && isRunning(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
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
  try {
    removeStaleTemps(dbPath);
    const dates = new DateParser(opts.tz, opts.day);
    const db = new Database(tmp);
    const loaded: LoadedFile[] = [];
    try {
      // Nothing needs crash safety inside a file nobody else reads: a crash just leaves a stale temp,
      // and any error discards the whole file. better-sqlite3's defensive mode silently refuses
      // journal_mode=OFF, so it is lifted for that one statement.
      db.unsafeMode(true);
      db.pragma('journal_mode = OFF');
      db.unsafeMode(false);
      db.pragma('synchronous = OFF');
      db.pragma('locking_mode = EXCLUSIVE');
      // Index sorts spill to temporary files instead of memory, and a small page cache (which also
      // bounds the sorter's memory) keeps RSS flat for big files at no measurable cost in speed.
      db.pragma('temp_store = FILE');
      db.pragma('cache_size = -8192');
      db.exec(readSqlFile('../db/schema.sql', import.meta.url));
      const indexes = splitIndexSql(readSqlFile('../db/indexes.sql', import.meta.url));
      for (const statement of indexes.before) db.exec(statement);
      for (const file of opts.files) {
        const bar = new ProgressBar(opts.progress?.write ?? (() => {}), opts.progress?.enabled ?? false, file.relPath, file.bytes);
        const started = performance.now();
        db.exec('BEGIN');
        try {
          const result = await loadFile(db, file, file.bytes, dates, (n) => bar.update(n));
          db.exec('COMMIT');
          loaded.push({ ...result, table: file.spec.table, relPath: file.relPath, ms: Math.round(performance.now() - started) });
        } finally {
          bar.finish();
        }
      }
      const indexStart = performance.now();
      db.exec('BEGIN');
      for (const statement of indexes.after) db.exec(statement);
      const indexMs = Math.round(performance.now() - indexStart);
      const loadedAt = toDbTime(opts.now());
      const insertLoad = db.prepare(
        'INSERT INTO loads (table_name, file, source, bytes, rows, sha256, loaded_at, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      opts.files.forEach((file, i) => {
        const r = loaded[i]!;
        insertLoad.run(r.table, r.relPath, file.source, r.bytes, r.rows, r.sha256, loadedAt, file.spec.perSource ? opts.day : null);
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
      return { files: loaded, indexMs };
    } catch (error) {
      if (db.open) db.close();
      throw error;
    }
  } finally {
    // After a successful rename there is no temp left; after a failure this removes it.
    rmSync(tmp, { force: true });
    rmSync(tmp + '-journal', { force: true });
    lock.release();
  }
}
