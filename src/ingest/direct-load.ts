import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync, truncateSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { readHeader, writeHeaderPageCount } from './btree/format.js';
import type { DbHeader } from './btree/format.js';
import { indexInterior, tableInterior } from './btree/interior.js';
import type { InteriorPage } from './btree/interior.js';
import type { DirectLayout } from './btree/layout.js';
import { copyPages, placedPage, writeAt } from './btree/pages.js';
import type { LeafSummary } from './btree/row-writer.js';
import type { DateParser } from './dates.js';
import { NotDirect, Stopped, writeIndexPart, writePart } from './direct-part.js';
import type { DirectPartData, IndexDone, IndexRequest, PartLeaves } from './direct-part.js';
import type { DirectWorkerMessage } from './direct-worker.js';
import { sha256OfFile } from './file-hash.js';
import { partFailure } from './parallel-load.js';
import type { SplitPlan } from './parallel-load.js';
import type { PartTimes } from './part-worker.js';
import { errorFromMessage } from './part-worker-errors.js';
import type { LoadTarget } from './produce-rows.js';
import { insertColumns, mapHeader } from './row-converter.js';

/**
 * Loads one big file into an empty table by writing SQLite's B-tree pages directly, on two cores,
 * instead of inserting row by row (docs/ingest-guarantees.md, "Direct load").
 *
 * - Phase 1, both threads: each parses its half of the file (the same byte parser and converters as
 *   every load, so the same checks and messages) and writes the table's leaf pages, in rowid order,
 *   and sorted runs of each index's entries to scratch files.
 * - Phase 2, one index per thread: the runs of an index, from both halves, are merged into its
 *   leaf pages.
 * - Assembly, this thread: the interior pages are built above the leaves (the tops at the roots
 *   SQLite gave the table and its indexes), the indexes not written in place are copied in, and
 *   the header's page count is set last.
 *
 * The table's leaves (both halves, on alternate pages) and index 0's are written straight into the
 * build's temp database after its last page; until the header counts them, SQLite does not see
 * them. It applies when the rows come in ascending id order (a time-ordered export), and gives up
 * as soon as a row shows otherwise (`fallback`): the pages past the old end are cut off and the
 * caller loads the file through SQLite, which also names any repeated id. Any failure discards the
 * whole temp database anyway.
 */

const workerFile = fileURLToPath(new URL('./direct-worker.js', import.meta.url));
export const directWorkerAvailable = existsSync(workerFile);

export interface DirectLoadOptions {
  target: LoadTarget;
  dates: DateParser;
  bytes: number;
  plan: SplitPlan;
  /** The build's temp database, closed while this runs. */
  tmp: string;
  layout: DirectLayout;
  maxPageCount?: number;
  onProgress?: (bytesRead: number) => void;
  /** Tests: both halves in this thread (the TypeScript sources have no compiled worker). */
  inline?: boolean;
  /** Tests: rows per sorted index run (btree/runs.ts RUN_ROWS). */
  runRows?: number;
}

export type DirectLoadResult =
  | { ok: true; rows: number; sha256: string; parts: PartTimes[]; assembleMs: number; pageCount: number }
  | { ok: false; reason: string };

/**
 * Scratch files of a direct load of `tmp`, per index: each half's runs and the merged leaves (named
 * `<tmp>.direct-*`, so that removeStaleTemps finds a dead run's and removeScratch a live one's).
 */
function scratchFiles(tmp: string): { runs: (half: number, index: number) => string; leaves: (index: number) => string } {
  return { runs: (half, index) => `${tmp}.direct-r${half}-${index}`, leaves: (index) => `${tmp}.direct-i${index}` };
}

/** Removes every scratch file of a direct load of `tmp`. */
export function removeScratch(tmp: string): void {
  const prefix = `${basename(tmp)}.direct-`;
  const dir = dirname(tmp) || '.';
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the folder is gone: so are the files
  }
  for (const name of names) if (name.startsWith(prefix)) rmSync(join(dir, name), { force: true });
}

/** Why a half did not finish: it gave up (the rows are not for the direct writer) or failed. */
type Failure = { reason: string } | { error: unknown };

class Fallback {
  constructor(readonly reason: string) {}
}

