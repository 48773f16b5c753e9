import { STALE_KEY } from '../checks/freshness.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, InputMissingError } from '../errors.js';
import type { Episode } from './replay.js';

/** The incidents manifest written by the demo generator (`data/incidents.json`). */
const incidentSchema = z.object({
  id: z.string(),
  kind: z.string(),
  key: z.string(),
  start: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO time'),
  end: z.string().refine((s) => Number.isFinite(Date.parse(s)), 'must be an ISO time'),
  description: z.string().optional(),
  /**
   * Other keys of the same check kind that the incident drives (the approved volume falling while
   * reversals surge): their episodes during the incident are neither detections nor false.
   */
  related: z.array(z.string()).optional(),
});
const labelsSchema = z.object({ incidents: z.array(incidentSchema) }).passthrough();
export type Incident = z.infer<typeof incidentSchema>;

export function loadLabels(path: string): Incident[] {
  let raw: unknown;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // A file that is not there is missing input (66), like a missing database; a bad one is 78.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new InputMissingError(`--labels ${path}: no such file`);
    throw new ConfigError(`--labels ${path}: ${(error as Error).message}`);
  }
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--labels ${path}: ${(error as Error).message}`);
  }
  const parsed = labelsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`--labels ${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data.incidents;
}

/** Check types that read per-minute data: their detection delay is what the targets are about. */
export const PER_MINUTE_TYPES = new Set(['status_rate', 'isolation_forest']);

export interface IncidentScore {
  incident: Incident;
  detected: boolean;
  /** First matching episode's start minus the incident's start (or the replay's, if later), ms; null when missed. */
  delayMs: number | null;
  /** When that first matching episode started (UTC ms): before the incident when an alert was already open. */
  firstAlertAt: number | null;
  detectedBy: string[];
  /** Episodes of the incident's own kind and key (or, without those, any matching ones): 1 is ideal. */
  episodes: number;
}

export interface Score {
  incidents: IncidentScore[];
  trueEpisodes: number;
  falseEpisodes: Episode[];
  precision: number | null;
  recall: number | null;
  meanDelayMs: number | null;
  meanDelayPerMinuteMs: number | null;
  maxDelayMs: number | null;
  maxDelayPerMinuteMs: number | null;
  /** Mean episodes per detected incident (1 = one alert per incident). */
  fragmentation: number | null;
}

/**
 * An episode detects an incident when it comes from a check of the incident's kind with the same
 * key, and overlaps the incident (from its start to its end plus `graceMs`, since detection of a
 * completed hour or day necessarily comes after it). An isolation_forest episode is key-agnostic:
 * it matches any per-minute incident it overlaps. Episodes matching no incident are false.
 */
export function scoreEpisodes(
  episodes: Episode[],
  incidents: Incident[],
  opts: { graceMs: number; types: Set<string>; from?: number },
): Score {
  // A `stale` episode is about the data feed (e.g. a source that starts later than --from), not a
  // detection: it is listed by replay but neither true nor false here.
  episodes = episodes.filter((e) => e.key !== STALE_KEY);
  const relevant = incidents.filter((i) => opts.types.has(i.kind) || (i.kind === 'status_rate' && opts.types.has('isolation_forest')));
  const matches = (e: Episode, i: Incident): boolean => {
    const start = Date.parse(i.start);
    const end = Date.parse(i.end) + opts.graceMs;
    const overlaps = e.start <= end && e.end >= start;
    if (!overlaps) return false;
    if (e.type === 'isolation_forest') return PER_MINUTE_TYPES.has(i.kind);
    return e.type === i.kind && e.key === i.key;
  };
  const related = (e: Episode, i: Incident): boolean =>
    e.type === i.kind && (i.related ?? []).includes(e.key) && e.start <= Date.parse(i.end) + opts.graceMs && e.end >= Date.parse(i.start);
  const scores: IncidentScore[] = relevant.map((incident) => {
    const hits = episodes.filter((e) => matches(e, incident));
    const own = hits.filter((e) => e.type === incident.kind);
    const first = (own.length ? own : hits).reduce<Episode | null>((f, e) => (f === null || e.start < f.start ? e : f), null);
    return {
      incident,
      detected: hits.length > 0,
      // An incident already under way when the replay starts is timed from the replay's start.
      delayMs: first ? Math.max(0, first.start - Math.max(Date.parse(incident.start), opts.from ?? -Infinity)) : null,
      firstAlertAt: first ? first.start : null,
      detectedBy: [...new Set(hits.map((e) => `${e.check}:${e.key}`))],
      episodes: (own.length ? own : hits).length,
    };
  });
  const falseEpisodes = episodes.filter((e) => !relevant.some((i) => matches(e, i) || related(e, i)));
  const trueEpisodes = episodes.length - falseEpisodes.length;
  const detected = scores.filter((s) => s.detected);
  const delays = detected.map((s) => s.delayMs!);
  const perMinute = detected.filter((s) => PER_MINUTE_TYPES.has(s.incident.kind)).map((s) => s.delayMs!);
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
  return {
    incidents: scores,
    trueEpisodes,
    falseEpisodes,
    precision: episodes.length ? trueEpisodes / episodes.length : null,
    recall: scores.length ? detected.length / scores.length : null,
    meanDelayMs: avg(delays),
    meanDelayPerMinuteMs: avg(perMinute),
    maxDelayMs: max(delays),
    maxDelayPerMinuteMs: max(perMinute),
    fragmentation: avg(detected.map((s) => s.episodes)),
  };
}
