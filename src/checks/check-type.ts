import type { z } from 'zod';
import type { QueryEngine } from '../db/engine.js';
import type { Logger } from '../log.js';
import type { Anomaly, ChartData, CheckStatus, Severity } from '../types.js';

/** One validated entry of the checks file. */
export interface CheckDefinition<P = unknown> {
  name: string;
  type: string;
  description: string;
  severity: Severity;
  /** The SQL text (inline or read from `sql_file`). */
  sql: string;
  /** Where the SQL came from, for error messages. */
  sqlSource: string;
  params: P;
  slack: { enabled: boolean; channel?: string; criticalSeparately: boolean };
  sheet?: string;
  repeatIntervalMs: number;
  resolveAfter: number;
  /** A firing alert resolves only once the check has been clean this long (`keep_firing_for`; 0 or absent: at once). */
  keepFiringForMs?: number;
  enabled: boolean;
  /** A source whose newest row is older than this (at the evaluation time) makes the check stale. */
  maxStalenessMs?: number;
  /** Configured sources (`source:`); undefined = derived from the SQL; false = no stale-data check. */
  source?: { table: string; time_column: string }[] | false;
}

/** What a check needs from the outside world while it evaluates. */
export interface CheckContext {
  engine: QueryEngine;
  /** Evaluation instant (UTC ms): the check answers "as of this moment". */
  at: number;
  tz: string;
  log: Logger;
  /** Per-check memo that lives as long as the process (replay reuses fitted models through it). */
  cache: Map<string, unknown>;
  /** False during replay: charts are not drawn, so they need not be computed. */
  charts?: boolean;
}

export interface Evaluation {
  status: Exclude<CheckStatus, 'error'>;
  anomalies: Anomaly[];
  metrics: Record<string, number | string | null>;
  chart?: ChartData;
  /** Why the check was skipped (status `skipped`). */
  reason?: string;
}

/**
 * A check type turns query rows into an Evaluation. One class per file; the statistics it uses
 * come from src/detect. Database access goes only through `ctx.engine`.
 */
export interface CheckType<P> {
  readonly type: string;
  readonly description: string;
  /** Schema of the `params:` block of a check of this type (strict: unknown keys are errors). */
  readonly params: z.ZodType<P>;
  /** Named SQL parameters this type binds when it runs the check's SQL. */
  readonly sqlParameters: readonly string[];
  /**
   * During replay, evaluate at most this often and carry the result forward between evaluations
   * (an hourly or daily check cannot change between hour boundaries). 0 = every step.
   */
  readonly replayCadenceMs: number;
  evaluate(check: CheckDefinition<P>, ctx: CheckContext): Promise<Evaluation>;
}
