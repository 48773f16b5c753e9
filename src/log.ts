import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { scrubSecrets } from './secrets.js';

export { scrubSecrets };

export type Logger = pino.Logger;

/** Paths redacted wherever they appear in a log record. */
const REDACT = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'private_key',
  '*.private_key',
  'SLACK_ALERT_BOT_TOKEN',
  '*.SLACK_ALERT_BOT_TOKEN',
];

export interface LoggerOptions {
  level: string;
  logDir: string;
  /** Pretty-print to stderr (a person is watching). Off a TTY, nothing but errors goes to stderr. */
  pretty: boolean;
  /** Least level shown on the terminal (default: `level`); the file always gets `level`. */
  prettyLevel?: string;
  /** Colours in the terminal lines (off for NO_COLOR / --no-color). Default true. */
  color?: boolean;
  /** Secrets known at start-up, scrubbed from every line. */
  secrets?: readonly string[];
}

/**
 * JSON lines to `<logDir>/anomaly.log` (always), plus pino-pretty on stderr when on a TTY.
 * Every line is scrubbed of secrets before it is written.
 */
export function createLogger(opts: LoggerOptions): Logger {
  mkdirSync(opts.logDir, { recursive: true });
  const secrets = opts.secrets ?? [];
  const file = pino.destination({ dest: join(opts.logDir, 'anomaly.log'), sync: true, mkdir: true });
  const scrubbed = (dest: { write(s: string): unknown }) => ({
    write(line: string) {
      dest.write(scrubSecrets(line, secrets));
    },
  });
  const streams: pino.StreamEntry[] = [{ level: opts.level as pino.Level, stream: scrubbed(file) }];
  if (opts.pretty) {
    // pino-pretty is loaded only for a person at a terminal (the CLI registers it).
    const pretty = prettyStream(opts.color ?? true);
    const prettyLevel = pino.levels.values[opts.prettyLevel ?? ''] !== undefined ? opts.prettyLevel! : opts.level;
    // The stream's level must not be below the logger's, or pino would pass lines the file skips.
    const shown = (pino.levels.values[prettyLevel] ?? 0) >= (pino.levels.values[opts.level] ?? 0) ? prettyLevel : opts.level;
    if (pretty && opts.level !== 'silent') streams.push({ level: shown as pino.Level, stream: scrubbed(pretty) });
  }
  return pino(
    { level: opts.level, redact: { paths: REDACT, censor: '[REDACTED]' }, base: { pid: process.pid } },
    pino.multistream(streams),
  );
}

let prettyFactory: ((opts: object) => { write(s: string): unknown }) | undefined;

/** Registers pino-pretty (imported lazily by the CLI when stderr is a TTY). */
export function setPrettyFactory(factory: (opts: object) => { write(s: string): unknown }): void {
  prettyFactory = factory;
}

function prettyStream(color: boolean): { write(s: string): unknown } | undefined {
  return prettyFactory?.({ destination: 2, colorize: color, translateTime: 'SYS:standard', ignore: 'pid,hostname' });
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
