/**
 * What `anomaly init-db` pays besides the rows: the whole process on an empty data folder (it stops
 * there with exit 66), on a folder holding one small file and, as cron runs it, `--append` with
 * nothing new; next to bare `node` and `anomaly --version`. And a worker thread of the parallel load
 * started until its modules are loaded. Prints median (min–max) ms; asserts nothing. Runs are
 * interleaved (case after case, round after round) so a busy moment of the machine spreads over
 * every case instead of landing on one.
 *
 *   node dist/scripts/bench-startup.js [runs=20] [cli …]  (default cli: bin/anomaly.js of this checkout)
 *
 * Several launchers (another build's bin/anomaly.js: before/after a change) are measured in the same
 * interleaved rounds, so the comparison is paired.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { writeTransactionsCsv } from './bench-init-db.js';

export interface StartupFigure {
  name: string;
  /** Milliseconds of each run, sorted. */
  ms: number[];
}

const here = dirname(fileURLToPath(import.meta.url));
/** bin/anomaly.js of this checkout (this file runs from dist/scripts/). */
export const OWN_CLI = resolve(here, '../../bin/anomaly.js');

export const median = (sorted: number[]) => sorted[Math.floor((sorted.length - 1) / 2)]!;
export const describe = (f: StartupFigure) =>
  `${f.name.padEnd(52)} ${median(f.ms).toFixed(0).padStart(5)} ms (${f.ms[0]!.toFixed(0)}–${f.ms[f.ms.length - 1]!.toFixed(0)})`;

/** Whole-process wall times of `anomaly init-db` (per launcher in `clis`) and its floors, `runs` of each. */
export async function benchStartup(opts: { runs: number; clis?: string[] }): Promise<StartupFigure[]> {
  const clis = (opts.clis?.length ? opts.clis : [OWN_CLI]).map((c) => resolve(c));
  const dir = mkdtempSync(join(tmpdir(), 'anomaly-startup-'));
  try {
    // A project folder of its own: the log and the databases stay out of the repository.
    writeFileSync(join(dir, 'anomaly.config.yaml'), 'checks: []\n');
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, 'one'));
    await writeTransactionsCsv(join(dir, 'one', 'transactions.csv'), 1000);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ANOMALY_|SLACK_|GOOGLE_|CLICKHOUSE_)/.test(k)));
    const env = { ...clean, ANOMALY_HOME: dir, ANOMALY_TZ: 'UTC' };
    // [name, arguments, the exit code it must end with]
    const cases: [string, string[], number][] = [['node -e 0 (the floor)', ['-e', '0'], 0]];
    for (const [i, cli] of clis.entries()) {
      const who = clis.length > 1 ? `[${i + 1}] ` : '';
      cases.push(
        [`${who}anomaly --version`, [cli, '--version'], 0],
        // Everything up to finding no file to load (exit 66): modules, environment, logger, inputs.
        [`${who}anomaly init-db, empty data folder (exit 66)`, [cli, 'init-db', '--data-dir', join(dir, 'empty'), '--db', join(dir, `a${i}.db`)], 66],
        [`${who}anomaly init-db, one 1,000-row file`, [cli, 'init-db', '--data-dir', join(dir, 'one'), '--db', join(dir, `b${i}.db`)], 0],
        // What cron runs every few minutes: the file above is loaded already, nothing to add.
        [`${who}anomaly init-db --append, nothing new`, [cli, 'init-db', '--append', '--data-dir', join(dir, 'one'), '--db', join(dir, `b${i}.db`)], 0],
      );
    }
    const times = cases.map(() => [] as number[]);
    for (let round = 0; round < opts.runs; round++) {
      for (const [i, [name, args, code]] of cases.entries()) {
        const t = performance.now();
        const r = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
        const ms = performance.now() - t;
        if (r.status !== code) throw new Error(`bench-startup: ${name} exited ${r.status}: ${r.stderr}`);
        times[i]!.push(ms);
      }
    }
    return cases.map(([name], i) => ({ name, ms: times[i]!.sort((a, b) => a - b) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The load's worker threads whose start-up is measured, where the build has them. */
const WORKER_ENTRIES = ['part-worker.js', 'direct-worker.js'];

/**
 * A worker thread that loads what one of the load's worker entries imports, started until it
 * answers; and an empty one (Node's own cost of a thread). The entry's imports are read from its
 * compiled file, so the figure follows its import graph without running a load.
 */
export async function benchWorkerStartup(opts: { runs: number; cli?: string }): Promise<StartupFigure[]> {
  const ingest = resolve(dirname(resolve(opts.cli ?? OWN_CLI)), '../dist/src/ingest');
  const files: [string, string][] = [['empty worker thread', "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage(0);\n"]];
  // An entry the build does not have (older, or the loader reorganised) is left out.
  for (const entry of WORKER_ENTRIES.map((e) => join(ingest, e)).filter((e) => existsSync(e))) {
    const specifiers = [...readFileSync(entry, 'utf8').matchAll(/^import [^;]*? from '([^']+)';$/gm)].map((m) => m[1]!);
    // Relative and package imports made absolute, so the probe can live in a scratch folder.
    const require = createRequire(entry);
    const absolute = (s: string) => (s.startsWith('node:') ? s : s.startsWith('.') ? new URL(s, pathToFileURL(entry)).href : pathToFileURL(require.resolve(s)).href);
    const imports = specifiers.map((s) => `import '${absolute(s)}';`).join('\n');
    files.push([`worker thread + ${basename(entry)} imports (${specifiers.length})`, `${imports}\nimport { parentPort } from 'node:worker_threads';\nparentPort.postMessage(0);\n`]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'anomaly-worker-'));
  try {
    const paths = files.map(([, code], i) => {
      const p = join(dir, `w${i}.mjs`);
      writeFileSync(p, code);
      return p;
    });
    const times = files.map(() => [] as number[]);
    for (let round = 0; round < opts.runs; round++) {
      for (const [i, p] of paths.entries()) {
        const t = performance.now();
        // The heap limits parallel-load.ts gives its threads.
        const w = new Worker(p, { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
        await new Promise<void>((ok, fail) => {
          w.once('message', () => ok());
          w.once('error', fail);
        });
        times[i]!.push(performance.now() - t);
        await w.terminate();
      }
    }
    return files.map(([name], i) => ({ name, ms: times[i]!.sort((a, b) => a - b) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = () => `load average ${loadavg().map((n) => n.toFixed(2)).join(', ')}`;

/** Both parts, printed. */
export async function printStartup(opts: { runs: number; clis?: string[] }): Promise<void> {
  const clis = opts.clis?.length ? opts.clis : [OWN_CLI];
  console.log(`== start-up: ${opts.runs} runs each, interleaved (${load()})`);
  if (clis.length > 1) for (const [i, c] of clis.entries()) console.log(`[${i + 1}] ${resolve(c)}`);
  for (const f of await benchStartup({ runs: opts.runs, clis })) console.log(describe(f));
  for (const [i, cli] of clis.entries()) {
    for (const f of await benchWorkerStartup({ runs: opts.runs, cli })) console.log(describe({ ...f, name: `${clis.length > 1 ? `[${i + 1}] ` : ''}${f.name}` }));
  }
  console.log(`${load()}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await printStartup({ runs: Number(process.argv[2] ?? 20), clis: process.argv.slice(3) });
}
