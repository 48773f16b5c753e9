import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputMissingError } from '../errors.js';
import { ByteRecordScanner, MAX_RECORD_BYTES } from './byte-records.js';
import type { ByteRecordSink } from './byte-records.js';
import type { DateParser } from './dates.js';
import type { Convert } from './fields.js';
import { BATCH_ROWS } from './inserter.js';
import type { LoadTarget, RowSink } from './produce-rows.js';
import { utf8Error } from './read-records.js';
import { mapHeader, RowConverter } from './row-converter.js';
import { firstInvalidUtf8, incompleteTailLength, isValidUtf8 } from './utf8.js';

/**
 * The loader's CSV reader, engine-agnostic: reads a file (or a byte range of it), checks UTF-8,
 * splits records at the byte level (byte-records.ts) and converts them to typed, validated rows
 * that go to a RowSink in batches of BATCH_ROWS: numbers, stored texts (dates as UTC text) and
 * enumeration indexes, exactly as RowConverter makes them. Whole numbers and enumeration values are
 * read from the bytes; other fields are read as Latin-1 text when the record is ASCII. Any record
 * the fast path does not accept as it stands (a quote, a non-ASCII byte, a wrong field count, a
 * value to normalise or refuse) goes through RowConverter, so accept/reject decisions and error
 * messages are RowConverter's, byte for byte.
 */

const CHUNK = 1 << 20;

/** A byte range of the file that starts at a record: for a file split between threads. */
export interface ByteRange {
  start: number;
  /** Where the range ends: a record start (after a line end) or the file's end. */
  end: number;
  /** Physical line of the first record of the range (1 when `start` is 0). */
  firstLine: number;
  /** The header fields, read from the start of the file, for a range that does not hold them. */
  header?: string[];
}

export interface TypedReadResult {
  rows: number;
  /** Bytes read (the file's size when read whole). */
  bytes: number;
  /** sha256 of the bytes read ('' for a range: the whole file is hashed elsewhere). */
  sha256: string;
  /** The physical line after the last one read. */
  endLine: number;
}

/** Buffer's own Latin-1 decoder (what `toString('latin1')` calls, minus its argument checks). */
interface Latin1 {
  latin1Slice(start: number, end: number): string;
}

const GENERIC = 0;
const WHOLE = 1;
const ENUM = 2;

/** Converts the records of one file (or range) into rows for a RowSink. */
export class TypedRowBuilder implements ByteRecordSink {
  readonly conv: RowConverter;
  rows = 0;
  private order: number[] = [];
  private readonly plan: Uint8Array;
  private readonly mins: number[];
  private readonly enums: Buffer[][];
  private readonly converters: Convert[];
  /** Per column: the bytes of the last value converted (up to 64) and what they gave. */
  private readonly lastBytes: Uint8Array[];
  private readonly lastLength: Int32Array;
  private readonly lastValue: unknown[];
  /** False for tables whose key holds a time (DST repeats are placed by RowConverter). */
  private readonly fast: boolean;
  private readonly width: number;
  private batch: unknown[];
  private lines: Int32Array;
  private n = 0;
  private k = 0;
  private readonly fields: string[] = [];
  scanner?: ByteRecordScanner;

  constructor(
    private readonly target: LoadTarget,
    dates: DateParser,
    private readonly sink: RowSink,
    /** Date-times as numbers YYYYMMDDHHMMSS in the rows the fast path makes (FieldKind.makeNumber). */
    numericDateTimes = false,
  ) {
    const { spec } = target;
    this.conv = new RowConverter(spec, dates, target.display, target.source);
    this.width = this.conv.width;
    this.batch = new Array(BATCH_ROWS * this.width);
    this.lines = new Int32Array(BATCH_ROWS);
    this.lastBytes = spec.columns.map(() => new Uint8Array(64));
    this.lastLength = new Int32Array(spec.columns.length).fill(-1);
    this.lastValue = spec.columns.map(() => undefined);
    this.plan = Uint8Array.from(spec.columns.map((c) => (c.kind.values ? ENUM : c.kind.wholeNumber ? WHOLE : GENERIC)));
    this.mins = spec.columns.map((c) => c.kind.wholeNumber?.min ?? 0);
    this.enums = spec.columns.map((c) => (c.kind.values ?? []).map((v) => Buffer.from(v, 'utf8')));
    this.converters = spec.columns.map((c) => (numericDateTimes && c.kind.makeNumber ? c.kind.makeNumber(dates) : c.kind.make(dates)));
    this.fast = !spec.columns.some((c) => c.kind.isTime === true && spec.key.includes(c.dbName));
  }

  /** Takes the header (read elsewhere, for a range that starts after it). */
  useHeader(fields: string[], line: number): void {
    this.conv.readHeader(fields, line);
    this.order = mapHeader(this.target.spec, fields, this.target.display, line);
    if (this.scanner) this.scanner.columnNames = fields;
  }

  plain(buf: Buffer, starts: Int32Array, ends: Int32Array, count: number, ascii: boolean, line: number): void {
    if (!this.conv.hasHeader || !ascii || !this.fast || count !== this.order.length || !this.tryFast(buf, starts, ends, line)) {
      const fields = this.fields;
      fields.length = count;
      for (let i = 0; i < count; i++) fields[i] = buf.toString('utf8', starts[i]!, ends[i]!);
      this.quoted(fields.slice(), line, undefined);
    }
  }

