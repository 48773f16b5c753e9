/**
 * Lock race: many processes try to take one lock at the same instant, with a stale lock left in
 * place (an old-format lock file naming a live, unrelated pid, and an owner record of a dead one).
 * Counts how often two processes held the lock at once. Seeded, bounded; run the built file:
 *   node dist/scripts/lock-race.js [processes=40] [tries=5] [seed=1] [stale pid=this process]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/detect/random.js';

export interface LockRaceFigures {
  processes: number;
  attempts: number;
  acquired: number;
  busy: number;
  doubleHolders: number;
}

const CHILD = fileURLToPath(new URL('./lock-race-child.js', import.meta.url));

export async function lockRace(opts: { processes: number; tries: number; seed: number; child?: string; stalePid?: number }): Promise<LockRaceFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'anomaly-lock-race-'));
  try {
    const lockPath = join(dir, 'state.db.run.lock');
    // The stale lock of an older version: by default a pid that is alive but is not an anomaly run (ours).
    writeFileSync(lockPath, `${opts.stalePid ?? process.pid}\n`);
    writeFileSync(lockPath + '.owner', JSON.stringify({ pid: 999_999_999, startTicks: 1, host: 'gone', bootId: null, since: '2020-01-01T00:00:00Z' }));
    const rng = mulberry32(opts.seed);
    // Every child starts at the same instant, late enough for all of them to have loaded.
    const startAt = Date.now() + 400 + 40 * opts.processes;
    const children = Array.from({ length: opts.processes }, () => {
      const delays = Array.from({ length: opts.tries }, () => `${Math.floor(rng() * 4)}:${Math.floor(rng() * 3)}`).join(',');
      const child = spawn(process.execPath, [opts.child ?? CHILD, lockPath, join(dir, 'holder'), String(startAt), delays], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<{ acquired: number; busy: number; doubles: number }>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`lock race child exited ${code}`)))),
      );
    });
    const results = await Promise.all(children);
    const sum = (k: 'acquired' | 'busy' | 'doubles') => results.reduce((s, r) => s + r[k], 0);
    return {
      processes: opts.processes,
      attempts: opts.processes * opts.tries,
      acquired: sum('acquired'),
      busy: sum('busy'),
      doubleHolders: sum('doubles'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [processes = 40, tries = 5, seed = 1, stalePid] = process.argv.slice(2).map(Number);
  const f = await lockRace({ processes, tries, seed, ...(stalePid ? { stalePid } : {}) });
  console.log(
    `lock race: ${f.processes} processes × ${tries} tries = ${f.attempts} attempts, ${f.acquired} acquired, ${f.busy} refused (75), double holders: ${f.doubleHolders}`,
  );
}
