/** Merge consecutive alerting points (minutes, hours) into episodes, so one outage is one anomaly. */

export interface Run {
  /** Index of the first alerting item of the run. */
  startIndex: number;
  /** Index of the last alerting item of the run (inclusive). */
  endIndex: number;
}

/**
 * Contiguous runs of items for which isAlert is true. Up to `gap` (default 0) non-alerting items
 * between two alerting ones do not break a run; runs always start and end on alerting items.
 */
export function groupRuns<T>(items: readonly T[], isAlert: (t: T) => boolean, gap = 0): Run[] {
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`groupRuns: gap must be a non-negative integer, got ${gap}`);
  const runs: Run[] = [];
  let current: Run | null = null;
  for (let i = 0; i < items.length; i++) {
    if (!isAlert(items[i]!)) continue;
    if (current && i - current.endIndex - 1 <= gap) {
      current.endIndex = i;
    } else {
      current = { startIndex: i, endIndex: i };
      runs.push(current);
    }
  }
  return runs;
}
