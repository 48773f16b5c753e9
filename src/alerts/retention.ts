import { statSync } from 'node:fs';
import type { Logger } from '../log.js';
import { toDbTime, DAY } from '../time.js';
import { deleteUnusedPayloads } from './runs.js';
import type { StateStore } from './store.js';

/**
 * Retention of the state database: run history, sent (or given-up) notifications, resolved alerts
 * and ended snoozes older than the retention (`defaults.retention`, 30d) are deleted, oldest first,
 * in bounded batches so a run never spends long on it; `anomaly prune` repeats batches until done.
 * Firing alerts, pending notifications and anything a kept row still needs are never touched.
 */

export interface PruneLimits {
  /** Runs (with their results) deleted per batch. */
  runs: number;
  /** Outbox items, resolved alerts and snoozes deleted per batch (each). */
  rows: number;
}

/** What one `anomaly run` deletes at most: at a 5-minute cadence one run is added, up to 200 go. */
export const RUN_PRUNE_LIMITS: PruneLimits = { runs: 200, rows: 1000 };

/**
 * Delivered notifications and the chart data of alerting results are kept this long (or the
 * retention, if shorter). The notifications are what `anomaly outbox --all` shows, and their
 * content is in Slack or the sheet; a chart (up to ~50 KB) was drawn when its run alerted.
 */
export const DETAIL_KEEP_MS = 7 * DAY;

export interface PruneCounts {
  runs: number;
  results: number;
  payloads: number;
  outbox: number;
  alerts: number;
  snoozes: number;
  /** Results whose chart data was dropped (past the detail cutoff). */
  charts: number;
  /** Delivered notifications whose content was dropped (the row, times and receipt stay). */
  compacted: number;
  /** True when rows older than the cutoff are left (the batch limit was reached). */
  more: boolean;
}

const ZERO: PruneCounts = { runs: 0, results: 0, payloads: 0, outbox: 0, alerts: 0, snoozes: 0, charts: 0, compacted: 0, more: false };

/**
 * Repeats batches until nothing older than `cutoff` is left (or `maxBatches`). With `dryRun` the
 * same deletions run in one transaction that is rolled back: the counts are exact, nothing changes.
 */
