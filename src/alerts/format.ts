import { DAY, HOUR, MINUTE } from '../time.js';

/** `2h 10m`, `3d 4h`, `45m`, `30s`: the two largest non-zero units. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000)) * 1000;
  if (total < MINUTE) return `${total / 1000}s`;
  const parts: string[] = [];
  let rest = total;
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join(' ');
}

/** A plain-text table: left-aligned columns two spaces apart, for command output. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
