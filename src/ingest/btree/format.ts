/**
 * The pieces of SQLite's file format (https://www.sqlite.org/fileformat2.html) that the direct
 * B-tree writer needs: varints, record encoding and page headers. Only what a table of whole
 * numbers and texts needs: no REAL values, no overflow pages.
 */

export const LEAF_TABLE = 0x0d;
export const INTERIOR_TABLE = 0x05;
export const LEAF_INDEX = 0x0a;
export const INTERIOR_INDEX = 0x02;

/** The largest payload kept on a table leaf page without overflow (U - 35). */
export const maxTablePayload = (pageSize: number): number => pageSize - 35;

/** Length of `v` (a whole number ≥ 0, at most 2^53) as a SQLite varint. */
export function varintLength(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  return 8; // up to 2^56, which covers every safe integer
}

/** Writes `v` (whole, 0 ≤ v < 2^56) as a SQLite varint (big-endian groups of 7 bits); returns the new offset. */
export function putVarint(buf: Uint8Array, at: number, v: number): number {
  if (v < 0x80) {
    buf[at] = v;
    return at + 1;
  }
  const n = varintLength(v);
  // 32-bit integer operations on two halves (a double's % is a slow library call): the low 4
  // groups (28 bits), then the rest.
  let high = v < 0x10000000 ? 0 : Math.floor(v / 0x10000000);
  let low = (v - high * 0x10000000) | 0;
  const lowGroups = Math.min(n, 4);
  for (let i = n - 1; i >= n - lowGroups; i--) {
    buf[at + i] = (low & 0x7f) | (i === n - 1 ? 0 : 0x80);
    low >>>= 7;
  }
  for (let i = n - 5; i >= 0; i--) {
    buf[at + i] = (high & 0x7f) | 0x80;
    high >>>= 7;
  }
  return at + n;
}

/** Reads a SQLite varint of at most 8 bytes (every value this writer makes); [value, new offset]. */
export function getVarint(buf: Uint8Array, at: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[at + i]!;
    v = v * 128 + (b & 0x7f);
    if (b < 0x80) return [v, at + i + 1];
  }
  throw new Error('varint longer than 8 bytes');
}

/**
 * The record serial type of a whole number, as SQLite picks it (the smallest that holds it; 8 and 9
 * for 0 and 1, schema format 4).
 */
export function intSerialType(v: number): number {
  if (v === 0) return 8;
  if (v === 1) return 9;
  const u = v < 0 ? -v - 1 : v;
  if (u < 0x80) return 1;
  if (u < 0x8000) return 2;
  if (u < 0x800000) return 3;
  if (u < 0x80000000) return 4;
  if (u < 0x800000000000) return 5;
  return 6;
}

const INT_BYTES = [0, 1, 2, 3, 4, 6, 8, 8, 0, 0];

/** Body bytes of a whole number of serial type `t` (1-6, 8, 9). */
export const intBytes = (t: number): number => INT_BYTES[t]!;

/** Writes whole number `v` big-endian two's complement in `n` bytes; returns the new offset. */
export function putInt(buf: Uint8Array, at: number, v: number, n: number): number {
  if (n <= 4) {
    // |v| < 2^31 here: 32-bit integer operations (two's complement comes for free).
    let x = v | 0;
    for (let i = n - 1; i >= 0; i--) {
      buf[at + i] = x & 0xff;
      x >>= 8;
    }
    return at + n;
  }
  // 6 or 8 bytes: a high and a low 32-bit half, exact for every safe integer.
  const high = Math.floor(v / 0x100000000);
  const low = (v - high * 0x100000000) >>> 0;
  let h = high | 0;
  for (let i = n - 5; i >= 0; i--) {
    buf[at + i] = h & 0xff;
    h >>= 8;
  }
  buf[at + n - 4] = low >>> 24;
  buf[at + n - 3] = (low >>> 16) & 0xff;
  buf[at + n - 2] = (low >>> 8) & 0xff;
  buf[at + n - 1] = low & 0xff;
  return at + n;
}

/** Writes the two digits of `v` (0-99) at `at`. */
function put2(buf: Uint8Array, at: number, v: number): void {
  const tens = (v / 10) | 0;
  buf[at] = 48 + tens;
  buf[at + 1] = 48 + v - 10 * tens;
}

/** Writes YYYYMMDDHHMMSS as the text 'YYYY-MM-DD HH:MM:SS' at `at`. */
export function putDateTime(buf: Uint8Array, at: number, key: number): void {
  // Two halves that fit 32-bit integers (a double's % is a slow library call).
  const date = Math.floor(key / 1_000_000);
  const time = key - date * 1_000_000;
  const year = (date / 10000) | 0;
  const md = date - year * 10000;
  const month = (md / 100) | 0;
  const hour = (time / 10000) | 0;
  const ms = time - hour * 10000;
  const minute = (ms / 100) | 0;
  put2(buf, at, (year / 100) | 0);
  put2(buf, at + 2, year % 100);
  buf[at + 4] = 45;
  put2(buf, at + 5, month);
  buf[at + 7] = 45;
  put2(buf, at + 8, md - month * 100);
  buf[at + 10] = 32;
  put2(buf, at + 11, hour);
  buf[at + 13] = 58;
  put2(buf, at + 14, minute);
  buf[at + 16] = 58;
  put2(buf, at + 17, ms - minute * 100);
}

export const u16 = (buf: Uint8Array, at: number): number => (buf[at]! << 8) | buf[at + 1]!;
export const u32 = (buf: Uint8Array, at: number): number => ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;

export function putU16(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v & 0xff;
}

export function putU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

/** The database header fields the writer reads and updates. */
export interface DbHeader {
  pageSize: number;
  pageCount: number;
}

/**
 * Reads the header of a database that SQLite has just closed, and refuses one this writer cannot
 * extend: reserved bytes per page, an encoding other than UTF-8, schema format below 4,
 * auto-vacuum, free pages, or a page count the header does not vouch for.
 */
export function readHeader(h: Uint8Array): DbHeader {
  const raw = u16(h, 16);
  const pageSize = raw === 1 ? 65536 : raw;
  const problems: string[] = [];
  if (h[20] !== 0) problems.push('reserved bytes per page');
  if (u32(h, 56) !== 1) problems.push('text encoding is not UTF-8');
  if (u32(h, 44) < 4) problems.push('schema format below 4');
  if (u32(h, 52) !== 0) problems.push('auto-vacuum');
  if (u32(h, 36) !== 0) problems.push('free pages');
  if (u32(h, 24) !== u32(h, 92)) problems.push('page count not valid');
  if (problems.length > 0) throw new Error(`database header not supported by the direct writer: ${problems.join(', ')}`);
  return { pageSize, pageCount: u32(h, 28) };
}

/** Sets the page count, with a new change counter that vouches for it (offsets 24, 28, 92). */
export function writeHeaderPageCount(h: Uint8Array, pageCount: number): void {
  const counter = (u32(h, 24) + 1) >>> 0;
  putU32(h, 24, counter);
  putU32(h, 28, pageCount);
  putU32(h, 92, counter);
}
