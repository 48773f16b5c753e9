/**
 * The conventions of a well-behaved CLI, tried the way a person or cron meets them: through a
 * real pipe (`| head -1`), a real pseudo-terminal (util-linux `script`), NO_COLOR, --quiet.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, workspace } from './helpers/cli.js';
import type { Workspace } from './helpers/cli.js';

// Each test spawns the CLI a few times (about a second each, more on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const BIN = join(REPO, 'bin/anomaly.js');
const built = existsSync(join(REPO, 'dist/src/cli.js'));
const haveScript = spawnSync('script', ['--version']).status === 0;
const AT = '2026-01-01T00:00:00Z';

/** One check that always alerts (every order, grouped per merchant) and one that always errors. */
const CHECKS = `version: 1
checks:
  - name: old_orders
    type: query_empty
    description: Every order ever placed
    sql: "SELECT id, merchant_id, created_date FROM orders WHERE created_date < :at"
    params: { key: "merchant {merchant_id}", message: "{count:order|orders} of merchant {merchant_id}" }
  - name: broken
    type: threshold
    description: Returns no value column
    sql: "SELECT 'a' AS grp, 1 AS nope"
    params: { max: 0 }
`;

let ws: Workspace;

beforeAll(async () => {
  ws = workspace({ ANOMALY_DATA_DIR: join(REPO, 'tests/fixtures/good/all') });
  const config = join(ws.dir, 'checks.yaml');
  writeFileSync(config, CHECKS);
  ws.env.ANOMALY_CONFIG = config;
  const init = await ws.cli('init-db', '--date', '2023-05-16');
  expect(init.code, init.stderr).toBe(0);
  // The first run creates the state database, and says so once; the tests below start after it.
  expect((await ws.cli('run', '--dry-run', '--only', 'old_orders', '--at', AT)).code).toBe(0);
}, 60_000);

/** The process environment of a spawned CLI: the workspace's, without colour hints from the test runner. */
function procEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Colour hints of the test runner's own environment are not passed on (only PATH and HOME are).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...ws.env, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

