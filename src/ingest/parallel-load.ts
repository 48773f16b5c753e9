import type Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataError } from '../errors.js';
import { MAX_RECORD_BYTES } from './byte-records.js';
import { CsvParser } from './csv-parser.js';
import type { DateParser } from './dates.js';
import { KeyConflict } from './inserter.js';
import { describeDuplicate } from './load-file.js';
import { errorFromMessage } from './part-worker-errors.js';
import type { LoadTarget } from './produce-rows.js';
import type { PartTimes, PartWorkerData, PartWorkerMessage } from './part-worker.js';
import { journalOff } from './build-pragmas.js';
import { sha256File } from './read-records.js';
import { readTypedRows } from './typed-rows.js';

/**
 * Loads one big file on two cores with no rows crossing threads: the file is cut in two byte ranges
 * at a line end; worker 0 parses the first range and inserts it straight into the build's temp
 * database, worker 1 parses the second into its own part file (`<temp>.part1`), each through its own
 * SQLite connection, each building the table's indexes as it goes. This thread meanwhile hashes the
 * file, then ATTACHes the part and copies it in with one `INSERT INTO t SELECT * FROM part1.t`
 * (SQLite's transfer optimisation: rows and index entries are copied, a repeated key still fails).
 *
 * Errors are the one-thread loader's: a bad value in either range has the whole file checked again
 * by one thread (the error path only), which throws the file's first bad row with its line; a
 * repeated key is named by describeDuplicate, which reads the file again for both lines.
 */

/** Files from this size are loaded by two threads (below it, starting them costs more than it saves). */
export const PARALLEL_MIN_BYTES = 32 << 20;

const workerFile = fileURLToPath(new URL('./part-worker.js', import.meta.url));
/** The TypeScript sources under test have no compiled worker: they always load in one thread. */
export const partWorkerAvailable = existsSync(workerFile);

export interface SplitPlan {
  /** Offset of the first byte of part 1 (just after a line end). */
  split: number;
  /** The header fields, for part 1. */
  header: string[];
}

export interface LoadPhases {
  /** Per part: parsing (and converting) and inserting, milliseconds of that part's thread. */
  parts: PartTimes[];
  /** Copying part 1 into the temp database. */
  mergeMs: number;
}

function readAt(fd: number, at: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, at);
  return buf.subarray(0, n);
}

/**
 * Where to cut `path` in two, or null when it is to be loaded by one thread: no header within the
 * first MiB, no line end near the middle, or a quote within a record's length before the cut (the
 * cut could then fall inside a quoted field; exports with quotes load in one thread).
 */
export function planSplit(path: string, bytes: number): SplitPlan | null {
  if (bytes < PARALLEL_MIN_BYTES) return null;
  const fd = openSync(path, 'r');
  try {
    let head = readAt(fd, 0, 1 << 20);
    if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
    const firstLf = head.indexOf(10);
    if (firstLf === -1 || head.subarray(0, firstLf).includes(34)) return null;
    let header: string[] | undefined;
    new CsvParser(path, (fields) => (header ??= fields)).push(head.toString('utf8', 0, firstLf + 1));
    if (!header) return null;
    const mid = Math.floor(bytes / 2);
    const lf = readAt(fd, mid, 64 << 10).indexOf(10);
    if (lf === -1) return null;
    const split = mid + lf + 1;
    if (split >= bytes) return null;
    const from = Math.max(firstLf + 1, split - MAX_RECORD_BYTES);
    if (readAt(fd, from, split - from).includes(34)) return null;
    return { split, header };
  } finally {
    closeSync(fd);
  }
}

export interface ParallelLoadOptions {
  target: LoadTarget;
  dates: DateParser;
  bytes: number;
  plan: SplitPlan;
  /** The build's temp database (closed by the caller while the workers write it). */
  tmp: string;
  /** SQL that gives a new part file the table and its load-time indexes. */
  partSetup: string[];
  /** The table's indexes to build at the end of each part. */
  indexes: string[];
  maxPageCount?: number;
  onProgress?: (bytesRead: number) => void;
}

/** The part file of `tmp` (named so that removeStaleTemps finds a dead run's one). */
export function partPath(tmp: string): string {
  return `${tmp}.part1`;
}

type PartOutcome = { ok: true; rows: number; endLine: number; times: PartTimes } | { ok: false; error: unknown };

function runPart(data: PartWorkerData, onProgress: (bytes: number) => void, workers: Worker[]): Promise<PartOutcome> {
  // Small heap limits keep each thread's V8 heap from adding tens of MB of RSS: a 2 MB young
  // generation (no slower than 8 MB on the 5M-row bench, 15 MB less peak RSS) and a 32 MB old one
  // (garbage is collected before it piles up; 25 MB less at the start of a shuffled file). A thread
  // holds a few MB of live objects.
  const worker = new Worker(workerFile, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
  workers.push(worker);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: PartOutcome) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    worker.on('message', (m: PartWorkerMessage) => {
      if (m.t === 'progress') onProgress(m.bytes);
      else if (m.t === 'done') settle({ ok: true, rows: m.rows, endLine: m.endLine, times: { parseMs: m.parseMs, insertMs: m.insertMs, indexMs: m.indexMs } });
      else if (m.t === 'conflict') settle({ ok: false, error: new KeyConflict(new Set(m.keys), m.firstLine, m.lastLine, new Error(m.message)) });
      else settle({ ok: false, error: errorFromMessage(m) });
    });
    worker.on('error', (error) => settle({ ok: false, error }));
    worker.on('exit', (code) => settle({ ok: false, error: new Error(`a CSV loader thread stopped unexpectedly (exit code ${code})`) }));
  });
}

