import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/detect/random.js';

/**
 * Benchmark: `anomaly init-db` against the sqlite3 CLI's `.import` on the same generated
 * transactions.csv, in pairs: rows/s of both (median, min–max), the ratio, init-db's peak RSS and
 * CPU seconds (and the CLI's), and where init-db's thread time went (parse / insert / index / merge,
 * from its debug log; for a file written as B-tree pages directly, insert is writing the table's
 * pages and merge the assembly), and which way the file was loaded. Figures only, nothing asserted.
 *   node dist/scripts/bench-init-db.js [sizes=2000000,5000000] [dir=data/bench/init] [pairs=3] [shuffled-pairs=1]
 */

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');

const TYPES = ['auth', 'auth', 'auth', 'settle', 'settle', 'void', 'refund'];

/** Writes `rows` transactions: ids 1..N, time moving forward 0-2 s a row, US-short and ISO dates mixed by day. */
export async function writeTransactionsCsv(path: string, rows: number, seed = 42): Promise<number> {
  const rnd = mulberry32(seed); // seeded: every run writes the same file
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let t = Date.UTC(2023, 4, 1);
  let chunk = 'id,created_date,transaction_type,order_id,transaction_status\n';
  for (let id = 1; id <= rows; id++) {
    t += Math.floor(rnd() * 2000);
    const d = new Date(t);
    const iso = d.getUTCDate() % 2 === 0;
    const date = iso
      ? d.toISOString().slice(0, 19).replace('T', ' ')
      : `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${String(d.getUTCFullYear()).slice(2)} ${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const type = TYPES[Math.floor(rnd() * TYPES.length)]!;
    const order = Math.max(1, id - Math.floor(rnd() * 1000));
    const status = rnd() < 0.93 ? 'success' : 'fail';
    chunk += `${id},${date},${type},${order},${status}\n`;
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.write(chunk);
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
  return bytes;
}

interface Timed {
  seconds: number;
  peakRssKb: number;
  /** User + system CPU seconds (from `/usr/bin/time -v`; NaN without it). */
  cpuSeconds: number;
  code: number | null;
  stderr: string;
}

/** Runs a command, timing it; peak RSS and CPU time from `/usr/bin/time -v` when available. */
function timed(cmd: string, args: string[], stdin?: string, env: Record<string, string> = {}): Promise<Timed> {
  const useTime = existsSync('/usr/bin/time');
  const [file, argv] = useTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  return new Promise((res, rej) => {
    const started = performance.now();
    const child = spawn(file, argv, { stdio: ['pipe', 'ignore', 'pipe'], cwd: repoRoot, env: { ...process.env, ANOMALY_LOG_LEVEL: 'warn', ...env } });
    let stderr = '';
    let peak = 0;
    const poll = useTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peak = Math.max(peak, Number(m[1]));
          } catch {
            // process gone
          }
        }, 50);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
      const cpuSeconds = user && sys ? Number(user[1]) + Number(sys[1]) : NaN;
      res({ seconds, peakRssKb: m ? Number(m[1]) : peak, cpuSeconds, code, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** Milliseconds init-db spent per phase (summed over its threads), from its debug log. */
export interface Phases {
  parse: number;
  insert: number;
  index: number;
  merge: number;
  /** true: written as B-tree pages directly (direct-load.ts); else why not (two SQLite connections). */
  direct?: true | string;
}

interface PartTimesLog {
  parseMs: number;
  insertMs: number;
  indexMs: number;
}

/** The phases of the transactions load in an init-db log, or undefined when it loaded in one thread. */
function phasesFromLog(logDir: string): Phases | undefined {
  let phases: Phases | undefined;
  let finalIndexMs = 0;
  for (const name of existsSync(logDir) ? readdirSync(logDir) : []) {
    for (const line of readFileSync(join(logDir, name), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg?: string; table?: string; indexMs?: number; phases?: { parts: PartTimesLog[]; mergeMs: number }; direct?: true | string };
      if (entry.msg === 'init-db finished') finalIndexMs = entry.indexMs ?? 0;
      if (entry.msg === 'file loaded' && entry.table === 'transactions' && entry.phases) {
        const parts = entry.phases.parts;
        const sum = (k: keyof PartTimesLog) => parts.reduce((s, p) => s + p[k], 0);
        phases = { parse: sum('parseMs'), insert: sum('insertMs'), index: sum('indexMs'), merge: entry.phases.mergeMs, direct: entry.direct };
      }
    }
  }
  if (phases) phases.index += finalIndexMs;
  return phases;
}

export interface Pair {
  ours: Timed;
  cli: Timed;
  phases: Phases | undefined;
}

export interface InitDbFigures {
  label: string;
  rows: number;
  pairs: Pair[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Paired runs on one file: init-db then the sqlite3 CLI's `.import` into a table of the same shape
 * (the order alternates from pair to pair), `pairs` times. init-db additionally converts dates, checks
 * enums, ids and counts, and builds the created_date and order_id indexes.
 */
export async function benchInitDbFile(opts: { label: string; csv: string; rows: number; dir: string; pairs: number }): Promise<InitDbFigures> {
  if (spawnSync('sqlite3', ['-version']).error) {
    throw new Error('sqlite3 CLI not found; install it with: sudo apt-get install sqlite3');
  }
  const db = join(opts.dir, 'bench.db');
  const cliDb = join(opts.dir, 'cli.db');
  const logDir = join(opts.dir, 'logs');
  const script = [
    'CREATE TABLE transactions (id INTEGER PRIMARY KEY, created_date TEXT, transaction_type TEXT, order_id INTEGER, transaction_status TEXT);',
    '.mode csv',
    `.import --skip 1 ${opts.csv} transactions`,
    '',
  ].join('\n');
  const pairs: Pair[] = [];
  for (let p = 0; p < opts.pairs; p++) {
    const runOurs = async () => {
      rmSync(logDir, { recursive: true, force: true });
      const o = await timed(process.execPath, [join(repoRoot, 'bin/anomaly.js'), 'init-db', '--data-dir', dirname(opts.csv), '--db', db, '--date', '2023-05-01'], undefined, {
        ANOMALY_LOG_DIR: logDir,
        ANOMALY_LOG_LEVEL: 'debug',
      });
      if (o.code !== 0) throw new Error(`init-db failed (exit ${o.code}): ${o.stderr.split('\n')[0]}`);
      return o;
    };
    const runCli = async () => {
      rmSync(cliDb, { force: true });
      const c = await timed('sqlite3', [cliDb], script);
      if (c.code !== 0) throw new Error(`sqlite3 .import failed (exit ${c.code}): ${c.stderr.split('\n')[0]}`);
      return c;
    };
    let ours: Timed;
    let cli: Timed;
    if (p % 2 === 0) {
      ours = await runOurs();
      cli = await runCli();
    } else {
      cli = await runCli();
      ours = await runOurs();
    }
    const pair = { ours, cli, phases: phasesFromLog(logDir) };
    pairs.push(pair);
    console.log(
      `  pair ${p + 1}: init-db ${ours.seconds.toFixed(2)} s (peak RSS ${(ours.peakRssKb / 1024).toFixed(0)} MB, CPU ${ours.cpuSeconds.toFixed(2)} s), ` +
        `sqlite3 .import ${cli.seconds.toFixed(2)} s (CPU ${cli.cpuSeconds.toFixed(2)} s): ${(cli.seconds / ours.seconds).toFixed(2)}×`,
    );
  }
  rmSync(cliDb, { force: true });
  rmSync(db, { force: true });
  return { label: opts.label, rows: opts.rows, pairs };
}

/** The summary lines for one file. */
export function describeFigures(f: InitDbFigures): string[] {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const ours = f.pairs.map((p) => f.rows / p.ours.seconds);
  const cli = f.pairs.map((p) => f.rows / p.cli.seconds);
  const ratios = f.pairs.map((p) => p.cli.seconds / p.ours.seconds);
  const range = (xs: number[], show: (n: number) => string) => `${show(median(xs))} (${show(Math.min(...xs))}–${show(Math.max(...xs))})`;
  const lines = [
    `${f.label}: ${f.pairs.length} pairs, median (min–max)`,
    `  init-db         ${range(ours, fmt)} rows/s, peak RSS ${range(f.pairs.map((p) => p.ours.peakRssKb / 1024), (n) => n.toFixed(0))} MB, CPU ${range(f.pairs.map((p) => p.ours.cpuSeconds), (n) => n.toFixed(2))} s`,
    `  sqlite3 .import ${range(cli, fmt)} rows/s, CPU ${range(f.pairs.map((p) => p.cli.cpuSeconds), (n) => n.toFixed(2))} s`,
    `  ratio           ${range(ratios, (n) => n.toFixed(2))}× the CLI's rows/s (pairwise; target ≥ 1.0×, RSS ≤ 150 MB)`,
  ];
  const phased = f.pairs.map((p) => p.phases).filter((p): p is Phases => p !== undefined);
  if (phased.length > 0) {
    const ways = [...new Set(phased.map((p) => (p.direct === true ? 'written as B-tree pages directly' : `two SQLite connections (${p.direct ?? 'direct writer not tried'})`)))];
    lines.push(`  loaded          ${ways.join('; ')}`);
    const total = (p: Phases) => p.parse + p.insert + p.index + p.merge;
    const share = (k: 'parse' | 'insert' | 'index' | 'merge') => `${k} ${range(phased.map((p) => (100 * p[k]) / total(p)), (n) => n.toFixed(0))} %`;
    const threadSeconds = median(phased.map((p) => total(p) / 1000));
    lines.push(`  time shares     ${(['parse', 'insert', 'index', 'merge'] as const).map(share).join(', ')} (of ${threadSeconds.toFixed(2)} thread-seconds, median)`);
  } else lines.push('  time shares     n/a (loaded in one thread)');
  return lines;
}

