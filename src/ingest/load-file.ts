import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataError } from '../errors.js';
import type { DateParser } from './dates.js';
import { BATCH_ROWS, Inserter, KeyConflict } from './inserter.js';
import type { ParseWorkerData, ParseWorkerMessage } from './parse-worker.js';
import { errorFromMessage } from './part-worker-errors.js';
import type { LoadResult, LoadTarget } from './produce-rows.js';
import { streamRecords } from './read-records.js';
import { RowConverter } from './row-converter.js';
import { RowGroupDecoder } from './row-groups.js';
import { readTypedRows } from './typed-rows.js';

export type { LoadResult, LoadTarget } from './produce-rows.js';

/**
 * Loads one CSV file into its table (inside the caller's transaction). Big files are parsed in a
 * worker thread while this thread inserts, so parsing and SQLite run on two cores at once; small
 * files (and the TypeScript sources under test, where no compiled worker exists) load in-thread.
 * A batch that breaks a primary key makes the file be read again to name both lines of the
 * duplicate: a second pass, but only on the error path.
 */

const WORKER_MIN_BYTES = 4 << 20;
const workerFile = fileURLToPath(new URL('./parse-worker.js', import.meta.url));
const workerAvailable = existsSync(workerFile);

export async function loadFile(
  db: Database.Database,
  target: LoadTarget,
  bytes: number,
  dates: DateParser,
  onProgress?: (bytesRead: number) => void,
): Promise<LoadResult> {
  return loadFileInto(new Inserter(db, target.spec), target, bytes, dates, onProgress);
}

/** Where converted rows go: the SQLite Inserter or another engine's sink (src/ingest/clickhouse-sink.ts). */
export interface BatchInserter {
  /** As Inserter.insert; throws KeyConflict for a broken primary key. */
  insert(values: unknown[], rows: number, lines: ArrayLike<number>, from: number): void;
  /** Called once every row is handed over; may throw KeyConflict (a sink that checks keys at the end). */
  finish?(): Promise<void>;
  /**
   * A promise while the sink holds more than it can pass on (a server slower than the parser): the
   * parser thread gets no new slot until it settles, so memory stays bounded on any file size.
   */
  backlog?(): Promise<void> | undefined;
}

/** loadFile for any BatchInserter: the same parsing, validation and duplicate messages. */
export async function loadFileInto(
  inserter: BatchInserter,
  target: LoadTarget,
  bytes: number,
  dates: DateParser,
  onProgress?: (bytesRead: number) => void,
): Promise<LoadResult> {
  try {
    const result =
      workerAvailable && bytes >= WORKER_MIN_BYTES
        ? await loadInWorker(inserter, target, dates, onProgress)
        : await readInThread(inserter, target, dates, onProgress);
    await inserter.finish?.();
    return result;
  } catch (error) {
    if (error instanceof KeyConflict) throw await describeDuplicate(target, dates, error);
    throw error;
  }
}

async function readInThread(inserter: BatchInserter, target: LoadTarget, dates: DateParser, onProgress?: (bytesRead: number) => void): Promise<LoadResult> {
  const sink = { keepsBatches: false, rows: (values: unknown[], count: number, lines: Int32Array) => inserter.insert(values, count, lines, 0) };
  const { rows, bytes, sha256 } = await readTypedRows(target, dates, sink, { onProgress });
  return { rows, bytes, sha256 };
}

function loadInWorker(inserter: BatchInserter, target: LoadTarget, dates: DateParser, onProgress?: (bytesRead: number) => void): Promise<LoadResult> {
  const inFlight = new Int32Array(new SharedArrayBuffer(4));
  const data: ParseWorkerData = {
    path: target.path,
    display: target.display,
    table: target.spec.table,
    source: target.source,
    tz: dates.tz,
    day: dates.dayText,
    inFlight,
  };
  // A small young generation keeps the second V8 heap from adding tens of MB of RSS.
  const worker = new Worker(workerFile, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  const decoder = new RowGroupDecoder();
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(error);
    };
    worker.on('message', (m: ParseWorkerMessage) => {
      if (settled) return;
      if (m.t === 'rows') {
        try {
          decoder.decode(m.group, BATCH_ROWS, (values, rows, lines, from) => inserter.insert(values, rows, lines, from));
        } catch (error) {
          fail(error);
          return;
        }
        const release = () => {
          Atomics.sub(inFlight, 0, 1);
          Atomics.notify(inFlight, 0);
          onProgress?.(m.bytes);
        };
        const backlog = inserter.backlog?.();
        if (backlog) void backlog.then(release, release);
        else release();
      } else if (m.t === 'done') {
        settled = true;
        resolve({ rows: m.rows, bytes: m.bytes, sha256: m.sha256 });
      } else {
        fail(errorFromMessage(m));
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the CSV parser thread stopped unexpectedly (exit code ${code})`)));
  });
}

/** Reads the file again to find the first repeat of one of the conflicting keys, and its first line. */
export async function describeDuplicate(target: LoadTarget, dates: DateParser, conflict: KeyConflict): Promise<DataError> {
  const { spec, display } = target;
  const conv = new RowConverter(spec, dates, display, target.source);
  const firstSeen = new Map<string, { line: number; dst: string | undefined; text: string }>();
  // On a DST day the clash may come from a time in the gap or in the repeated hour: say so.
  const timeInKey = spec.columns.some((c) => c.kind.isTime === true && spec.key.includes(c.dbName));
  let found: DataError | undefined;
  const stop = new Error('found');
  try {
    await streamRecords(target.path, {
      display,
      onRecord: (fields, line) => {
        if (!conv.hasHeader) return conv.readHeader(fields, line);
        const key = conv.keyOf(fields, line);
        if (!conflict.keys.has(key)) return;
        const dst = timeInKey ? dates.lastDstNote() : undefined;
        const first = firstSeen.get(key);
        if (first === undefined) {
          firstSeen.set(key, { line, dst, text: conv.keyText(fields).value });
          return;
        }
        const { column, value } = conv.keyText(fields);
        const normalised = spec.columns.filter((c) => c.kind.normalizes === true && spec.key.includes(c.dbName)).map((c) => c.name);
        const note =
          dst ??
          (first.dst !== undefined ? `line ${first.line}: ${first.dst}` : undefined) ??
          (normalised.length > 0 && value !== first.text ? `${normalised.join(', ')} values are compared in lowercase without surrounding spaces` : undefined);
        found = new DataError(
          { file: display, line, column, value },
          `duplicate ${spec.key.join(', ')}: the same key is already on line ${first.line}; each key must appear once` + (note ? ` (${note})` : ''),
        );
        throw stop;
      },
    });
  } catch (error) {
    if (error !== stop) throw error;
  }
  return (
    found ??
    new DataError(
      { file: display, line: conflict.firstLine },
      `rows on lines ${conflict.firstLine}-${conflict.lastLine} break the ${spec.table} primary key (${spec.key.join(', ')}): ${String((conflict.cause as Error).message)}`,
    )
  );
}
