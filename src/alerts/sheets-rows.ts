import type { Anomaly, CheckResult } from '../types.js';
import type { Notification } from '../notify/types.js';
import { toDbTime } from '../time.js';

export const CHECK_RESULTS_TAB = 'Check results';
/** The notifier writes `delivery_id` as the first column itself; these follow it. */
export const CHECK_RESULTS_HEADER = ['timestamp', 'run_id', 'check', 'status', 'anomaly_count', 'summary'];
/** The leading columns of a check's own tab; the anomaly's row fields follow. */
export const ANOMALY_TAB_PREFIX = ['timestamp', 'check', 'key'];

type Cell = string | number | null;
type SheetsAppend = Extract<Notification, { kind: 'sheets.append' }>;

/** The delivery id makes an append idempotent: a retry that finds it in the tab appends nothing. */
export function deliveryId(runId: string, tab: string): string {
  return `${runId}:${tab}`;
}

/** A spreadsheet cell: numbers and text as they are, anything else as JSON. */
export function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

const SUMMARY_MESSAGES = 3;

/** The first anomaly messages, or the error of a check that could not run. */
export function resultSummary(result: CheckResult): string {
  if (result.status === 'error' || result.status === 'skipped') return result.error ?? result.status;
  const messages = result.anomalies.slice(0, SUMMARY_MESSAGES).map((a) => a.message);
  const more = result.anomalies.length - messages.length;
  return messages.join('; ') + (more > 0 ? ` (+${more} more)` : '');
}

/** One row per check result of the run, to the `Check results` tab (sent every run). */
export function checkResultsAppend(runId: string, at: number, results: CheckResult[]): SheetsAppend {
  const id = deliveryId(runId, CHECK_RESULTS_TAB);
  const timestamp = toDbTime(at);
  return {
    kind: 'sheets.append',
    tab: CHECK_RESULTS_TAB,
    header: [...CHECK_RESULTS_HEADER],
    deliveryId: id,
    rows: results.map((r) => [timestamp, runId, r.check, r.status, r.anomalies.length, resultSummary(r)]),
  };
}

/**
 * The anomalies being notified to one check tab: the anomaly's `rows` (one sheet row each), or
 * one row of key/observed/expected/message. The header is the union of the fields, in order of
 * first appearance, after timestamp, check, key (the notifier puts delivery_id before them).
 */
export function anomalyTabAppend(
  runId: string,
  at: number,
  tab: string,
  entries: { check: string; anomaly: Anomaly }[],
): SheetsAppend {
  const id = deliveryId(runId, tab);
  const timestamp = toDbTime(at);
  const records: { check: string; key: string; fields: Record<string, unknown> }[] = [];
  for (const { check, anomaly } of entries) {
    if (anomaly.rows && anomaly.rows.length > 0) {
      for (const row of anomaly.rows) records.push({ check, key: anomaly.key, fields: row });
    } else {
      records.push({
        check,
        key: anomaly.key,
        fields: { observed: anomaly.observed, expected: anomaly.expected, message: anomaly.message },
      });
    }
  }
  const columns: string[] = [];
  const known = new Set(ANOMALY_TAB_PREFIX);
  for (const r of records) {
    for (const field of Object.keys(r.fields)) {
      if (!known.has(field)) {
        known.add(field);
        columns.push(field);
      }
    }
  }
  return {
    kind: 'sheets.append',
    tab,
    header: [...ANOMALY_TAB_PREFIX, ...columns],
    deliveryId: id,
    rows: records.map((r) => [timestamp, r.check, r.key, ...columns.map((c) => toCell(r.fields[c]))]),
  };
}
