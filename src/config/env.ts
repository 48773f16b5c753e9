import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { z } from 'zod';
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

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const url = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional()
  .refine((s) => s === undefined || /^https?:\/\/\S+$/.test(s), 'must be an http(s) URL');

export const envSchema = z.object({
  /** The project folder; after loadEnv, the one found (absolute) whether set or discovered. */
  ANOMALY_HOME: optionalText,
  SLACK_ALERT_BOT_TOKEN: optionalText,
  SLACK_ALERT_CHANNEL_ID: optionalText,
  PATH_TO_GOOGLE_JSON_CREDENTIALS: optionalText,
  GOOGLE_SHEET_KEY: optionalText,
  SLACK_API_URL: url,
  GOOGLE_API_ROOT_URL: url,
  GOOGLE_OAUTH_TOKEN_URL: url,
  ANOMALY_DB: z.string().trim().min(1).default('data/anomaly.db'),
  /** ClickHouse login when ANOMALY_DB is a clickhouse:// URL (never part of the URL). */
  CLICKHOUSE_USER: optionalText,
  CLICKHOUSE_PASSWORD: z.string().optional(),
  /** Run history and alert state live apart from the data, so init-db never touches them. */
  ANOMALY_STATE_DB: z.string().trim().min(1).default('data/state.db'),
  ANOMALY_DATA_DIR: z.string().trim().min(1).default('data'),
  ANOMALY_CONFIG: z.string().trim().min(1).default('anomaly.config.yaml'),
  ANOMALY_LOG_DIR: z.string().trim().min(1).default('logs'),
  ANOMALY_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Size at which the log file rotates (k, m, g; plain numbers are MB); `off`: one anomaly.log. */
  ANOMALY_LOG_MAX_SIZE: z
    .string()
    .trim()
    .toLowerCase()
    .default('10m')
    .refine((v) => v === 'off' || /^\d+(\.\d+)?[kmg]?$/.test(v), 'must be a size such as 500k, 10m or 1g, or off'),
  /** Rotated log files kept beside the live one. */
  ANOMALY_LOG_FILES: z.coerce.number().int().min(1).max(1000).default(5),
  ANOMALY_TZ: z
    .string()
    .trim()
    .default('UTC')
    .refine((tz) => {
      try {
        assertTimeZone(tz);
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as UTC or America/Sao_Paulo'),
  /** Bounded retry for notifications; short values make tests fast. */
  ANOMALY_NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  ANOMALY_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  ANOMALY_NOTIFY_BACKOFF_MS: z.coerce.number().int().min(0).default(1_000),
  /** A notification still undelivered after this long makes `anomaly run` exit 3 naming it (docs/failures.md). */
  ANOMALY_OUTBOX_MAX_AGE: z.string().trim().default('1h').refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 30m, 1h or 1d'),
});

export type Env = z.infer<typeof envSchema>;

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
  for (const key of Object.keys(envSchema.shape)) {
    if (source[key] !== undefined) merged[key] = source[key];
  }
  const result = envSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.');
    throw new ConfigError(`environment variable ${key}: ${issue.message} (see .env.example)`);
  }
  const env = result.data;
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
