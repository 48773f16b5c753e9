/**
 * `npm run bench`: prints the figures the issues set targets for. Nothing here is a pass/fail test.
 *   BENCH_INIT_ROWS (5,000,000)  rows for init-db vs `sqlite3 .import`
 *   BENCH_RUN_ROWS (1,000,000,10,000,000)  data sizes for `anomaly run --dry-run` vs the sqlite3 CLI
 *   BENCH_DIR (data/bench)  scratch directory (large files; git-ignored)
 *   BENCH_ONLY (init,run,replay)  which parts to run; `append` (not in the default) runs the
 *     init-db --append benchmark: BENCH_APPEND_ROWS (10,000,000) stored rows, BENCH_APPEND_NEW (10,000)
 * `npm run bench -- --engine clickhouse` compares SQLite with ClickHouse instead (bench-clickhouse.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAppend, nodeStartMs } from './bench-append.js';
import { benchInitDb } from './bench-init-db.js';
import { benchReplay, benchRun, prepareDataset } from './bench-run.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');
const dir = resolve(process.env.BENCH_DIR ?? join(repoRoot, 'data/bench'));
const initRows = Number(process.env.BENCH_INIT_ROWS ?? 5_000_000);
const runRows = (process.env.BENCH_RUN_ROWS ?? '1000000,10000000').split(',').map(Number);
const only = new Set((process.env.BENCH_ONLY ?? 'init,run,replay').split(','));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// `npm run bench -- --engine clickhouse`: SQLite vs ClickHouse (one server, two shards) instead.
const engineArg = process.argv.indexOf('--engine');
if (engineArg >= 0) {
  const engine = process.argv[engineArg + 1];
  if (engine !== 'clickhouse' && engine !== 'sqlite') {
    console.error(`bench: --engine ${engine ?? ''}: expected clickhouse or sqlite`);
    process.exit(64);
  }
  if (engine === 'clickhouse') {
    const { benchClickHouse } = await import('./bench-clickhouse.js');
    await benchClickHouse(dir);
    process.exit(0);
  }
}

if (spawnSync('sqlite3', ['-version']).error) {
  console.error('bench: the sqlite3 CLI is needed for the comparisons: apt-get install sqlite3');
  process.exit(66);
}
console.log(`node ${process.version}, sqlite3 ${spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).stdout.split(' ')[0]}, scratch ${dir}\n`);

if (only.has('init')) {
  console.log(`== init-db: ${fmt(initRows)}-row transactions.csv`);
  const init = await benchInitDb({ rows: initRows, dir: join(dir, 'init') });
  console.log(`init-db         ${fmt(init.rowsPerSec)} rows/s, peak RSS ${init.peakRssMb.toFixed(0)} MB`);
  console.log(`sqlite3 .import ${fmt(init.cliRowsPerSec)} rows/s`);
  console.log(`ratio           ${init.ratio.toFixed(2)}× the CLI's rows/s (target ≥ 1.0×; RSS target ≤ 150 MB)\n`);
  rmSync(join(dir, 'init'), { recursive: true, force: true });
}

if (only.has('append')) {
  const rows = Number(process.env.BENCH_APPEND_ROWS ?? 10_000_000);
  const newRows = Number(process.env.BENCH_APPEND_NEW ?? 10_000);
  console.log(`== init-db --append: ${fmt(newRows)} rows into ${fmt(rows)} transactions + ${fmt(rows)} status rows`);
  const a = benchAppend({ rows, newRows, dir: join(dir, 'append') });
  if (a.buildSeconds !== null) console.log(`base database built in ${a.buildSeconds.toFixed(0)} s (kept for the next bench: ${a.dbMb} MB)`);
  for (const c of a.cases) {
    console.log(`${c.what.padEnd(30)} ${fmt(c.rows)} rows: append ${fmt(c.appendMs)} ms, whole process ${fmt(c.ms)} ms (best of 3; ${fmt(c.replaced)} stored rows replaced)`);
  }
  console.log(`node start-up   ${fmt(nodeStartMs())} ms (\`anomaly --version\`, included in each process figure; target: append < 1 s)\n`);
}

const runs = [];
let replayDataset;
for (const rows of only.has('run') || only.has('replay') ? runRows : []) {
  console.log(`== anomaly run --dry-run: ${fmt(rows)} transactions (+ orders and per-minute status counts)`);
  const ds = await prepareDataset(rows, dir);
  replayDataset = ds;
  if (!only.has('run')) continue;
  const r = await benchRun(ds);
  runs.push(r);
  console.log(`anomaly run     ${(r.ourSeconds * 1000).toFixed(0)} ms (whole process, best of 3)`);
  console.log(`sqlite3 CLI     ${(r.cliSeconds * 1000).toFixed(0)} ms (the same ${r.queries} queries and parameters, best of 3)`);
  console.log(`ratio           ${(r.ourSeconds / r.cliSeconds).toFixed(2)}× the CLI's time (target ≤ 1.2×)\n`);
}
if (runs.length >= 2) {
  const [small, large] = [runs[0]!, runs[runs.length - 1]!];
  console.log(`scaling         ${fmt(large.rows)}/${fmt(small.rows)} rows: run time ×${(large.ourSeconds / small.ourSeconds).toFixed(2)} (target ≤ 1.3), CLI ×${(large.cliSeconds / small.cliSeconds).toFixed(2)}\n`);
}
if (replayDataset && only.has('replay')) {
  console.log('== replay: one day of transaction_status at 1-minute steps (status_rate + isolation_forest)');
  const r = await benchReplay(replayDataset);
  console.log(`replay          ${r.msPerStep.toFixed(2)} ms a step (${r.steps} steps)`);
  console.log(`one process     ${r.processMs.toFixed(0)} ms (anomaly run --dry-run --only the same checks)`);
  console.log(`ratio           ${r.ratio.toFixed(0)}× faster per step (target ≥ 20×)`);
}
