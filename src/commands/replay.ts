import { prepareChecks } from '../checks/prepare.js';
import { ExitCode, UsageError } from '../errors.js';
import { loadLabels, scoreEpisodes } from '../replay/score.js';
import type { Score } from '../replay/score.js';
import { replay } from '../replay/replay.js';
import type { Episode } from '../replay/replay.js';
import { parseDuration, toIso, HOUR, MINUTE } from '../time.js';
import type { CommandContext } from './context.js';
import { plural } from '../text.js';
import { resolveAt } from './run.js';

export interface ReplayCommandOptions {
  from: string;
  to: string;
  step: string;
  only?: string;
  json?: boolean;
  labels?: string;
  config?: string;
  db?: string;
}

/** `anomaly replay`: evaluate the checks at every step of a past period and list the alert episodes. */
export async function replayCommand(ctx: CommandContext, opts: ReplayCommandOptions): Promise<number> {
  const from = resolveAt(opts.from, ctx, '--from');
  const to = resolveAt(opts.to, ctx, '--to');
  const stepMs = parseDuration(opts.step);
  if (stepMs === undefined || stepMs < MINUTE) throw new UsageError(`--step ${JSON.stringify(opts.step)}: use a duration of at least 1m, such as 1m, 5m or 1h`);
  if (to < from) throw new UsageError('--to is before --from');
  if ((to - from) / stepMs > 200_000) throw new UsageError('--from/--to/--step: more than 200,000 steps; use a larger --step');
  const labels = opts.labels ? loadLabels(opts.labels) : undefined;

  const prepared = await prepareChecks({ config: opts.config ?? ctx.env.ANOMALY_CONFIG, db: opts.db ?? ctx.env.ANOMALY_DB, env: ctx.env, only: opts.only });
  let lastDraw = 0;
  const result = await replay({
    from,
    to,
    stepMs,
    checks: prepared.checks,
    types: prepared.types,
    engine: prepared.engine,
    tz: ctx.env.ANOMALY_TZ,
    log: ctx.log,
    onStep: ctx.interactive
      ? (at, i, total) => {
          const now = Date.now();
          if (now - lastDraw > 200 || i === total - 1) {
            lastDraw = now;
            ctx.err(`\rreplay ${toIso(at)}  ${i + 1}/${total} steps`);
            if (i === total - 1) ctx.err('\n');
          }
        }
      : undefined,
  });
  await prepared.engine.close();

  const score = labels
    ? scoreEpisodes(result.episodes, labels, { graceMs: HOUR, types: new Set(prepared.checks.map((c) => c.type)), from })
    : undefined;

  if (opts.json) {
    ctx.out(
      JSON.stringify(
        {
          from: toIso(from),
          to: toIso(to),
          step: opts.step,
          steps: result.steps,
          elapsedMs: Math.round(result.elapsedMs),
          episodes: result.episodes.map(episodeJson),
          errors: result.errors.map((e) => ({ check: e.check, at: toIso(e.at), error: e.error })),
          ...(score ? { score: scoreJson(score) } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    ctx.out(`replay ${toIso(from)} → ${toIso(to)} every ${opts.step}: ${result.steps} steps in ${(result.elapsedMs / 1000).toFixed(1)} s (${(result.elapsedMs / result.steps).toFixed(2)} ms a step)\n\n`);
    ctx.out(episodesTable(result.episodes));
    if (result.errors.length) {
      ctx.out(`\n${plural(result.errors.length, 'check error')}, first: ${result.errors[0]!.check} at ${toIso(result.errors[0]!.at)}: ${result.errors[0]!.error}\n`);
    }
    if (score) ctx.out('\n' + scoreTable(score));
  }
  return result.errors.length ? ExitCode.checkErrored : ExitCode.ok;
}

function episodeJson(e: Episode) {
  return { check: e.check, key: e.key, start: toIso(e.start), end: toIso(e.end), maxScore: e.maxScore, steps: e.steps };
}

function scoreJson(s: Score) {
  return {
    precision: s.precision,
    recall: s.recall,
    meanDelayMinutes: s.meanDelayMs === null ? null : s.meanDelayMs / MINUTE,
    meanDelayPerMinuteChecksMinutes: s.meanDelayPerMinuteMs === null ? null : s.meanDelayPerMinuteMs / MINUTE,
    incidents: s.incidents.map((i) => ({
      id: i.incident.id,
      kind: i.incident.kind,
      key: i.incident.key,
      start: i.incident.start,
      end: i.incident.end,
      detected: i.detected,
      delayMinutes: i.delayMs === null ? null : i.delayMs / MINUTE,
      detectedBy: i.detectedBy,
    })),
    falseEpisodes: s.falseEpisodes.map(episodeJson),
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function episodesTable(episodes: Episode[]): string {
  if (!episodes.length) return 'no alert episodes\n';
  return table(
    ['CHECK', 'KEY', 'FIRST STEP', 'LAST STEP', 'STEPS', 'MAX SCORE'],
    episodes.map((e) => [e.check, e.key, toIso(e.start), toIso(e.end), String(e.steps), e.maxScore === null ? '' : String(e.maxScore)]),
  );
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`;
}

function minutes(ms: number | null): string {
  return ms === null ? 'n/a' : `${(ms / MINUTE).toFixed(1)} min`;
}

function scoreTable(s: Score): string {
  const rows = s.incidents.map((i) => [
    i.incident.id,
    i.incident.kind,
    i.incident.key,
    i.incident.start,
    i.detected ? 'detected' : 'MISSED',
    minutes(i.delayMs),
    i.detectedBy.join(', '),
  ]);
  let out = table(['INCIDENT', 'KIND', 'KEY', 'START', 'RESULT', 'DELAY', 'DETECTED BY'], rows);
  if (s.falseEpisodes.length) {
    out += `\nfalse episodes (outside any incident):\n` + episodesTable(s.falseEpisodes);
  }
  out += `\nprecision ${pct(s.precision)} (${s.trueEpisodes} of ${s.trueEpisodes + s.falseEpisodes.length} episodes)`;
  out += ` · recall ${pct(s.recall)} (${s.incidents.filter((i) => i.detected).length} of ${s.incidents.length} incidents)`;
  out += ` · mean delay ${minutes(s.meanDelayMs)} (per-minute checks ${minutes(s.meanDelayPerMinuteMs)})\n`;
  return out;
}
