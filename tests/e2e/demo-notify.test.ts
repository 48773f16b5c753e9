import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

const script = join(REPO, 'dist/scripts/demo-notify.js');

describe('npm run demo:notify', () => {
  it.skipIf(!existsSync(script))('shows the digest, its charts, the Sheets rows and a resolve, with no credentials', () => {
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SLACK_ALERT_BOT_TOKEN: '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/── Slack: the digest/);
    expect(r.stdout).toMatch(/🔴 \d+ critical/);
    expect(r.stdout).toMatch(/transaction_status_rates\.png \(\d+ bytes PNG\) → thread /);
    expect(r.stdout).toMatch(/tab "Check results" \(8 rows\)/);
    expect(r.stdout).toMatch(/tab "Anomaly: unfinished orders"/);
    expect(r.stdout).toMatch(/chat\.update ts=/);
    expect(r.stdout).toMatch(/reply in thread .*resolved/i);
  });
});
