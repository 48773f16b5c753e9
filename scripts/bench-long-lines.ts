/**
 * Figures for the CSV reader on long lines (issue 8: a line without a newline used to take
 * quadratic time, 8 MB 4.6 s and 64 MB 98 s). Prints the time to read 8 MB and 64 MB files of:
 *   - one line without a newline (now refused once it passes the 1 MiB record cap),
 *   - unquoted lines just under the cap,
 *   - quoted fields just under the cap that span many short lines,
 *   - ordinary short lines, for reference;
 * and the 64 MB / 8 MB time ratio (≈ 8 when linear). Reads through streamRecords (UTF-8 check,
 * hashing, CSV parsing), without SQLite. Nothing here passes or fails.
 *   npm run build && node dist/scripts/bench-long-lines.js [sizesMB=8,64]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_RECORD_CHARS } from '../src/ingest/csv-parser.js';
import { streamRecords } from '../src/ingest/read-records.js';

const MB = 1_000_000;
const sizes = (process.argv[2] ?? '8,64').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'bench-long-lines-'));

type Shape = { name: string; make: (bytes: number) => string };
const nearCap = MAX_RECORD_CHARS - 100;
const shapes: Shape[] = [
  { name: 'one line, no newline', make: (bytes) => 'a,b\n' + 'x'.repeat(bytes) },
  {
    name: 'unquoted lines of 1 MiB - 100',
    make: (bytes) => 'a,b\n' + `1,${'x'.repeat(nearCap - 2)}\n`.repeat(Math.max(1, Math.round(bytes / nearCap))),
  },
  {
    name: 'quoted fields of 1 MiB - 100 over 80-char lines',
    make: (bytes) => {
      const field = ('y'.repeat(79) + '\n').repeat(Math.floor((nearCap - 4) / 80));
      return 'a,b\n' + `1,"${field}"\n`.repeat(Math.max(1, Math.round(bytes / field.length)));
    },
  },
  { name: 'short lines (reference)', make: (bytes) => 'a,b\n' + '12345,2023-05-15 10:00:00\n'.repeat(Math.round(bytes / 26)) },
];

console.log(`node ${process.version}; record cap ${MAX_RECORD_CHARS} characters; files in ${dir}`);
try {
  for (const shape of shapes) {
    const times: number[] = [];
    for (const size of sizes) {
      const path = join(dir, 'f.csv');
      const text = shape.make(size * MB);
      writeFileSync(path, text);
      let records = 0;
      let outcome = '';
      const started = performance.now();
      try {
        await streamRecords(path, { display: path, onRecord: () => void records++ });
        outcome = `${records} records`;
      } catch (error) {
        outcome = `refused: ${String((error as Error).message).replace(path, 'f.csv').slice(0, 70)}…`;
      }
      const ms = performance.now() - started;
      times.push(ms);
      console.log(`${shape.name.padEnd(48)} ${String(size).padStart(4)} MB  ${ms.toFixed(0).padStart(7)} ms  ${outcome}`);
    }
    if (times.length >= 2) {
      console.log(`${''.padEnd(48)} ratio ${sizes.at(-1)}/${sizes[0]} MB: ×${(times.at(-1)! / times[0]!).toFixed(1)}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
