import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateStore, drainOutbox, planNotifications } from '../../src/alerts/index.js';
import { outboxCommand } from '../../src/commands/outbox.js';
import { snoozeCommand, snoozesCommand, unsnoozeCommand } from '../../src/commands/snooze.js';
import type { CommandContext } from '../../src/commands/context.js';
import { parseEnv } from '../../src/config/env.js';
import { ExitCode, UsageError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { DAY, HOUR, MINUTE } from '../../src/time.js';
import { FakeNotifier, T0, anomaly, policies, policy, result, retryable, tempDir } from './helpers.js';

/** A checks file naming the checks these tests snooze (snooze refuses names it does not know). */
const CHECKS_YAML = `version: 1
checks:
${['status_rates', 'volume', 'unfinished_orders'].map((n) => `  - { name: ${n}, type: query_empty, description: ${n}, sql: "SELECT 1 AS x WHERE 0" }`).join('\n')}
`;

function context(now: number = T0) {
  const dir = tempDir();
  const out: string[] = [];
  writeFileSync(path.join(dir, 'checks.yaml'), CHECKS_YAML);
  const ctx: CommandContext = {
    env: parseEnv({ ANOMALY_STATE_DB: path.join(dir, 'nested', 'state.db'), ANOMALY_CONFIG: path.join(dir, 'checks.yaml') }),
    log: silentLogger(),
    out: (t) => void out.push(t),
    err: () => {},
    interactive: false,
    now: () => now,
  };
  return { ctx, out, text: () => out.join('') };
}

describe('snooze commands', () => {
  it('snooze prints the end time; snoozes lists it; unsnooze removes it', async () => {
    const { ctx, text, out } = context();
    expect(await snoozeCommand(ctx, 'status_rates', { for: '2h', reason: 'deploy', author: 'ana' })).toBe(0);
    expect(text()).toBe('snoozed status_rates until 2026-11-20T17:00:00Z by ana (deploy)\n');
    await snoozeCommand(ctx, 'unfinished_orders:merchant 4', { for: '1h30m', force: true }, { USER: 'ops' }); // author: the OS user

    out.length = 0;
    await snoozesCommand(ctx, {});
    expect(text()).toBe(
      [
        'target                        until                 author  reason',
        'unfinished_orders:merchant 4  2026-11-20T16:30:00Z  ops',
        'status_rates                  2026-11-20T17:00:00Z  ana     deploy',
        '',
      ].join('\n'),
    );
    out.length = 0;
    await snoozesCommand(ctx, { json: true });
    expect(JSON.parse(text())).toEqual([
      { target: 'unfinished_orders:merchant 4', until: '2026-11-20T16:30:00Z', reason: null, author: 'ops', createdAt: '2026-11-20T15:00:00Z' },
      { target: 'status_rates', until: '2026-11-20T17:00:00Z', reason: 'deploy', author: 'ana', createdAt: '2026-11-20T15:00:00Z' },
    ]);

    out.length = 0;
    expect(await unsnoozeCommand(ctx, 'status_rates')).toBe(0);
    expect(text()).toBe('unsnoozed status_rates\n');
    out.length = 0;
    await snoozesCommand(ctx, {});
    expect(text()).not.toContain('status_rates ');
  });

  it('expired snoozes are not listed', async () => {
    const { ctx } = context();
    await snoozeCommand(ctx, 'status_rates', { for: '30m' });
    const later = context(T0 + HOUR);
    later.ctx.env = ctx.env;
    await snoozesCommand(later.ctx, {});
    expect(later.text()).toBe('no active snoozes\n');
  });

  it('a bad duration is a usage error (exit 64) that names the value', async () => {
    const { ctx } = context();
    for (const bad of ['two hours', '', '0m', '5x']) {
      const error = await snoozeCommand(ctx, 'status_rates', { for: bad }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(ExitCode.usage);
      expect((error as Error).message).toContain(JSON.stringify(bad));
    }
  });

  it('unsnoozing something not snoozed is a usage error that says what is snoozed', async () => {
    const { ctx } = context();
    await snoozeCommand(ctx, 'volume', { for: '1d' });
    const error = (await unsnoozeCommand(ctx, 'status_rates').catch((e: unknown) => e)) as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.exitCode).toBe(64);
    expect(error.message).toBe('unsnooze: "status_rates" is not snoozed (snoozed now: volume)');
  });
});

describe('outbox command', () => {
  async function queue(ctx: CommandContext) {
    const store = StateStore.open(ctx.env.ANOMALY_STATE_DB);
    const slack = new FakeNotifier('slack');
    const sheets = new FakeNotifier('sheets');
    planNotifications(store, {
      runId: 'run-1',
      at: T0,
      results: [result('status_rates', [anomaly('reversed')])],
      policies: policies(policy('status_rates')),
      destinations: { slack: { defaultChannel: '#alerts' }, sheets: true },
      now: T0,
    });
    slack.failWith = retryable('An API error occurred: ratelimited');
    await drainOutbox(store, { slack, sheets }, { deliver: (n, x) => n.send(x), now: () => T0 });
    store.close();
  }

  it('lists pending items oldest first with age, attempts and last error', async () => {
    const { ctx, text, out } = context(T0 + 90 * MINUTE);
    await outboxCommand(ctx, {});
    expect(text()).toBe('nothing has been queued yet: no run has notified anyone\n');
    await queue(ctx);
    out.length = 0;
    expect(await outboxCommand(ctx, {})).toBe(0);
    expect(text()).toBe(
      [
        'id  age     destination  kind          attempts  last error',
        '1   1h 30m  slack        slack.digest  1         An API error occurred: ratelimited',
        // Older than ANOMALY_OUTBOX_MAX_AGE (default 1h): said, because `anomaly run` fails on it.
        '1 notification(s) waiting longer than 1h (ANOMALY_OUTBOX_MAX_AGE): `anomaly run` exits 3 until they are delivered',
        '',
      ].join('\n'),
    );
    out.length = 0;
    await outboxCommand(ctx, { json: true });
    expect(JSON.parse(text())).toMatchObject([{ id: 1, status: 'pending', destination: 'slack', kind: 'slack.digest', attempts: 1, ageMs: 90 * MINUTE }]);
  });

  it('--all includes recently sent items, and dead ones are pointed out', async () => {
    const { ctx, text, out } = context(T0 + HOUR);
    await queue(ctx);
    await outboxCommand(ctx, { all: true });
    expect(text()).toContain('1   1h   pending  slack        slack.digest');
    expect(text()).toContain('2   1h   sent     sheets       sheets.append');

    ctx.now = () => T0 + 8 * DAY;
    out.length = 0;
    await outboxCommand(ctx, { all: true });
    expect(text()).not.toContain('sheets.append'); // sent more than 7 days ago

    const store = StateStore.open(ctx.env.ANOMALY_STATE_DB);
    await drainOutbox(store, {}, { deliver: (n, x) => n.send(x), now: () => T0 + 8 * DAY });
    store.close();
    out.length = 0;
    await outboxCommand(ctx, {});
    expect(text()).toBe(
      'nothing pending\n1 notification was given up after 7 days undelivered: run `anomaly outbox --all` to see it\n',
    );
    out.length = 0;
    await outboxCommand(ctx, { all: true });
    expect(text()).toMatch(/1 +8d +dead +slack +slack\.digest +1 +An API error occurred: ratelimited; gave up: pending for more than 7 days/);
  });
});

describe('snooze end time', () => {
  it('is printed to the second, never earlier than asked', async () => {
    const { ctx, text } = context(T0 + 250);
    await snoozeCommand(ctx, 'volume', { for: '90s', author: 'ana' });
    expect(text()).toBe('snoozed volume until 2026-11-20T15:01:31Z by ana\n');
  });
});
