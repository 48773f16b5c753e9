import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from './part-worker-errors.js';
import type { ThreadErrorMessage } from './part-worker-errors.js';
import { DateParser } from './dates.js';
import type { RowSink } from './produce-rows.js';
import { BATCH_ROWS } from './inserter.js';
import { RowGroupEncoder } from './row-groups.js';
import type { RowGroup } from './row-groups.js';
import { specByTable } from './tables.js';
import { readTypedRows } from './typed-rows.js';

/**
 * Worker thread of a big load: reads, parses and converts the CSV file and posts groups of row
 * batches to the main thread, which only inserts. A shared counter of groups in flight keeps the
 * worker from running ahead (and memory from growing with the file). Rows travel as RowGroups.
 */

/** Which file a loader thread reads, and how its dates are read (plain data: it crosses threads). */
export interface FileThreadData {
  path: string;
  display: string;
  table: string;
  source: string | null;
  tz: string;
  day: string;
}

export interface ParseWorkerData extends FileThreadData {
  /** [groups posted and not yet inserted] */
  inFlight: Int32Array;
}

export type ParseWorkerMessage =
  | { t: 'rows'; group: RowGroup; bytes: number }
  | { t: 'done'; rows: number; bytes: number; sha256: string }
  | ThreadErrorMessage;

const GROUP_ROWS = 10 * BATCH_ROWS;
const MAX_IN_FLIGHT = 4;

async function run(data: ParseWorkerData): Promise<void> {
  const spec = specByTable(data.table);
  const dates = new DateParser(data.tz, data.day);
  const { inFlight } = data;
  const encoder = new RowGroupEncoder(spec.columns.length + (data.source !== null ? 1 : 0), GROUP_ROWS);
  let bytes = 0;
  const flush = () => {
    if (encoder.count === 0) return;
    for (let seen = Atomics.load(inFlight, 0); seen >= MAX_IN_FLIGHT; seen = Atomics.load(inFlight, 0)) {
      Atomics.wait(inFlight, 0, seen, 1000);
    }
    Atomics.add(inFlight, 0, 1);
    const group = encoder.take();
    const message: ParseWorkerMessage = { t: 'rows', group, bytes };
    parentPort!.postMessage(message, [group.tags.buffer as ArrayBuffer, group.nums.buffer as ArrayBuffer, group.lines.buffer as ArrayBuffer]);
  };
  const sink: RowSink = {
    keepsBatches: false,
    rows(values, count, lines) {
      encoder.add(values, count, lines);
      if (encoder.count === GROUP_ROWS) flush();
    },
  };
  const result = await readTypedRows({ spec, path: data.path, display: data.display, source: data.source }, dates, sink, { onProgress: (b) => (bytes = b) });
  flush();
  post({ t: 'done', rows: result.rows, bytes: result.bytes, sha256: result.sha256 });
}

function post(message: ParseWorkerMessage): void {
  parentPort!.postMessage(message);
}

run(workerData as ParseWorkerData).catch((error: unknown) => post(errorMessage(error)));
