import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * Index entries of a direct load, sorted with bounded memory: a loader thread gathers (key, rowid)
 * pairs for RUN_ROWS rows at a time, sorts each run by key (rowids already ascend, so equal keys
 * stay in rowid order) and appends it to a scratch file per index; phase 2 merges all runs of an
 * index, from both threads, in (key, rowid) order. Keys are numbers: whole numbers, or date-times
 * as YYYYMMDDHHMMSS.
 */

export const RUN_ROWS = 1 << 16;

export interface RunInfo {
  path: string;
  /** Byte offset of the run in its file; the run is `count` (key, rowid) pairs of float64. */
  offset: number;
  count: number;
  firstKey: number;
  firstRowid: number;
  lastKey: number;
  lastRowid: number;
}

const PACK = 2 ** 18;

/** The order that sorts `keys[0, n)` by key, ties kept in place. */
export function sortOrder(keys: Float64Array, n: number): Uint32Array | undefined {
  let sorted = true;
  let min = keys[0]!;
  let max = keys[0]!;
  for (let j = 1; j < n; j++) {
    const k = keys[j]!;
    if (k < keys[j - 1]!) sorted = false;
    if (k < min) min = k;
    if (k > max) max = k;
  }
  if (sorted) return undefined;
  if (max - min < 2 ** 32) return radixOrder(keys, n, min);
  const order = new Uint32Array(n);
  if (n <= PACK && (max - min) * PACK + PACK <= Number.MAX_SAFE_INTEGER) {
    // (key - min, position) packed into one exact double: a plain numeric sort does it.
    const packed = new Float64Array(n);
    for (let j = 0; j < n; j++) packed[j] = (keys[j]! - min) * PACK + j;
    packed.sort();
    for (let j = 0; j < n; j++) order[j] = packed[j]! % PACK;
    return order;
  }
  for (let j = 0; j < n; j++) order[j] = j;
  order.sort((a, b) => keys[a]! - keys[b]! || a - b);
  return order;
}

/** Stable LSD radix sort (two 16-bit passes) of keys whose span from `min` fits in 32 bits. */
function radixOrder(keys: Float64Array, n: number, min: number): Uint32Array {
  const rel = new Uint32Array(n);
  for (let j = 0; j < n; j++) rel[j] = keys[j]! - min;
  let from = new Uint32Array(n);
  let to = new Uint32Array(n);
  for (let j = 0; j < n; j++) from[j] = j;
  const counts = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[(rel[j]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let j = 0; j < n; j++) {
      const at = from[j]!;
      to[counts[(rel[at]! >>> shift) & 0xffff]!++] = at;
    }
    [from, to] = [to, from];
  }
  return from;
}

export class RunWriter {
  private readonly keys: Float64Array[];
  private readonly rowids: Float64Array;
  private readonly out: Float64Array;
  private readonly fds: number[];
  private readonly offsets: number[];
  private n = 0;
  readonly runs: RunInfo[][];

  constructor(
    private readonly paths: string[],
    private readonly runRows = RUN_ROWS,
  ) {
    this.keys = paths.map(() => new Float64Array(runRows));
    this.rowids = new Float64Array(runRows);
    this.out = new Float64Array(paths.length > 0 ? 2 * runRows : 0);
    this.fds = paths.map((p) => openSync(p, 'w'));
    this.offsets = paths.map(() => 0);
    this.runs = paths.map(() => []);
  }

  /** Index `i`'s key of the row about to be added with `row`. */
  key(i: number, key: number): void {
    this.keys[i]![this.n] = key;
  }

  row(rowid: number): void {
    this.rowids[this.n++] = rowid;
    if (this.n === this.runRows) this.flush();
  }

