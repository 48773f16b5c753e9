import { BaselineCheck } from './baseline.js';
import type { CheckType } from './check-type.js';
import { IsolationForestCheck } from './isolation-forest.js';
import { MetricCheck } from './metric.js';
import { QueryEmptyCheck } from './query-empty.js';
import { StatusRateCheck } from './status-rate.js';
import { ThresholdCheck } from './threshold.js';

/** Every check type by its `type:` name in the checks file. Adding a type = one file + one line. */
export function checkTypes(): ReadonlyMap<string, CheckType<unknown>> {
  // Each type is generic in its own params; the map erases that (params are validated per type).
  const types = [
    new QueryEmptyCheck(),
    new ThresholdCheck(),
    new BaselineCheck(),
    new StatusRateCheck(),
    new IsolationForestCheck(),
    new MetricCheck(),
  ] as unknown as CheckType<unknown>[];
  return new Map(types.map((t) => [t.type, t]));
}
