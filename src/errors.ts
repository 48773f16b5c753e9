/**
 * One class of error maps to one exit code (documented in docs/commands.md).
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
  /** A file we must read or write is damaged or cannot be written: corrupt database, disk full, log unwritable. */
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

/** EX_IOERR (74): a database or file is corrupt, truncated or cannot be written; the message names it and the fix. */
export class IoError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.ioError, options);
  }
}

/** The SQLite result code of a better-sqlite3 error (e.g. SQLITE_FULL), if it is one. */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Turns a SQLite failure that is about the file itself (disk full, corrupt, not a database, I/O
 * error, read-only) into an IoError naming the database and the fix; anything else is returned as is.
 */
export function databaseFileError(error: unknown, what: string, path: string, fix: string): unknown {
  const code = sqliteCode(error) ?? '';
  const base = code.split('_').slice(0, 2).join('_'); // SQLITE_IOERR_WRITE → SQLITE_IOERR
  const why: Record<string, string> = {
    SQLITE_FULL: 'the disk (or its quota) is full: free space on that file system and run again',
    SQLITE_CORRUPT: `it is corrupt: ${fix}`,
    SQLITE_NOTADB: `it is not a SQLite database: ${fix}`,
    SQLITE_IOERR: 'the file could not be read or written (I/O error): check the disk and the file system',
    SQLITE_READONLY: 'it is read-only: give this user write access to the file and its folder',
    SQLITE_CANTOPEN: 'it cannot be opened: check that the folder exists and is writable',
    SQLITE_PERM: 'permission denied: give this user access to the file and its folder',
  };
  const reason = why[base];
  if (!reason) return error;
  return new IoError(`${what} ${path}: ${(error as Error).message} (${code}); ${reason}`, { cause: error });
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
