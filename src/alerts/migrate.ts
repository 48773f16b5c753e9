import type Database from 'better-sqlite3';
import { readSqlFile } from '../sql-file.js';

/**
 * Upgrades a state database written by an older version, one step per version, each in one
 * transaction (a failure leaves the file as it was). state.sql is the version-1 baseline.
 */
const STEPS: { version: number; file: string }[] = [{ version: 2, file: 'state-v2.sql' }];

export function migrateState(db: Database.Database): void {
  for (const step of STEPS) {
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    if (Number(row?.value ?? 1) >= step.version) continue;
    const sql = readSqlFile(step.file, import.meta.url);
    db.transaction(() => db.exec(sql))();
  }
}