  /** The row straight from the bytes; false (nothing written) when RowConverter must decide. */
  private tryFast(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number): boolean {
    const out = this.batch;
    const order = this.order;
    let k = this.k;
    if (this.target.source !== null) out[k++] = this.target.source;
    for (let c = 0; c < order.length; c++) {
      const f = order[c]!;
      const s = starts[f]!;
      const e = ends[f]!;
      const how = this.plan[c];
      if (how === WHOLE) {
        let i = s;
        const neg = buf[i] === 45;
        if (neg) i++;
        const digits = e - i;
        if (digits < 1 || digits > 15) return false;
        let v = 0;
        for (; i < e; i++) {
          const d = buf[i]! - 48;
          if (d < 0 || d > 9) return false;
          v = v * 10 + d;
        }
        if (neg) v = -v;
        if (v < this.mins[c]!) return false;
        out[k++] = v;
      } else if (how === ENUM) {
        const values = this.enums[c]!;
        let found = -1;
        for (let x = 0; x < values.length && found === -1; x++) {
          const want = values[x]!;
          if (want.length !== e - s) continue;
          let j = 0;
          while (j < want.length && buf[s + j] === want[j]) j++;
          if (j === want.length) found = x;
        }
        if (found === -1) return false;
        out[k++] = found;
      } else {
        // The same bytes as this column's last value (a time repeats over the rows of its second or
        // minute) give the same value: converters are functions of the text alone.
        const last = this.lastBytes[c]!;
        const n = e - s;
        let same = this.lastLength[c] === n;
        for (let j = n - 1; same && j >= 0; j--) same = last[j] === buf[s + j];
        let v: unknown;
        if (same) v = this.lastValue[c];
        else {
          v = this.converters[c]!((buf as unknown as Latin1).latin1Slice(s, e));
          if (v === undefined) return false;
          if (n <= last.length) {
            for (let j = 0; j < n; j++) last[j] = buf[s + j]!;
            this.lastLength[c] = n;
            this.lastValue[c] = v;
          }
        }
        out[k++] = v;
      }
    }
    this.k = k;
    this.row(line);
    return true;
  }

  /** A record as strings (a quoted one, or one the fast path passed on): the header or a row. */
  quoted = (fields: string[], line: number, fieldLines: number[] | undefined): void => {
    if (!this.conv.hasHeader) {
      this.useHeader(fields, line);
      return;
    }
    this.conv.convert(fields, line, fieldLines, this.batch, this.k);
    this.k += this.width;
    this.row(line);
  };

  private row(line: number): void {
    this.lines[this.n++] = line;
    this.rows++;
    if (this.n === BATCH_ROWS) {
      this.sink.rows(this.batch, this.n, this.lines);
      if (this.sink.keepsBatches) {
        this.batch = new Array(BATCH_ROWS * this.width);
        this.lines = new Int32Array(BATCH_ROWS);
      }
      this.n = 0;
      this.k = 0;
    }
  }

  /** Hands over the last, shorter batch. */
  flush(): void {
    if (this.n > 0) this.sink.rows(this.batch.slice(0, this.k), this.n, this.lines);
    this.n = 0;
    this.k = 0;
  }
}

/**
 * Reads `target` (or `range` of it) and hands its rows to `sink`. Memory: one buffer of about
 * 4 MiB (a chunk plus the longest record), whatever the file size.
 */
export async function readTypedRows(
  target: LoadTarget,
  dates: DateParser,
  sink: RowSink,
  opts: { range?: ByteRange; onProgress?: (bytesRead: number) => void; numericDateTimes?: boolean } = {},
): Promise<TypedReadResult> {
  const range = opts.range;
  const start = range?.start ?? 0;
  const end = range?.end ?? Infinity;
  const builder = new TypedRowBuilder(target, dates, sink, opts.numericDateTimes);
  const scanner = new ByteRecordScanner(target.display, builder, range?.firstLine ?? 1);
  builder.scanner = scanner;
  if (range?.header) builder.useHeader(range.header, 1);
  const hash = range ? undefined : createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK + MAX_RECORD_BYTES + 4);
  let len = 0; // bytes held in buf
  let offset = start; // file offset of buf[0]
  let checked = 0; // buf[0, checked) is valid UTF-8
  let pos = 0; // first record not yet handed over
  const handle = await open(target.path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new InputMissingError(`${target.display} is not a regular file (it changed while init-db ran); nothing was changed`);
    for (;;) {
      const want = Math.min(CHUNK, end - (offset + len));
      const { bytesRead } = want > 0 ? await handle.read(buf, len, want, offset + len) : { bytesRead: 0 };
      hash?.update(buf.subarray(len, len + bytesRead));
      if (offset === 0 && len === 0 && bytesRead >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        pos = checked = 3; // a UTF-8 byte-order mark is not part of the first header name
      }
      len += bytesRead;
      const final = bytesRead === 0 || offset + len >= end;
      const tail = final ? 0 : incompleteTailLength(buf.subarray(checked, len));
      const body = buf.subarray(checked, len - tail);
      if (!isValidUtf8(body)) {
        const bad = firstInvalidUtf8(body);
        throw utf8Error(target.path, target.display, offset + checked + (bad === -1 ? body.length : bad));
      }
      checked = len - tail;
      pos = scanner.scan(buf, pos, checked, final);
      if (final) break;
      buf.copy(buf, 0, pos, len);
      offset += pos;
      len -= pos;
      checked -= pos;
      pos = 0;
      opts.onProgress?.(offset + len);
    }
  } finally {
    await handle.close();
  }
  if (start === 0) builder.conv.assertHeaderSeen();
  builder.flush();
  return { rows: builder.rows, bytes: offset + len - start, sha256: hash?.digest('hex') ?? '', endLine: scanner.line };
}
