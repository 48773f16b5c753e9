import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { ConfigError } from '../errors.js';
import { assertTimeZone, parseDuration } from '../time.js';

/**
 * Environment configuration. `.env` in the project folder (see findProjectDir) is read (quietly:
 * cron mail stays clean); real environment variables win. Every variable is optional at start-up: a
 * command that needs one asks for it with `requireEnv`, so `init-db` works without Slack credentials.
 * Relative paths (defaults, `.env` and environment values) are relative to the project folder,
 * never to the current directory, so cron can start the tool from anywhere.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/*
 * Validated by hand rather than with zod: importing zod costs ~100 ms, a twentieth of an init-db of
 * 2 M rows, and every command reads the environment. The messages are zod's, word for word, as
 * before (tests/config/env.test.ts checks both agree on every value it tries).
 */

/** What one variable's text becomes, or why it is refused. */
type Outcome = { value: unknown } | { problem: string };

interface Rule {
  /** The value when the variable is unset. */
  default?: unknown;
  parse(raw: string): Outcome;
}

const ok = (v: unknown): Outcome => ({ value: v });

/** Trimmed; empty means unset. */
const optionalText: Rule = { parse: (raw) => ok(raw.trim() === '' ? undefined : raw.trim()) };

const url: Rule = {
  parse(raw) {
    const s = raw.trim();
    if (s === '') return ok(undefined);
    return /^https?:\/\/\S+$/.test(s) ? ok(s) : { problem: 'must be an http(s) URL' };
  },
};

/** A trimmed, non-empty text with a default. */
function requiredText(fallback: string): Rule {
  return { default: fallback, parse: (raw) => (raw.trim() === '' ? { problem: 'Too small: expected string to have >=1 characters' } : ok(raw.trim())) };
}

/** A trimmed text with a default, accepted when `valid` says so. */
function checkedText(fallback: string, valid: (s: string) => boolean, problem: string, lowerCase = false): Rule {
  return {
    default: fallback,
    parse(raw) {
      const s = lowerCase ? raw.trim().toLowerCase() : raw.trim();
      return valid(s) ? ok(s) : { problem };
    },
  };
}

/** A whole number as `Number()` reads it (so `0x10` and `1e3` pass, as they did), within bounds. */
function integer(fallback: number, min: number, max?: number): Rule {
  return {
    default: fallback,
    parse(raw) {
      const n = Number(raw);
      if (!Number.isFinite(n)) return { problem: `Invalid input: expected number, received ${n}` };
      if (!Number.isInteger(n)) return { problem: 'Invalid input: expected int, received number' };
      if (n > Number.MAX_SAFE_INTEGER) return { problem: `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}` };
      if (n < Number.MIN_SAFE_INTEGER) return { problem: `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}` };
      if (n < min) return { problem: `Too small: expected number to be >=${min}` };
      if (max !== undefined && n > max) return { problem: `Too big: expected number to be <=${max}` };
      return ok(n);
    },
  };
}

function isTimeZone(tz: string): boolean {
  try {
    assertTimeZone(tz);
    return true;
  } catch {
    return false;
  }
}

