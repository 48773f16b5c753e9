import { CsvParser, MAX_RECORD_CHARS } from './csv-parser.js';
import type { RecordHandler } from './csv-parser.js';

/**
 * A CSV record splitter over raw bytes, for the big-file path: a record without a quote (nearly
 * every row of an export) is split at its commas in place, as byte offsets, with no string made. A
 * record holding a quote is cut out whole (its end is the first line end outside quotes) and handed
 * to CsvParser, the reference, which splits it or throws its usual error; so both paths agree on
 * every record by construction, and tests/ingest/byte-records.test.ts checks both against
 * csv-parse on random CSV. Line numbers are physical lines, as CsvParser counts them; blank lines
 * are skipped; a CR before a line end is dropped.
 */

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;

/**
 * Bytes after which a record certainly holds more than MAX_RECORD_CHARS characters (a UTF-8
 * character takes at most 3 bytes per UTF-16 unit): past this the reference is given the text and
 * throws its "record longer than" error.
 */
export const MAX_RECORD_BYTES = 3 * MAX_RECORD_CHARS + 16;

export interface ByteRecordSink {
  /**
   * A record without a quote: field i is buf[starts[i], ends[i]). `ascii` is false when a byte of
   * the record is ≥ 0x80 (so the fields must be decoded as UTF-8, not read as Latin-1).
   */
  plain(buf: Buffer, starts: Int32Array, ends: Int32Array, count: number, ascii: boolean, line: number): void;
  /** A record that held a quote, split by CsvParser. */
  quoted: RecordHandler;
}

export class ByteRecordScanner {
  /** Physical line of the next record. */
  line: number;
  private starts: Int32Array = new Int32Array(64);
  private ends: Int32Array = new Int32Array(64);
  /** Column names for CsvParser's error messages, once the header is known. */
  columnNames: readonly string[] = [];

  constructor(
    private readonly display: string,
    private readonly sink: ByteRecordSink,
    firstLine = 1,
  ) {
    this.line = firstLine;
  }

  /**
   * Hands over the complete records of buf[pos, end) and returns where the first incomplete one
   * starts (`end` when none is). With `final`, the text after the last line end is the last record.
   */
  scan(buf: Buffer, pos: number, end: number, final: boolean): number {
    let p = pos;
    while (p < end) {
      let i = p;
      let count = 0;
      let fieldStart = p;
      let hi = 0;
      let quoted = false;
      let recordEnd = -1; // index of the line end (or `end` for a final record without one)
      let starts: Int32Array = this.starts;
      let ends: Int32Array = this.ends;
      for (;;) {
        if (i >= end) {
          if (!final) {
            if (end - p > MAX_RECORD_BYTES) return this.reference(buf, p, end, false);
            return p;
          }
          recordEnd = end;
          break;
        }
        const b = buf[i]!;
        if (b === COMMA) {
          if (count === starts.length) [starts, ends] = this.grow();
          starts[count] = fieldStart;
          ends[count++] = i;
          fieldStart = i + 1;
        } else if (b === LF) {
          recordEnd = i;
          break;
        } else if (b === QUOTE) {
          quoted = true;
          break;
        } else hi |= b;
        i++;
      }
      if (quoted) {
        const next = this.quotedRecord(buf, p, end, final);
        if (next === -1) return p;
        p = next;
        continue;
      }
      let last = recordEnd;
      if (last > fieldStart && buf[last - 1] === CR) last--;
      if (recordEnd - p > MAX_RECORD_CHARS) {
        // Possibly too long once decoded: the reference decides, and counts in characters.
        p = this.reference(buf, p, recordEnd < end ? recordEnd + 1 : end, final || recordEnd < end);
        continue;
      }
      if (count > 0 || last > p) {
        if (count === starts.length) [starts, ends] = this.grow();
        starts[count] = fieldStart;
        ends[count++] = last;
        this.sink.plain(buf, starts, ends, count, hi < 0x80, this.line);
      }
      this.line++;
      p = recordEnd < end ? recordEnd + 1 : end;
    }
    return p;
  }

  private grow(): [Int32Array, Int32Array] {
    const starts = new Int32Array(this.starts.length * 2);
    const ends = new Int32Array(this.ends.length * 2);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
    return [starts, ends];
  }

  /**
   * A record with a quote from `p`: finds its end (the first line end outside quotes) and has the
   * reference split it. Returns the index after it, or -1 when it may continue past `end`.
   */
  private quotedRecord(buf: Buffer, p: number, end: number, final: boolean): number {
    let inQuote = false;
    let i = p;
    for (; i < end; i++) {
      const b = buf[i]!;
      if (b === QUOTE) inQuote = !inQuote;
      else if (b === LF && !inQuote) break;
    }
    if (i < end) return this.reference(buf, p, i + 1, false);
    if (final || end - p > MAX_RECORD_BYTES) return this.reference(buf, p, end, final);
    return -1;
  }

  /**
   * CsvParser on buf[p, to): the record there (or its error). With `final` the text is the end of
   * the input; otherwise it is one record with its line end, or a text too long to be one record.
   */
  private reference(buf: Buffer, p: number, to: number, final: boolean): number {
    const parser = new CsvParser(this.display, this.sink.quoted, this.line);
    parser.columnNames = this.columnNames;
    parser.push(buf.toString('utf8', p, to));
    if (final) parser.end();
    for (let i = buf.indexOf(LF, p); i !== -1 && i < to; i = buf.indexOf(LF, i + 1)) this.line++;
    return to;
  }
}
