import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { putVarint } from './format.js';

/**
 * Index entries of a direct load, sorted with bounded memory: a loader thread gathers (key, rowid)
 * pairs for RUN_ROWS rows at a time, sorts each run by key (rowids already ascend, so equal keys
 * stay in rowid order) and appends it to a scratch file per index; phase 2 merges all runs of an
 * index, from both threads, in (key, rowid) order. Keys are numbers: whole numbers, or date-times
 * as YYYYMMDDHHMMSS. A run is stored as the differences from the pair before (varints, 2-4 bytes a
 * pair instead of 16): new file pages cost this machine more than the encoding does.
 */

export const RUN_ROWS = 1 << 16;

export interface RunInfo {
  path: string;
  /** Byte offset of the run in its file, and its length: `count` pairs, encoded by RunWriter. */
  offset: number;
  bytes: number;
  count: number;
  firstKey: number;
  firstRowid: number;
  lastKey: number;
  lastRowid: number;
}

const PACK = 2 ** 18;

/** Differences up to this size are written as zigzag varints; larger ones after ESCAPE, as a raw double. */
const EXACT = 2 ** 52;
const ESCAPE = 2 ** 53;

/** Writes `v` (a whole number) as a zigzag varint, or ESCAPE and 8 raw bytes; returns the new offset. */
function putDelta(buf: Buffer, at: number, v: number): number {
  if (v > -EXACT && v < EXACT) return putVarint(buf, at, v >= 0 ? 2 * v : -2 * v - 1);
  at = putVarint(buf, at, ESCAPE);
  buf.writeDoubleBE(v, at);
  return at + 8;
}

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
  private readonly out: Buffer;
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
    this.out = Buffer.alloc(paths.length > 0 ? 2 * 17 * runRows : 0);
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
      const rowids = this.rowids;
      const order = sortOrder(keys, n);
      const out = this.out;
      let len = 0;
      let key = 0;
      let rowid = 0;
      for (let j = 0; j < n; j++) {
        const at = order === undefined ? j : order[j]!;
        len = putDelta(out, len, keys[at]! - key);
        len = putDelta(out, len, rowids[at]! - rowid);
        key = keys[at]!;
        rowid = rowids[at]!;
      }
      let w = 0;
      while (w < len) w += writeSync(this.fds[i]!, out, w, len - w);
      const first = order === undefined ? 0 : order[0]!;
      this.runs[i]!.push({ path: this.paths[i]!, offset: this.offsets[i]!, bytes: len, count: n, firstKey: keys[first]!, firstRowid: rowids[first]!, lastKey: key, lastRowid: rowid });
      this.offsets[i]! += len;
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

/** Reads one run, a block of bytes at a time. */
class RunCursor {
  key = 0;
  rowid = 0;
  private readonly buf: Buffer;
  private at = 0;
  private held = 0;
  private left: number;
  private bytesLeft: number;
  private pos: number;

  constructor(
    private readonly fd: number,
    run: RunInfo,
    blockBytes: number,
  ) {
    this.buf = Buffer.alloc(blockBytes);
    this.left = run.count;
    this.bytesLeft = run.bytes;
    this.pos = run.offset;
  }

  /** Moves to the next pair; false at the run's end. */
  next(): boolean {
    if (this.left === 0) return false;
    // A pair takes at most 2 × (varint + 8) bytes: read on when fewer are held (and more remain).
    if (this.held - this.at < 34 && this.bytesLeft > 0) this.refill();
    this.key += this.delta();
    this.rowid += this.delta();
    this.left--;
    return true;
  }

  private refill(): void {
    const buf = this.buf;
    buf.copy(buf, 0, this.at, this.held);
    this.held -= this.at;
    this.at = 0;
    const want = Math.min(this.bytesLeft, buf.length - this.held);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, buf, this.held + got, want - got, this.pos + got);
      if (n === 0) throw new Error('index run file ended early');
      got += n;
    }
    this.pos += want;
    this.bytesLeft -= want;
    this.held += want;
  }

  private delta(): number {
    const buf = this.buf;
    let z = 0;
    for (let i = 0; ; i++) {
      const b = buf[this.at++]!;
      z = z * 128 + (b & 0x7f);
      if (b < 0x80 || i === 7) break;
    }
    if (z === ESCAPE) {
      const v = buf.readDoubleBE(this.at);
      this.at += 8;
      return v;
    }
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
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
    const cursors = runs.map((r) => new RunCursor(fds.get(r.path)!, r, 1 << 16));
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
