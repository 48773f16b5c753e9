import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/detect/random.js';
import { getVarint, intBytes, intSerialType, putDateTime, putInt, putVarint, varintLength } from '../../src/ingest/btree/format.js';
import { directLayout } from '../../src/ingest/btree/layout.js';
import type { DirectLayout } from '../../src/ingest/btree/layout.js';
import { dateTimeKey } from '../../src/ingest/btree/row-writer.js';
import { mergeRuns, RunWriter, sortOrder } from '../../src/ingest/btree/runs.js';
import { DateParser } from '../../src/ingest/dates.js';
import { loadDirect } from '../../src/ingest/direct-load.js';
import { readSqlFile } from '../../src/sql-file.js';
import { TRANSACTIONS } from '../../src/ingest/tables.js';
import { tempDir } from './cli-harness.js';

/**
 * The direct B-tree writer (src/ingest/btree, direct-load.ts) writes SQLite's file format itself, so
 * what it writes is checked by SQLite: PRAGMA integrity_check (page structure, key order, every index
 * entry matching its row, counts), and the rows and index entries read back equal to what SQLite's
 * own INSERT stores from the same rows. Small pages (1 KiB) and small sorted runs give deep trees
 * and many-way merges from a few thousand rows; both halves run in this thread (`inline`).
 */

const TYPES = ['auth', 'settle', 'void', 'refund'];

interface Row {
  id: number;
  created: string;
  type: string;
  order: number;
  status: string;
}

/** Seeded rows in ascending id order: ids with gaps up to huge values, unordered order ids and times. */
function makeRows(n: number, seed: number, opts: { orderedTimes?: boolean } = {}): Row[] {
  const rnd = mulberry32(seed);
  const rows: Row[] = [];
  let id = Math.floor(rnd() * 5);
  let t = Date.UTC(2023, 4, 1);
  for (let i = 0; i < n; i++) {
    // Mostly small steps; now and then a jump into 2, 3, 4, 6 and 8-byte rowids.
    id += rnd() < 0.002 ? Math.floor(rnd() * 2 ** (8 + Math.floor(rnd() * 44))) : 1 + Math.floor(rnd() * 3);
    if (id > Number.MAX_SAFE_INTEGER - 100) id = Number.MAX_SAFE_INTEGER - (n - i);
    t = opts.orderedTimes ? t + Math.floor(rnd() * 3000) : Date.UTC(2023, 4, 1) + Math.floor(rnd() * 86_400_000 * 400);
    const order = rnd() < 0.01 ? -Math.floor(rnd() * 2 ** 40) : rnd() < 0.02 ? Math.floor(rnd() * 2 ** 50) : Math.max(0, id % 1_000_003) - Math.floor(rnd() * 500);
    rows.push({ id, created: new Date(t).toISOString().slice(0, 19).replace('T', ' '), type: TYPES[Math.floor(rnd() * 4)]!, order, status: rnd() < 0.9 ? 'success' : 'fail' });
  }
  return rows;
}

function csvOf(rows: Row[]): string {
  return 'id,created_date,transaction_type,order_id,transaction_status\n' + rows.map((r) => `${r.id},${r.created},${r.type},${r.order},${r.status}\n`).join('');
}

/** A database as init-db starts one (schema and indexes, empty), with `pageSize` pages. */
function emptyDb(path: string, pageSize: number, indexes = true): DirectLayout {
  const db = new Database(path);
  try {
    db.pragma(`page_size = ${pageSize}`);
    db.pragma('journal_mode = OFF');
    db.exec(readSqlFile('../db/schema.sql', new URL('../../src/ingest/build-db.ts', import.meta.url).href));
    if (indexes) db.exec(readSqlFile('../db/indexes.sql', new URL('../../src/ingest/build-db.ts', import.meta.url).href));
    const layout = directLayout(db, TRANSACTIONS);
    if (typeof layout === 'string') throw new Error(layout);
    return layout;
  } finally {
    db.close();
  }
}

