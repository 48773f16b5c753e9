import { resolve } from 'node:path';
import { loadChecksFile } from '../config/checks-file.js';
import { checkTypes } from '../checks/registry.js';
import { forEngine } from '../checks/prepare.js';
import { isClickHouseUrl } from '../db/clickhouse-url.js';
import type { CommandContext } from './context.js';
import { formatDuration, plural } from '../text.js';

/**
 * `anomaly checks`: the configured checks with type, description and destinations. `sql` names the
 * file the data database's engine runs: on ClickHouse a check's dialect twin where it has one.
 */
export async function checksCommand(ctx: CommandContext, opts: { config?: string; json?: boolean; db?: string }): Promise<number> {
  const file = loadChecksFile(resolve(opts.config ?? ctx.env.ANOMALY_CONFIG), checkTypes());
  const engineName = isClickHouseUrl(opts.db ?? ctx.env.ANOMALY_DB) ? 'clickhouse' : 'sqlite';
  const rows = file.checks.map((c) => forEngine(c, engineName)).map((c) => ({
    name: c.name,
    type: c.type,
    severity: c.severity,
    enabled: c.enabled,
    description: c.description,
    sql: c.sqlSource,
    slack: c.slack.enabled ? c.slack.channel ?? 'default channel' : 'off',
    sheet: c.sheet ?? null,
    repeatInterval: formatDuration(c.repeatIntervalMs),
    resolveAfter: c.resolveAfter,
    keepFiringFor: formatDuration(c.keepFiringForMs ?? 0),
  }));
  if (opts.json) {
    ctx.out(JSON.stringify({ config: opts.config ?? ctx.env.ANOMALY_CONFIG, checks: rows }, null, 2) + '\n');
    return 0;
  }
  for (const r of rows) {
    ctx.out(`${r.name}${r.enabled ? '' : ' (disabled)'}  [${r.type}, ${r.severity}]\n`);
    ctx.out(`  ${r.description}\n`);
    ctx.out(`  sql: ${r.sql} · slack: ${r.slack} · sheet: ${r.sheet ?? 'only "Check results"'} · repeat every ${r.repeatInterval}, resolve after ${plural(r.resolveAfter, 'clean run')}${r.keepFiringFor === '0s' ? '' : ` and ${r.keepFiringFor} without evidence`}\n`);
  }
  return 0;
}
