import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { DataError, InputMissingError } from '../errors.js';
import { CsvParser } from './csv-parser.js';
import type { RecordHandler } from './csv-parser.js';
import { firstInvalidUtf8, incompleteTailLength, isValidUtf8 } from './utf8.js';

/**
 * Streams a CSV file through UTF-8 validation and the CSV parser. Memory stays at about one chunk
 * whatever the file size. Also hashes the raw bytes (sha256) for the `loads` table.
 */

const CHUNK = 1 << 20;
const PIECE = 64 << 10;

export interface StreamStats {
  bytes: number;
  sha256: string;
}

export interface StreamOptions {
  /** Shown in error messages. */
  display: string;
  onRecord: RecordHandler;
  /** Called after each chunk with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
  /** Gives the parser the header names (for error messages) once known. */
  parserRef?: (parser: CsvParser) => void;
}

export async function streamRecords(path: string, opts: StreamOptions): Promise<StreamStats> {
  const parser = new CsvParser(opts.display, opts.onRecord);
  opts.parserRef?.(parser);
  const hash = createHash('sha256');
  // One buffer for the whole file (a fresh Buffer per chunk would pile up outside the JS heap
  // until a GC, costing tens of MB of RSS). Its head holds the carried-over partial character.
  const buf = Buffer.allocUnsafe(CHUNK + 4);
  let carry = 0;
  let offset = 0; // file offset of buf[0]
  let first = true;
  // O_NONBLOCK: should the file have been swapped for a named pipe since it was examined, opening
  // it must not wait for a writer; fstat then refuses it.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new InputMissingError(`${opts.display} is not a regular file (it changed while init-db ran); nothing was changed`);
    for (;;) {
      const { bytesRead } = await handle.read(buf, carry, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(carry, carry + bytesRead));
      const len = carry + bytesRead;
      let start = 0;
      if (first) {
        first = false;
        // A UTF-8 byte-order mark is not part of the first header name.
        if (len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
      }
      const tail = incompleteTailLength(buf.subarray(0, len));
      const end = len - tail;
      const body = buf.subarray(start, end);
      if (!isValidUtf8(body)) throw utf8Error(path, opts.display, offset + start + firstInvalidUtf8(body));
      // Decoded in pieces below V8's large-object size, so the strings die young and cheaply.
      for (let at = 0; at < body.length; ) {
        let to = Math.min(body.length, at + PIECE);
        while (to < body.length && (body[to]! & 0xc0) === 0x80) to++; // not inside a character
        parser.push(body.toString('utf8', at, to));
        at = to;
      }
      buf.copy(buf, 0, end, len);
      carry = tail;
      offset += end;
      opts.onProgress?.(offset + tail);
    }
  } finally {
    await handle.close();
  }
  if (carry > 0) throw utf8Error(path, opts.display, offset); // the file ends inside a character
  parser.end();
  return { bytes: offset, sha256: hash.digest('hex') };
}

/** Builds the error for an invalid byte at file offset `at`: physical line and byte column. */
export function utf8Error(path: string, display: string, at: number): DataError {
  const fd = openSync(path, 'r');
  let line = 1;
  let lineStart = 0;
  const bytes = Buffer.alloc(CHUNK);
  let bad = 0;
  try {
    for (let pos = 0; pos <= at; ) {
      const n = readSync(fd, bytes, 0, Math.min(CHUNK, at + 1 - pos), pos);
      if (n <= 0) break;
      for (let i = 0; i < n; i++) {
        if (pos + i === at) bad = bytes[i]!;
        else if (bytes[i] === 10) {
          line++;
          lineStart = pos + i + 1;
        }
      }
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  const hex = '0x' + bad.toString(16).toUpperCase().padStart(2, '0');
  return new DataError(
    { file: display, line, column: `byte ${at - lineStart + 1}`, value: hex },
    `invalid UTF-8 (byte ${hex} does not start a valid character or the sequence is cut short); save the file as UTF-8`,
  );
}

/** The sha256 of a file's bytes, streamed (what `loads` records to recognise a file loaded before). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