/** Every variable of Env, in the order they are checked (the first problem is the one reported). */
const RULES = {
  /** The project folder; after loadEnv, the one found (absolute) whether set or discovered. */
  ANOMALY_HOME: optionalText,
  SLACK_ALERT_BOT_TOKEN: optionalText,
  SLACK_ALERT_CHANNEL_ID: optionalText,
  PATH_TO_GOOGLE_JSON_CREDENTIALS: optionalText,
  GOOGLE_SHEET_KEY: optionalText,
  SLACK_API_URL: url,
  GOOGLE_API_ROOT_URL: url,
  GOOGLE_OAUTH_TOKEN_URL: url,
  ANOMALY_DB: requiredText('data/anomaly.db'),
  /** ClickHouse login when ANOMALY_DB is a clickhouse:// URL (never part of the URL). */
  CLICKHOUSE_USER: optionalText,
  /** Taken as it is: a password may begin or end with a space. */
  CLICKHOUSE_PASSWORD: { parse: ok },
  /** Run history and alert state live apart from the data, so init-db never touches them. */
  ANOMALY_STATE_DB: requiredText('data/state.db'),
  ANOMALY_DATA_DIR: requiredText('data'),
  ANOMALY_CONFIG: requiredText('anomaly.config.yaml'),
  ANOMALY_LOG_DIR: requiredText('logs'),
  ANOMALY_LOG_LEVEL: {
    default: 'info',
    parse: (raw) => ((LOG_LEVELS as readonly string[]).includes(raw) ? ok(raw) : { problem: `Invalid option: expected one of ${LOG_LEVELS.map((l) => `"${l}"`).join('|')}` }),
  },
  /** Size at which the log file rotates (k, m, g; plain numbers are MB); `off`: one anomaly.log. */
  ANOMALY_LOG_MAX_SIZE: checkedText('10m', (v) => v === 'off' || /^\d+(\.\d+)?[kmg]?$/.test(v), 'must be a size such as 500k, 10m or 1g, or off', true),
  /** Rotated log files kept beside the live one. */
  ANOMALY_LOG_FILES: integer(5, 1, 1000),
  ANOMALY_TZ: checkedText('UTC', isTimeZone, 'must be an IANA time zone such as UTC or America/Sao_Paulo'),
  /** Bounded retry for notifications; short values make tests fast. */
  ANOMALY_NOTIFY_ATTEMPTS: integer(4, 1, 20),
  ANOMALY_NOTIFY_TIMEOUT_MS: integer(10_000, 100),
  ANOMALY_NOTIFY_BACKOFF_MS: integer(1_000, 0),
  /** A notification still undelivered after this long makes `anomaly run` exit 3 naming it (docs/failures.md). */
  ANOMALY_OUTBOX_MAX_AGE: checkedText('1h', (s) => parseDuration(s) !== undefined, 'must be a duration such as 30m, 1h or 1d'),
} satisfies Record<keyof Env, Rule>;

export interface Env {
  ANOMALY_HOME?: string;
  SLACK_ALERT_BOT_TOKEN?: string;
  SLACK_ALERT_CHANNEL_ID?: string;
  PATH_TO_GOOGLE_JSON_CREDENTIALS?: string;
  GOOGLE_SHEET_KEY?: string;
  SLACK_API_URL?: string;
  GOOGLE_API_ROOT_URL?: string;
  GOOGLE_OAUTH_TOKEN_URL?: string;
  ANOMALY_DB: string;
  CLICKHOUSE_USER?: string;
  CLICKHOUSE_PASSWORD?: string;
  ANOMALY_STATE_DB: string;
  ANOMALY_DATA_DIR: string;
  ANOMALY_CONFIG: string;
  ANOMALY_LOG_DIR: string;
  ANOMALY_LOG_LEVEL: (typeof LOG_LEVELS)[number];
  ANOMALY_LOG_MAX_SIZE: string;
  ANOMALY_LOG_FILES: number;
  ANOMALY_TZ: string;
  ANOMALY_NOTIFY_ATTEMPTS: number;
  ANOMALY_NOTIFY_TIMEOUT_MS: number;
  ANOMALY_NOTIFY_BACKOFF_MS: number;
  ANOMALY_OUTBOX_MAX_AGE: string;
}

/** The variables init-db, run and the other commands read (the keys of Env). */
export const ENV_KEYS = Object.keys(RULES) as (keyof Env)[];

/**
 * The configuration from variables' texts (unknown names ignored, unset ones defaulted), or a
 * ConfigError naming the first variable that is wrong. No paths resolved: loadEnv does that.
 */
export function parseEnv(values: Readonly<Record<string, string | undefined>>): Env {
  const env: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(RULES) as [string, Rule][]) {
    const raw = values[key];
    if (raw === undefined) {
      if ('default' in rule) env[key] = rule.default;
      continue;
    }
    const outcome = rule.parse(raw);
    if ('problem' in outcome) throw new ConfigError(`environment variable ${key}: ${outcome.problem} (see .env.example)`);
    env[key] = outcome.value;
  }
  return env as unknown as Env;
}

