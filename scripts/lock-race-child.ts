/**
 * One contender of the lock race (scripts/lock-race.ts): waits until a common start instant plus
 * its own delay, then tries to take the lock `tries` times. While it holds the lock it creates a
 * marker file with O_EXCL: if the marker already exists, another process holds the lock too.
 * Prints one JSON line: { acquired, busy, doubles }.
 */
import { openSync, closeSync, unlinkSync } from 'node:fs';
import { acquireLock } from '../src/lock.js';
import { LockError } from '../src/errors.js';

const [lockPath, marker, startAtText, delaysText] = process.argv.slice(2) as [string, string, string, string];
const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => {
  if (ms > 0) Atomics.wait(pause, 0, 0, ms);
};
// delays: "wait:hold,wait:hold,…" in ms, one pair per try (chosen by the seeded parent).
const tries = delaysText.split(',').map((p) => p.split(':').map(Number) as [number, number]);
sleep(Number(startAtText) - Date.now());
const result = { acquired: 0, busy: 0, doubles: 0 };
for (const [wait, hold] of tries) {
  sleep(wait);
  let lock;
  try {
    lock = acquireLock(lockPath, 'lock race');
  } catch (error) {
    if (!(error instanceof LockError)) throw error;
    result.busy++;
    continue;
  }
  result.acquired++;
  let mine = false;
  try {
    closeSync(openSync(marker, 'wx'));
    mine = true;
  } catch {
    result.doubles++;
  }
  sleep(hold);
  if (mine) unlinkSync(marker);
  lock.release();
}
process.stdout.write(JSON.stringify(result) + '\n');
