import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const LOCK_JS = pathToFileURL(resolve(import.meta.dirname, '../../dist/src/lock.js')).href;

/** Another process holding the lock at `path` (built dist/src/lock.js) until `stop()` or kill -9. */
export async function holdLock(path: string, what = 'anomaly run'): Promise<{ pid: number; stop(signal?: NodeJS.Signals): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const { acquireLock } = await import(${JSON.stringify(LOCK_JS)}); acquireLock(process.argv[1], process.argv[2]); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`, path, what],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((ok, fail) => {
    child.stdout.once('data', () => ok());
    child.once('exit', (code) => fail(new Error(`lock holder exited ${code}`)));
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  return {
    pid: child.pid!,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      child.kill(signal);
      await exited;
    },
  };
}
