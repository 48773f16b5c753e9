import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockError } from '../../src/errors.js';
import { acquireLock, ownerIsAlive, processStartTicks } from '../../src/lock.js';
import { lockRace } from '../../scripts/lock-race.js';
import { holdLock } from '../helpers/hold-lock.js';

const built = existsSync(resolve(import.meta.dirname, '../../dist/scripts/lock-race-child.js'));
const dirs: string[] = [];
function tempLock(): string {
  const dir = mkdtempSync(join(tmpdir(), 'anomaly-lock-'));
  dirs.push(dir);
  return join(dir, 'state.db.run.lock');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function refusal(path: string): LockError {
  try {
    acquireLock(path, 'anomaly run').release();
  } catch (error) {
    if (error instanceof LockError) return error;
    throw error;
  }
  throw new Error('the lock was granted twice');
}

describe('run lock', () => {
  it('is exclusive within one process too, and free again after release, which removes the lock file', () => {
    const path = tempLock();
    const lock = acquireLock(path, 'anomaly run');
    const e = refusal(path);
    expect(e.exitCode).toBe(75);
    expect(e.message).toContain(`another anomaly run is running (pid ${process.pid}`);
    expect(e.message).toContain(path);
    lock.release();
    lock.release(); // idempotent
    acquireLock(path, 'anomaly run').release();
    expect(readdirSync(join(path, '..'))).toEqual([]);
  });

  it('an old-format lock naming a live, unrelated pid does not block (the pid is never trusted)', () => {
    const path = tempLock();
    writeFileSync(path, `${process.ppid}\n`);
    writeFileSync(path + '.owner', JSON.stringify({ pid: process.ppid, startTicks: 1, host: 'x', bootId: null, since: '2020-01-01T00:00:00Z' }));
    const lock = acquireLock(path, 'anomaly run');
    expect(JSON.parse(readFileSync(path + '.owner', 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('tells a reused pid from its owner by the process start time', () => {
    const mine = processStartTicks(process.pid);
    expect(mine).not.toBeNull();
    const owner = { pid: process.pid, startTicks: mine, host: hostname(), bootId: null, since: "" };
    expect(ownerIsAlive(owner)).toBe(true);
    expect(ownerIsAlive({ ...owner, startTicks: mine! - 1 })).toBe(false);
    expect(ownerIsAlive({ ...owner, pid: 999_999_999 })).toBe(false);
  });

  it.runIf(built)('a holder killed with kill -9 frees the lock at once; while alive it is named', async () => {
    const path = tempLock();
    const holder = await holdLock(path);
    const e = refusal(path);
    expect(e.message).toContain(`pid ${holder.pid}`);
    await holder.stop('SIGKILL');
    expect(statSync(path).size).toBe(0); // left behind by the dead holder, harmless
    acquireLock(path, 'anomaly run').release();
  });

  it.runIf(built)('many processes racing over a stale lock: never two holders (seeded, bounded)', async () => {
    for (const stalePid of [process.pid, 999_999_999]) {
      const f = await lockRace({ processes: 8, tries: 3, seed: 7, stalePid, child: resolve(import.meta.dirname, '../../dist/scripts/lock-race-child.js') });
      expect(f.doubleHolders).toBe(0);
      expect(f.acquired).toBeGreaterThan(0);
      expect(f.acquired + f.busy).toBe(f.attempts);
    }
  }, 60_000);
});
