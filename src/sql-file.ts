import { existsSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Reads a `.sql` file that sits next to the calling module. `tsc` does not copy `.sql` files into
 * dist/, so when the module runs from dist/src/... the same relative path under src/ is used.
 */
export function readSqlFile(name: string, moduleUrl: string): string {
  const beside = fileURLToPath(new URL('./' + name, moduleUrl));
  if (existsSync(beside)) return readFileSync(beside, 'utf8');
  const marker = `${sep}dist${sep}src${sep}`;
  const idx = beside.lastIndexOf(marker);
  if (idx >= 0) {
    const inSource = beside.slice(0, idx) + `${sep}src${sep}` + beside.slice(idx + marker.length);
    if (existsSync(inSource)) return readFileSync(inSource, 'utf8');
  }
  throw new Error(`SQL file ${name} not found next to ${fileURLToPath(moduleUrl)} (nor under src/)`);
}