function quote(args: string[]): string {
  return args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** Runs the CLI in a pseudo-terminal (stdout and stderr both a TTY); returns what the terminal showed. */
function inPty(args: string[], extra: NodeJS.ProcessEnv = {}): { screen: string; code: number | null } {
  const r = spawnSync('script', ['-qec', `${quote([process.execPath, BIN, ...args])}`, '/dev/null'], {
    env: procEnv(extra),
    encoding: 'utf8',
    cwd: ws.dir,
  });
  return { screen: r.stdout, code: r.status };
}

/** Runs a shell pipeline; PIPESTATUS[0] (the CLI's own exit code) is printed last on stdout. */
function pipeline(cli: string[], consumer: string, extra: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('bash', ['-c', `${quote([process.execPath, BIN, ...cli])} | ${consumer}; echo "exit=\${PIPESTATUS[0]}"`], {
    env: procEnv(extra),
    encoding: 'utf8',
    cwd: ws.dir,
  });
  return { stdout: r.stdout, stderr: r.stderr };
}

const ESC = '\x1b[';

describe.runIf(built)('output into a closed pipe', () => {
  it('`anomaly run | head -1` prints the first line and exits quietly with the run\'s own code', () => {
    const r = pipeline(['run', '--dry-run', '--only', 'old_orders', '--at', AT], 'head -1');
    expect(r.stdout).toMatch(/^anomaly run at 2026-01-01T00:00:00Z \(UTC\).*\nexit=0\n$/);
    expect(r.stderr).toBe('');
  });

  it('a reader that is gone before anything is written (`| true`) is no crash either', () => {
    for (const args of [['--help'], ['run', '--dry-run', '--at', AT, '--json']]) {
      const r = pipeline(args, 'true');
      expect(r.stderr, args.join(' ')).toBe('');
      // The run with `broken` exits 2 (a check errored) whether or not anyone reads the output.
      expect(r.stdout, args.join(' ')).toBe(args.includes('--json') ? 'exit=2\n' : 'exit=0\n');
    }
  });
});

describe.runIf(built && haveScript)('on a terminal', () => {
  const run = ['run', '--dry-run', '--only', 'old_orders', '--at', AT];

  it('the table is the output: no log block follows it, and the status is coloured', () => {
    const { screen, code } = inPty(run);
    expect(code).toBe(0);
    expect(screen).toMatch(/CHECK +TYPE +STATUS/);
    expect(screen).toContain(`${ESC}1;31mALERT${ESC}0m`);
    expect(screen).toContain('2 orders of merchant 2');
    expect(screen).toContain('1 order of merchant 1');
    expect(screen).not.toMatch(/run finished|INFO/);
  });

  it('--verbose adds the info log lines (coloured by pino-pretty)', () => {
    const { screen } = inPty(['--verbose', ...run]);
    expect(screen).toMatch(/INFO.*run finished/);
  });

  it('NO_COLOR and --no-color leave no escape code on any stream, log lines included', () => {
    for (const [args, extra] of [
      [['--verbose', ...run], { NO_COLOR: '1' }],
      [['--verbose', '--no-color', ...run], {}],
      [['--no-color', 'run', '--dry-run', '--at', AT], {}],
    ] as const) {
      const { screen } = inPty([...args], extra);
      expect(screen, args.join(' ')).toMatch(/CHECK +TYPE +STATUS/);
      expect(screen, args.join(' ')).not.toContain('\x1b');
    }
    // The verbose run above did show its log line, only without colour.
    expect(inPty(['--verbose', ...run], { NO_COLOR: '1' }).screen).toMatch(/INFO.*run finished/);
  });

  it('--quiet shows nothing when all is well, and only the error when a check fails', () => {
    const ok = inPty(['--quiet', ...run]);
    expect(ok.code).toBe(0);
    expect(ok.screen).toBe('');
    const failed = inPty(['--quiet', 'run', '--dry-run', '--at', AT]);
    expect(failed.code).toBe(2);
    expect(failed.screen.trim().split(/\r?\n/)).toEqual([
      expect.stringMatching(/^anomaly: check broken failed: .*no column "value"/),
    ]);
  });
});

describe.runIf(built)('--quiet off a terminal (cron)', () => {
  it('prints nothing on stdout; errors alone go to stderr; --json still prints its document', () => {
    const r = spawnSync(process.execPath, [BIN, '--quiet', 'run', '--dry-run', '--at', AT], { env: procEnv(), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^anomaly: check broken failed: [^\n]*\n$/);
    const json = spawnSync(process.execPath, [BIN, '-q', 'run', '--dry-run', '--only', 'old_orders', '--at', AT, '--json'], { env: procEnv(), encoding: 'utf8' });
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout).schemaVersion).toBe(1);
    expect(json.stderr).toBe('');
  });
});

describe('errors and help', () => {
  it('a bad flag is `anomaly: …` and exit 64, like every other error', async () => {
    const r = await ws.cli('run', '--no-such-flag');
    expect(r.code).toBe(64);
    expect(r.stderr.split('\n')[0]).toBe("anomaly: unknown option '--no-such-flag'");
    const missing = await ws.cli('snooze', 'old_orders');
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/^anomaly: required option '--for <duration>' not specified/);
  });

  it('replay --labels naming a file that is not there is missing input (66), a bad one configuration (78)', async () => {
    const args = ['replay', '--from', '2026-01-01T00:00Z', '--to', '2026-01-01T00:10Z', '--only', 'old_orders'];
    const missing = await ws.cli(...args, '--labels', join(ws.dir, 'nope.json'));
    expect(missing.code).toBe(66);
    expect(missing.stderr).toBe(`anomaly: --labels ${join(ws.dir, 'nope.json')}: no such file\n`);
    writeFileSync(join(ws.dir, 'bad.json'), '{"incidents": 3}');
    expect((await ws.cli(...args, '--labels', join(ws.dir, 'bad.json'))).code).toBe(78);
  });

  it('every --help ends with examples', async () => {
    const top = await ws.cli('--help');
    const commands = [...top.stdout.matchAll(/^ {2}([a-z][a-z-]*)(?: \[options\])?/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['run', 'snooze', 'doctor', 'completion']));
    for (const c of [undefined, ...commands]) {
      const r = await ws.cli(...(c ? [c, '--help'] : ['--help']));
      const examples = r.stdout.slice(r.stdout.lastIndexOf('\nExamples:\n'));
      expect(r.stdout.lastIndexOf('\nExamples:\n'), c ?? 'anomaly').toBeGreaterThan(0);
      const count = (examples.match(/^ {2}\$ anomaly /gm) ?? []).length + (examples.match(/^ {2}\$ source </gm) ?? []).length;
      expect(count, c ?? 'anomaly').toBeGreaterThanOrEqual(2);
      expect(count, c ?? 'anomaly').toBeLessThanOrEqual(3);
    }
  });
});

