/**
 * The types that carry a run from checks to alerts, notifications and reports.
 * Times in these objects are ISO 8601 UTC strings (`2023-05-15T14:33:00Z`).
 */

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

export type CheckStatus = 'ok' | 'alert' | 'error' | 'skipped';

export interface Anomaly {
  /** Stable within a check: `reversed`, `merchant 4`, `checkout_1 08h`. Fingerprint = check + key. */
  key: string;
  start: string;
  end: string;
  observed: number | null;
  expected: number | null;
  /** Detector-specific strength (z-score, relative deviation, isolation score). */
  score: number | null;
  /** The anomaly in words, e.g. "reversed 18.7 % of transactions 14:33–14:38, normal 0.5 % (z = 41)". */
  message: string;
  /** Severity of this anomaly; defaults to the check's severity. */
  severity?: Severity;
  /** Raw rows behind the anomaly (e.g. the order ids), shown as a table in Slack and Sheets. */
  rows?: Record<string, unknown>[];
  /** `share`: observed and expected are fractions of 1 (0.078), shown as percentages (7.8 %). */
  unit?: 'share';
  /**
   * Hysteresis (see src/detect/hysteresis.ts): `stay` = evidence strong enough to keep an alert
   * that already fires, not to start one. Absent = `enter`.
   */
  evidence?: Evidence;
}

export type Evidence = 'enter' | 'stay';

export interface CheckResult {
  check: string;
  type: string;
  description: string;
  status: CheckStatus;
  severity: Severity;
  anomalies: Anomaly[];
  metrics: Record<string, number | string | null>;
  durationMs: number;
  /** Set when status is `error` (or `skipped`, with the reason). */
  error?: string;
  /** Data for this check's chart (see src/report). */
  chart?: ChartData;
}

/** What each check type hands to the chart renderer. */
export type ChartData =
  /** `measure`: what the counts are, for the y axis ("sales per hour"). */
  | { kind: 'baseline'; title: string; points: BaselinePoint[]; measure?: string }
  | {
      kind: 'status_rate';
      title: string;
      points: { time: string; status: string; share: number }[];
      bands: { status: string; expected: number; upper: number }[];
      window: { start: string; end: string };
    }
  | {
      kind: 'isolation_forest';
      title: string;
      points: { time: string; score: number; anomaly: boolean }[];
      threshold: number;
    }
  | {
      kind: 'bars';
      title: string;
      /** What the bars measure (y axis), e.g. "Orders not settled"; and what a bar is (x axis), e.g. "Merchant". */
      measure?: string;
      groupLabel?: string;
      bars: { group: string; value: number; alert: boolean }[];
      min?: number;
      max?: number;
    };

export interface BaselinePoint {
  source: string;
  /** Start of the hour, ISO. */
  hour: string;
  today: number | null;
  yesterday: number | null;
  same_day_last_week: number | null;
  avg_last_week: number | null;
  avg_last_month: number | null;
  expected: number | null;
  alert: boolean;
}
