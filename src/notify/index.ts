/**
 * Builds the destinations whose credentials are configured. A missing destination is not an
 * error (a dry run or a Sheets-only setup is legitimate) but is explained in `missing`.
 */
import type { Env } from '../config/env.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { createSheetsNotifier, type SheetsNotifier } from './sheets/notifier.js';
import { createSlackNotifier, type SlackNotifier } from './slack/notifier.js';

export { deliverWithRetry, retryPolicyFromEnv, backoffMs } from './retry.js';
export { renderDigest } from './slack/blocks.js';
export { createSlackNotifier, type SlackNotifier } from './slack/notifier.js';
export { createSheetsNotifier, type SheetsNotifier } from './sheets/notifier.js';
export type { ProbeLine } from './probe.js';

export interface Notifiers {
  slack?: SlackNotifier;
  sheets?: SheetsNotifier;
  /** One line per destination that is off, saying why. */
  missing: string[];
  /**
   * Set when Google Sheets is configured but its key file is broken (unreadable, not JSON, no
   * client_email / private_key). That is a configuration error (78), not "Sheets off".
   */
  sheetsError?: ConfigError;
}

export async function createNotifiers(env: Env, log: Logger): Promise<Notifiers> {
  const out: Notifiers = { missing: [] };
  const timeoutMs = env.ANOMALY_NOTIFY_TIMEOUT_MS;

  if (env.SLACK_ALERT_BOT_TOKEN) {
    out.slack = createSlackNotifier({
      token: env.SLACK_ALERT_BOT_TOKEN,
      apiUrl: env.SLACK_API_URL,
      timeoutMs,
      log,
      tz: env.ANOMALY_TZ,
    });
  } else {
    out.missing.push('Slack not configured (SLACK_ALERT_BOT_TOKEN unset): nobody notified');
  }

  const unset = (['PATH_TO_GOOGLE_JSON_CREDENTIALS', 'GOOGLE_SHEET_KEY'] as const).filter((k) => !env[k]);
  if (unset.length > 0) {
    out.missing.push(`Google Sheets not configured (${unset.join(' and ')} unset): nothing written to Sheets`);
  } else {
    try {
      out.sheets = await createSheetsNotifier({
        credentialsPath: env.PATH_TO_GOOGLE_JSON_CREDENTIALS!,
        spreadsheetId: env.GOOGLE_SHEET_KEY!,
        rootUrl: env.GOOGLE_API_ROOT_URL,
        tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL,
        timeoutMs,
        log,
      });
    } catch (err) {
      // A broken key file must not stop Slack alerts from going out: the caller delivers what it
      // can, keeps the Sheets rows queued, and fails with 78 at the end.
      if (!(err instanceof ConfigError)) throw err;
      log.error({ err: err.message }, 'Google Sheets key file is broken');
      out.missing.push(`Google Sheets off: ${err.message}`);
      out.sheetsError = err;
    }
  }
  return out;
}
