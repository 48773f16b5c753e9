import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from './part-worker-errors.js';
import type { ThreadErrorMessage } from './part-worker-errors.js';
import { DateParser } from './dates.js';
import { Inserter, KeyConflict } from './inserter.js';
import { openBuildDb } from './build-pragmas.js';
import { specByTable } from './tables.js';
import type { FileThreadData } from './parse-worker.js';
import type { ByteRange } from './typed-rows.js';
import { readTypedRows } from './typed-rows.js';

/**
 * Worker thread of a parallel load (parallel-load.ts): parses its byte range of the file and inserts
 * the rows itself, through its own SQLite connection, into its own database file; then builds the
 * table's remaining indexes on its part. No row crosses threads.
 */

export interface PartWorkerData extends FileThreadData {
  range: ByteRange;
  /** The database file this part goes into (part 0: the build's temp database). */
  dbPath: string;
  /** SQL to run before loading (a new part file: the table and its load-time indexes). */
  setup: string[];
  /** Indexes built once the rows are in. */
  indexes: string[];
  maxPageCount?: number;
}

export interface PartTimes {
  parseMs: number;
  insertMs: number;
  indexMs: number;
}

export type PartWorkerMessage =
  | { t: 'progress'; bytes: number }
  | ({ t: 'done'; rows: number; endLine: number } & PartTimes)
  | { t: 'conflict'; keys: string[]; firstLine: number; lastLine: number; message: string }
  | ThreadErrorMessage;

async function run(data: PartWorkerData): Promise<void> {
  const spec = specByTable(data.table);
  const dates = new DateParser(data.tz, data.day);
  const db = openBuildDb(data.dbPath, data.maxPageCount);
  try {
    for (const sql of data.setup) db.exec(sql);
    const inserter = new Inserter(db, spec);
    let insertMs = 0;
    const started = performance.now();
    db.exec('BEGIN');
    const result = await readTypedRows(
      { spec, path: data.path, display: data.display, source: data.source },
      dates,
      {
        keepsBatches: false,
        rows(values, count, lines) {
          const t = performance.now();
          inserter.insert(values, count, lines, 0);
          insertMs += performance.now() - t;
        },
      },
      { range: data.range, onProgress: (bytes) => post({ t: 'progress', bytes }) },
    );
    const loadMs = performance.now() - started;
    const indexStart = performance.now();
    for (const sql of data.indexes) db.exec(sql);
    db.exec('COMMIT');
    const indexMs = performance.now() - indexStart;
    // Closed before saying so: the connection holds an exclusive lock the main thread then needs.
    db.close();
    post({ t: 'done', rows: result.rows, endLine: result.endLine, parseMs: loadMs - insertMs, insertMs, indexMs });
  } finally {
    if (db.open) db.close();
  }
}

function post(message: PartWorkerMessage): void {
  parentPort!.postMessage(message);
}

run(workerData as PartWorkerData).catch((error: unknown) => {
  if (error instanceof KeyConflict) {
    post({ t: 'conflict', keys: [...error.keys], firstLine: error.firstLine, lastLine: error.lastLine, message: String((error.cause as Error).message) });
  } else post(errorMessage(error));
});
