/**
 * Fault injection: every alert exactly once. Each seeded trial starts from the same state: a run
 * at 10:00 queued a digest (two alerts) and its chart while Slack was unreachable. Then the real
 * `anomaly run` CLI runs as a child process at 11:00 — the alerts resolve, so it sends the queued
 * digest and chart, then edits the digest and replies in its thread — against the trial's own
 * fake Slack, which answers late (after the client's timeout, having stored the message), drops
 * connections, returns 500s (before or after storing), rate limits, or refuses connections for a
 * while; most trials SIGKILL the process at a random moment (usually while it talks to Slack).
 * Then a clean run finishes the job. The channel must end with exactly one digest, one upload of
 * its chart and one resolve reply in its thread.
 *
 * (The 11:00 run renders no chart: rendering is most of a run's CPU, and the trials share a busy
 * machine. The posting code is the same whichever run queued the items.)
 *
 * EXACTLY_ONCE_TRIALS and EXACTLY_ONCE_SEED override the defaults (50, fixed seed).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/detect/random.js';
import { REPO, SHARED, runCli, workspace, type Workspace } from '../helpers/cli.js';
import { blocksText, startFakeSlack, type FakeSlack, type SlackFault } from '../helpers/fake-slack.js';

const TRIALS = Number(process.env.EXACTLY_ONCE_TRIALS ?? 50);
const SEED = Number(process.env.EXACTLY_ONCE_SEED ?? 20261201);
/** Child processes at a time: they mostly wait on timeouts, but the machine is shared. */
const CONCURRENCY = 4;
const TIMEOUT_MS = 250;
const QUEUED_AT = '2023-01-10T10:00:00Z';
/** Two months later the unfinished orders are outside the 60-day lookback: both alerts resolve. */
const AT = '2023-03-15T11:00:00Z';
const CLEAN_AT = '2023-03-15T11:05:00Z';
const BIN = join(REPO, 'bin/anomaly.js');
/**
 * The charts a run at AT uploads: one check with a chart keeps each trial cheap (rendering is
 * most of a run's CPU); the digest carries two alerts.
 */
const CHARTS = ['unfinished_orders.png'];

interface TrialPlan {
  faultRate: number;
  /** Kill: measured from the process's first Slack request (mid-send), or from its start. */
  kill?: { from: 'first-request' | 'start'; afterMs: number };
  /** Refuse connections for a while (the port is closed), measured from the start. */
  refuse?: { atMs: number; forMs: number };
}

interface TrialOutcome {
  trial: number;
  plan: TrialPlan;
  killed: boolean;
  /** The kill landed after the process had started talking to Slack. */
  killedMidSend: boolean;
  faults: Record<string, number>;
  childExit: number | null;
  cleanExit: number;
  digests: number;
  uploads: Record<string, number>;
  replies: number;
  problems: string[];
  adopted: number;
}

function planTrial(rng: () => number): TrialPlan {
  const plan: TrialPlan = { faultRate: 0.2 + 0.4 * rng() };
  const k = rng();
  if (k < 0.65) plan.kill = { from: 'first-request', afterMs: Math.round(rng() * 900) };
  else if (k < 0.85) plan.kill = { from: 'start', afterMs: Math.round(rng() * 2500) };
  if (rng() < 0.25) plan.refuse = { atMs: Math.round(rng() * 3000), forMs: 200 + Math.round(rng() * 800) };
  return plan;
}

const FAULTS: [name: string, make: (rng: () => number) => SlackFault][] = [
  ['late answer, stored', (rng) => ({ slowMs: TIMEOUT_MS + 100 + Math.round(rng() * 600) })],
  ['timeout, not stored', (rng) => ({ hangMs: TIMEOUT_MS + 100 + Math.round(rng() * 600) })],
  ['500, not stored', () => ({ status: 500 })],
  ['500, stored', () => ({ status: 500, afterApply: true })],
  ['reset, not stored', () => ({ reset: true })],
  ['reset, stored', () => ({ reset: true, afterApply: true })],
  ['429', () => ({ status: 429, retryAfter: 0 })],
];

/** In-process clean runs one at a time (they share this process's module state). */
let cleanQueue: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const next = cleanQueue.then(fn, fn);
  cleanQueue = next.catch(() => undefined);
  return next;
}

