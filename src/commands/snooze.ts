import { listSnoozes, snooze, unsnooze, withStateStore } from '../alerts/index.js';
import { UsageError } from '../errors.js';
import { formatTable } from '../alerts/format.js';
import { parseDuration, toIso } from '../time.js';
import type { CommandContext } from './context.js';

/** `anomaly snooze <target> --for 2h [--reason ...]`: hold back notifications of a check or one alert. */
export async function snoozeCommand(ctx: CommandContext, target: string, opts: { for: string; reason?: string }): Promise<number> {
  const name = target.trim();
  if (name === '') throw new UsageError('snooze: give a check name or an alert fingerprint such as status_rates:reversed');
  const duration = parseDuration(opts.for ?? '');
  if (duration === undefined || duration <= 0) {
    throw new UsageError(`snooze --for ${JSON.stringify(opts.for ?? '')}: not a duration; use e.g. 90m, 2h, 1d or 1h30m`);
  }
  const now = ctx.now();
  // Stored to the second: round up so the snooze never ends before what was asked.
  const until = Math.ceil((now + duration) / 1000) * 1000;
  withStateStore(ctx.env.ANOMALY_STATE_DB, (store) => snooze(store, name, until, opts.reason, now));
  ctx.log.info({ target: name, until: toIso(until), reason: opts.reason }, 'snoozed');
  ctx.out(`snoozed ${name} until ${toIso(until)}${opts.reason ? ` (${opts.reason})` : ''}\n`);
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
  const rows = entries.map((e) => [e.target, e.until, e.reason ?? '']);
  ctx.out(formatTable(['target', 'until', 'reason'], rows));
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
