import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

/**
 * Row counts of some tables in the database init-db is about to replace, so that its output can say
 * when a table that held rows becomes empty. Best effort: a missing or unreadable database gives
 * no counts (init-db replaces it anyway).
 */
export function previousRowCounts(dbPath: string, tables: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  if (tables.length === 0 || !existsSync(dbPath)) return counts;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    for (const table of tables) {
      try {
        // Table names come from tables.ts, never from input.
        const row = db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number };
        counts.set(table, row.n);
      } catch {
        // no such table in an older database
      }
    }
  } catch {
    // not a database we can read: nothing to compare with
  } finally {
    db?.close();
  }
  return counts;
}