  private flush(): void {
    const n = this.n;
    if (n === 0) return;
    for (let i = 0; i < this.paths.length; i++) {
      const keys = this.keys[i]!;
      const order = sortOrder(keys, n);
      const out = this.out;
      for (let j = 0; j < n; j++) {
        const at = order === undefined ? j : order[j]!;
        out[2 * j] = keys[at]!;
        out[2 * j + 1] = this.rowids[at]!;
      }
      const bytes = Buffer.from(out.buffer, 0, 16 * n);
      let w = 0;
      while (w < bytes.length) w += writeSync(this.fds[i]!, bytes, w, bytes.length - w);
      this.runs[i]!.push({ path: this.paths[i]!, offset: this.offsets[i]!, count: n, firstKey: out[0]!, firstRowid: out[1]!, lastKey: out[2 * n - 2]!, lastRowid: out[2 * n - 1]! });
      this.offsets[i]! += bytes.length;
    }
    this.n = 0;
  }

  /** Writes the last run and closes the files. */
  finish(): void {
    try {
      this.flush();
    } finally {
      for (const fd of this.fds) closeSync(fd);
    }
  }
}

/** Reads one run, a block of pairs at a time. */
class RunCursor {
  key = 0;
  rowid = 0;
  private readonly block: Float64Array;
  private readonly bytes: Buffer;
  private at = 0;
  private held = 0;
  private left: number;
  private pos: number;

  constructor(
    private readonly fd: number,
    run: RunInfo,
    blockPairs: number,
  ) {
    this.block = new Float64Array(2 * blockPairs);
    this.bytes = Buffer.from(this.block.buffer);
    this.left = run.count;
    this.pos = run.offset;
  }

  /** Moves to the next pair; false at the run's end. */
  next(): boolean {
    if (this.at === this.held) {
      if (this.left === 0) return false;
      const pairs = Math.min(this.left, this.block.length / 2);
      const want = pairs * 16;
      let got = 0;
      while (got < want) {
        const n = readSync(this.fd, this.bytes, got, want - got, this.pos + got);
        if (n === 0) throw new Error('index run file ended early');
        got += n;
      }
      this.pos += want;
      this.left -= pairs;
      this.held = 2 * pairs;
      this.at = 0;
    }
    this.key = this.block[this.at]!;
    this.rowid = this.block[this.at + 1]!;
    this.at += 2;
    return true;
  }
}

const before = (k1: number, r1: number, k2: number, r2: number) => k1 < k2 || (k1 === k2 && r1 < r2);

/**
 * Calls `visit` with every pair of `runs` in (key, rowid) order. Runs that follow one another in
 * that order (a time-ordered file's date index) are read one after another; otherwise the run with
 * the smallest next pair is read for as long as it stays smallest (few comparisons when the runs
 * overlap little, as a nearly ordered column's do).
 */
export function mergeRuns(runs: RunInfo[], visit: (key: number, rowid: number) => void): void {
  const fds = new Map<string, number>();
  try {
    for (const r of runs) if (!fds.has(r.path)) fds.set(r.path, openSync(r.path, 'r'));
    const cursors = runs.map((r) => new RunCursor(fds.get(r.path)!, r, 4096));
    const chained = runs.every((r, i) => i === 0 || before(runs[i - 1]!.lastKey, runs[i - 1]!.lastRowid, r.firstKey, r.firstRowid));
    if (chained) {
      for (const c of cursors) while (c.next()) visit(c.key, c.rowid);
      return;
    }
    // A binary heap of the cursors by their current pair.
    const heap = cursors.filter((c) => c.next());
    const less = (a: RunCursor, b: RunCursor) => before(a.key, a.rowid, b.key, b.rowid);
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    while (heap.length > 0) {
      const top = heap[0]!;
      // The smaller child is the next-smallest cursor: read `top` for as long as it stays below it.
      const l = heap.length > 1 ? heap[1]! : undefined;
      const r = heap.length > 2 ? heap[2]! : undefined;
      const second = l === undefined ? undefined : r === undefined || less(l, r) ? l : r;
      let more = true;
      do {
        visit(top.key, top.rowid);
        more = top.next();
      } while (more && (second === undefined || less(top, second)));
      if (!more) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length > 0) down(0);
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}
