import Database from 'better-sqlite3';
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { LockError } from './errors.js';

/**
 * An exclusive lock held by the kernel, not by a pid written in a file.
 *
 * The lock file is an (empty) SQLite database; the holder keeps a `BEGIN EXCLUSIVE` transaction
 * open on it. SQLite takes that lock with fcntl byte-range locks, so taking it is atomic (two
 * processes can never both succeed), and the kernel drops it the moment the holder exits, however
 * it exits (crash, kill -9, power loss of the process). There is therefore no "stale lock" to take
 * over and no pid to trust: a pid reused by an unrelated process cannot block anyone.
 *
 * The holder deletes the file on release (see acquireLock for why that stays safe); a holder that
 * died leaves it behind, harmlessly. `<path>.owner` records who holds it (pid, process start time, host, since), only so
 * that "locked" messages can say who; it is read, never trusted for the decision.
 */
export interface Lock {
  release(): void;
}

/** Who holds a lock, as written to `<lock>.owner` by the holder. */
export interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22); tells a reused pid apart. */
  startTicks: number | null;
  host: string;
  bootId: string | null;
  /** ISO time the lock was taken. */
  since: string;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start time of a process in clock ticks since boot, or null where /proc is unavailable. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 overall
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Whether the process an owner record names is still that process: same host and boot, the pid
 * running, and (where /proc tells) started at the same time — a pid reused by another program fails
 * the last test.
 */
export function ownerIsAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // cannot tell from here; assume it is
  const boot = bootId();
  if (owner.bootId && boot && owner.bootId !== boot) return false;
  if (!isRunning(owner.pid)) return false;
  if (owner.startTicks === null) return true;
  const now = processStartTicks(owner.pid);
  return now === null || now === owner.startTicks;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(path + '.owner', 'utf8')) as LockOwner;
    return typeof o.pid === 'number' ? o : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the owner record atomically (a reader never sees half of it). */
function writeOwner(path: string): void {
  const owner: LockOwner = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid),
    host: hostname(),
    bootId: bootId(),
    since: new Date().toISOString(),
  };
  const tmp = `${path}.owner.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify(owner) + '\n');
    renameSync(tmp, path + '.owner');
  } catch {
    // Informational only: the lock itself is held.
  }
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Empties a lock file left by an older version (it held a pid as text, which SQLite cannot open).
 * Truncating keeps the same file, so it cannot race with a holder the way deleting would; our own
 * lock files are always empty.
 */
function clearLegacyContent(fd: number): void {
  const head = Buffer.alloc(16);
  const n = readSync(fd, head, 0, 16, 0);
  if (n === 0 || (n === 16 && head.toString('latin1') === SQLITE_HEADER)) return;
  ftruncateSync(fd, 0);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** Whether `path` still names the file `fd` has open (a holder deletes the path on release). */
function stillAtPath(path: string, fd: number): boolean {
  try {
    const named = statSync(path);
    const open = fstatSync(fd);
    return named.ino === open.ino && named.dev === open.dev;
  } catch {
    return false;
  }
}

const ATTEMPTS = 5;

/**
 * Takes the lock at `path` (created if missing) or throws LockError (exit 75) naming the holder.
 * `what` names the command in messages, e.g. "anomaly run".
 *
 * The holder deletes the lock file on release, while still holding it. Someone who opened the file
 * before that and gets its lock afterwards holds a lock on a deleted file: it notices (the path no
 * longer names the file it opened; keeping that file open means its inode number cannot be reused
 * meanwhile) and tries again on the new file.
 */
export function acquireLock(path: string, what: string): Lock {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (error) {
      throw new LockError(`cannot open the lock file ${path}: ${(error as Error).message}`);
    }
    let db: Database.Database | undefined;
    try {
      clearLegacyContent(fd);
      db = new Database(path, { timeout: 0 });
      // The journal stays in memory: nothing is ever written, and no -journal file appears beside the lock.
      db.pragma('journal_mode = MEMORY');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db?.close();
      closeSync(fd);
      if (!isBusy(error)) throw new LockError(`cannot take the lock ${path}: ${(error as Error).message}`);
      const owner = readOwner(path);
      const who =
        owner && ownerIsAlive(owner)
          ? `pid ${owner.pid}${owner.host !== hostname() ? ` on ${owner.host}` : ''}, since ${owner.since}`
          : 'holder unknown';
      throw new LockError(`another ${what} is running (${who}; lock file ${path}); try again when it has finished`);
    }
    if (!stillAtPath(path, fd)) {
      // We locked a file its holder deleted on release: start again on whatever is there now.
      db.exec('ROLLBACK');
      db.close();
      closeSync(fd);
      continue;
    }
    return heldLock(path, db, fd);
  }
  throw new LockError(`could not take the lock ${path}: it kept being replaced; another ${what} may be starting`);
}

function heldLock(path: string, db: Database.Database, fd: number): Lock {
  writeOwner(path);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      // Delete first, while the lock is still held: nobody can take it between the two steps, and
      // whoever opened the file meanwhile sees that it is gone (stillAtPath) once it gets the lock.
      for (const p of [path + '.owner', path]) {
        try {
          unlinkSync(p);
        } catch {
          // already gone
        }
      }
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
        closeSync(fd);
      }
    },
  };
}
