import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { LEAF_INDEX, LEAF_TABLE } from './format.js';
import { putU16 } from './format.js';

/** Writes `length` bytes of `buf` from `from` at file position `position`, however many writes it takes. */
export function writeAt(fd: number, buf: Uint8Array, from: number, length: number, position: number): void {
  for (let w = 0; w < length; ) w += writeSync(fd, buf, from + w, length - w, position + w);
}

/**
 * Where the pages a PageFile writes go in the database: page `first`, then every `stride`-th page
 * after it; or first the pages listed in `slots`, then `first` and on.
 */
export interface Placement {
  first: number;
  stride?: number;
  slots?: number[];
}

/** The page number of the `i`-th page written under `place`. */
export function placedPage(place: Placement, i: number): number {
  const slots = place.slots?.length ?? 0;
  return i < slots ? place.slots![i]! : place.first + (i - slots) * (place.stride ?? 1);
}

/**
 * Writes pages one after another, batched into few writes: into a new scratch file (later copied
 * into the database), or straight into the database where `place` says.
 */
export class PageFile {
  pages = 0;
  private readonly buf: Buffer;
  private held = 0;
  /** Index (in write order) of the first page held in `buf`. */
  private heldFrom = 0;
  private readonly fd: number;

  constructor(
    readonly path: string,
    readonly pageSize: number,
    private readonly place?: Placement,
  ) {
    this.fd = openSync(path, place === undefined ? 'w' : 'r+');
    this.buf = Buffer.alloc(pageSize * Math.max(1, Math.floor((1 << 20) / pageSize)));
  }

  write(page: Uint8Array): void {
    if (this.held === this.buf.length) this.flush();
    this.buf.set(page, this.held);
    this.held += this.pageSize;
    this.pages++;
  }

  private flush(): void {
    const size = this.pageSize;
    const count = this.held / size;
    // Pages that are neighbours in the file go out in one write.
    for (let a = 0; a < count; ) {
      const at = this.pageNo(this.heldFrom + a);
      let b = a + 1;
      while (b < count && this.pageNo(this.heldFrom + b) === at + (b - a)) b++;
      const bytes = (b - a) * size;
      writeAt(this.fd, this.buf, a * size, bytes, (at - 1) * size);
      a = b;
    }
    this.heldFrom += count;
    this.held = 0;
  }

  /** The page number of the `i`-th page written (a scratch file: its position + 1). */
  private pageNo(i: number): number {
    return this.place === undefined ? i + 1 : placedPage(this.place, i);
  }

  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

/**
 * A leaf page being filled: cells are placed from the page's end downwards, their pointers after
 * the 8-byte header, in key order. The page is handed to `out` when full.
 */
export class LeafPage {
  readonly page: Buffer;
  cells = 0;
  private content: number;
  private lastLength = 0;

  constructor(
    private readonly type: typeof LEAF_TABLE | typeof LEAF_INDEX,
    private readonly pageSize: number,
    private readonly out: PageFile,
  ) {
    this.page = Buffer.alloc(pageSize);
    this.content = pageSize;
  }

  /** Whether a cell of `n` bytes still fits. */
  fits(n: number): boolean {
    return 8 + 2 * (this.cells + 1) <= this.content - n;
  }

  /** Room for the next cell, of `length` bytes (the caller checked `fits`): its offset in `page`. */
  reserve(length: number): number {
    const at = (this.content -= length);
    this.page[8 + 2 * this.cells] = at >>> 8;
    this.page[9 + 2 * this.cells] = at & 0xff;
    this.cells++;
    this.lastLength = length;
    return at;
  }

  /** Copies a cell in (the caller checked `fits`). */
  add(cell: Uint8Array, length: number): void {
    const at = this.reserve(length);
    const page = this.page;
    for (let i = 0; i < length; i++) page[at + i] = cell[i]!;
  }

  /** Takes the last cell out again (once, after an `add`), returning a copy of it. */
  popLast(): Buffer {
    const cell = Buffer.from(this.page.subarray(this.content, this.content + this.lastLength));
    this.page.fill(0, this.content, this.content + this.lastLength);
    this.page.fill(0, 8 + 2 * (this.cells - 1), 8 + 2 * this.cells);
    this.content += this.lastLength;
    this.cells--;
    this.lastLength = 0;
    return cell;
  }

  /** Writes the header, hands the page to `out` and starts an empty one. */
  flush(): void {
    const p = this.page;
    p[0] = this.type;
    putU16(p, 1, 0); // no freeblocks
    putU16(p, 3, this.cells);
    putU16(p, 5, this.content === 65536 ? 0 : this.content);
    p[7] = 0; // no fragmented bytes
    this.out.write(p);
    p.fill(0);
    this.cells = 0;
    this.content = this.pageSize;
    this.lastLength = 0;
  }
}

/** Copies `pages` pages from the start of scratch file `from` into `fd` at page `firstPage` (1-based). */
export function copyPages(from: string, fd: number, firstPage: number, pages: number, pageSize: number): void {
  if (pages === 0) return;
  const src = openSync(from, 'r');
  try {
    const buf = Buffer.allocUnsafe(pageSize * Math.max(1, Math.floor((4 << 20) / pageSize)));
    const total = pages * pageSize;
    let done = 0;
    while (done < total) {
      const n = readSync(src, buf, 0, Math.min(buf.length, total - done), done);
      if (n === 0) throw new Error(`${from}: ended after ${done} of ${total} bytes`);
      writeAt(fd, buf, 0, n, (firstPage - 1) * pageSize + done);
      done += n;
    }
  } finally {
    closeSync(src);
  }
}
