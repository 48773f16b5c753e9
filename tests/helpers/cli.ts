import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { main } from '../../src/cli.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const SHARED = resolve(REPO, '../shared/data');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A scratch workspace: its own database, state, logs and data dir. */
export interface Workspace {
  dir: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  cli(...args: string[]): Promise<CliRun>;
  /** Copies a file into the data dir (relative target path). */
  put(source: string, target: string): void;
  write(target: string, text: string): void;
}

export function workspace(extraEnv: NodeJS.ProcessEnv = {}, now?: () => number): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'anomaly-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ANOMALY_DB: join(dir, 'anomaly.db'),
    ANOMALY_STATE_DB: join(dir, 'state.db'),
    ANOMALY_LOG_DIR: join(dir, 'logs'),
    ANOMALY_DATA_DIR: dataDir,
    ANOMALY_CONFIG: join(REPO, 'anomaly.config.yaml'),
    ANOMALY_LOG_LEVEL: 'info',
    ANOMALY_TZ: 'UTC',
    ...extraEnv,
  };
  return {
    dir,
    dataDir,
    env,
    cli: (...args) => runCli(args, env, dir, now),
    put(source, target) {
      mkdirSync(dirname(join(dataDir, target)), { recursive: true });
      copyFileSync(source, join(dataDir, target));
    },
    write(target, text) {
      mkdirSync(dirname(join(dataDir, target)), { recursive: true });
      writeFileSync(join(dataDir, target), text);
    },
  };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string, now?: () => number): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'anomaly', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
    cwd,
    interactive: false,
    ...(now ? { now } : {}),
  });
  return { code, stdout, stderr };
}
