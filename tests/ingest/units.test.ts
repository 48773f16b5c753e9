import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvParser, MAX_RECORD_CHARS } from '../../src/ingest/csv-parser.js';
import { DateParser } from '../../src/ingest/dates.js';
import { streamRecords } from '../../src/ingest/read-records.js';
import { firstInvalidUtf8, incompleteTailLength } from '../../src/ingest/utf8.js';
import { tempDir } from './cli-harness.js';

function parseAll(pieces: string[]): [string[], number][] {
  const out: [string[], number][] = [];
  const p = new CsvParser('t.csv', (fields, line) => out.push([fields, line]));
  for (const piece of pieces) p.push(piece);
  p.end();
  return out;
}

describe('CsvParser', () => {
  const text = 'a,b,c\r\n1,"x, ""y""",3\n\n2,"multi\nline\r\nfield",4\n5,,"6"';
  const expected: [string[], number][] = [
    [['a', 'b', 'c'], 1],
    [['1', 'x, "y"', '3'], 2],
    [['2', 'multi\nline\r\nfield', '4'], 4],
    [['5', '', '6'], 7],
  ];

  it('parses quotes, doubled quotes, quoted newlines and physical line numbers', () => {
    expect(parseAll([text])).toEqual(expected);
  });

  it('gives the same records however the text is cut into chunks', () => {
    for (let cut = 1; cut < text.length; cut++) {
      expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    }
    expect(parseAll(text.split(''))).toEqual(expected);
  });

  /** `text` cut into pieces of `size` characters, as the reader hands them over. */
  const pieces = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

  it('accepts a line or a quoted record of exactly MAX_RECORD_CHARS characters, however cut', () => {
    const line = 'a,' + 'x'.repeat(MAX_RECORD_CHARS - 2);
    const quoted = 'a,"' + 'y\n'.repeat((MAX_RECORD_CHARS - 4) / 2) + '"';
    expect(quoted).toHaveLength(MAX_RECORD_CHARS);
    for (const size of [65_536, 100_003]) {
      const out = parseAll(pieces(`h,i\n${line}\n${quoted}\nz,1\n`, size));
      expect(out.map(([fields, ln]) => [fields[0], fields[1]!.length, ln])).toEqual([
        ['h', 1, 1],
        ['a', MAX_RECORD_CHARS - 2, 2],
        ['a', MAX_RECORD_CHARS - 4, 3],
        ['z', 1, 4 + (MAX_RECORD_CHARS - 4) / 2],
      ]);
    }
  });

  it.each([
    ['an unquoted line', (n: number) => 'a,' + 'x'.repeat(n - 2) + '\n'],
    ['a line without a final newline', (n: number) => 'a,' + 'x'.repeat(n - 2)],
    ['a quoted field spanning lines', (n: number) => 'a,"' + 'y\n'.repeat(n / 2) + '"\n'],
    ['an unterminated quoted field', (n: number) => 'a,"' + 'y\n'.repeat(n / 2)],
  ])('refuses %s one character over the cap, naming the line it starts on', (_name, make) => {
    for (const size of [65_536, 1 << 20]) {
      const text = 'h,i\n1,2\n' + make(MAX_RECORD_CHARS + 2);
      expect(() => parseAll(pieces(text, size))).toThrow(`t.csv:3: record longer than ${MAX_RECORD_CHARS} characters`);
    }
  });

  it('quotes no file content in errors before the header is accepted', () => {
    expect(() => parseAll(['secret"x,y\n'])).toThrow(/^t\.csv:1, column field 1: stray quote/);
    expect(() => parseAll(['"secret\n'])).toThrow(/^t\.csv:1, column field 1: unterminated quoted field/);
  });
});

describe('DateParser', () => {
  const utc = new DateParser('UTC', '2023-01-10');
  it.each([
    ['2023-05-15', '2023-05-15 00:00:00'],
    ['2023-05-15 17:48', '2023-05-15 17:48:00'],
    ['2023-05-15T17:48:09', '2023-05-15 17:48:09'],
    ['2023-05-15T17:48:09.123Z', '2023-05-15 17:48:09'],
    ['2023-05-15T17:48:09-03:00', '2023-05-15 20:48:09'],
    ['2023-05-16 01:30+0200', '2023-05-15 23:30:00'],
    ['5/15/23 17:48', '2023-05-15 17:48:00'],
    ['5/6/2023 7:08:05', '2023-05-06 07:08:05'],
    ['12/31/99 23:59', '2099-12-31 23:59:00'],
  ])('reads %s', (input, output) => {
    expect(utc.dateTime(input)).toBe(output);
  });

  it.each(['2023-5-15', '2023-05-15 24:00', '2/29/23 10:00', '5/15/123 1:00', '2023-05-15T10:00+1', '15.05.2023', '', '2023-05-15 10:00 PM'])(
    'rejects %j',
    (input) => {
      expect(utc.dateTime(input)).toBeUndefined();
    },
  );

  it('converts wall-clock times across a DST change and does not let the minute cache leak between rows', () => {
    const ny = new DateParser('America/New_York', '2023-03-12');
    expect(ny.dateTime('2023-03-11 12:00:30')).toBe('2023-03-11 17:00:30'); // EST, UTC-5
    expect(ny.dateTime('2023-03-12 12:00:45')).toBe('2023-03-12 16:00:45'); // EDT, UTC-4
    expect(ny.dateTime('2023-03-12 12:00:05')).toBe('2023-03-12 16:00:05');
    expect(ny.hourOfDay('08h')).toBe('2023-03-12 12:00:00');
    expect(ny.minuteOfDay('14h 33')).toBe('2023-03-12 18:33:00');
  });
});

