import type { RowSink } from '../produce-rows.js';
import { intBytes, intSerialType, LEAF_TABLE, maxTablePayload, putDateTime, putInt, putVarint, varintLength } from './format.js';
import type { DirectLayout } from './layout.js';
import { LeafPage, PageFile } from './pages.js';
import type { Placement } from './pages.js';
import type { RunWriter } from './runs.js';

/**
 * Phase 1 of a direct load, in each loader thread: converted rows (a RowSink) become the table's
 * leaf pages, written to a scratch file in rowid order, and each index's entries are gathered in
 * sorted runs (runs.ts). Any row SQLite would store differently from how this writer can (a rowid
 * not above the previous one, a value of an unexpected type, a row too long for one page, a
 * date-time not in its stored form) stops the direct load: NotDirect, and SQLite loads the file.
 */

export class NotDirect extends Error {}

const ROWID = 0;
const INT = 1;
const ENUM = 2;
const TEXT = 3;
const DATETIME = 4;
const KIND = { rowid: ROWID, int: INT, enum: ENUM, text: TEXT, datetime: DATETIME } as const;
/** Serial type of a 19-byte text. */
const DATETIME_TYPE = 13 + 2 * 19;

/** 'YYYY-MM-DD HH:MM:SS' as the number YYYYMMDDHHMMSS (same order), or -1 for any other text. */
export function dateTimeKey(s: string): number {
  if (s.length !== 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return -1;
  let v = 0;
  for (let i = 0; i < 19; i++) {
    if (i === 4 || i === 7 || i === 10 || i === 13 || i === 16) continue;
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Writes `s` as UTF-8 at `at` (a plain loop for ASCII, the common case); returns the bytes written. */
function writeText(buf: Buffer, at: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return buf.write(s, at, 'utf8');
    buf[at + i] = c;
  }
  return n;
}

export interface LeafSummary {
  /** Leaf pages written, in rowid order. */
  pages: number;
  /** The largest rowid on each leaf. */
  maxRowids: Float64Array;
  rows: number;
  firstRowid: number;
  lastRowid: number;
}

export class DirectRowWriter implements RowSink {
  readonly keepsBatches = false;
  private readonly width: number;
  private readonly out: PageFile;
  private readonly leaf: LeafPage;
  private readonly body: Buffer;
  private readonly types: Int32Array;
  /** Per stored column: how it is stored (ROWID, INT, ENUM, TEXT) and where its value is in a row. */
  private readonly kinds: Uint8Array;
  private readonly froms: Int32Array;
  private readonly enumBytes: (Buffer[] | undefined)[];
  private readonly maxPayload: number;
  private maxRowids = new Float64Array(1024);
  private leaves = 0;
  private rowCount = 0;
  private firstRowid = NaN;
  private lastRowid = -Infinity;

  constructor(
    private readonly layout: DirectLayout,
    tablePath: string,
    private readonly runs: RunWriter,
    /** Write the leaves straight into `tablePath` (the database) where this says, not into a new scratch file. */
    place?: Placement,
  ) {
    this.width = layout.columns.length;
    this.out = new PageFile(tablePath, layout.pageSize, place);
    this.leaf = new LeafPage(LEAF_TABLE, layout.pageSize, this.out);
    this.maxPayload = maxTablePayload(layout.pageSize);
    this.body = Buffer.alloc(this.maxPayload + 4096);
    this.types = new Int32Array(this.width);
    this.kinds = Uint8Array.from(layout.columns.map((c) => KIND[c.kind]));
    this.froms = Int32Array.from(layout.columns.map((c) => c.from));
    this.enumBytes = layout.columns.map((c) => (c.kind === 'enum' ? c.values.map((v) => Buffer.from(v, 'utf8')) : undefined));
  }

  rows(values: unknown[], count: number): void {
    const rowWidth = this.layout.rowWidth;
    const kinds = this.kinds;
    const froms = this.froms;
    const ncols = kinds.length;
    const indexes = this.layout.indexes;
    const body = this.body;
    const types = this.types;
    const limit = this.maxPayload;
    for (let r = 0; r < count; r++) {
      const base = r * rowWidth;
      const rowid = values[base + this.layout.rowidFrom];
      if (typeof rowid !== 'number' || !Number.isSafeInteger(rowid) || rowid < 0) throw new NotDirect(`a rowid that is not a whole number ≥ 0 (${String(rowid)})`);
      if (rowid <= this.lastRowid) throw new NotDirect(`ids not in ascending order (${rowid} after ${this.lastRowid})`);
      // The record's body first (text lengths are known once written), then its header.
      let bl = 0;
      let headerBytes = 0;
      for (let c = 0; c < ncols; c++) {
        const kind = kinds[c]!;
        const v = values[base + froms[c]!];
        if (bl > limit) throw new NotDirect('a row too long for one page');
        let t = 0;
        if (kind === ROWID || v === null) t = 0;
        else if (kind === INT) {
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new NotDirect(`a value that is not a whole number (${String(v)})`);
          t = intSerialType(v);
          bl = putInt(body, bl, v, intBytes(t));
        } else if (kind === ENUM) {
          const bytes = typeof v === 'number' ? this.enumBytes[c]![v] : undefined;
          if (bytes === undefined) throw new NotDirect(`an enumeration value out of range (${String(v)})`);
          for (let i = 0; i < bytes.length; i++) body[bl + i] = bytes[i]!;
          bl += bytes.length;
          t = 13 + 2 * bytes.length;
        } else if (kind === DATETIME && typeof v === 'number') {
          putDateTime(body, bl, v);
          bl += 19;
          t = DATETIME_TYPE;
        } else {
          if (typeof v !== 'string') throw new NotDirect(`a text column value that is not a string (${String(v)})`);
          if (bl + 3 * v.length > limit) throw new NotDirect('a row too long for one page');
          const n = writeText(body, bl, v);
          bl += n;
          t = 13 + 2 * n;
        }
        types[c] = t;
        headerBytes += t < 128 ? 1 : varintLength(t);
      }
      const headerLength = headerBytes + 1 < 128 ? headerBytes + 1 : headerBytes + 2;
      const payload = headerLength + bl;
      if (payload > limit) throw new NotDirect('a row too long for one page');
      const length = varintLength(payload) + varintLength(rowid) + payload;
      if (!this.leaf.fits(length)) this.endLeaf();
      const page = this.leaf.page;
      let at = this.leaf.reserve(length);
      at = putVarint(page, at, payload);
      at = putVarint(page, at, rowid);
      at = putVarint(page, at, headerLength);
      for (let c = 0; c < ncols; c++) {
        const t = types[c]!;
        if (t < 128) page[at++] = t;
        else at = putVarint(page, at, t);
      }
      for (let i = 0; i < bl; i++) page[at + i] = body[i]!;
      if (this.rowCount === 0) this.firstRowid = rowid;
      this.lastRowid = rowid;
      this.rowCount++;
      for (let i = 0; i < indexes.length; i++) {
        const ix = indexes[i]!;
        const v = values[base + ix.from];
        let key: number;
        if (ix.key === 'int') {
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new NotDirect(`an index key that is not a whole number (${String(v)})`);
          key = v;
        } else {
          key = typeof v === 'number' ? v : typeof v === 'string' ? dateTimeKey(v) : -1;
          if (key < 0) throw new NotDirect(`an index key that is not a date-time 'YYYY-MM-DD HH:MM:SS' (${String(v)})`);
        }
        this.runs.key(i, key);
      }
      this.runs.row(rowid);
    }
  }

  private endLeaf(): void {
    if (this.leaves === this.maxRowids.length) {
      const grown = new Float64Array(this.leaves * 2);
      grown.set(this.maxRowids);
      this.maxRowids = grown;
    }
    this.maxRowids[this.leaves++] = this.lastRowid;
    this.leaf.flush();
  }

  /** Writes the last leaf and closes the scratch file. */
  finish(): LeafSummary {
    if (this.leaf.cells > 0) this.endLeaf();
    this.out.close();
    this.runs.finish();
    return { pages: this.leaves, maxRowids: this.maxRowids.slice(0, this.leaves), rows: this.rowCount, firstRowid: this.firstRowid, lastRowid: this.lastRowid };
  }
}
