import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { assertTimeZone, parseDuration } from '../time.js';

/**
 * Environment configuration. `.env` in the working directory is read (quietly: cron mail stays
 * clean); real environment variables win. Every variable is optional at start-up: a command that
 * needs one asks for it with `requireEnv`, so `init-db` works without Slack credentials.
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

/** Loads `.env` (if present) under the real environment and validates it. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Env {
  const merged: Record<string, string | undefined> = {};
  const dotenvPath = resolve(cwd, '.env');
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
  return result.data;
}

/** The value of a variable a command cannot do without, or a ConfigError naming it. */
export function requireEnv<K extends keyof Env>(env: Env, key: K, purpose: string): NonNullable<Env[K]> {
  const value = env[key];
  if (value === undefined || value === null || value === '') {
    throw new ConfigError(`environment variable ${String(key)} is not set; it is needed ${purpose} (see .env.example)`);
  }
  return value as NonNullable<Env[K]>;
}
