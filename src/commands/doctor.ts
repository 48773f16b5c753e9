import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadChecksFile } from '../config/checks-file.js';
import { checkTypes } from '../checks/registry.js';
import { SqliteEngine } from '../db/sqlite-engine.js';
import type { ProbeLine } from '../notify/probe.js';
import type { CommandContext } from './context.js';

const DATA_TABLES = ['countries', 'orders', 'transactions', 'payments_aggregate', 'checkout_hourly', 'transaction_status', 'loads'];

/**
 * `anomaly doctor`: one line per thing that must work, with ✓ / ✗ and the fix. Replaces the
 * original tool's credential tests, which needed real accounts.
 */
export async function doctorCommand(ctx: CommandContext, opts: { config?: string; db?: string }): Promise<number> {
  const lines: ProbeLine[] = [];
  const env = ctx.env;
  lines.push({ ok: true, what: 'configuration', detail: `time zone ${env.ANOMALY_TZ}, log ${env.ANOMALY_LOG_DIR}/anomaly.log, level ${env.ANOMALY_LOG_LEVEL}` });

  const dbPath = resolve(opts.db ?? env.ANOMALY_DB);
  let engine: SqliteEngine | undefined;
  if (!existsSync(dbPath)) {
    lines.push({ ok: false, what: 'database', detail: `${dbPath} not found`, fix: 'run `anomaly init-db` (or `npm run init-db`)' });
  } else {
    try {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      const tables = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name));
      const missing = DATA_TABLES.filter((t) => !tables.has(t));
      const loads = tables.has('loads') ? (db.prepare('SELECT table_name, SUM(rows) AS rows FROM loads GROUP BY table_name').all() as { table_name: string; rows: number }[]) : [];
      lines.push(
        missing.length
          ? { ok: false, what: 'database schema', detail: `missing tables: ${missing.join(', ')}`, fix: 'rebuild it with `anomaly init-db`' }
          : { ok: true, what: 'database', detail: `${dbPath}: ${loads.map((l) => `${l.table_name} ${l.rows}`).join(', ') || 'no data loaded'}` },
      );
      engine = new SqliteEngine(db);
    } catch (error) {
      lines.push({ ok: false, what: 'database', detail: (error as Error).message, fix: 'rebuild it with `anomaly init-db`' });
    }
  }

  const configPath = opts.config ?? env.ANOMALY_CONFIG;
  let sheetTabs: string[] = ['Check results'];
  try {
    const file = loadChecksFile(resolve(configPath), checkTypes());
    sheetTabs = [...new Set(['Check results', ...file.checks.flatMap((c) => (c.sheet ? [c.sheet] : []))])];
    const bad: string[] = [];
    if (engine) {
      for (const c of file.checks) {
        try {
          await engine.validate(c.sql);
        } catch (error) {
          bad.push(`${c.name}: ${(error as Error).message}`);
        }
      }
    }
    lines.push(
      bad.length
        ? { ok: false, what: 'checks file', detail: `${configPath}: SQL does not prepare: ${bad.join('; ')}`, fix: 'fix the SQL or reload the data' }
        : { ok: true, what: 'checks file', detail: `${configPath}: ${file.checks.length} checks${engine ? ', all SQL prepares' : ''}` },
    );
  } catch (error) {
    lines.push({ ok: false, what: 'checks file', detail: (error as Error).message, fix: 'fix the key named above (see README: the checks file)' });
  }
  await engine?.close();

  const { createNotifiers } = await import('../notify/index.js');
  const notifiers = await createNotifiers(env, ctx.log);
  for (const m of notifiers.missing) lines.push({ ok: false, what: 'notifications', detail: m, fix: 'set the variables in .env (see .env.example)' });
  if (notifiers.slack) {
    if (!env.SLACK_ALERT_CHANNEL_ID) {
      lines.push({ ok: false, what: 'Slack channel', detail: 'SLACK_ALERT_CHANNEL_ID unset', fix: 'set it to the channel id (C…)' });
    } else {
      lines.push(...(await notifiers.slack.probe(env.SLACK_ALERT_CHANNEL_ID)));
    }
  }
  if (notifiers.sheets) lines.push(...(await notifiers.sheets.probe(sheetTabs)));

  for (const l of lines) {
    ctx.out(`${l.ok ? '✓' : '✗'} ${l.what}: ${l.detail}${!l.ok && l.fix ? `\n    fix: ${l.fix}` : ''}\n`);
  }
  const failed = lines.filter((l) => !l.ok).length;
  ctx.out(failed ? `\n${failed} problem(s) found.\n` : '\nAll good.\n');
  return failed ? 78 : 0;
}