/** Where the second half runs: a worker thread, or (tests) this thread. */
interface SecondHalf {
  /** Its next message that is not progress; a failure is thrown (a Fallback when it gave up). */
  next(): Promise<DirectWorkerMessage>;
  post(req: IndexRequest): void;
  stop(): Promise<unknown>;
}

/** The second half in a worker thread. */
class WorkerHalf implements SecondHalf {
  private readonly worker: Worker;
  private waiting: ((m: DirectWorkerMessage | Failure) => void) | undefined;
  private pending: (DirectWorkerMessage | Failure)[] = [];

  constructor(data: DirectPartData, onProgress: (bytes: number) => void) {
    // Heap limits as for parallel-load's threads: a few MB live, RSS kept flat.
    this.worker = new Worker(workerFile, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
    this.worker.on('message', (m: DirectWorkerMessage) => {
      if (m.t === 'progress') onProgress(m.bytes);
      else if (m.t === 'fallback') this.deliver({ reason: m.reason });
      else if (m.t === 'error') this.deliver({ error: errorFromMessage(m) });
      else this.deliver(m);
    });
    this.worker.on('error', (error) => this.deliver({ error }));
    this.worker.on('exit', (code) => this.deliver({ error: new Error(`a CSV loader thread stopped unexpectedly (exit code ${code})`) }));
  }

  private deliver(m: DirectWorkerMessage | Failure): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) w(m);
    else this.pending.push(m);
  }

  async next(): Promise<DirectWorkerMessage> {
    const m = this.pending.shift() ?? (await new Promise<DirectWorkerMessage | Failure>((resolve) => (this.waiting = resolve)));
    if ('reason' in m) throw new Fallback(m.reason);
    if ('error' in m) throw m.error;
    return m;
  }

  post(req: IndexRequest): void {
    this.worker.postMessage(req);
  }

  stop(): Promise<unknown> {
    return this.worker.terminate();
  }
}

/** The second half in this thread, interleaved with the first (tests: no compiled worker there). */
class InlineHalf implements SecondHalf {
  private readonly replies: Promise<DirectWorkerMessage>[] = [];
  private stopped = false;

  constructor(private readonly data: DirectPartData) {
    this.replies.push(
      writePart(data, () => {}, () => this.stopped)
        .then((leaves): DirectWorkerMessage => ({ t: 'leaves', ...leaves }))
        .catch(asFallback),
    );
  }

  next(): Promise<DirectWorkerMessage> {
    return this.replies.shift()!;
  }

  post(req: IndexRequest): void {
    this.replies.push(Promise.resolve().then((): DirectWorkerMessage => ({ t: 'index', ...writeIndexPart(req, this.data.layout) })));
  }

  async stop(): Promise<unknown> {
    this.stopped = true;
    return undefined;
  }
}

/**
 * Runs `mine` (this thread's half) and `theirs` (the worker's) side by side; the first to fail stops
 * the other. A fallback wins over an error (the SQLite load then reports any error itself).
 */
async function together<A, B>(mine: (stopped: () => boolean) => Promise<A>, theirs: Promise<B>, other: SecondHalf): Promise<[A, B]> {
  let failed = false;
  const stop = (error: unknown) => {
    failed = true;
    void other.stop();
    throw error;
  };
  const results = await Promise.allSettled([mine(() => failed).catch(stop), theirs.catch(stop)]);
  const reasons = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const fallback = reasons.find((r): r is Fallback => r instanceof Fallback);
  if (fallback) throw fallback;
  const errors = reasons.filter((r) => !(r instanceof Stopped));
  if (errors.length > 0) throw errors;
  return [(results[0] as PromiseFulfilledResult<A>).value, (results[1] as PromiseFulfilledResult<B>).value];
}

