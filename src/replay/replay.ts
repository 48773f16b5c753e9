import type { CheckDefinition, CheckType } from '../checks/check-type.js';
import { evaluateChecks } from '../checks/run-checks.js';
import type { QueryEngine } from '../db/engine.js';
import type { Logger } from '../log.js';
import type { CheckResult } from '../types.js';
import { firesWith, resolvesAt } from '../detect/hysteresis.js';

/** A stretch of consecutive replay steps at which one (check, key) was alerting. */
export interface Episode {
  check: string;
  type: string;
  key: string;
  /** First and last step (UTC ms) that alerted. */
  start: number;
  end: number;
  maxScore: number | null;
  steps: number;
}

export interface ReplayOptions {
  from: number;
  to: number;
  stepMs: number;
  checks: CheckDefinition[];
  types: ReadonlyMap<string, CheckType<unknown>>;
  engine: QueryEngine;
  tz: string;
  log: Logger;
  /** Called after each step (progress). */
  onStep?: (at: number, index: number, total: number) => void;
}

export interface ReplayResult {
  episodes: Episode[];
  steps: number;
  errors: { check: string; at: number; error: string }[];
  elapsedMs: number;
}

/**
 * Evaluates the checks at every step of [from, to] as `run --at` would, in one process: prepared
 * statements, loaded minutes and fitted models are reused between steps, and hourly / daily check
 * types are evaluated once per cadence with their result carried forward. Nothing is notified and
 * no alert state is touched.
 */
export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const cache = new Map<string, unknown>();
  const open = new Map<string, Episode>();
  const episodes: Episode[] = [];
  const errors: ReplayResult['errors'] = [];
  const carried = new Map<string, { bucket: number; result: CheckResult }>();
  const cleanSteps = new Map<string, number>();
  const policyOf = new Map(opts.checks.map((c) => [c.name, { resolveAfter: c.resolveAfter ?? 1, keepFiringForMs: c.keepFiringForMs ?? 0 }]));
  const total = Math.floor((opts.to - opts.from) / opts.stepMs) + 1;
  // Checks whose type changes at most once per cadence longer than the step: evaluated once a cadence.
  const cadenceOf = new Map<string, number>();
  for (const check of opts.checks) {
    const cadence = opts.types.get(check.type)?.replayCadenceMs ?? 0;
    if (cadence > opts.stepMs) cadenceOf.set(check.name, cadence);
  }

  for (let i = 0; i < total; i++) {
    const at = opts.from + i * opts.stepMs;
    const results: CheckResult[] = [];
    const due: CheckDefinition[] = [];
    for (const check of opts.checks) {
      const cadence = cadenceOf.get(check.name);
      const prev = carried.get(check.name);
      if (cadence !== undefined && prev && prev.bucket === Math.floor(at / cadence)) {
        results.push(prev.result);
        continue;
      }
      due.push(check);
    }
    const fresh = await evaluateChecks(due, opts.types, { engine: opts.engine, at, tz: opts.tz, log: opts.log, cache, charts: false });
    for (const r of fresh) {
      const cadence = cadenceOf.get(r.check);
      if (cadence !== undefined) carried.set(r.check, { bucket: Math.floor(at / cadence), result: r });
      if (r.status === 'error') errors.push({ check: r.check, at, error: r.error ?? 'error' });
    }
    results.push(...fresh);

    const seen = new Set<string>();
    for (const r of results) {
      for (const a of r.anomalies) {
        const id = `${r.check}\u0000${a.key}`;
        const ep = open.get(id);
        // The same hysteresis rule as live alerts: `stay` evidence extends an episode, never opens one.
        if (!firesWith(a.evidence, ep !== undefined)) continue;
        seen.add(id);
        if (ep) {
          ep.end = at;
          ep.steps++;
          if (a.score !== null && (ep.maxScore === null || Math.abs(a.score) > Math.abs(ep.maxScore))) ep.maxScore = a.score;
        } else {
          open.set(id, { check: r.check, type: r.type, key: a.key, start: at, end: at, maxScore: a.score, steps: 1 });
        }
      }
    }
    // Resolved as a live alert would be: after the check's resolve_after clean steps and its
    // keep_firing_for quiet time (until then the episode stays open; its end is its last alerting step).
    for (const [id, ep] of open) {
      if (seen.has(id)) {
        cleanSteps.delete(id);
        continue;
      }
      const clean = (cleanSteps.get(id) ?? 0) + 1;
      cleanSteps.set(id, clean);
      if (!resolvesAt(at, ep.end, clean, policyOf.get(ep.check) ?? { resolveAfter: 1 })) continue;
      episodes.push(ep);
      open.delete(id);
      cleanSteps.delete(id);
    }
    opts.onStep?.(at, i, total);
  }
  episodes.push(...open.values());
  episodes.sort((a, b) => a.start - b.start || a.check.localeCompare(b.check) || a.key.localeCompare(b.key));
  return { episodes, steps: total, errors, elapsedMs: performance.now() - started };
}