/**
 * Runs both parts; the first failure stops the other part and is thrown as the one-thread loader
 * would report it (partFailure). Leaves the part file for the caller.
 */
export async function loadParallel(opts: ParallelLoadOptions): Promise<{ rows: number; sha256: string; parts: PartTimes[] }> {
  const { target, dates, plan } = opts;
  const base = { path: target.path, display: target.display, table: target.spec.table, source: target.source, tz: dates.tz, day: dates.dayText, maxPageCount: opts.maxPageCount };
  const seen = [0, plan.split];
  const progress = () => opts.onProgress?.(seen[0]! + seen[1]! - plan.split);
  const workers: Worker[] = [];
  rmSync(partPath(opts.tmp), { force: true });
  const parts = [
    runPart({ ...base, dbPath: opts.tmp, range: { start: 0, end: plan.split, firstLine: 1 }, setup: [], indexes: opts.indexes }, (b) => ((seen[0] = b), progress()), workers),
    runPart(
      // Part 1's lines are counted from its own start; its errors are found again by one thread.
      { ...base, dbPath: partPath(opts.tmp), range: { start: plan.split, end: opts.bytes, firstLine: 1, header: plan.header }, setup: opts.partSetup, indexes: opts.indexes },
      (b) => ((seen[1] = b), progress()),
      workers,
    ),
  ];
  // The first failure ends the other part at once (the finally below ends every worker in any case).
  for (const part of parts) void part.then((o) => (o.ok ? undefined : Promise.all(workers.map((w) => w.terminate()))));
  let sha256: string;
  let outcomes: PartOutcome[];
  try {
    [sha256, ...outcomes] = await Promise.all([sha256File(target.path), ...parts]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const done = outcomes.filter((p) => p.ok);
  if (done.length < outcomes.length) throw await partFailure(target, dates, outcomes.filter((p): p is { ok: false; error: unknown } => !p.ok).map((p) => p.error));
  return { rows: done.reduce((sum, p) => sum + p.rows, 0), sha256, parts: done.map((p) => p.times) };
}

/**
 * The error to report for the failures of a file's threads, as the one-thread loader would: for a bad value, the whole
 * file checked again in this thread (whose first error is the file's first); for a repeated key
 * within a part, both lines found by describeDuplicate.
 */
export async function partFailure(target: LoadTarget, dates: DateParser, failures: unknown[]): Promise<unknown> {
  const conflict = failures.find((e): e is KeyConflict => e instanceof KeyConflict);
  const dataError = failures.find((e) => e instanceof DataError);
  if (dataError !== undefined || conflict === undefined) {
    try {
      await readTypedRows(target, dates, { keepsBatches: false, rows: () => {} });
    } catch (error) {
      return error;
    }
  }
  if (conflict !== undefined) return describeDuplicate(target, dates, conflict);
  return failures.find((e) => !(e instanceof DataError)) ?? failures[0];
}

/**
 * Copies part 1 into `db` (the temp database, reopened). A key in both parts fails the copy, which a
 * rollback journal (`<temp>-journal`, removed with the temp file) undoes so that the keys in both
 * parts can be listed for describeDuplicate.
 */
export async function mergePart(db: Database.Database, tmp: string, target: LoadTarget, dates: DateParser): Promise<number> {
  const table = target.spec.table;
  const started = performance.now();
  db.prepare('ATTACH DATABASE ? AS part1').run(partPath(tmp));
  try {
    // A journal file, not memory: rows of a file out of key order land all over the table, and
    // their pages' old content would be held in memory.
    db.pragma('main.journal_mode = TRUNCATE');
    try {
      db.exec(`INSERT INTO main.${table} SELECT * FROM part1.${table}`);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT') || target.spec.key.length === 0) throw error;
      const cols = target.spec.key.join(', ');
      const keys = new Set<string>();
      const both = db.prepare(`SELECT ${cols} FROM main.${table} INTERSECT SELECT ${cols} FROM part1.${table}`).raw(true);
      for (const row of both.iterate() as Iterable<unknown[]>) keys.add(row.map(String).join('\u0000'));
      throw await describeDuplicate(target, dates, new KeyConflict(keys, 1, 1, error));
    }
  } finally {
    if (db.open) {
      db.exec('DETACH DATABASE part1');
      journalOff(db);
    }
    rmSync(partPath(tmp), { force: true });
  }
  return performance.now() - started;
}