describe.runIf(built)('anomaly completion', () => {
  /** Asks the generated bash function what it would complete `words` to. */
  function complete(words: string[]): string[] {
    const script = execFileSync(process.execPath, [BIN, 'completion', 'bash'], { encoding: 'utf8' });
    const dir = mkdtempSync(join(tmpdir(), 'anomaly-completion-'));
    writeFileSync(join(dir, 'c.bash'), script);
    const out = execFileSync(
      'bash',
      ['-c', `source ${dir}/c.bash; COMP_WORDS=(${quote(words)}); COMP_CWORD=${words.length - 1}; _anomaly_completion; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { encoding: 'utf8' },
    );
    return out.split('\n').filter(Boolean);
  }

  it('bash: completes commands, their flags and the choices of a flag', () => {
    expect(complete(['anomaly', 'sn'])).toEqual(['snooze', 'snoozes']);
    expect(complete(['anomaly', 'run', '--dr'])).toEqual(['--dry-run']);
    expect(complete(['anomaly', '--verbose', 'snooze', 'x', '--au'])).toEqual(['--author']);
    expect(complete(['anomaly', '--log-level', 'w'])).toEqual(['warn']);
    expect(complete(['anomaly', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('zsh: a #compdef script naming every command; an unknown shell is exit 64', async () => {
    const zsh = await ws.cli('completion', 'zsh');
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef anomaly anomaly.js');
    for (const c of ['init-db', 'run', 'snooze', 'doctor', 'replay', 'report']) expect(zsh.stdout).toContain(`'${c}:`);
    const bad = await ws.cli('completion', 'fish');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toBe('anomaly: completion: unknown shell "fish"; use bash or zsh\n');
  });
});

describe('run --json', () => {
  it('carries schemaVersion, each anomaly\'s fingerprint (what snooze takes) and a summary', async () => {
    const r = await ws.cli('run', '--dry-run', '--at', AT, '--json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.summary).toEqual({ checks: 2, byStatus: { ok: 0, alert: 1, error: 1, skipped: 0 }, anomalies: 4, exitCode: 2 }); // 3 merchants + the orders being stale
    const fingerprints = doc.checks[0].anomalies.map((a: { fingerprint: string }) => a.fingerprint);
    expect(fingerprints).toEqual(['old_orders:stale', 'old_orders:merchant 2', 'old_orders:merchant 1', 'old_orders:merchant 3']);
    // The string is accepted by snooze as is.
    const s = await ws.cli('snooze', fingerprints[0], '--for', '1h', '--author', 'ana');
    expect(s.code, s.stderr).toBe(0);
  });
});

describe('snooze', () => {
  it('a name that is neither a check nor a fingerprint is exit 64 with "did you mean"', async () => {
    await ws.cli('run', '--dry-run', '--at', AT);
    const typo = await ws.cli('snooze', 'old_order', '--for', '1h');
    expect(typo.code).toBe(64);
    expect(typo.stderr).toBe(
      'anomaly: snooze: "old_order" is neither a configured check nor an alert fingerprint; did you mean "old_orders"? (`anomaly checks` lists the checks)\n',
    );
    const key = await ws.cli('snooze', 'old_orders:merchant 22', '--for', '1h');
    expect(key.code).toBe(64);
    expect(key.stderr).toMatch(/"old_orders:merchant 22" has not fired yet; did you mean "old_orders:merchant 2"( or "[^"]+")*\?.*--force/);
    expect((await ws.cli('snooze', 'old_orders:merchant 22', '--for', '1h', '--force')).code).toBe(0);
    expect((await ws.cli('snoozes')).stdout).not.toContain('old_order ');
  });

  it('--author is recorded and shown by `anomaly snoozes`', async () => {
    const r = await ws.cli('snooze', 'broken', '--for', '2h', '--author', 'maria', '--reason', 'known bug');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^snoozed broken until \S+ by maria \(known bug\)\n$/);
    const list = await ws.cli('snoozes');
    expect(list.stdout.split('\n')[0]).toMatch(/^target +until +author +reason$/);
    expect(list.stdout).toMatch(/\nbroken +\S+ +maria +known bug\n/);
    const json = JSON.parse((await ws.cli('snoozes', '--json')).stdout) as { target: string; author: string }[];
    expect(json.find((s) => s.target === 'broken')?.author).toBe('maria');
  });
});

describe('wording', () => {
  it('outbox on a fresh state says nothing has been queued yet', async () => {
    const fresh = workspace();
    const r = await fresh.cli('outbox');
    expect(r.stdout).toBe('nothing has been queued yet: no run has notified anyone\n');
  });

  it('checks shows durations as written (4h, not 240m) and pluralises', async () => {
    const r = await workspace().cli('checks');
    expect(r.stdout).toContain('repeat every 4h, resolve after 1 clean run\n');
    // keep_firing_for, where a check sets it (the per-minute checks of the default config)
    expect(r.stdout).toContain('resolve after 1 clean run and 30m without evidence\n');
    expect(r.stdout).not.toMatch(/\(s\)/);
  });
});

describe('doctor', () => {
  let refusedPort = 0;
  beforeAll(async () => {
    // A port that was free a moment ago: nothing listens there, so connecting is refused.
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    refusedPort = (server.address() as { port: number }).port;
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('a destination that is not configured is a warning, and exit 0', async () => {
    const r = await ws.cli('doctor');
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^! notifications: Slack not configured/m);
    expect(r.stdout).toMatch(/^! notifications: Google Sheets not configured/m);
    expect(r.stdout).not.toContain('✗');
    expect(r.stdout).toMatch(/\nAll good \(2 warnings\)\.\n$/);
  });

  it('connection refused gets a network fix, not "check the token"', async () => {
    const env = { SLACK_ALERT_BOT_TOKEN: 'xoxb-1-2-secret', SLACK_ALERT_CHANNEL_ID: 'C1', SLACK_API_URL: `http://127.0.0.1:${refusedPort}/api/`, ANOMALY_NOTIFY_TIMEOUT_MS: '2000' };
    Object.assign(ws.env, env);
    try {
      const refused = await ws.cli('doctor');
      expect(refused.code).toBe(78);
      expect(refused.stdout).toMatch(/✗ Slack token: .*ECONNREFUSED.*\n\s+fix: http:\/\/127\.0\.0\.1:\d+\/api\/ could not be reached from this machine/);
      expect(refused.stdout).not.toMatch(/fix: check SLACK_ALERT_BOT_TOKEN/);
      expect(refused.stdout).not.toContain('xoxb-1-2-secret');

      const json = await ws.cli('doctor', '--json');
      expect(json.code).toBe(78);
      const doc = JSON.parse(json.stdout);
      expect(doc).toMatchObject({ schemaVersion: 1, ok: false, problems: 1, warnings: 1, exitCode: 78 });
      expect(doc.lines).toContainEqual(expect.objectContaining({ status: 'problem', what: 'Slack token', fix: expect.stringContaining('could not be reached') }));
      expect(doc.lines).toContainEqual(expect.objectContaining({ status: 'warning', what: 'notifications' }));
      expect(doc.lines).toContainEqual(expect.objectContaining({ status: 'ok', what: 'database' }));
    } finally {
      for (const k of Object.keys(env)) delete ws.env[k];
    }
  });
});