export async function loadDirect(opts: DirectLoadOptions): Promise<DirectLoadResult> {
  const { target, dates, plan, layout, tmp } = opts;
  const pageSize = layout.pageSize;
  const scratch = scratchFiles(tmp);
  const runPaths = (half: number) => layout.indexes.map((_, i) => scratch.runs(half, i));
  const indexPath = scratch.leaves;
  const header = checkHeader(tmp, pageSize);
  if (typeof header === 'string') return { ok: false, reason: header };
  const unordered = unorderedIds(target, plan, layout, opts.bytes);
  if (unordered) return { ok: false, reason: unordered };
  // New pages go after the database's last. Both halves write their table leaves straight into the
  // database, alternating pages (the interior pages list leaves by number, in any place), so
  // neither needs to know in advance how many the other writes.
  const firstPage = header.pageCount + 1;
  const seen = [0, plan.split];
  const progress = () => opts.onProgress?.(seen[0]! + seen[1]! - plan.split);
  const base = { path: target.path, display: target.display, table: target.spec.table, source: target.source, tz: dates.tz, day: dates.dayText, layout };
  const first: DirectPartData = { ...base, range: { start: 0, end: plan.split, firstLine: 1 }, tablePath: tmp, tablePlace: { first: firstPage, stride: 2 }, runPaths: runPaths(0), runRows: opts.runRows };
  // The second half's lines are counted from its own start; its errors are found again by one thread.
  const secondData: DirectPartData = {
    ...base,
    range: { start: plan.split, end: opts.bytes, firstLine: 1, header: plan.header },
    tablePath: tmp,
    tablePlace: { first: firstPage + 1, stride: 2 },
    runPaths: runPaths(1),
    runRows: opts.runRows,
  };
  const second: SecondHalf = opts.inline ? new InlineHalf(secondData) : new WorkerHalf(secondData, (b) => ((seen[1] = b), progress()));
  const hashing = sha256OfFile(target.path);
  let done = false;
  try {
    let p0: PartLeaves;
    let p1: PartLeaves;
    try {
      const [mine, theirs] = await together(
        (stopped) => writePart(first, (b) => ((seen[0] = b), progress()), stopped).catch(asFallback),
        second.next(),
        second,
      );
      if (theirs.t !== 'leaves') throw new Error(`unexpected ${theirs.t} from a direct-load thread`);
      [p0, p1] = [mine, theirs];
    } catch (error) {
      if (error instanceof Fallback) return { ok: false, reason: error.reason };
      throw await partFailure(target, dates, error as unknown[]);
    }
    if (p0.summary.rows === 0 || p1.summary.rows === 0 || p0.summary.pages + p1.summary.pages < 2) return { ok: false, reason: 'too few rows for the direct writer' };
    if (p1.summary.firstRowid <= p0.summary.lastRowid) {
      return { ok: false, reason: `ids not in ascending order across the two halves (${p1.summary.firstRowid} after ${p0.summary.lastRowid})` };
    }
    // Phase 2: index i is merged by this thread when i is even, by the worker when odd; index 0
    // straight into the database, first into the pages the shorter half of the table left
    // unused, the others into scratch files.
    const table = tablePages(firstPage, p0.summary.pages, p1.summary.pages);
    // The table's pages start going to disk now, on libuv's thread, while the indexes are built:
    // the fsync before the rename then has less left to write.
    const flushing = flushEarly(tmp);
    const requests: IndexRequest[][] = [[], []];
    layout.indexes.forEach((_, i) => {
      const runs = [...p0.runs[i]!, ...p1.runs[i]!];
      requests[i % 2]!.push(i === 0 ? { index: i, runs, path: tmp, place: { slots: table.holes, first: table.end + 1 } } : { index: i, runs, path: indexPath(i) });
    });
    const threadMs = [0, 0];
    const indexLeaves: { pages: number; separators: Buffer[] }[] = [];
    const record = (d: IndexDone, w: number) => {
      threadMs[w]! += d.ms;
      indexLeaves[d.index] = { pages: d.pages, separators: d.separators.map((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength)) };
    };
    for (let round = 0; round < Math.max(requests[0]!.length, requests[1]!.length); round++) {
      const mine = requests[0]![round];
      const theirs = requests[1]![round];
      if (theirs) second.post(theirs);
      let replies: [IndexDone | undefined, DirectWorkerMessage | undefined];
      try {
        replies = await together(async () => (mine ? writeIndexPart(mine, layout) : undefined), theirs ? second.next() : Promise.resolve(undefined), second);
      } catch (error) {
        if (error instanceof Fallback) return { ok: false, reason: error.reason };
        throw (error as unknown[])[0];
      }
      if (replies[0]) record(replies[0], 0);
      if (replies[1]) {
        if (replies[1].t !== 'index') throw new Error(`unexpected ${replies[1].t} from a direct-load thread`);
        record(replies[1], 1);
      }
    }
    if (indexLeaves.some((ix) => ix.pages < 2)) return { ok: false, reason: 'too few rows for the direct writer' };
    const started = performance.now();
    const pageCount = assemble(tmp, layout, table, [p0.summary, p1.summary], indexLeaves, (i) => indexPath(i), opts.maxPageCount);
    const assembleMs = performance.now() - started;
    const sha256 = await hashing;
    await flushing;
    done = true;
    return {
      ok: true,
      rows: p0.summary.rows + p1.summary.rows,
      sha256,
      parts: [p0, p1].map((p, w) => ({ parseMs: p.parseMs, insertMs: p.writeMs, indexMs: threadMs[w]! })),
      assembleMs,
      pageCount,
    };
  } finally {
    await second.stop();
    await hashing.catch(() => {}); // not left running (its error, if any, was thrown above)
    removeScratch(tmp);
    // Given up (or failed): the pages written after the database's end go, for SQLite to carry on.
    if (!done) truncateSync(tmp, header.pageCount * pageSize);
  }
}

