import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareChecks } from '../src/checks/prepare.js';
import { evaluateChecks } from '../src/checks/run-checks.js';
import type { Params, QueryEngine, Row } from '../src/db/engine.js';
import { silentLogger } from '../src/log.js';
import { replay } from '../src/replay/replay.js';
import { toIso, DAY, MINUTE } from '../src/time.js';
import { generateDemo } from './generate-demo.js';

/**
 * `anomaly run --dry-run` against the sqlite3 CLI running the same check SQL with the same
 * parameters (captured from an in-process evaluation), at two data sizes; and a day of replay at
 * 1-minute steps against one `anomaly run --dry-run` process per step.
 */

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');
const cli = join(repoRoot, 'bin/anomaly.js');
const config = join(repoRoot, 'anomaly.config.yaml');

export interface Dataset {
  rows: number;
  dir: string;
  db: string;
  /** Evaluation time: the last full hour of the data. */
  at: number;
}

/** Generates `rows` transactions (+ orders and per-minute status counts for the same days) and loads them. */
export async function prepareDataset(rows: number, root: string): Promise<Dataset> {
  const dir = join(root, `run-${rows}`);
  const dataDir = join(dir, 'data');
  const db = join(dir, 'anomaly.db');
  mkdirSync(dataDir, { recursive: true });
  const manifest = await generateDemo({ outDir: dataDir, rows });
  const init = spawnSync(process.execPath, [cli, 'init-db', '--data-dir', dataDir, '--db', db], { encoding: 'utf8', env: benchEnv(dir) });
  if (init.status !== 0) throw new Error(`init-db failed: ${init.stderr}`);
  const end = Date.parse(manifest.period.to);
  return { rows, dir, db, at: Math.floor((end - DAY / 2) / 3_600_000) * 3_600_000 };
}

function benchEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, ANOMALY_STATE_DB: join(dir, 'state.db'), ANOMALY_LOG_DIR: join(dir, 'logs'), ANOMALY_LOG_LEVEL: 'warn', SLACK_ALERT_BOT_TOKEN: '', PATH_TO_GOOGLE_JSON_CREDENTIALS: '' };
}

function timeCommand(cmd: string, args: string[], env?: NodeJS.ProcessEnv, input?: string): number {
  const started = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, input, maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return seconds;
}

function best(n: number, f: () => number): number {
  let b = Infinity;
  for (let i = 0; i < n; i++) b = Math.min(b, f());
  return b;
}

/** Records every query the checks run, so the CLI can run exactly the same SQL. */
class RecordingEngine implements QueryEngine {
  readonly name = 'recording';
  readonly log: { sql: string; params: Params }[] = [];
  constructor(private readonly inner: QueryEngine) {}
  async query(sql: string, params: Params = {}): Promise<Row[]> {
    this.log.push({ sql, params });
    return this.inner.query(sql, params);
  }
  validate(sql: string): Promise<void> {
    return this.inner.validate(sql);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function sqlLiteral(v: string | number | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `"'${v.replace(/'/g, "''")}'"`;
}

/** The captured queries as a sqlite3 shell script (`.parameter set` + the SQL, output discarded). */
async function cliScript(ds: Dataset): Promise<{ script: string; queries: number }> {
  const prepared = await prepareChecks({ config, db: ds.db });
  const engine = new RecordingEngine(prepared.engine);
  await evaluateChecks(prepared.checks, prepared.types, { engine, at: ds.at, tz: 'UTC', log: silentLogger(), cache: new Map() });
  await engine.close();
  const lines = ['.output /dev/null'];
  for (const q of engine.log) {
    lines.push('.parameter clear');
    for (const [k, v] of Object.entries(q.params)) lines.push(`.parameter set :${k} ${sqlLiteral(v)}`);
    lines.push(q.sql.trim().replace(/;?\s*$/, ';'));
  }
  return { script: lines.join('\n') + '\n', queries: engine.log.length };
}

export interface RunBench {
  rows: number;
  ourSeconds: number;
  cliSeconds: number;
  queries: number;
}

export async function benchRun(ds: Dataset, repeats = 3): Promise<RunBench> {
  const { script, queries } = await cliScript(ds);
  const scriptPath = join(ds.dir, 'checks.sqlite3');
  writeFileSync(scriptPath, script);
  const env = benchEnv(ds.dir);
  const ourSeconds = best(repeats, () => timeCommand(process.execPath, [cli, 'run', '--dry-run', '--db', ds.db, '--config', config, '--at', toIso(ds.at)], env));
  const cliSeconds = best(repeats, () => timeCommand('sqlite3', ['-readonly', ds.db], undefined, `.read ${scriptPath}\n`));
  return { rows: ds.rows, ourSeconds, cliSeconds, queries };
}

export interface ReplayBench {
  steps: number;
  msPerStep: number;
  processMs: number;
  ratio: number;
}

/** A full day of per-minute status data at 1-minute steps with its checks vs one process per step. */
export async function benchReplay(ds: Dataset): Promise<ReplayBench> {
  const only = 'transaction_status_rates,transaction_mix_iforest';
  const prepared = await prepareChecks({ config, db: ds.db, only });
  const dayStart = Math.floor(ds.at / DAY) * DAY - DAY;
  const result = await replay({ from: dayStart, to: dayStart + DAY - MINUTE, stepMs: MINUTE, checks: prepared.checks, types: prepared.types, engine: prepared.engine, tz: 'UTC', log: silentLogger() });
  await prepared.engine.close();
  const env = benchEnv(ds.dir);
  const processSeconds = best(3, () => timeCommand(process.execPath, [cli, 'run', '--dry-run', '--only', only, '--db', ds.db, '--config', config, '--at', toIso(dayStart + 12 * 3_600_000)], env));
  const msPerStep = result.elapsedMs / result.steps;
  return { steps: result.steps, msPerStep, processMs: processSeconds * 1000, ratio: (processSeconds * 1000) / msPerStep };
}
