import { DataError } from '../errors.js';

/**
 * A streaming RFC 4180 CSV parser over decoded text that knows physical line numbers.
 * Fast path: a record whose first line holds no quote is one `split(',')`; only records with a quote
 * go through the character-by-character path (quoted commas, `""` escapes, quoted newlines).
 * Blank lines are skipped. `\r\n` and `\n` line ends are both accepted.
 * Linear time whatever the line lengths: text without a line end is set aside, not re-scanned, and
 * a record longer than MAX_RECORD_CHARS is an error (so no line is ever held or re-parsed whole).
 * Before the header has been accepted (`columnNames` set), errors quote no file content.
 */

/** Longest record accepted: one line, or the lines of a record joined by quoted line ends. */
export const MAX_RECORD_CHARS = 1 << 20;

/** `line` is the physical line the record starts on; `fieldLines` is set only for multi-line records. */
export type RecordHandler = (fields: string[], line: number, fieldLines: number[] | undefined) => void;

interface Parsed {
  fields: string[];
  lines: number[];
  next: number;
  nextLine: number;
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

/** The text from `at` to the end of its line (for error messages). */
function lineFrom(text: string, at: number): string {
  const nl = text.indexOf('\n', at);
  return text.slice(at, nl === -1 ? text.length : nl).replace(/\r$/, '');
}

/** Length of the record text[pos, next) without its line end (`\n` or `\r\n`). */
function contentLength(text: string, pos: number, next: number): number {
  let end = next;
  if (end > pos && text.charCodeAt(end - 1) === LF) end--;
  if (end > pos && text.charCodeAt(end - 1) === CR) end--;
  return end - pos;
}

export class CsvParser {
  private rest = '';
  private restLine = 1;
  /** Pieces after `rest` that hold no line end (so no record can end in them yet). */
  private pending: string[] = [];
  private pendingLength = 0;
  /** `rest` ends inside an open quoted field: only a piece with a quote can complete it. */
  private restInQuote = false;
  /** Column names for error messages, once the header is known. */
  columnNames: readonly string[] = [];

  /** `firstLine`: the physical line the text starts on (a byte range of a file parsed on its own). */
  constructor(
    private readonly file: string,
    private readonly onRecord: RecordHandler,
    firstLine = 1,
  ) {
    this.restLine = firstLine;
  }