/** fdatasync of `path` in the background; never rejects (the fsync before the rename is the one that counts). */
async function flushEarly(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch {
    // only an early start
  }
}

/**
 * A look at the first 64 KiB of each half before any thread starts: ids that already go down there
 * (a shuffled file) mean the direct writer would give up, so it is not started at all. Only plain
 * unquoted lines are looked at; anything else is left to the writer, which checks every row.
 */
function unorderedIds(target: LoadTarget, plan: SplitPlan, layout: DirectLayout, bytes: number): string | undefined {
  const { spec } = target;
  const rowid = insertColumns(spec)[layout.rowidFrom];
  let at: number;
  try {
    at = mapHeader(spec, plan.header, target.display, 1)[spec.columns.findIndex((c) => c.dbName === rowid)] ?? -1;
  } catch {
    return undefined; // a header the load itself will refuse, with its message
  }
  if (at === -1) return undefined;
  const fd = openSync(target.path, 'r');
  try {
    for (const start of [0, plan.split]) {
      const buf = Buffer.alloc(Math.min(64 << 10, bytes - start));
      const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, start)).toString('latin1');
      const lines = text.split('\n').slice(start === 0 ? 1 : 0, -1);
      let last = -1;
      for (const line of lines) {
        if (line.includes('"')) return undefined;
        const field = line.split(',')[at];
        if (field === undefined || !/^\d{1,15}$/.test(field.trim())) continue;
        const id = Number(field.trim());
        if (id <= last) return `ids not in ascending order (${id} after ${last})`;
        last = id;
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** This thread's NotDirect as the worker's would arrive: a Fallback. */
function asFallback(error: unknown): never {
  throw error instanceof NotDirect ? new Fallback(error.message) : error;
}

/** Why the temp database cannot be extended by the direct writer, if it cannot. */
function checkHeader(tmp: string, pageSize: number): DbHeader | string {
  const fd = openSync(tmp, 'r');
  try {
    const head = Buffer.alloc(100);
    readSync(fd, head, 0, 100, 0);
    const header = readHeader(head);
    if (header.pageSize !== pageSize) return 'the page size is not the one the layout was made for';
    return header;
  } catch (error) {
    return (error as Error).message;
  } finally {
    closeSync(fd);
  }
}

/** SQLite's "database or disk is full", for a build capped by max_page_count (tests). */
function fullError(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

/** Where the two halves' table leaves went (alternate pages from `first`), and the pages left between them. */
interface TablePages {
  /** Leaf page numbers in rowid order: the first half's, then the second's. */
  leaves: number[];
  /** The last page of the table's region, and the pages in it that no leaf took. */
  end: number;
  holes: number[];
}

function tablePages(first: number, pages0: number, pages1: number): TablePages {
  const half0 = Array.from({ length: pages0 }, (_, i) => placedPage({ first, stride: 2 }, i));
  const half1 = Array.from({ length: pages1 }, (_, i) => placedPage({ first: first + 1, stride: 2 }, i));
  const end = Math.max(half0.at(-1) ?? first - 1, half1.at(-1) ?? first - 1);
  const used = new Set([...half0, ...half1]);
  const holes: number[] = [];
  for (let p = first; p <= end; p++) if (!used.has(p)) holes.push(p);
  return { leaves: [...half0, ...half1], end, holes };
}

/**
 * Completes the trees: the table's leaves and index 0's are in place (index 0's first in the
 * table's holes, then after the table's region); the other indexes' leaves are copied in after
 * those, every tree's interior pages are written (each top page at its root), any hole left over
 * goes on the free list, and the header's page count is set. Returns the new page count.
 */
function assemble(
  tmp: string,
  layout: DirectLayout,
  table: TablePages,
  tableParts: LeafSummary[],
  indexes: { pages: number; separators: Buffer[] }[],
  indexPath: (i: number) => string,
  maxPageCount: number | undefined,
): number {
  const pageSize = layout.pageSize;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const first = indexes[0]?.pages ?? 0;
  const index0 = { slots: table.holes, first: table.end + 1 };
  const leafPages: number[][] = [table.leaves, range(0, first).map((i) => placedPage(index0, i))];
  const unused = table.holes.slice(first);
  let next = table.end + 1 + Math.max(0, first - table.holes.length);
  const copies: { from: string; first: number; pages: number }[] = [];
  for (let i = 1; i < indexes.length; i++) {
    copies.push({ from: indexPath(i), first: next, pages: indexes[i]!.pages });
    leafPages.push(range(next, indexes[i]!.pages));
    next += indexes[i]!.pages;
  }
  const maxRowids = new Float64Array(table.leaves.length);
  let k = 0;
  for (const p of tableParts) for (const m of p.maxRowids) maxRowids[k++] = m;
  const interiors: InteriorPage[] = tableInterior(leafPages[0]!, maxRowids, layout.root, next, pageSize);
  next += interiors.length - 1; // all but the top, which is the root
  indexes.forEach((ix, i) => {
    const root = layout.indexes[i]!.root;
    const built = indexInterior(leafPages[i + 1]!, ix.separators, root, next, pageSize);
    next += built.length - 1;
    interiors.push(...built);
  });
  const total = next - 1;
  if (maxPageCount !== undefined && total > maxPageCount) throw fullError();
  const fd = openSync(tmp, 'r+');
  try {
    for (const c of copies) copyPages(c.from, fd, c.first, c.pages, pageSize);
    for (const p of interiors) writePage(fd, p.pageNo, p.page, pageSize);
    const head = Buffer.alloc(100);
    readSync(fd, head, 0, 100, 0);
    for (const p of freeList(unused, head, pageSize)) writePage(fd, p.pageNo, p.page, pageSize);
    writeHeaderPageCount(head, total);
    writeAt(fd, head, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  return total;
}

function writePage(fd: number, pageNo: number, page: Uint8Array, pageSize: number): void {
  writeAt(fd, page, 0, pageSize, (pageNo - 1) * pageSize);
}

/**
 * Puts `pages` on the free list (which this writer requires to be empty before): trunk pages, each
 * listing up to pageSize / 4 - 2 free pages and the next trunk; header offsets 32 and 36.
 */
function freeList(pages: number[], head: Buffer, pageSize: number): InteriorPage[] {
  const out: InteriorPage[] = [];
  const perTrunk = pageSize / 4 - 2;
  let rest = pages;
  while (rest.length > 0) {
    const trunk = rest[0]!;
    const leaves = rest.slice(1, 1 + perTrunk);
    rest = rest.slice(1 + leaves.length);
    const page = Buffer.alloc(pageSize);
    page.writeUInt32BE(rest[0] ?? 0, 0);
    page.writeUInt32BE(leaves.length, 4);
    leaves.forEach((p, i) => page.writeUInt32BE(p, 8 + 4 * i));
    out.push({ pageNo: trunk, page });
  }
  head.writeUInt32BE(pages.length > 0 ? pages[0]! : 0, 32);
  head.writeUInt32BE(pages.length, 36);
  return out;
}
