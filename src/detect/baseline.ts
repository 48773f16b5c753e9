/**
 * Judge one hourly (or daily) count against its history: yesterday, the same day last week,
 * and the averages of the last week and month.
 */
import type { Evidence } from '../types.js';
import { median, poissonZ } from './stats.js';

export interface BaselineInput {
  observed: number | null;
  yesterday: number | null;
  sameDayLastWeek: number | null;
  avgLastWeek: number | null;
  avgLastMonth: number | null;
}

export interface BaselineOptions {
  direction: 'drop' | 'spike' | 'both';
  /** No alert unless max(observed, expected) reaches this (3 sales vs 0.4 at 2 a.m. is noise). */
  minVolume: number;
  /** Minimum |observed − expected| / expected, e.g. 0.5. */
  minRelativeChange: number;
  /** Minimum |poissonZ(observed, expected)|, e.g. 3. */
  minZ: number;
  /** Relative deviation thresholds, e.g. { warning: 0.5, critical: 0.8 }. */
  severity: { warning: number; critical: number };
}

export interface BaselineVerdict {
  /** Median of the available baselines; null when there are none. */
  expected: number | null;
  /** (observed − expected) / expected; Infinity when expected is 0 and observed > 0. */
  relativeChange: number | null;
  /** Signed Anscombe Poisson z (see poissonZ). */
  z: number | null;
  alert: boolean;
  /** Set only when alert is true. */
  severity: 'info' | 'warning' | 'critical' | null;
  /** Why (not) alerting, in words: 'drop', 'spike', 'below min volume', … */
  reason: string;
}

/** The baselines of an input that are usable numbers, in a fixed order. */
export function availableBaselines(input: BaselineInput): number[] {
  return [input.yesterday, input.sameDayLastWeek, input.avgLastWeek, input.avgLastMonth].filter(
    (v): v is number => v !== null && Number.isFinite(v) && v >= 0,
  );
}

/**
 * Expected value = median of the available baselines. The median keeps one outage (or one
 * spike) among the four from dragging the expectation; with four values it is the mean of the
 * middle two.
 */
export function expectedFromBaselines(input: BaselineInput): number | null {
  const values = availableBaselines(input);
  return values.length === 0 ? null : median(values);
}

/** Severity of an alerting deviation: by |relative change|, and critical for a total stop. */
function severityOf(observed: number, expected: number, rel: number, opts: BaselineOptions): 'info' | 'warning' | 'critical' {
  const size = Math.abs(rel);
  // A complete stop of something that normally runs at volume is the worst case even when the
  // configured critical threshold is above 100 % (reachable only by spikes).
  if (observed === 0 && expected >= 2 * Math.max(opts.minVolume, 1)) return 'critical';
  if (size >= opts.severity.critical) return 'critical';
  if (size >= opts.severity.warning) return 'warning';
  return 'info';
}

/** Decide whether an observed count deviates from its baselines enough to alert. */
export function judgeBaseline(input: BaselineInput, opts: BaselineOptions): BaselineVerdict {
  const expected = expectedFromBaselines(input);
  const { observed } = input;
  const quiet = (reason: string, relativeChange: number | null = null, z: number | null = null): BaselineVerdict => ({
    expected,
    relativeChange,
    z,
    alert: false,
    severity: null,
    reason,
  });

  if (observed === null || !Number.isFinite(observed) || observed < 0) return quiet('no observation');
  if (expected === null) return quiet('no baseline');

  const relativeChange = expected === 0 ? (observed === 0 ? 0 : Infinity) : (observed - expected) / expected;
  const z = poissonZ(observed, expected);

  if (Math.max(observed, expected) < opts.minVolume) return quiet('below min volume', relativeChange, z);
  if (observed === expected) return quiet('no change', relativeChange, z);

  const kind = observed < expected ? 'drop' : 'spike';
  if (opts.direction !== 'both' && opts.direction !== kind) return quiet(`${kind} ignored (direction ${opts.direction})`, relativeChange, z);
  if (Math.abs(relativeChange) < opts.minRelativeChange) return quiet('change below min relative change', relativeChange, z);
  if (Math.abs(z) < opts.minZ) return quiet('z below min z', relativeChange, z);

  return {
    expected,
    relativeChange,
    z,
    alert: true,
    severity: severityOf(observed, expected, relativeChange, opts),
    reason: kind,
  };
}

/**
 * The running hour, `elapsed` (0–1) of the way through. Drops are judged against the expectation
 * pro-rated by the elapsed share (sales so far vs sales normally made by now); spikes against the
 * whole hour's expectation, since a count so far can only grow (and an export of complete hours
 * must not look like a spike). Both need |z| ≥ strictZ, stricter than a complete hour's minZ.
 * Evidence `stay` when only the complete-hour bar is cleared: it keeps a firing alert alive.
 */
export function judgeRunningHour(
  input: BaselineInput,
  elapsed: number,
  opts: BaselineOptions,
  strictZ: number,
): { verdict: BaselineVerdict; evidence: Evidence | null } {
  const f = Math.min(1, Math.max(0, elapsed));
  const scale = (v: number | null) => (v === null ? null : v * f);
  const prorated: BaselineInput = {
    observed: input.observed,
    yesterday: scale(input.yesterday),
    sameDayLastWeek: scale(input.sameDayLastWeek),
    avgLastWeek: scale(input.avgLastWeek),
    avgLastMonth: scale(input.avgLastMonth),
  };
  const drop = opts.direction === 'spike' ? null : judgeBaseline(prorated, { ...opts, direction: 'drop' });
  const spike = opts.direction === 'drop' ? null : judgeBaseline(input, { ...opts, direction: 'spike' });
  for (const v of [drop, spike]) {
    if (v?.alert) return { verdict: v, evidence: Math.abs(v.z ?? 0) >= strictZ ? 'enter' : 'stay' };
  }
  return { verdict: drop ?? spike!, evidence: null };
}
