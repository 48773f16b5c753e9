import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { acquireLock } from '../lock.js';
import { parseDuration, toIso, DAY } from '../time.js';
import type { CommandContext } from './context.js';

export interface PruneOptions {
  olderThan?: string;
  dryRun?: boolean;
  config?: string;
}

/**
 * `anomaly prune [--older-than 30d] [--dry-run]`: delete run history, delivered notifications,
 * resolved alerts and ended snoozes older than the retention, then VACUUM if worthwhile. Takes the
 * run lock (exit 75 while a run is in progress). Without --older-than: the checks file's
 * `defaults.retention` (30d when there is no checks file).
 */
export async function pruneCommand(ctx: CommandContext, opts: PruneOptions): Promise<number> {
  const retention = await retentionOf(ctx, opts);
  const statePath = resolve(ctx.env.ANOMALY_STATE_DB);
  if (!existsSync(statePath)) {
    ctx.out(`nothing to prune: ${ctx.env.ANOMALY_STATE_DB} does not exist yet\n`);
    return 0;
  }
  const { StateStore } = await import('../alerts/store.js');
  const { prune, vacuumIfWorthwhile, spaceOf, DETAIL_KEEP_MS, VACUUM_MIN_FREE_BYTES, VACUUM_MIN_FREE_RATIO } = await import('../alerts/retention.js');
  const lock = acquireLock(statePath + '.run.lock', 'anomaly prune');
  try {
    const store = StateStore.open(statePath);
    try {
      const cutoff = ctx.now() - retention.ms;
      const counts = prune(store, { cutoff, detailCutoff: ctx.now() - DETAIL_KEEP_MS, dryRun: opts.dryRun, compactBefore: ctx.now() - DAY });
      const verb = opts.dryRun ? 'would delete' : 'deleted';
      ctx.out(
        `${verb} what is older than ${retention.text} (before ${toIso(Math.floor(cutoff / 1000) * 1000)}${retention.from ? `, ${retention.from}` : ''}): ` +
          `${counts.runs} runs with ${counts.results} check results, ${counts.payloads} stored anomaly/chart payloads, ` +
          `${counts.outbox} notifications delivered or given up, and the chart data of ${counts.charts} results, over ${Math.round((Math.min(retention.ms, DETAIL_KEEP_MS) / DAY) * 10) / 10}d old, ${counts.alerts} resolved alerts, ${counts.snoozes} ended snoozes; ` +
          `content of ${counts.compacted} notifications delivered over a day ago dropped (their rows stay)\n`,
      );
      const space = vacuumIfWorthwhile(store, { dryRun: opts.dryRun });
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
      const rule = `worthwhile from ${Math.round(VACUUM_MIN_FREE_RATIO * 100)} % and ${mb(VACUUM_MIN_FREE_BYTES)} free`;
      if (space.vacuumed) ctx.out(`VACUUM done: the state database is now ${mb(space.fileBytes)}\n`);
      else {
        const after = opts.dryRun ? space : spaceOf(store);
        ctx.out(`state database ${mb(after.fileBytes)}, ${mb(after.freeBytes)} free: no VACUUM (${rule}; freed pages are reused by later runs)\n`);
      }
      return 0;
    } finally {
      store.close();
    }
  } finally {
    lock.release();
  }
}

async function retentionOf(ctx: CommandContext, opts: PruneOptions): Promise<{ ms: number; text: string; from?: string }> {
  if (opts.olderThan !== undefined) {
    const ms = parseDuration(opts.olderThan);
    if (ms === undefined || ms <= 0) throw new UsageError(`--older-than ${JSON.stringify(opts.olderThan)}: use a duration such as 12h, 30d or 8w`);
    return { ms, text: opts.olderThan };
  }
  const config = opts.config ?? ctx.env.ANOMALY_CONFIG;
  if (opts.config === undefined && !existsSync(resolve(config))) return { ms: 30 * DAY, text: '30d', from: 'the default retention' };
  const { loadChecksFile } = await import('../config/checks-file.js');
  const { checkTypes } = await import('../checks/registry.js');
  const file = loadChecksFile(resolve(config), checkTypes());
  return { ms: file.retentionMs, text: `${Math.round((file.retentionMs / DAY) * 100) / 100}d`, from: `defaults.retention of ${config}` };
}