/** Writes a shuffled copy of `from` (header first, then its rows in a seeded random order). */
export function writeShuffled(from: string, to: string, seed = 7): void {
  const lines = readFileSync(from, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = lines.shift()!;
  const rnd = mulberry32(seed);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  const fd = openSync(to, 'w');
  try {
    writeSync(fd, header + '\n');
    for (let i = 0; i < lines.length; i += 100_000) writeSync(fd, lines.slice(i, i + 100_000).join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

/**
 * The init part of `npm run bench`: each size in `sizes` (generated, in time order), then a shuffled
 * copy of the largest (the created_date index built during the load expects time order).
 */
export async function benchInitDb(opts: { sizes: number[]; dir: string; pairs: number; shuffledPairs: number }): Promise<InitDbFigures[]> {
  const out: InitDbFigures[] = [];
  const dir = resolve(opts.dir);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  let largest: { csv: string; rows: number } | undefined;
  for (const rows of opts.sizes) {
    const dataDir = join(dir, `rows-${rows}`, 'data');
    mkdirSync(dataDir, { recursive: true });
    const csv = join(dataDir, 'transactions.csv');
    const bytes = await writeTransactionsCsv(csv, rows);
    console.log(`${fmt(rows)} rows (${(bytes / 1e6).toFixed(1)} MB), time order`);
    out.push(await benchInitDbFile({ label: `${fmt(rows)} rows, time order`, csv, rows, dir: dirname(dataDir), pairs: opts.pairs }));
    if (!largest || rows > largest.rows) largest = { csv, rows };
  }
  if (opts.shuffledPairs > 0 && largest) {
    const dataDir = join(dir, 'shuffled', 'data');
    mkdirSync(dataDir, { recursive: true });
    const csv = join(dataDir, 'transactions.csv');
    writeShuffled(largest.csv, csv);
    console.log(`${fmt(largest.rows)} rows, shuffled`);
    out.push(await benchInitDbFile({ label: `${fmt(largest.rows)} rows, shuffled`, csv, rows: largest.rows, dir: dirname(dataDir), pairs: opts.shuffledPairs }));
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = (process.argv[2] ?? '2000000,5000000').split(',').map(Number);
  const dir = process.argv[3] ?? join(repoRoot, 'data/bench/init');
  const pairs = Number(process.argv[4] ?? 3);
  for (const f of await benchInitDb({ sizes, dir, pairs, shuffledPairs: Number(process.argv[5] ?? 1) })) {
    for (const line of describeFigures(f)) console.log(line);
  }
}
