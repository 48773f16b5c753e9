import { AppError, DataError } from '../errors.js';

/**
 * An error crossing from a loader thread to the main thread (errors do not survive postMessage
 * with their class): a DataError keeps its location, an AppError its exit code, anything else its
 * message, SQLite code and stack. Every loader thread sends its errors this way.
 */
export interface ThreadErrorMessage {
  t: 'error';
  message: string;
  location?: DataError['location'];
  exitCode?: AppError['exitCode'];
  code?: string;
  stack?: string;
}

export function errorMessage(error: unknown): ThreadErrorMessage {
  if (error instanceof DataError) return { t: 'error', message: error.message, location: error.location };
  if (error instanceof AppError) return { t: 'error', message: error.message, exitCode: error.exitCode };
  const e = error as { message?: unknown; code?: unknown; stack?: unknown };
  return {
    t: 'error',
    message: String(e?.message ?? error),
    code: typeof e?.code === 'string' ? e.code : undefined,
    stack: typeof e?.stack === 'string' ? e.stack : undefined,
  };
}

/** The error as the thread had it: the same DataError or AppError, or an Error with its code and stack. */
export function errorFromMessage(m: ThreadErrorMessage): Error {
  if (m.location) return rebuildDataError(m.location, m.message);
  if (m.exitCode !== undefined) return new AppError(m.message, m.exitCode);
  return Object.assign(new Error(m.message), { code: m.code, stack: m.stack });
}

/** The same DataError as thrown in the thread (its message is location + ': ' + problem). */
export function rebuildDataError(location: DataError['location'], message: string): DataError {
  const prefix = new DataError(location, '').message;
  return new DataError(location, message.slice(prefix.length));
}
