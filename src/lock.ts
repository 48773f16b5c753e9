import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { LockError } from './errors.js';

/**
 * An exclusive lock file (created with O_EXCL, holding the owner's pid). A lock whose owner is no
 * longer running (crash, kill -9) is taken over, so one crashed run never blocks cron for good.
 */
export interface Lock {
  release(): void;
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

export function acquireLock(path: string, what: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        continue; // removed between our open and read: try again
      }
      if (Number.isFinite(owner) && owner !== process.pid && isRunning(owner)) {
        throw new LockError(`another ${what} is running (pid ${owner}, lock file ${path}); try again when it has finished`);
      }
      // Stale lock from a process that died: take it over.
      try {
        unlinkSync(path);
      } catch {
        // someone else removed it first
      }
    }
  }
  throw new LockError(`could not take the lock ${path}; another ${what} may be starting`);
}
