import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../src/cli.js';

/** Helpers for the init-db tests: run the CLI in-process with captured output and a temp env. */

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'ingest-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function runInitDb(
  args: string[],
  opts: { env?: Record<string, string>; interactive?: boolean; now?: number; cwd?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const work = opts.cwd ?? tempDir('ingest-cwd-');
  const code = await main(['node', 'anomaly', 'init-db', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { ANOMALY_LOG_DIR: join(work, 'logs'), ANOMALY_DB: join(work, 'anomaly.db'), ANOMALY_DATA_DIR: join(work, 'data'), ...opts.env },
    cwd: work,
    interactive: opts.interactive ?? false,
    now: () => opts.now ?? Date.UTC(2023, 0, 10, 12, 0, 0),
  });
  return { code, stdout, stderr };
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function query(dbPath: string, sql: string): Record<string, unknown>[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

export const TABLES = ['countries', 'orders', 'transactions', 'payments_aggregate', 'checkout_hourly', 'transaction_status', 'loads', 'meta'];

/** Every row of every table, in a stable order: equal dumps mean equal data. */
export function dumpAll(dbPath: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    out[t] = query(dbPath, `SELECT * FROM ${t}`)
      .map((r) => JSON.stringify(r))
      .sort();
  }
  return out;
}

/** Whether the CLI is built (`npm run build`; the pretest script builds): signal tests spawn it. */
export const REPO = new URL('../../', import.meta.url).pathname;
export const built = existsSync(new URL('../../dist/src/commands/init-db.js', import.meta.url));

/** Polls `cond` until it holds; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, everyMs = 10): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
