import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const BUFFER_BYTES = 1 << 20;
/** Longest row accepted; a row never comes near it (the widest is ~170 bytes). */
const MAX_ROW = 4096;

/**
 * Buffered, streaming CSV file writer. Rows are copied straight into one reused byte buffer
 * (every generated value is ASCII), which keeps the garbage collector out of the hot loop, and
 * go to `<file>.tmp`, renamed into place on close so an interrupted run never leaves a
 * half-written file under the real name.
 */
export class CsvWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private closed = false;
  rows = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    header: string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path + '.tmp', 'w');
    this.put(header);
  }

  /** Appends one row; `line` must be ASCII, without the trailing newline. */
  row(line: string): void {
    this.put(line);
    this.rows++;
  }

  private put(line: string): void {
    if (line.length > MAX_ROW) throw new RangeError(`CSV row of ${line.length} characters in ${this.path}`);
    if (this.used + line.length + 1 > BUFFER_BYTES) this.flush();
    this.used += this.buf.write(line, this.used, 'latin1');
    this.buf[this.used++] = 0x0a;
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.bytes += this.used;
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    renameSync(this.path + '.tmp', this.path);
    this.closed = true;
  }
}