  /** Feeds the next piece of text; complete records are handed to the handler synchronously. */
  push(chunk: string): void {
    const hasQuote = chunk.indexOf('"') !== -1;
    if (chunk.indexOf('\n') === -1 || (this.restInQuote && !hasQuote)) {
      if (hasQuote) this.restInQuote = false; // the quote may close the field: parse with the next line end
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      if (this.rest.length + this.pendingLength > MAX_RECORD_CHARS) throw this.tooLong(this.restLine);
      return;
    }
    const text = this.takeRest() + chunk;
    this.restInQuote = false;
    let pos = 0;
    let line = this.restLine;
    let nextQuote = text.indexOf('"');
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl === -1) break;
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
      if (nextQuote !== -1 && nextQuote < nl) {
        const r = this.parseSlow(text, pos, line, false);
        if (r === undefined) break; // the record continues in the next chunk
        if (r.next - pos > MAX_RECORD_CHARS && contentLength(text, pos, r.next) > MAX_RECORD_CHARS) throw this.tooLong(line);
        if (r.fields.length > 0) this.onRecord(r.fields, line, r.lines);
        pos = r.next;
        line = r.nextLine;
        continue;
      }
      if (nl - pos > MAX_RECORD_CHARS && contentLength(text, pos, nl + 1) > MAX_RECORD_CHARS) throw this.tooLong(line);
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      if (end > pos) this.onRecord(text.slice(pos, end).split(','), line, undefined);
      line++;
      pos = nl + 1;
    }
    this.rest = pos === 0 ? text : text.slice(pos);
    this.restLine = line;
    if (this.rest.length > MAX_RECORD_CHARS) throw this.tooLong(line);
  }

  /** `rest` and the pieces set aside after it, as one string (emptied). */
  private takeRest(): string {
    let text = this.rest;
    if (this.pending.length > 0) {
      text += this.pending.join('');
      this.pending = [];
      this.pendingLength = 0;
    }
    this.rest = '';
    return text;
  }

  private tooLong(line: number): DataError {
    return new DataError(
      { file: this.file, line },
      `record longer than ${MAX_RECORD_CHARS} characters (1 MiB), the limit for one line or one quoted field; is this a CSV export, with a line end after each row?`,
    );
  }

  /** The value to quote in an error: none before the header has been accepted. */
  private quote(value: string): string | undefined {
    return this.columnNames.length > 0 ? value : undefined;
  }

  /** Flushes the last record (a file need not end with a newline). */
  end(): void {
    const text = this.takeRest();
    if (text.length === 0 || text === '\r') return;
    const r = this.parseSlow(text, 0, this.restLine, true);
    if (r !== undefined && r.fields.length > 0) this.onRecord(r.fields, this.restLine, r.lines);
  }

  private columnName(index: number): string {
    return this.columnNames[index] ?? `field ${index + 1}`;
  }

  /**
   * Parses one record starting at `pos`. Returns undefined when the text ends before the record
   * does and more text may follow (`final` false); with `final` an open quote is an error.
   */
  private parseSlow(text: string, pos: number, line: number, final: boolean): Parsed | undefined {
    const n = text.length;
    const fields: string[] = [];
    const lines: number[] = [];
    let i = pos;
    let ln = line;
    // A line holding only a line end is blank: skip it.
    if (text.charCodeAt(i) === LF || (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF)) {
      return { fields, lines, next: i + (text.charCodeAt(i) === CR ? 2 : 1), nextLine: ln + 1 };
    }
    for (;;) {
      lines.push(ln);
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const openLine = ln;
        const openAt = i;
        i++;
        let value = '';
        let segStart = i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q === -1) {
            if (!final) {
              this.restInQuote = true;
              return undefined;
            }
            throw new DataError(
              { file: this.file, line: openLine, column: this.columnName(fields.length), value: this.quote(lineFrom(text, openAt)) },
              'unterminated quoted field: a field that starts with " must end with " (write "" for a quote inside it)',
            );
          }
          for (let k = text.indexOf('\n', i); k !== -1 && k < q; k = text.indexOf('\n', k + 1)) ln++;
          if (q + 1 >= n && !final) return undefined; // cannot tell `"` from `""` yet
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(segStart, q + 1);
            i = q + 2;
            segStart = i;
            continue;
          }
          value += text.slice(segStart, q);
          i = q + 1;
          break;
        }
        fields.push(value);
        if (i >= n) return { fields, lines, next: n, nextLine: ln };
        const c = text.charCodeAt(i);
        if (c === COMMA) {
          i++;
          continue;
        }
        if (c === LF) return { fields, lines, next: i + 1, nextLine: ln + 1 };
        if (c === CR) {
          if (i + 1 >= n) {
            if (!final) return undefined;
            return { fields, lines, next: n, nextLine: ln };
          }
          if (text.charCodeAt(i + 1) === LF) return { fields, lines, next: i + 2, nextLine: ln + 1 };
        }
        let stop = i;
        while (stop < n && text.charCodeAt(stop) !== LF && text.charCodeAt(stop) !== COMMA) stop++;
        throw new DataError(
          { file: this.file, line: ln, column: this.columnName(fields.length - 1), value: this.quote('"' + value + '"' + text.slice(i, stop)) },
          'unexpected text after a closing quote: a quoted field must be followed by a comma or the end of the line',
        );
      }
      let j = i;
      let c = 0;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === COMMA || c === LF) break;
        if (c === QUOTE) {
          let stop = j;
          while (stop < n && text.charCodeAt(stop) !== LF && text.charCodeAt(stop) !== COMMA) stop++;
          throw new DataError(
            { file: this.file, line: ln, column: this.columnName(fields.length), value: this.quote(text.slice(i, stop).replace(/\r$/, '')) },
            'stray quote inside an unquoted field: quote the whole field and write "" for each quote inside it',
          );
        }
        j++;
      }
      if (j >= n && !final) return undefined;
      let end = j;
      if (j >= n || c === LF) {
        if (end > i && text.charCodeAt(end - 1) === CR) end--;
      }
      fields.push(text.slice(i, end));
      if (j >= n) return { fields, lines, next: n, nextLine: ln };
      if (c === COMMA) {
        i = j + 1;
        continue;
      }
      return { fields, lines, next: j + 1, nextLine: ln + 1 };
    }
  }
}
