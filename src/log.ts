import { mkdirSync, openSync, writeSync } from 'node:fs';
import { IoError } from './errors.js';
import { join } from 'node:path';
import pino from 'pino';
import { rotateIfFull } from './log-rotation.js';
import type { Rotation } from './log-rotation.js';
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
  /** Rotate `anomaly.log` at start-up once it has reached a size (src/log-rotation.ts); absent: never. */
  rotate?: Rotation;
  /** Pretty-print to stderr (a person is watching). Off a TTY, nothing but errors goes to stderr. */
  pretty: boolean;
  /** Least level shown on the terminal (default: `level`); the file always gets `level`. */
  prettyLevel?: string;
  /** Colours in the terminal lines (off for NO_COLOR / --no-color). Default true. */
  color?: boolean;
  /** Secrets known at start-up, scrubbed from every line. */
  secrets?: readonly string[];
  /** Where to say that the log file stopped accepting lines (default: stderr). */
  onFileError?: (text: string) => void;
}

/**
 * The log file, opened for appending. A file that cannot be opened (permissions, a directory in
 * its place) is an IoError naming it; one that stops accepting lines mid-run (disk full) is said
 * once on stderr and then skipped, so that a full disk never kills a run that could still alert.
 */
function openLogFile(logDir: string, logPath: string, onError: (text: string) => void): { write(s: string): unknown } {
  let fd: number;
  try {
    mkdirSync(logDir, { recursive: true });
    fd = openSync(logPath, 'a');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new IoError(`cannot open the log file ${logPath}: ${e.code ?? e.message}; make it writable or set ANOMALY_LOG_DIR to a writable folder`);
  }
  let broken = false;
  return {
    write(line: string) {
      if (broken) return;
      try {
        writeSync(fd, line);
      } catch (error) {
        broken = true;
        const e = error as NodeJS.ErrnoException;
        onError(`anomaly: cannot write the log file ${logPath} (${e.code ?? e.message}): no more log lines this run; the run goes on\n`);
      }
    },
  };
}

/**
 * JSON lines to `<logDir>/anomaly.log` (always), plus pino-pretty on stderr when on a TTY.
 * Every line is scrubbed of secrets before it is written.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const secrets = opts.secrets ?? [];
  const logPath = join(opts.logDir, 'anomaly.log');
  const onFileError = opts.onFileError ?? ((t: string) => void process.stderr.write(t));
  if (opts.rotate) {
    try {
      rotateIfFull(logPath, opts.rotate);
    } catch (error) {
      // Not rotating is no reason to stop a run: the lines go on into the full file.
      onFileError(`anomaly: cannot rotate the log file ${logPath} (${(error as NodeJS.ErrnoException).code ?? String(error)}); it keeps growing\n`);
    }
  }
  const file = openLogFile(opts.logDir, logPath, onFileError);
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
