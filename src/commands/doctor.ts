import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadChecksFile } from '../config/checks-file.js';
import { checkTypes } from '../checks/registry.js';
import { SqliteEngine } from '../db/sqlite-engine.js';
import type { QueryEngine } from '../db/engine.js';
import { isClickHouseUrl } from '../db/clickhouse-url.js';
import { probeClickHouse } from '../db/clickhouse-probe.js';
import { forEngine } from '../checks/prepare.js';
import type { ProbeLine } from '../notify/probe.js';
import type { CommandContext } from './context.js';
import { ExitCode } from '../errors.js';
import { plural } from '../text.js';

const DATA_TABLES = ['countries', 'orders', 'transactions', 'payments_aggregate', 'checkout_hourly', 'transaction_status', 'loads'];

/**
 * `anomaly doctor`: one line per thing that must work, with ✓ / ✗ and the fix. Replaces the
 * original tool's credential tests, which needed real accounts.
 */
export async function doctorCommand(ctx: CommandContext, opts: { config?: string; db?: string; json?: boolean }): Promise<number> {
  const lines: ProbeLine[] = [];
  const env = ctx.env;
  lines.push({ ok: true, what: 'configuration', detail: `time zone ${env.ANOMALY_TZ}, log ${env.ANOMALY_LOG_DIR}/anomaly.log, level ${env.ANOMALY_LOG_LEVEL}` });

  const dbOption = opts.db ?? env.ANOMALY_DB;
  const dbPath = resolve(dbOption);
  let engine: QueryEngine | undefined;
  if (isClickHouseUrl(dbOption)) {
    const probe = await probeClickHouse(dbOption, env);
    lines.push(...probe.lines);
    engine = probe.engine;
  } else if (!existsSync(dbPath)) {
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
          await engine.validate(forEngine(c, engine.name).sql);
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
    lines.push({ ok: false, what: 'checks file', detail: (error as Error).message, fix: 'fix the key named above (see docs/configuration.md)' });
  }
  await engine?.close();
  lines.push(await stateDatabaseLine(resolve(env.ANOMALY_STATE_DB)));

  const { createNotifiers } = await import('../notify/index.js');
  const notifiers = await createNotifiers(env, ctx.log);
  // A destination that is not configured is a choice (Slack-only set-ups are normal): a warning.
  // A broken Google key while Sheets is configured is a problem (78), not a choice.
  if (notifiers.sheetsError) lines.push({ ok: false, what: 'Google key file', detail: notifiers.sheetsError.message, fix: 'download a new JSON key for the service account' });
  const warnings: ProbeLine[] = notifiers.missing.filter((m) => !notifiers.sheetsError || !m.includes(notifiers.sheetsError.message)).map((m) => ({ ok: true, what: 'notifications', detail: m, fix: 'set the variables in .env (see .env.example)' }));
  if (notifiers.slack) {
    if (!env.SLACK_ALERT_CHANNEL_ID) {
      lines.push({ ok: false, what: 'Slack channel', detail: 'SLACK_ALERT_CHANNEL_ID unset', fix: 'set it to the channel id (C…)' });
    } else {
      lines.push(...(await notifiers.slack.probe(env.SLACK_ALERT_CHANNEL_ID)));
    }
  }
  if (notifiers.sheets) lines.push(...(await notifiers.sheets.probe(sheetTabs)));

  const report: DoctorLine[] = [
    ...lines.map((l): DoctorLine => (l.ok ? { status: 'ok', what: l.what, detail: l.detail } : { status: 'problem', what: l.what, detail: l.detail, ...withFix(fixFor(l, env)) })),
    ...warnings.map((l): DoctorLine => ({ status: 'warning', what: l.what, detail: l.detail, ...withFix(l.fix) })),
  ];
  const problems = report.filter((l) => l.status === 'problem').length;
  const warned = report.filter((l) => l.status === 'warning').length;
  const exitCode = problems ? ExitCode.badConfig : ExitCode.ok;
  if (opts.json) {
    ctx.out(JSON.stringify({ schemaVersion: 1, ok: problems === 0, problems, warnings: warned, exitCode, lines: report }, null, 2) + '\n');
    return exitCode;
  }
  const mark = { ok: '✓', warning: '!', problem: '✗' } as const;
  for (const l of report) {
    ctx.out(`${mark[l.status]} ${l.what}: ${l.detail}${l.status !== 'ok' && l.fix ? `\n    ${l.status === 'problem' ? 'fix' : 'to turn it on'}: ${l.fix}` : ''}\n`);
  }
  const warnText = warned ? ` (${plural(warned, 'warning')})` : '';
  ctx.out(problems ? `\n${plural(problems, 'problem')} found${warnText}.\n` : `\nAll good${warnText}.\n`);
  return exitCode;
}

interface DoctorLine {
  status: 'ok' | 'warning' | 'problem';
  what: string;
  detail: string;
  fix?: string;
}

/** The state database: valid, missing (the first run creates it), or refused as `anomaly run` would (docs/failures.md). */
async function stateDatabaseLine(path: string): Promise<ProbeLine> {
  const { validateStateFile } = await import('../alerts/store.js');
  try {
    return validateStateFile(path)
      ? { ok: true, what: 'state database', detail: path }
      : { ok: true, what: 'state database', detail: `${path} does not exist yet: the first \`anomaly run\` creates it` };
  } catch (error) {
    return { ok: false, what: 'state database', detail: (error as Error).message, fix: 'see docs/failures.md (the state database)' };
  }
}

function withFix(fix: string | undefined): { fix?: string } {
  return fix ? { fix } : {};
}

/**
 * The fix that matches what went wrong. A destination's probe suggests the fix for a refusal
 * (check the token, share the sheet); a connection that failed or a server error says nothing
 * about the token, so those get a fix of their own.
 */
export function fixFor(line: ProbeLine, env: CommandContext['env']): string | undefined {
  const google = /^Google|^Sheets/.test(line.what);
  const url = google ? env.GOOGLE_API_ROOT_URL ?? 'https://sheets.googleapis.com/' : env.SLACK_API_URL ?? 'https://slack.com/api/';
  if (/network error|no answer within/.test(line.detail)) {
    return `${url} could not be reached from this machine: check the network, proxy and firewall${google ? ' (and GOOGLE_API_ROOT_URL / GOOGLE_OAUTH_TOKEN_URL if set)' : ' (and SLACK_API_URL if set)'}, then run \`anomaly doctor\` again`;
  }
  if (/HTTP 5\d\d|HTTP 408|rate limited|internal_error|fatal_error|service_unavailable|request_timeout/.test(line.detail)) {
    return `${google ? 'Google' : 'Slack'} answered with a temporary error: run \`anomaly doctor\` again in a few minutes (runs retry such failures by themselves)`;
  }
  return line.fix;
}