export function prune(
  store: StateStore,
  opts: {
    cutoff: number;
    /** Delivered (or given-up) notifications, and chart data of results, older than this go (default: cutoff). */
    detailCutoff?: number;
    dryRun?: boolean;
    limits?: PruneLimits;
    maxBatches?: number;
    /** Drop the content of notifications delivered before this (UTC ms; default: cutoff)… */
    compactBefore?: number;
    /** …and since this (default: all): a run looks only at the last day's deliveries. */
    compactSince?: number;
  },
): PruneCounts {
  const limits = opts.limits ?? RUN_PRUNE_LIMITS;
  const maxBatches = opts.maxBatches ?? Infinity;
  const cutoff = toDbTime(opts.cutoff);
  const detailCutoff = toDbTime(Math.max(opts.cutoff, opts.detailCutoff ?? opts.cutoff));
  const compact = {
    since: opts.compactSince === undefined ? '' : toDbTime(opts.compactSince),
    before: toDbTime(opts.compactBefore ?? opts.cutoff),
  };
  const loop = (): PruneCounts => {
    const total = { ...ZERO };
    for (let i = 0; i < maxBatches; i++) {
      const c = store.db.transaction(() => pruneRows(store, cutoff, detailCutoff, limits, compact))();
      for (const k of ['runs', 'results', 'payloads', 'outbox', 'alerts', 'snoozes', 'charts', 'compacted'] as const) total[k] += c[k];
      total.more = c.more;
      if (!c.more) break;
    }
    return total;
  };
  if (!opts.dryRun) return loop();
  let counts = ZERO;
  const rollback = new Error('dry run');
  try {
    store.db.transaction(() => {
      counts = loop();
      throw rollback;
    })();
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return counts;
}

function pruneRows(store: StateStore, cutoff: string, detailCutoff: string, limits: PruneLimits, compact: { since: string; before: string }): PruneCounts {
  const db = store.db;
  const counts = { ...ZERO };

  // Runs and their results; then the payloads no remaining result uses.
  const runIds = (
    db.prepare(`SELECT run_id FROM check_runs WHERE started_at < ? ORDER BY started_at LIMIT ?`).all(cutoff, limits.runs + 1) as {
      run_id: string;
    }[]
  ).map((r) => r.run_id);
  if (runIds.length > limits.runs) {
    counts.more = true;
    runIds.pop();
  }
  const payloadIds: (number | null)[] = [];
  const refsOf = db.prepare(`SELECT anomalies_id, chart_id FROM check_results WHERE run_id = ?`);
  const delResults = db.prepare(`DELETE FROM check_results WHERE run_id = ?`);
  const delRun = db.prepare(`DELETE FROM check_runs WHERE run_id = ?`);
  for (const id of runIds) {
    for (const r of refsOf.all(id) as { anomalies_id: number | null; chart_id: number | null }[]) payloadIds.push(r.anomalies_id, r.chart_id);
    counts.results += delResults.run(id).changes;
    counts.runs += delRun.run(id).changes;
  }
  // Chart data of results past the detail cutoff (alerting ones: the others keep it only in the latest run).
  const charted = db
    .prepare(
      `SELECT r.run_id, r.check_name, r.chart_id FROM check_results r JOIN check_runs c ON c.run_id = r.run_id
       WHERE r.chart_id IS NOT NULL AND c.started_at < ? LIMIT ?`,
    )
    .all(detailCutoff, limits.rows + 1) as { run_id: string; check_name: string; chart_id: number }[];
  if (charted.length > limits.rows) {
    counts.more = true;
    charted.pop();
  }
  const dropChart = db.prepare(`UPDATE check_results SET chart_id = NULL WHERE run_id = ? AND check_name = ?`);
  for (const c of charted) {
    counts.charts += dropChart.run(c.run_id, c.check_name).changes;
    payloadIds.push(c.chart_id);
  }
  counts.payloads = deleteUnusedPayloads(store, payloadIds);

  // Resolved alerts (first: their digests then become prunable too).
  const fingerprints = (
    db.prepare(`SELECT fingerprint FROM alerts WHERE state = 'resolved' AND resolved_at < ? ORDER BY resolved_at LIMIT ?`).all(cutoff, limits.rows + 1) as {
      fingerprint: string;
    }[]
  ).map((r) => r.fingerprint);
  if (fingerprints.length > limits.rows) {
    counts.more = true;
    fingerprints.pop();
  }
  const delAlert = db.prepare(`DELETE FROM alerts WHERE fingerprint = ?`);
  for (const f of fingerprints) counts.alerts += delAlert.run(f).changes;

  // Delivered or given-up notifications, unless an alert still points at the digest (its message
  // is edited on resolve) or a notification that is not being pruned waits on it.
  const outboxIds = (
    db
      .prepare(
        `SELECT o.id FROM outbox o
         WHERE ((o.status = 'sent' AND o.sent_at < @cutoff) OR (o.status = 'dead' AND o.created_at < @cutoff))
           AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.digest_outbox_id = o.id)
           AND NOT EXISTS (SELECT 1 FROM outbox c WHERE c.depends_on = o.id
                           AND (c.status NOT IN ('sent', 'dead') OR COALESCE(c.sent_at, c.created_at) >= @cutoff))
         ORDER BY o.id LIMIT @limit`,
      )
      .all({ cutoff: detailCutoff, limit: limits.rows + 1 }) as { id: number }[]
  ).map((r) => r.id);
  if (outboxIds.length > limits.rows) {
    counts.more = true;
    outboxIds.pop();
  }
  if (outboxIds.length) {
    const list = JSON.stringify(outboxIds);
    // A kept (already finished) item whose parent goes: the dependency was satisfied long ago.
    db.prepare(`UPDATE outbox SET depends_on = NULL WHERE depends_on IN (SELECT value FROM json_each(?)) AND id NOT IN (SELECT value FROM json_each(?))`).run(list, list);
    db.prepare(`DELETE FROM slack_messages WHERE outbox_id IN (SELECT value FROM json_each(?))`).run(list);
    counts.outbox = db.prepare(`DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))`).run(list).changes;
  }

  counts.snoozes = db.prepare(`DELETE FROM snoozes WHERE until < ?`).run(cutoff).changes;

  // A delivered notification's content is in Slack or the sheet now: a day after delivery its row
  // keeps kind, times and receipt, not the digest blocks, rows or ~60 KB of chart PNG.
  counts.compacted = db
    .prepare(
      `UPDATE outbox SET payload_json = '{}'
       WHERE id IN (SELECT id FROM outbox WHERE status = 'sent' AND sent_at >= ? AND sent_at < ? AND payload_json <> '{}' LIMIT ?)`,
    )
    .run(compact.since, compact.before, limits.rows).changes;
  if (counts.compacted >= limits.rows) counts.more = true;
  return counts;
}

export interface SpaceReport {
  fileBytes: number;
  freeBytes: number;
  vacuumed: boolean;
}

/** VACUUM is worthwhile when at least this share of the file is free pages… */
export const VACUUM_MIN_FREE_RATIO = 0.25;
/** …and at least this many bytes: rewriting the file for less is not worth the I/O. */
export const VACUUM_MIN_FREE_BYTES = 8 * 1024 * 1024;

/** Free pages and file size of the state database. */
export function spaceOf(store: StateStore): { fileBytes: number; freeBytes: number } {
  const pageSize = store.db.pragma('page_size', { simple: true }) as number;
  const pages = store.db.pragma('page_count', { simple: true }) as number;
  const free = store.db.pragma('freelist_count', { simple: true }) as number;
  return { fileBytes: pages * pageSize, freeBytes: free * pageSize };
}

/**
 * Runs VACUUM only when the free pages are both ≥ 25 % of the file and ≥ 8 MB (deleted rows' pages
 * are otherwise reused by later inserts, so the file stops growing without it). The WAL is then
 * truncated so the space is returned to the file system.
 */
export function vacuumIfWorthwhile(store: StateStore, opts: { force?: boolean; dryRun?: boolean } = {}): SpaceReport {
  const before = spaceOf(store);
  const worthwhile = before.freeBytes >= VACUUM_MIN_FREE_BYTES && before.freeBytes >= VACUUM_MIN_FREE_RATIO * before.fileBytes;
  if (opts.dryRun || !(worthwhile || (opts.force && before.freeBytes > 0))) return { ...before, vacuumed: false };
  store.db.exec('VACUUM');
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  return { ...spaceOf(store), vacuumed: true };
}

/** Size on disk of the database file and its WAL (0 for a missing file). */
export function bytesOnDisk(path: string): { db: number; wal: number } {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return { db: size(path), wal: size(path + '-wal') };
}

/**
 * The retention step of `anomaly run`: one bounded batch, then VACUUM if worthwhile. A failure
 * here (e.g. another process holds the file open for VACUUM) is logged: the run's own work is done.
 */
export function pruneAfterRun(store: StateStore, opts: { now: number; retentionMs: number; log: Logger }): PruneCounts | undefined {
  try {
    const counts = prune(store, {
      cutoff: opts.now - opts.retentionMs,
      detailCutoff: opts.now - DETAIL_KEEP_MS,
      maxBatches: 1,
      compactBefore: opts.now - DAY,
      compactSince: opts.now - 2 * DAY,
    });
    const space = vacuumIfWorthwhile(store);
    if (counts.runs || counts.outbox || counts.alerts || space.vacuumed) {
      opts.log.info({ pruned: counts, vacuumed: space.vacuumed, fileBytes: space.fileBytes }, 'state pruned');
    }
    return counts;
  } catch (error) {
    opts.log.warn({ err: (error as Error).message }, 'state retention failed; the next run tries again');
    return undefined;
  }
}
