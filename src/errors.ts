/**
 * One class of error maps to one exit code (documented in the README).
 * Messages are written for the person who has to fix the problem: they name the file,
 * line, column or config key and the offending value.
 */
export const ExitCode = {
  ok: 0,
  checkErrored: 2,
  notifyFailed: 3,
  usage: 64,
  badData: 65,
  inputMissing: 66,
  ioError: 74,
  locked: 75,
  badConfig: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class AppError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UsageError extends AppError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** Where in an input file a problem sits; line and column are 1-based. */
export interface DataLocation {
  file: string;
  line: number;
  column?: number | string;
  value?: string;
}

export class DataError extends AppError {
  constructor(
    readonly location: DataLocation,
    problem: string,
  ) {
    super(formatLocation(location) + ': ' + problem, ExitCode.badData);
  }
}

export class InputMissingError extends AppError {
  constructor(message: string) {
    super(message, ExitCode.inputMissing);
  }
}

export class LockError extends AppError {
  constructor(message: string) {
    super(message, ExitCode.locked);
  }
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super(message, ExitCode.badConfig);
  }
}

function formatLocation(loc: DataLocation): string {
  let s = `${loc.file}:${loc.line}`;
  if (loc.column !== undefined) s += `, column ${loc.column}`;
  if (loc.value !== undefined) s += ` (value ${JSON.stringify(truncate(loc.value, 80))})`;
  return s;
}

function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + '…' : s;
}