export const SECRET_ENV_KEYS = ['SLACK_ALERT_BOT_TOKEN', 'CLICKHOUSE_PASSWORD'] as const;

export const CONFIG_FILE_NAME = 'anomaly.config.yaml';

/** Variables holding paths: relative values are resolved against the project folder. */
const PATH_KEYS = ['ANOMALY_DB', 'ANOMALY_STATE_DB', 'ANOMALY_DATA_DIR', 'ANOMALY_CONFIG', 'ANOMALY_LOG_DIR', 'PATH_TO_GOOGLE_JSON_CREDENTIALS'] as const;

export interface ProjectDir {
  dir: string;
  /** How it was found: ANOMALY_HOME, the checks file above the current directory, or the installation's own folder. */
  how: 'ANOMALY_HOME' | 'cwd' | 'install';
}

/**
 * The folder of this installation (where package.json is), unless it sits inside node_modules: a
 * package installed as a dependency or globally is not a project folder.
 */
export function installDir(moduleUrl = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'anomaly-monitoring') return dir.split(sep).includes('node_modules') ? undefined : dir;
    } catch {
      // no package.json here; look higher
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The project folder: ANOMALY_HOME when set; else the nearest folder holding anomaly.config.yaml
 * from the current directory upward; else the folder the CLI is installed in when it holds one
 * (`/srv/app/bin/anomaly.js run` started from `/`). None of them: ConfigError, before anything is
 * written, so no data/ or logs/ folder appears in an unrelated directory.
 */
export function findProjectDir(cwd: string, home: string | undefined, install: string | null = installDir() ?? null): ProjectDir {
  if (home !== undefined && home.trim() !== '') {
    const dir = resolve(cwd, home.trim());
    if (!isDirectory(dir)) throw new ConfigError(`environment variable ANOMALY_HOME: ${dir} is not a directory; it must be the project folder (the one holding ${CONFIG_FILE_NAME})`);
    return { dir, how: 'ANOMALY_HOME' };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, CONFIG_FILE_NAME))) return { dir, how: 'cwd' };
    if (dirname(dir) === dir) break;
  }
  if (install !== null && existsSync(join(install, CONFIG_FILE_NAME))) return { dir: install, how: 'install' };
  throw new ConfigError(
    `no project folder: ${CONFIG_FILE_NAME} is in neither ${resolve(cwd)} nor any folder above it; run from the project folder or set ANOMALY_HOME to it`,
  );
}

/** Loads `.env` (if present) of the project folder under the real environment and validates it. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Env {
  const project = findProjectDir(cwd, source.ANOMALY_HOME);
  const merged: Record<string, string | undefined> = {};
  const dotenvPath = join(project.dir, '.env');
  if (existsSync(dotenvPath)) {
    const parsed = dotenv.config({ path: dotenvPath, quiet: true, processEnv: {} }).parsed ?? {};
    Object.assign(merged, parsed);
  }
  for (const key of ENV_KEYS) {
    if (source[key] !== undefined) merged[key] = source[key];
  }
  const env = parseEnv(merged);
  env.ANOMALY_HOME = project.dir;
  for (const key of PATH_KEYS) {
    const value = env[key];
    // A URL (ANOMALY_DB=clickhouse://…) is not a path.
    if (value !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) env[key] = resolve(project.dir, value);
  }
  return env;
}

/** The value of a variable a command cannot do without, or a ConfigError naming it. */
export function requireEnv<K extends keyof Env>(env: Env, key: K, purpose: string): NonNullable<Env[K]> {
  const value = env[key];
  if (value === undefined || value === null || value === '') {
    throw new ConfigError(`environment variable ${String(key)} is not set; it is needed ${purpose} (see .env.example)`);
  }
  return value as NonNullable<Env[K]>;
}