describe('every alert exactly once under faults and kills', () => {
  let data: Workspace;
  let cfg: string;
  /** The state after the 10:00 run: digest and chart pending. Copied into every trial. */
  let template: string;
  const outcomes: TrialOutcome[] = [];

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist/src/cli.js'))) throw new Error('run `npm run build` first: the trials spawn bin/anomaly.js');
    data = workspace();
    data.put(join(SHARED, 'cloudwalk/checkout_1.csv'), 'checkout/checkout_1.csv');
    data.put(join(SHARED, 'cloudwalk/transactions_1.csv'), 'transaction_status/transactions_1.csv');
    data.write('orders.csv', 'id,created_date,merchant_id\n1,12/20/22 9:00,1\n2,12/21/22 10:00,2\n3,12/22/22 11:00,3\n');
    data.write(
      'transactions.csv',
      'id,created_date,transaction_type,order_id,transaction_status\n1,12/20/22 9:00,auth,1,success\n2,12/21/22 10:00,auth,2,success\n3,12/22/22 10:00,settle,2,success\n4,12/22/22 11:00,auth,3,success\n5,12/23/22 11:00,settle,3,fail\n',
    );
    expect((await data.cli('init-db', '--date', '2023-01-10')).code).toBe(0);
    cfg = join(data.dir, 'exactly-once.yaml');
    // sql_file must sit in the checks file's folder tree.
    copyFileSync(join(REPO, 'checks/unfinished_orders.sql'), join(data.dir, 'unfinished_orders.sql'));
    writeFileSync(
      cfg,
      // The trials' times are years before the wall clock: keep their resolved alerts (retention counts from now).
      `defaults:
  retention: 5000d
checks:
  - name: unfinished_orders
    type: query_empty
    description: orders not settled within 7 days
    sql_file: unfinished_orders.sql
    params: { key: "merchant {merchant_id}", lookback: 60d }
    # The trials run two months after the data: no stale-data alert, only the queued delivery.
    source: false
`,
    );
    const offline = await startFakeSlack();
    const unreachable = offline.url;
    await offline.close();
    template = join(data.dir, 'template-state.db');
    const queued = await runCli(['run', '--at', QUEUED_AT, '--config', cfg], {
      ...data.env,
      ANOMALY_STATE_DB: template,
      SLACK_ALERT_BOT_TOKEN: offline.token,
      SLACK_ALERT_CHANNEL_ID: 'C0TRIALS',
      SLACK_API_URL: unreachable,
      ANOMALY_NOTIFY_ATTEMPTS: '1',
    }, data.dir);
    expect(queued.code, queued.stdout + queued.stderr).toBe(3);
    const db = new Database(template, { readonly: true });
    const kinds = db.prepare(`SELECT kind FROM outbox WHERE status = 'pending' ORDER BY id`).all() as { kind: string }[];
    db.close();
    expect(kinds.map((k) => k.kind)).toEqual(['slack.digest', 'slack.file']);
  }, 120_000);

  afterAll(() => {
    if (data) rmSync(data.dir, { recursive: true, force: true });
  });

  async function trial(i: number): Promise<TrialOutcome> {
    const planRng = mulberry32(SEED + i * 7919);
    const faultRng = mulberry32((SEED ^ 0x5bd1e995) + i * 104_729);
    const plan = planTrial(planRng);
    const fake: FakeSlack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), 'anomaly-exactly-once-'));
    copyFileSync(template, join(dir, 'state.db'));
    const channel = 'C0TRIALS';
    const env: NodeJS.ProcessEnv = {
      ...data.env,
      ANOMALY_STATE_DB: join(dir, 'state.db'),
      ANOMALY_LOG_DIR: join(dir, 'logs'),
      ANOMALY_LOG_LEVEL: 'info',
      SLACK_ALERT_BOT_TOKEN: fake.token,
      SLACK_ALERT_CHANNEL_ID: channel,
      SLACK_API_URL: fake.url,
      ANOMALY_NOTIFY_TIMEOUT_MS: String(TIMEOUT_MS),
      ANOMALY_NOTIFY_ATTEMPTS: '3',
      ANOMALY_NOTIFY_BACKOFF_MS: '10',
    };
    const faults: Record<string, number> = {};
    fake.setFaultPolicy(() => {
      if (faultRng() >= plan.faultRate) return undefined;
      const [name, make] = FAULTS[Math.min(FAULTS.length - 1, Math.floor(faultRng() * FAULTS.length))]!;
      faults[name] = (faults[name] ?? 0) + 1;
      return make(faultRng);
    });
    const timers: NodeJS.Timeout[] = [];
    let killed = false;
    let killedMidSend = false;
    let talking = false;
    try {
      const child = spawn(process.execPath, [BIN, 'run', '--at', AT, '--config', cfg], {
        cwd: dir,
        env: { PATH: process.env.PATH, ...env },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let running = true;
      void exited.then(() => (running = false));
      const kill = () => {
        if (!running) return;
        killed = true;
        killedMidSend = talking;
        child.kill('SIGKILL');
      };
      fake.onRequest(() => {
        if (talking) return;
        talking = true;
        if (plan.kill?.from === 'first-request') timers.push(setTimeout(kill, plan.kill.afterMs));
      });
      if (plan.kill?.from === 'start') timers.push(setTimeout(kill, plan.kill.afterMs));
      if (plan.refuse) {
        const { atMs, forMs } = plan.refuse;
        timers.push(
          setTimeout(() => {
            if (!running) return;
            faults['connection refused (window)'] = 1;
            void fake.stop().then(() => timers.push(setTimeout(() => void fake.restart(), forMs)));
          }, atMs),
        );
      }
      const t0 = Date.now();
      const childExit = await exited;
      const t1 = Date.now();
      for (const t of timers) clearTimeout(t);

      // The clean run: Slack healthy again.
      fake.setFaultPolicy(undefined);
      await fake.restart();
      // Healthy Slack, generous timeout: on a busy machine even a healthy answer can be slow. A
      // clean run that still leaves something queued (as cron would) is followed by another.
      const cleanEnv = { ...env, ANOMALY_NOTIFY_TIMEOUT_MS: '5000', ANOMALY_NOTIFY_ATTEMPTS: '4' };
      let clean = await serial(() => runCli(['run', '--at', CLEAN_AT, '--config', cfg], cleanEnv, dir));
      for (let again = 0; again < 2 && clean.code === 3; again++) {
        clean = await serial(() => runCli(['run', '--at', CLEAN_AT, '--config', cfg], cleanEnv, dir));
      }
      if (process.env.EXACTLY_ONCE_DEBUG) console.log(`trial ${i}: child ${t1 - t0} ms, clean ${Date.now() - t1} ms`);

      const digests = fake.messages.filter((m) => m.channel === channel && !m.thread_ts);
      const uploads: Record<string, number> = {};
      for (const u of fake.uploads) {
        if (u.completed && u.channel === channel && u.thread_ts === digests[0]?.ts) uploads[u.filename] = (uploads[u.filename] ?? 0) + 1;
      }
      const replies = fake.messages.filter((m) => m.thread_ts !== undefined && m.thread_ts === digests[0]?.ts);
      // Recorded, not thrown, so that a failing run still reports the figures of every trial.
      const problems: string[] = [];
      if (clean.code !== 0) problems.push(`clean run exit ${clean.code}: ${clean.stdout.slice(-400)}`);
      if (digests.length === 1 && !/resolved at 2023-03-15 11:0[05] UTC/.test(blocksText(digests[0]!.blocks))) {
        problems.push('the digest does not show the resolution');
      }
      if (!replies.every((r) => /resolved: unfinished_orders merchant [13]/.test(r.text ?? ''))) problems.push('unexpected thread reply');
      const state = new Database(env.ANOMALY_STATE_DB!, { readonly: true });
      try {
        const notSent = state.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'`).get() as { n: number };
        if (notSent.n !== 0) problems.push(`${notSent.n} outbox items not sent`);
        const adopted = state.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE receipt_json LIKE '%"adopted":true%'`).get() as { n: number };
        // The alert state points at the one digest that exists.
        const linked = state.prepare(`SELECT DISTINCT slack_ts AS ts FROM alerts`).all() as { ts: string | null }[];
        if (JSON.stringify(linked.map((l) => l.ts)) !== JSON.stringify(digests.map((d) => d.ts))) {
          problems.push(`alerts linked to ${JSON.stringify(linked)}, digests ${JSON.stringify(digests.map((d) => d.ts))}`);
        }
        return {
          trial: i,
          plan,
          killed,
          killedMidSend,
          faults,
          childExit,
          cleanExit: clean.code,
          digests: digests.length,
          uploads,
          replies: replies.length,
          problems,
          adopted: adopted.n,
        };
      } finally {
        state.close();
      }
    } finally {
      for (const t of timers) clearTimeout(t);
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it(`${TRIALS} seeded trials: one digest and one upload per chart, whatever happened`, async () => {
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < TRIALS) outcomes.push(await trial(next++));
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    outcomes.sort((a, b) => a.trial - b.trial);

    const duplicates = outcomes.reduce(
      (sum, o) =>
        sum +
        Math.max(0, o.digests - 1) +
        Math.max(0, o.replies - 1) +
        CHARTS.reduce((s, c) => s + Math.max(0, (o.uploads[c] ?? 0) - 1), 0),
      0,
    );
    const faults: Record<string, number> = {};
    for (const o of outcomes) for (const [k, v] of Object.entries(o.faults)) faults[k] = (faults[k] ?? 0) + v;
    const summary = {
      seed: SEED,
      trialsWithProblems: outcomes.filter((o) => o.problems.length || o.digests !== 1 || o.replies !== 1).length,
      trials: outcomes.length,
      killed: outcomes.filter((o) => o.killed).length,
      killedMidSend: outcomes.filter((o) => o.killedMidSend).length,
      faultsInjected: Object.values(faults).reduce((a, b) => a + b, 0),
      faults,
      adoptedInsteadOfReposted: outcomes.reduce((s, o) => s + o.adopted, 0),
      duplicates,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    console.log(`exactly-once fault trials: ${JSON.stringify(summary)}`);
    if (process.env.EXACTLY_ONCE_DEBUG) for (const o of outcomes) console.log(JSON.stringify(o));

    for (const o of outcomes) {
      const where = `trial ${o.trial} ${JSON.stringify(o.plan)} child exit ${o.childExit}`;
      expect(o.problems, where).toEqual([]);
      expect(o.cleanExit, where).toBe(0);
      expect(o.digests, where).toBe(1);
      expect(o.uploads, where).toEqual(Object.fromEntries(CHARTS.map((c) => [c, 1])));
      expect(o.replies, where).toBe(1);
    }
    expect(duplicates).toBe(0);
    // The trials did what they claim: kills mid-send and injected faults, not clean runs only
    // (checked on enough trials for the proportions to be stable).
    if (TRIALS >= 20) {
      expect(summary.killedMidSend).toBeGreaterThanOrEqual(Math.floor(TRIALS / 4));
      expect(summary.faultsInjected).toBeGreaterThanOrEqual(TRIALS);
      expect(summary.adoptedInsteadOfReposted).toBeGreaterThan(0);
    }
  }, 900_000);

  it('without channels:history: the run delivers as before and says so in its output and log; doctor names the fix', async () => {
    const fake = await startFakeSlack({ scopes: ['chat:write', 'files:write'] });
    const dir = mkdtempSync(join(tmpdir(), 'anomaly-exactly-once-scope-'));
    try {
      copyFileSync(template, join(dir, 'state.db'));
      const env: NodeJS.ProcessEnv = {
        ...data.env,
        ANOMALY_STATE_DB: join(dir, 'state.db'),
        ANOMALY_LOG_DIR: join(dir, 'logs'),
        SLACK_ALERT_BOT_TOKEN: fake.token,
        SLACK_ALERT_CHANNEL_ID: 'C0TRIALS',
        SLACK_API_URL: fake.url,
        // Generous: only the injected late answer may time out, even on a busy machine.
        ANOMALY_NOTIFY_TIMEOUT_MS: '1500',
        ANOMALY_NOTIFY_ATTEMPTS: '3',
        ANOMALY_NOTIFY_BACKOFF_MS: '10',
      };
      // The digest is stored but answered after the timeout: the retry cannot look, so it posts again.
      fake.fail('chat.postMessage', { slowMs: 2000 });
      const r = await serial(() => runCli(['run', '--at', AT, '--config', cfg], env, dir));
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/⚠ Slack: cannot check whether an earlier attempt already posted .*missing_scope, needs channels:history.*fix: add channels:history/);
      expect(fake.messages.filter((m) => !m.thread_ts)).toHaveLength(2);
      const log = readFileSync(join(dir, 'logs', 'anomaly.log'), 'utf8');
      expect(log).toContain('cannot check whether an earlier attempt already posted');
      expect(log).not.toContain(fake.token);

      const doctor = await runCli(['doctor', '--config', cfg], env, dir);
      expect(doctor.code).toBe(78);
      expect(doctor.stdout).toMatch(/✗ Slack scopes: missing channels:history .*\n\s+fix: add channels:history .*reinstall the app/);
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
