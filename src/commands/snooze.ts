import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { listSnoozes, snooze, unsnooze, withStateStore } from '../alerts/index.js';
import type { StateStore } from '../alerts/store.js';
import { checkTypes } from '../checks/registry.js';
import { loadChecksFile } from '../config/checks-file.js';
import { UsageError } from '../errors.js';
import { formatTable } from '../alerts/format.js';
import { closestNames } from '../text.js';
import { parseDuration, toIso } from '../time.js';
import type { CommandContext } from './context.js';

export interface SnoozeOptions {
  for: string;
  reason?: string;
  /** Who snoozes (default: the OS user). */
  author?: string;
  /** Accept `<check>:<key>` for a key that has not fired yet. */
  force?: boolean;
  /** Checks file naming the checks (default ANOMALY_CONFIG). */
  config?: string;
}

/** Fingerprints seen so far: every alert, and the anomalies of the latest recorded results. */
function knownFingerprints(store: StateStore): Set<string> {
  const found = new Set((store.db.prepare(`SELECT fingerprint FROM alerts`).all() as { fingerprint: string }[]).map((r) => r.fingerprint));
  const latest = store.db
    .prepare(
      `SELECT check_name, anomalies_json FROM check_results_full
       WHERE run_id = (SELECT run_id FROM check_runs ORDER BY at DESC, started_at DESC LIMIT 1)`,
    )
    .all() as { check_name: string; anomalies_json: string }[];
  for (const r of latest) {
    try {
      for (const a of JSON.parse(r.anomalies_json) as { key?: unknown }[]) if (typeof a.key === 'string') found.add(`${r.check_name}:${a.key}`);
    } catch {
      // A result written by another version: its keys are not needed to validate a name.
    }
  }
  return found;
}

function didYouMean(name: string, candidates: Iterable<string>): string {
  const near = closestNames(name, candidates);
  return near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : '';
}

/**
 * Refuses a target that is neither a configured check nor a fingerprint seen so far: a typo would
 * otherwise snooze nothing and leave the real alert noisy.
 */
function checkTarget(name: string, checks: Set<string>, fingerprints: Set<string>, force: boolean): void {
  if (checks.has(name) || fingerprints.has(name)) return;
  const colon = name.indexOf(':');
  const check = colon > 0 ? name.slice(0, colon) : undefined;
  if (check !== undefined && checks.has(check)) {
    if (force) return;
    const ofCheck = [...fingerprints].filter((f) => f.startsWith(`${check}:`));
    throw new UsageError(
      `snooze: ${JSON.stringify(name)} has not fired yet${didYouMean(name, ofCheck)} ` +
        `(add --force to snooze it before it fires; \`anomaly run --json\` prints each anomaly's fingerprint)`,
    );
  }
  throw new UsageError(
    `snooze: ${JSON.stringify(name)} is neither a configured check nor an alert fingerprint${didYouMean(name, [...checks, ...fingerprints])} ` +
      `(\`anomaly checks\` lists the checks)`,
  );
}

function defaultAuthor(env: NodeJS.ProcessEnv): string | undefined {
  try {
    return env.USER || env.LOGNAME || userInfo().username || undefined;
  } catch {
    return undefined; // no passwd entry (some containers)
  }
}

/** `anomaly snooze <target> --for 2h [--reason ...] [--author ...]`: hold back notifications of a check or one alert. */
export async function snoozeCommand(ctx: CommandContext, target: string, opts: SnoozeOptions, processEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  const name = target.trim();
  if (name === '') throw new UsageError('snooze: give a check name or an alert fingerprint such as transaction_status_rates:reversed');
  const duration = parseDuration(opts.for ?? '');
  if (duration === undefined || duration <= 0) {
    throw new UsageError(`snooze --for ${JSON.stringify(opts.for ?? '')}: not a duration; use e.g. 90m, 2h, 1d or 1h30m`);
  }
  const checks = new Set(loadChecksFile(resolve(opts.config ?? ctx.env.ANOMALY_CONFIG), checkTypes()).checks.map((c) => c.name));
  const author = opts.author?.trim() || defaultAuthor(processEnv);
  const now = ctx.now();
  // Stored to the second: round up so the snooze never ends before what was asked.
  const until = Math.ceil((now + duration) / 1000) * 1000;
  withStateStore(ctx.env.ANOMALY_STATE_DB, (store) => {
    checkTarget(name, checks, knownFingerprints(store), Boolean(opts.force));
    snooze(store, name, until, opts.reason, now, author);
  });
  ctx.log.info({ target: name, until: toIso(until), reason: opts.reason, author }, 'snoozed');
  ctx.out(`snoozed ${name} until ${toIso(until)}${author ? ` by ${author}` : ''}${opts.reason ? ` (${opts.reason})` : ''}\n`);
  return 0;
}

/** `anomaly snoozes [--json]`: the snoozes in force. */
export async function snoozesCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  const now = ctx.now();
  const entries = withStateStore(ctx.env.ANOMALY_STATE_DB, (store) => listSnoozes(store, now));
  if (opts.json) {
    ctx.out(JSON.stringify(entries, null, 2) + '\n');
    return 0;
  }
  if (entries.length === 0) {
    ctx.out('no active snoozes\n');
    return 0;
  }
  const rows = entries.map((e) => [e.target, e.until, e.author ?? '', e.reason ?? '']);
  ctx.out(formatTable(['target', 'until', 'author', 'reason'], rows));
  return 0;
}

/** `anomaly unsnooze <target>`: notifications resume at the next run. */
export async function unsnoozeCommand(ctx: CommandContext, target: string): Promise<number> {
  const name = target.trim();
  const { removed, active } = withStateStore(ctx.env.ANOMALY_STATE_DB, (store) => ({
    removed: unsnooze(store, name),
    active: listSnoozes(store, ctx.now()).map((s) => s.target),
  }));
  if (!removed) {
    const hint = active.length ? `snoozed now: ${active.join(', ')}` : 'nothing is snoozed';
    throw new UsageError(`unsnooze: ${JSON.stringify(name)} is not snoozed (${hint})`);
  }
  ctx.out(`unsnoozed ${name}\n`);
  return 0;
}
