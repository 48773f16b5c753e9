import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Reads a `.sql` file of src/db. tsc does not copy `.sql` files into dist/, so when the compiled
 * module (dist/src/ingest) has none beside it, the same relative path under the repository's src/
 * is used.
 */
export function readDbSql(name: string): string {
  const beside = fileURLToPath(new URL(`../db/${name}`, import.meta.url));
  if (existsSync(beside)) return readFileSync(beside, 'utf8');
  const inSource = fileURLToPath(new URL(`../../../src/db/${name}`, import.meta.url));
  return readFileSync(inSource, 'utf8');
}
