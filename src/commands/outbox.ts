import { formatElapsed, pendingOutbox, recentOutbox, withStateStore } from '../alerts/index.js';
import { formatTable } from '../alerts/format.js';
import { HOUR, parseDuration } from '../time.js';
import type { CommandContext } from './context.js';
import { plural } from '../text.js';

/**
 * `anomaly outbox [--all] [--json]`: notifications waiting to be delivered, oldest first (they are
 * sent first by the next run). `--all` adds those sent in the last 7 days and those given up.
 */
export async function outboxCommand(ctx: CommandContext, opts: { json?: boolean; all?: boolean }): Promise<number> {
  const now = ctx.now();
  const { entries, dead, everQueued } = withStateStore(ctx.env.ANOMALY_STATE_DB, (store) => ({
    entries: opts.all ? recentOutbox(store, now) : pendingOutbox(store, now),
    dead: (store.db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status = 'dead'`).get() as { n: number }).n,
    // Sent items are pruned in time; an alert that was notified proves something was queued once.
    everQueued: Boolean(
      store.db.prepare(`SELECT 1 FROM outbox LIMIT 1`).get() ?? store.db.prepare(`SELECT 1 FROM alerts WHERE notify_count > 0 LIMIT 1`).get(),
    ),
  }));
  if (opts.json) {
    ctx.out(JSON.stringify(entries, null, 2) + '\n');
    return 0;
  }
  if (entries.length === 0) {
    if (!everQueued) ctx.out('nothing has been queued yet: no run has notified anyone\n');
    else if (opts.all) ctx.out('the outbox is empty\n');
    else ctx.out(dead > 0 ? 'nothing pending\n' : 'nothing pending: every queued notification has been delivered\n');
  } else {
    const header = ['id', 'age', ...(opts.all ? ['status'] : []), 'destination', 'kind', 'attempts', 'last error'];
    const rows = entries.map((e) => [
      String(e.id),
      formatElapsed(e.ageMs),
      ...(opts.all ? [e.status] : []),
      e.destination,
      e.kind,
      String(e.attempts),
      oneLine(e.lastError ?? ''),
    ]);
    ctx.out(formatTable(header, rows));
  }
  const maxAgeMs = parseDuration(ctx.env.ANOMALY_OUTBOX_MAX_AGE) ?? HOUR;
  const stuck = entries.filter((e) => e.status === 'pending' && e.ageMs > maxAgeMs).length;
  if (stuck > 0) {
    ctx.out(`${stuck} notification(s) waiting longer than ${formatElapsed(maxAgeMs)} (ANOMALY_OUTBOX_MAX_AGE): \`anomaly run\` exits 3 until they are delivered\n`);
  }
  if (!opts.all && dead > 0) {
    ctx.out(`${plural(dead, 'notification')} ${dead === 1 ? 'was' : 'were'} given up after 7 days undelivered: run \`anomaly outbox --all\` to see ${dead === 1 ? 'it' : 'them'}\n`);
  }
  return 0;
}

function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}
