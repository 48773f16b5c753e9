import { fromDbTime, toDbTime, toIso } from '../time.js';
import type { StateStore } from './store.js';

export interface SnoozeEntry {
  /** A check name or a fingerprint (`<check>:<key>`). */
  target: string;
  /** ISO. */
  until: string;
  reason: string | null;
  /** Who snoozed it (`--author`, default the OS user), as amtool records it. */
  author: string | null;
  createdAt: string;
}

/** State files written before `author` existed get the column (state.sql creates it in new ones). */
function ensureAuthorColumn(store: StateStore): void {
  const columns = store.db.prepare(`PRAGMA table_info(snoozes)`).all() as { name: string }[];
  if (!columns.some((c) => c.name === 'author')) store.db.exec(`ALTER TABLE snoozes ADD COLUMN author TEXT`);
}

/** Holds back notifications for `target` until `untilMs`; a second snooze of a target replaces the first. */
export function snooze(store: StateStore, target: string, untilMs: number, reason?: string, now: number = Date.now(), author?: string): void {
  ensureAuthorColumn(store);
  store.db
    .prepare(
      `INSERT INTO snoozes (target, until, reason, created_at, author) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (target) DO UPDATE SET until = excluded.until, reason = excluded.reason, created_at = excluded.created_at,
         author = excluded.author`,
    )
    .run(target, toDbTime(untilMs), reason ?? null, toDbTime(now), author ?? null);
}

/** Ends a snooze; false when `target` had none. */
export function unsnooze(store: StateStore, target: string): boolean {
  return store.db.prepare(`DELETE FROM snoozes WHERE target = ?`).run(target).changes > 0;
}

/** Snoozes still in force at `now`, soonest to end first. */
export function listSnoozes(store: StateStore, now: number): SnoozeEntry[] {
  ensureAuthorColumn(store);
  const rows = store.db
    .prepare(`SELECT target, until, reason, author, created_at FROM snoozes WHERE until > ? ORDER BY until, target`)
    .all(toDbTime(now)) as { target: string; until: string; reason: string | null; author: string | null; created_at: string }[];
  return rows.map((r) => ({
    target: r.target,
    until: toIso(fromDbTime(r.until)),
    reason: r.reason,
    author: r.author,
    createdAt: toIso(fromDbTime(r.created_at)),
  }));
}

/** The active snooze targets at `now`, for lookups during planning. */
export function activeSnoozeTargets(store: StateStore, now: number): Set<string> {
  const rows = store.db.prepare(`SELECT target FROM snoozes WHERE until > ?`).all(toDbTime(now)) as { target: string }[];
  return new Set(rows.map((r) => r.target));
}