describe('UTF-8 checks', () => {
  it('finds where a multi-byte sequence is cut at a chunk end', () => {
    const euro = Buffer.from('ab€', 'utf8'); // € is 3 bytes
    expect(incompleteTailLength(euro)).toBe(0);
    expect(incompleteTailLength(euro.subarray(0, 4))).toBe(2);
    expect(incompleteTailLength(euro.subarray(0, 3))).toBe(1);
  });

  it('names the offset of the first invalid byte', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo', 'utf8'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3, 0x28]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // a UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xf0, 0x9f]))).toBe(2);
  });

  it('reads a character that straddles the 1 MiB read chunks intact', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'big.csv');
    const filler = 'x'.repeat((1 << 20) - 'id,name\n1,'.length - 1);
    writeFileSync(path, `id,name\n1,${filler}€\n2,ok\n`);
    const rows: string[][] = [];
    await streamRecords(path, { display: path, onRecord: (f) => rows.push(f) });
    expect(rows).toHaveLength(3);
    expect(rows[1]![1]!.endsWith('x€')).toBe(true);
    expect(rows[2]).toEqual(['2', 'ok']);
  });
});

describe('enumerations and index order', () => {
  it('stores enumerations (sent as value indexes) as their text, and refuses anything else', async () => {
    const { default: Database } = await import('better-sqlite3');
    const { Inserter, BATCH_ROWS } = await import('../../src/ingest/inserter.js');
    const { TRANSACTIONS } = await import('../../src/ingest/tables.js');
    const { readSqlFile } = await import('../../src/sql-file.js');
    const db = new Database(':memory:');
    db.exec(readSqlFile('db/schema.sql', new URL('../../src/', import.meta.url).href));
    const ins = new Inserter(db, TRANSACTIONS);
    const convert = TRANSACTIONS.columns.map((c) => c.kind.make(new DateParser('UTC', '2023-05-01')));
    const rows = Array.from({ length: BATCH_ROWS + 1 }, (_, i) => [String(i + 1), '2023-05-01 10:00', ['auth', 'settle', 'void', 'refund'][i % 4]!, '7', i % 2 ? 'fail' : 'success']);
    const values = rows.flatMap((r) => r.map((raw, c) => convert[c]!(raw)));
    const lines = Int32Array.from(rows, (_, i) => i + 2);
    ins.insert(values.slice(0, BATCH_ROWS * 5), BATCH_ROWS, lines, 0);
    ins.insert(values.slice(BATCH_ROWS * 5), 1, lines, BATCH_ROWS);
    const got = db.prepare('SELECT transaction_type t, transaction_status s, typeof(transaction_type) tt FROM transactions ORDER BY id').all() as { t: string; s: string; tt: string }[];
    expect(got.map((r) => [r.t, r.s, r.tt])).toEqual(rows.map((r) => [r[2], r[4], 'text']));
    let caught: unknown;
    try {
      ins.insert([9999, '2023-05-01 10:00:00', 4, 7, 0], 1, lines, 0);
    } catch (error) {
      caught = error;
    }
    expect(String(((caught as { cause?: unknown } | undefined)?.cause as Error | undefined)?.message)).toMatch(/NOT NULL/);
    db.close();
  });

  it('builds only the transactions created_date index during the load', async () => {
    const { splitIndexSql } = await import('../../src/ingest/build-db.js');
    const { readSqlFile } = await import('../../src/sql-file.js');
    const { before, after } = splitIndexSql(readSqlFile('db/indexes.sql', new URL('../../src/', import.meta.url).href));
    expect(before).toEqual(['CREATE INDEX transactions_created_date ON transactions (created_date)']);
    expect(after).toHaveLength(4);
    expect(after.join(';')).not.toMatch(/--|transactions \(created_date\)/);
  });
});