/** Loads `csv` into the empty database at `path` with the direct writer, both halves in this thread. */
async function loadDirectly(path: string, csv: string, layout: DirectLayout, runRows: number) {
  const text = readFileSync(csv, 'utf8');
  const header = text.slice(0, text.indexOf('\n')).split(',');
  const split = text.indexOf('\n', text.length >> 1) + 1;
  const dates = new DateParser('UTC', '2023-05-01');
  return loadDirect({
    target: { spec: TRANSACTIONS, path: csv, display: 'transactions.csv', source: null },
    dates,
    bytes: Buffer.byteLength(text),
    plan: { split: Buffer.byteLength(text.slice(0, split)), header },
    tmp: path,
    layout,
    inline: true,
    runRows,
  });
}

/** The same rows inserted by SQLite itself. */
function insertedBySqlite(path: string, rows: Row[], pageSize: number, indexes = true): void {
  emptyDb(path, pageSize, indexes);
  const db = new Database(path);
  try {
    const insert = db.prepare('INSERT INTO transactions VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const r of rows) insert.run(r.id, r.created, r.type, r.order, r.status);
    })();
  } finally {
    db.close();
  }
}

function read(path: string, sql: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).raw(true).all();
  } finally {
    db.close();
  }
}

/** A direct load of `rows` into a fresh database (1 KiB pages, runs of 100) that is expected to give up. */
async function loadRefused(rows: Row[]) {
  const dir = tempDir('direct-');
  try {
    const csv = join(dir, 'transactions.csv');
    writeFileSync(csv, csvOf(rows));
    const path = join(dir, 'direct.db');
    const layout = emptyDb(path, 1024);
    const before = readFileSync(path);
    const result = await loadDirectly(path, csv, layout, 100);
    return { result, unchanged: readFileSync(path).equals(before), sound: JSON.stringify(read(path, 'PRAGMA integrity_check')) === '[["ok"]]' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SAME = [
  'SELECT * FROM transactions ORDER BY id',
  // Each index read on its own (covering scans), in its order.
  'SELECT created_date, id FROM transactions INDEXED BY transactions_created_date ORDER BY created_date, id',
  'SELECT order_id, id FROM transactions INDEXED BY transactions_order_id ORDER BY order_id, id',
  'SELECT count(*) FROM transactions INDEXED BY transactions_order_id WHERE order_id > 0',
  "SELECT count(*), min(id) FROM transactions INDEXED BY transactions_created_date WHERE created_date BETWEEN '2023-06-01' AND '2023-09-01'",
];

describe('the direct B-tree writer', () => {
  it.each([
    ['times in order, 16 KiB pages, one run per half', 3_000, 16384, 1 << 16, true],
    ['unordered times and order ids, 1 KiB pages (deep trees), many small runs', 20_000, 1024, 700, false],
    ['512-byte pages, runs of 64', 4_000, 512, 64, false],
  ] as const)('%s: SQLite finds the file sound and reads back what its own INSERT stores', async (_what, n, pageSize, runRows, orderedTimes) => {
    const dir = tempDir('direct-');
    const rows = makeRows(n, n + pageSize, { orderedTimes });
    const csv = join(dir, 'transactions.csv');
    writeFileSync(csv, csvOf(rows));
    const direct = join(dir, 'direct.db');
    const layout = emptyDb(direct, pageSize);
    const result = await loadDirectly(direct, csv, layout, runRows);
    expect(result).toMatchObject({ ok: true, rows: n });
    expect(read(direct, 'PRAGMA integrity_check')).toEqual([['ok']]);
    const reference = join(dir, 'sqlite.db');
    insertedBySqlite(reference, rows, pageSize);
    for (const sql of SAME) expect(read(direct, sql), sql).toEqual(read(reference, sql));
    // The database keeps working: SQLite can add to it, and stays sound.
    const db = new Database(direct);
    db.prepare('INSERT INTO transactions VALUES (?, ?, ?, ?, ?)').run(Number.MAX_SAFE_INTEGER, '2030-01-01 00:00:00', 'auth', 5, 'fail');
    db.close();
    expect(read(direct, 'PRAGMA integrity_check')).toEqual([['ok']]);
    expect(read(direct, 'SELECT count(*) FROM transactions')).toEqual([[n + 1]]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts the pages the two halves leave between their leaves on the free list when no index takes them', async () => {
    const dir = tempDir('direct-');
    // Short US dates in the first half, long ISO ones in the second: more rows, so more leaves, in
    // the first half's bytes; the second half's alternate pages run out first.
    const rows = makeRows(6_000, 5, { orderedTimes: true });
    const text = (r: Row, i: number) => (i < 3_000 ? `${r.id},${Number(r.created.slice(5, 7))}/${Number(r.created.slice(8, 10))}/23 ${Number(r.created.slice(11, 13))}:${r.created.slice(14, 16)},${r.type},${r.order},${r.status}` : `${r.id},${r.created},${r.type},${r.order},${r.status}`);
    rows.forEach((r, i) => i < 3_000 && (r.created = r.created.slice(0, 16) + ':00'));
    const csv = join(dir, 'transactions.csv');
    writeFileSync(csv, 'id,created_date,transaction_type,order_id,transaction_status\n' + rows.map((r, i) => text(r, i) + '\n').join(''));
    const direct = join(dir, 'direct.db');
    const layout = emptyDb(direct, 1024, false);
    expect(layout.indexes).toEqual([]);
    expect(await loadDirectly(direct, csv, layout, 500)).toMatchObject({ ok: true, rows: 6_000 });
    expect(read(direct, 'PRAGMA integrity_check')).toEqual([['ok']]);
    expect((read(direct, 'PRAGMA freelist_count')[0] as number[])[0]).toBeGreaterThan(10);
    const reference = join(dir, 'sqlite.db');
    insertedBySqlite(reference, rows.map((r) => ({ ...r, created: r.created })), 1024, false);
    expect(read(direct, 'SELECT * FROM transactions ORDER BY id')).toEqual(read(reference, 'SELECT * FROM transactions ORDER BY id'));
    rmSync(dir, { recursive: true, force: true });
  });

  // 8,000 rows (about 360 KB): the rows changed lie beyond the first 64 KiB of each half, which are
  // looked at before any thread starts (the first case), so the writer itself finds the others.
  it.each([
    ['an id lower than the one before, at the start', (rows: Row[]) => ([rows[50], rows[51]] = [rows[51]!, rows[50]!]), 'ids not in ascending order'],
    ['an id lower than the one before', (rows: Row[]) => ([rows[3000], rows[3001]] = [rows[3001]!, rows[3000]!]), 'ids not in ascending order'],
    ['a repeated id', (rows: Row[]) => (rows[3500]!.id = rows[3499]!.id), 'ids not in ascending order'],
    ['an id lower than the one before, near the end', (rows: Row[]) => (rows[rows.length - 1]!.id = 1), 'ids not in ascending order'],
  ])('gives up on %s, leaving the database as it was', async (_what, change, reason) => {
    const rows = makeRows(8_000, 7, { orderedTimes: true });
    change(rows);
    const refused = await loadRefused(rows);
    expect(refused.result.ok).toBe(false);
    expect((refused.result as { reason: string }).reason).toContain(reason);
    // Pages written past the end are cut off again: SQLite carries on with the same file.
    expect(refused.unchanged).toBe(true);
    expect(refused.sound).toBe(true);
  });
});

describe('the direct writer, halves out of order', () => {
  it('gives up when the second half starts below the end of the first (each in order)', async () => {
    // Enough rows that the look at each half's first 64 KiB before starting sees nothing wrong.
    const rows = makeRows(8_000, 8, { orderedTimes: true });
    // Same-width ids, so the cut (the first line end after the middle byte) stays where it is.
    rows.forEach((r, i) => (r.id = 2_000_000 + i));
    const text = csvOf(rows);
    const split = text.indexOf('\n', text.length >> 1) + 1;
    const firstHalf = text.slice(0, split).split('\n').length - 2; // data rows before the cut
    rows.forEach((r, i) => (r.id = i < firstHalf ? 2_000_000 + i : 1_000_000 + i));
    const refused = await loadRefused(rows);
    expect(refused.result).toEqual({ ok: false, reason: `ids not in ascending order across the two halves (${1_000_000 + firstHalf} after ${2_000_000 + firstHalf - 1})` });
    expect(refused.unchanged).toBe(true);
  });
});

describe('the direct writer\'s pieces', () => {
  it('writes varints and whole numbers as SQLite reads them', () => {
    const buf = new Uint8Array(16);
    for (let bits = 0; bits <= 53; bits++) {
      for (const v of [2 ** bits - 1, 2 ** bits, Math.min(Number.MAX_SAFE_INTEGER, 2 ** bits + 1)]) {
        const end = putVarint(buf, 0, v);
        expect(end).toBe(varintLength(v));
        expect(getVarint(buf, 0)).toEqual([v, end]);
        for (const x of [v, -v, -v - 1].filter(Number.isSafeInteger)) {
          const n = intBytes(intSerialType(x));
          putInt(buf, 0, x, n);
          let big = 0n;
          for (let i = 0; i < n; i++) big = (big << 8n) | BigInt(buf[i]!);
          expect(n === 0 ? BigInt(intSerialType(x) - 8) : BigInt.asIntN(8 * n, big)).toBe(BigInt(x));
        }
      }
    }
  });

  it('turns date-times into sortable numbers and back', () => {
    const buf = Buffer.alloc(19);
    for (const s of ['2023-05-01 00:00:00', '1970-01-01 00:00:00', '2200-12-31 23:59:59', '2024-02-29 12:07:09']) {
      putDateTime(buf, 0, dateTimeKey(s));
      expect(buf.toString('latin1')).toBe(s);
    }
    expect(dateTimeKey('2023-05-01T00:00:00')).toBe(-1);
    expect(dateTimeKey('2023-05-01 00:00')).toBe(-1);
    expect(dateTimeKey('2023-05-01 0a:00:00')).toBe(-1);
    const dates = new DateParser('Europe/Paris', '2023-05-01');
    for (const raw of ['5/1/23 0:00', '2023-03-26 02:30', '2023-10-29 02:30:15', '2023-05-01T10:00:00Z']) {
      expect(dates.dateTimeNumber(raw)).toBe(dateTimeKey(dates.dateTime(raw)!));
    }
    expect(dates.dateTimeNumber('2023-02-30 10:00')).toBeUndefined();
  });

  it('sorts a run by key, keeping equal keys in place, on every path', () => {
    const rnd = mulberry32(3);
    for (const span of [1000, 2 ** 33, 2 ** 45, 2 ** 52]) {
      const n = 5000;
      const keys = Float64Array.from({ length: n }, () => Math.floor(rnd() * span) - span / 2);
      const order = sortOrder(keys, n)!;
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
      expect(Array.from(order)).toEqual(expected);
    }
    expect(sortOrder(Float64Array.from([1, 1, 2, 5]), 4)).toBeUndefined();
  });

  it('merges runs from two halves in (key, rowid) order', () => {
    const dir = tempDir('direct-');
    const rnd = mulberry32(9);
    const halves = [0, 1].map((h) => {
      const w = new RunWriter([join(dir, `r${h}`)], 97);
      for (let i = 0; i < 1000; i++) {
        w.key(0, Math.floor(rnd() * 300));
        w.row(h * 10_000 + i);
      }
      w.finish();
      return w.runs[0]!;
    });
    const got: [number, number][] = [];
    mergeRuns([...halves[0]!, ...halves[1]!], (k, r) => got.push([k, r]));
    expect(got).toHaveLength(2000);
    const sorted = [...got].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(got).toEqual(sorted);
    rmSync(dir, { recursive: true, force: true });
  });
});
