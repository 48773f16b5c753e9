/**
 * `npm run demo:notify`: the demo against local fake Slack and Google Sheets servers (127.0.0.1),
 * through the real clients. Shows the Slack digest, the charts in its thread, the Sheets rows, and
 * later a resolve (the digest edited, a reply in its thread). Needs no credentials or network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.js';
import { blocksText, startFakeSlack } from '../tests/helpers/fake-slack.js';
import { startFakeGoogle } from '../tests/helpers/fake-google.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'anomaly-demo-notify-'));
const slack = await startFakeSlack();
const google = await startFakeGoogle({ title: 'Anomaly monitoring (demo)' });
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ANOMALY_DB: join(work, 'anomaly.db'),
  ANOMALY_STATE_DB: join(work, 'state.db'),
  ANOMALY_LOG_DIR: join(work, 'logs'),
  ANOMALY_DATA_DIR: join(repoRoot, 'data'),
  ANOMALY_CONFIG: join(repoRoot, 'anomaly.config.yaml'),
  SLACK_ALERT_BOT_TOKEN: slack.token,
  SLACK_ALERT_CHANNEL_ID: 'C0DEMO',
  SLACK_API_URL: slack.url,
  PATH_TO_GOOGLE_JSON_CREDENTIALS: google.writeServiceAccountKey(work),
  GOOGLE_SHEET_KEY: google.spreadsheetId,
  GOOGLE_API_ROOT_URL: google.rootUrl,
  GOOGLE_OAUTH_TOKEN_URL: google.tokenUrl,
};

const say = (text: string) => process.stdout.write(text);
const cli = async (...args: string[]) => {
  say(`\n$ anomaly ${args.join(' ')}\n`);
  const code = await main(['node', 'anomaly', ...args], { env, cwd: work, interactive: false, stdout: say, stderr: say });
  say(`(exit ${code})\n`);
  return code;
};
const rule = (title: string) => say(`\n── ${title} ${'─'.repeat(Math.max(0, 72 - title.length))}\n`);

try {
  await cli('init-db');
  await cli('run', '--at', '2026-11-20T15:00:00Z');

  rule('Slack: the digest');
  for (const m of slack.messages.filter((x) => !x.thread_ts)) say(`[${m.channel} ts=${m.ts}]\n${blocksText(m.blocks)}\n`);
  rule('Slack: charts uploaded into the thread');
  for (const u of slack.uploads) say(`${u.filename} (${u.length} bytes PNG) → thread ${u.thread_ts}\n`);
  rule('Google Sheets');
  for (const [tab, rows] of google.tabs) {
    say(`tab "${tab}" (${rows.length} rows)\n`);
    for (const row of rows.slice(0, 8)) say(`  ${row.map((c) => String(c ?? '').slice(0, 60)).join(' | ')}\n`);
    if (rows.length > 8) say(`  … ${rows.length - 8} more\n`);
  }

  rule('Later that night the status incidents are over: the digest is edited and a reply posted');
  await cli('run', '--at', '2026-11-20T22:00:00Z');
  for (const u of slack.updates) say(`chat.update ts=${u.ts}:\n${blocksText(u.blocks)}\n`);
  for (const m of slack.messages.filter((x) => x.thread_ts && x.text)) say(`reply in thread ${m.thread_ts}: ${m.text}\n`);
} finally {
  await slack.close();
  await google.close();
  rmSync(work, { recursive: true, force: true });
}
