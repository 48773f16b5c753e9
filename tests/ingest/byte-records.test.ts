import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/detect/random.js';
import { ByteRecordScanner } from '../../src/ingest/byte-records.js';
import { CsvParser } from '../../src/ingest/csv-parser.js';
import { DataError } from '../../src/errors.js';

/**
 * Differential test of the byte-level record splitter (the big-file path) against csv-parse and
 * against CsvParser (the reference it defers to for quoted records), on seeded random CSV: quoted
 * fields with commas, doubled quotes and embedded LF / CRLF, CRLF line ends, a BOM, blank lines,
 * empty fields, with or without a final line end, and stray quotes that make the text invalid.
 * The splitter is fed in random windows, as the file reader does, so records cut at a window end
 * are exercised too. All three must agree on the records, or all three refuse the text at the same
 * line.
 */

type Outcome = { records: string[][]; lines: number[] } | { error: number; message: string };

function byteScanner(text: string, rnd: () => number): Outcome {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3); // the reader drops it
  const records: string[][] = [];
  const lines: number[] = [];
  const scanner = new ByteRecordScanner('t.csv', {
    plain(buf, starts, ends, count, _ascii, line) {
      const fields: string[] = [];
      for (let i = 0; i < count; i++) fields.push(buf.toString('utf8', starts[i]!, ends[i]!));
      records.push(fields);
      lines.push(line);
    },
    quoted(fields, line) {
      records.push(fields);
      lines.push(line);
    },
  });
  try {
    let pos = 0;
    for (let end = 0; end < bytes.length; ) {
      end = Math.min(bytes.length, end + 1 + Math.floor(rnd() * 12));
      pos = scanner.scan(bytes, pos, end, false);
    }
    scanner.scan(bytes, pos, bytes.length, true);
  } catch (error) {
    if (error instanceof DataError) return { error: error.location.line, message: error.message };
    throw error;
  }
  return { records, lines };
}

function reference(text: string): Outcome {
  const records: string[][] = [];
  const lines: number[] = [];
  const parser = new CsvParser('t.csv', (fields, line) => {
    records.push(fields);
    lines.push(line);
  });
  try {
    parser.push(text.replace(/^\uFEFF/, ''));
    parser.end();
  } catch (error) {
    if (error instanceof DataError) return { error: error.location.line, message: error.message };
    throw error;
  }
  return { records, lines };
}

function csvParse(text: string): { records: string[][] } | { error: number } {
  try {
    const records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\n', '\r\n'] }) as string[][];
    return { records };
  } catch (error) {
    return { error: (error as { lines: number }).lines };
  }
}

const PLAIN = ['a', 'bc', 'é', ' ', '', '7', 'x y'];
const QUOTED = ['a', ',', '""', '\n', '\r\n', 'é', ' ', ''];

function randomCsv(rnd: () => number): string {
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  let text = rnd() < 0.2 ? '\uFEFF' : '';
  const rows = Math.floor(rnd() * 7);
  for (let r = 0; r < rows; r++) {
    if (rnd() < 0.1) text += pick(['\n', '\r\n']); // a blank line
    const width = 1 + Math.floor(rnd() * 4);
    const fields: string[] = [];
    for (let f = 0; f < width; f++) {
      if (rnd() < 0.35) {
        let inner = '';
        for (let n = Math.floor(rnd() * 4); n > 0; n--) inner += pick(QUOTED);
        fields.push(`"${inner}"`);
      } else fields.push(pick(PLAIN));
    }
    text += fields.join(',');
    if (r < rows - 1 || rnd() < 0.6) text += pick(['\n', '\r\n']);
  }
  if (rnd() < 0.15 && text.length > 0) {
    const at = Math.floor(rnd() * (text.length + 1));
    text = text.slice(0, at) + '"' + text.slice(at); // usually makes the text invalid
  }
  return text;
}

describe('byte-level record splitter vs csv-parse and CsvParser (seeded differential fuzz)', () => {
  it('agrees on 20,000 random texts: the same records and lines, or an error on the same line', () => {
    const rnd = mulberry32(12);
    let errors = 0;
    let quoted = 0;
    let openQuotes = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = randomCsv(rnd);
      const ours = byteScanner(text, rnd);
      const ref = reference(text);
      const theirs = csvParse(text);
      const context = JSON.stringify(text);
      expect(ours, context).toEqual(ref);
      if ('error' in ref) {
        errors++;
        expect(theirs, context).toHaveProperty('error');
        // csv-parse names the line where it gave up; for a quote left open that is the end of the
        // text, where CsvParser names the line the quote opened on. It also counts the CR of a CRLF
        // inside a quoted field as a line of its own. Otherwise: the same line.
        if ((theirs as { error: number }).error !== ref.error) {
          if (!text.includes('\r')) expect(ref.message, context).toContain('unterminated quoted field');
          expect((theirs as { error: number }).error, context).toBeGreaterThan(ref.error);
          openQuotes++;
        }
      } else {
        if (text.includes('"')) quoted++;
        expect(theirs, context).toEqual({ records: ref.records });
      }
    }
    // The generator really produced both kinds.
    expect(errors).toBeGreaterThan(500);
    expect(quoted).toBeGreaterThan(5000);
    expect(errors - openQuotes).toBeGreaterThan(200);
  });

  it('names the line of a stray quote after a multi-line quoted field, as CsvParser does', () => {
    const text = 'a,b\n"x\ny",z\nc,d"e\n';
    expect(byteScanner(text, mulberry32(1))).toEqual(reference(text));
    expect(reference(text)).toMatchObject({ error: 4 });
    expect(csvParse(text)).toEqual({ error: 4 });
  });
});
