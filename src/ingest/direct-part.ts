import { writeIndexLeaves } from './btree/index-writer.js';
import type { DirectLayout } from './btree/layout.js';
import type { Placement } from './btree/pages.js';
import { DirectRowWriter, NotDirect } from './btree/row-writer.js';
import type { LeafSummary } from './btree/row-writer.js';
import { RunWriter } from './btree/runs.js';
import type { RunInfo } from './btree/runs.js';
import { DateParser } from './dates.js';
import type { FileThreadData } from './parse-worker.js';
import { specByTable } from './tables.js';
import type { ByteRange } from './typed-rows.js';
import { readTypedRows } from './typed-rows.js';

/**
 * One half of a direct load (direct-load.ts), the same in the main thread and in the worker thread.
 * Phase 1: parses the half's byte range and writes its rows as table leaf pages and sorted index
 * runs (btree/row-writer.ts). Phase 2: merges one index's runs, from both halves, into its leaf
 * pages.
 */

export interface DirectPartData extends FileThreadData {
  range: ByteRange;
  layout: DirectLayout;
  /** The database: this half's table leaves go straight into it, where `tablePlace` says. */
  tablePath: string;
  tablePlace: Placement;
  /** Scratch file per index for this half's runs. */
  runPaths: string[];
  /** Rows per sorted run (tests: small runs; default RUN_ROWS). */
  runRows?: number;
}

export interface PartLeaves {
  summary: LeafSummary;
  runs: RunInfo[][];
  endLine: number;
  parseMs: number;
  writeMs: number;
}

/**
 * Phase 2 request: build index `index`'s leaves from `runs` into `path` (a scratch file, or the
 * database where `place` says).
 */
export interface IndexRequest {
  index: number;
  runs: RunInfo[];
  path: string;
  place?: Placement;
}

export interface IndexDone {
  /** The index built, its leaf pages and separators. */
  index: number;
  pages: number;
  separators: Uint8Array[];
  ms: number;
}

/** The other half failed or gave up: this one stops at its next batch. */
export class Stopped extends Error {}

export { NotDirect };

export async function writePart(data: DirectPartData, onProgress: (bytes: number) => void, stopped: () => boolean = () => false): Promise<PartLeaves> {
  const runs = new RunWriter(data.runPaths, data.runRows);
  const writer = new DirectRowWriter(data.layout, data.tablePath, runs, data.tablePlace);
  let writeMs = 0;
  const started = performance.now();
  let endLine: number;
  let summary: LeafSummary;
  try {
    const result = await readTypedRows(
      { spec: specByTable(data.table), path: data.path, display: data.display, source: data.source },
      new DateParser(data.tz, data.day),
      {
        keepsBatches: false,
        rows(values, count) {
          if (stopped()) throw new Stopped();
          const t = performance.now();
          writer.rows(values, count);
          writeMs += performance.now() - t;
        },
      },
      { range: data.range, onProgress, numericDateTimes: true },
    );
    endLine = result.endLine;
  } finally {
    summary = writer.finish();
  }
  return { summary, runs: runs.runs, endLine, parseMs: performance.now() - started - writeMs, writeMs };
}

export function writeIndexPart(req: IndexRequest, layout: DirectLayout): IndexDone {
  const started = performance.now();
  const leaves = writeIndexLeaves(layout.indexes[req.index]!, req.runs, req.path, layout.pageSize, req.place);
  return { index: req.index, pages: leaves.pages, separators: leaves.separators, ms: performance.now() - started };
}
