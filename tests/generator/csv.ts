import { readFileSync } from 'node:fs';

/** Reads a generated CSV (no quoting is ever needed in it) into a header and row objects. */
export function readCsv(path: string): { header: string; rows: Record<string, string>[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const header = lines[0] ?? '';
  const cols = header.split(',');
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(',');
    if (cells.length !== cols.length) throw new Error(`${path}: ${cells.length} cells in ${JSON.stringify(line)}`);
    return Object.fromEntries(cols.map((c, i) => [c, cells[i]!]));
  });
  return { header, rows };
}

/** Parses the stored `YYYY-MM-DD HH:MM:SS` (UTC) form. */
export const dbMs = (s: string): number => Date.parse(s.replace(' ', 'T') + 'Z');
