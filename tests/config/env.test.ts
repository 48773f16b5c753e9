import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ENV_KEYS, parseEnv } from '../../src/config/env.js';
import { mulberry32, randomInt } from '../../src/detect/random.js';
import { ConfigError } from '../../src/errors.js';
import { assertTimeZone, parseDuration } from '../../src/time.js';

/**
 * The environment is validated by hand (importing zod cost every command ~100 ms of start-up). The
 * zod schema it replaced is kept here as the reference: for every value tried, parseEnv must give
 * the same configuration, or refuse it with the same message for the same variable.
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
const reference = z.object({
  ANOMALY_HOME: optionalText,
  SLACK_ALERT_BOT_TOKEN: optionalText,
  SLACK_ALERT_CHANNEL_ID: optionalText,
  PATH_TO_GOOGLE_JSON_CREDENTIALS: optionalText,
  GOOGLE_SHEET_KEY: optionalText,
  SLACK_API_URL: url,
  GOOGLE_API_ROOT_URL: url,
  GOOGLE_OAUTH_TOKEN_URL: url,
  ANOMALY_DB: z.string().trim().min(1).default('data/anomaly.db'),
  CLICKHOUSE_USER: optionalText,
  CLICKHOUSE_PASSWORD: z.string().optional(),
  ANOMALY_STATE_DB: z.string().trim().min(1).default('data/state.db'),
  ANOMALY_DATA_DIR: z.string().trim().min(1).default('data'),
  ANOMALY_CONFIG: z.string().trim().min(1).default('anomaly.config.yaml'),
  ANOMALY_LOG_DIR: z.string().trim().min(1).default('logs'),
  ANOMALY_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  ANOMALY_LOG_MAX_SIZE: z
    .string()
    .trim()
    .toLowerCase()
    .default('10m')
    .refine((v) => v === 'off' || /^\d+(\.\d+)?[kmg]?$/.test(v), 'must be a size such as 500k, 10m or 1g, or off'),
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
  ANOMALY_NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  ANOMALY_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  ANOMALY_NOTIFY_BACKOFF_MS: z.coerce.number().int().min(0).default(1_000),
  ANOMALY_OUTBOX_MAX_AGE: z.string().trim().default('1h').refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 30m, 1h or 1d'),
});

/** What the zod schema made of `values`, in loadEnv's words. */
function viaZod(values: Record<string, string | undefined>): { env: unknown } | { error: string } {
  const result = reference.safeParse(values);
  if (result.success) return { env: result.data };
  const issue = result.error.issues[0]!;
  return { error: `environment variable ${issue.path.join('.')}: ${issue.message} (see .env.example)` };
}

function viaParseEnv(values: Record<string, string | undefined>): { env: unknown } | { error: string } {
  try {
    return { env: parseEnv(values) };
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { error: (error as Error).message };
  }
}

/** Texts people put in variables, and the corners of Number(), trim() and the regular expressions. */
const PIECES = [
  '', ' ', '  ', '\t', '\n', '0', '1', '-1', '-0', '+5', '4', '20', '21', '99', '100', '1000', '1001', '1.5', '0.5', '1e3', '1e400', '-1e20',
  '1e16', '9007199254740991', '9007199254740992', '0x10', '0b11', 'NaN', 'Infinity', '-Infinity', 'x', 'off', 'OFF', '10m', '10M', '500k',
  '1g', '2.5m', '10mb', '30m', '1h', '1d', '2w', '90s', '1h30m', '1x', 'UTC', 'utc', 'Etc/UTC', 'America/Sao_Paulo', 'Europe/Nowhere',
  'info', 'INFO', 'debug', 'silent', 'warn', 'http://x', 'https://slack.com/api/', 'http://a b', 'ftp://x', 'https://', 'data/anomaly.db',
  'clickhouse://127.0.0.1:8123/db', 'p@ss word', '/abs/path', 'xoxb-1-2-3',
];
const EDGE = [' ', '\t', '  '];

function randomValue(rng: () => number): string {
  let s = PIECES[randomInt(rng, PIECES.length)]!;
  if (rng() < 0.3) s = EDGE[randomInt(rng, EDGE.length)]! + s;
  if (rng() < 0.3) s += EDGE[randomInt(rng, EDGE.length)]!;
  return s;
}

describe('parseEnv', () => {
  it('defaults every variable that is not set, as before', () => {
    expect(parseEnv({})).toStrictEqual((viaZod({}) as { env: unknown }).env);
    expect(parseEnv({})).toMatchObject({ ANOMALY_DB: 'data/anomaly.db', ANOMALY_TZ: 'UTC', ANOMALY_LOG_LEVEL: 'info', ANOMALY_LOG_FILES: 5, ANOMALY_NOTIFY_ATTEMPTS: 4 });
  });

  it('names the variable and says what is wrong, in the words used before', () => {
    expect(() => parseEnv({ ANOMALY_TZ: 'Mars/Olympus' })).toThrow(
      'environment variable ANOMALY_TZ: must be an IANA time zone such as UTC or America/Sao_Paulo (see .env.example)',
    );
    expect(() => parseEnv({ ANOMALY_LOG_FILES: '0' })).toThrow('environment variable ANOMALY_LOG_FILES: Too small: expected number to be >=1 (see .env.example)');
    expect(() => parseEnv({ ANOMALY_LOG_LEVEL: 'loud' })).toThrow(
      'environment variable ANOMALY_LOG_LEVEL: Invalid option: expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent" (see .env.example)',
    );
  });

  it('reads every variable as the zod schema did: the same configuration or the same first problem (seeded, 3,000 environments)', () => {
    const rng = mulberry32(20261201);
    const keys = Object.keys(reference.shape);
    expect([...ENV_KEYS]).toEqual(keys);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const values: Record<string, string> = {};
      // Mostly one variable at a time (each corner is reached), sometimes several (which is reported first).
      const count = rng() < 0.7 ? 1 : 1 + randomInt(rng, 4);
      for (let k = 0; k < count; k++) values[keys[randomInt(rng, keys.length)]!] = randomValue(rng);
      const expected = viaZod(values);
      if ('error' in expected) refused++;
      expect(viaParseEnv(values), JSON.stringify(values)).toStrictEqual(expected);
    }
    // Both outcomes were exercised, not just one.
    expect(refused).toBeGreaterThan(500);
    expect(refused).toBeLessThan(2500);
  });

  it('reads every corner value of every variable as the zod schema did', () => {
    for (const key of ENV_KEYS) {
      for (const piece of PIECES) {
        for (const v of [piece, ` ${piece} `]) {
          expect(viaParseEnv({ [key]: v }), `${key}=${JSON.stringify(v)}`).toStrictEqual(viaZod({ [key]: v }));
        }
      }
    }
  });
});
