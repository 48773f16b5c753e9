import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/detect/random.js';

/**
 * Benchmark: `anomaly init-db` against the sqlite3 CLI's `.import` on the same generated
 * transactions.csv. Prints rows/s for both, the ratio and init-db's peak RSS.
 *   node dist/scripts/bench-init-db.js [rows=5000000] [dir=data/bench] [runs=2]
 */

export interface BenchResult {
  rowsPerSec: number;
  cliRowsPerSec: number;
  ratio: number;
  peakRssMb: number;
}

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
  code: number | null;
  stderr: string;
}

/** Runs a command, timing it; peak RSS from `/usr/bin/time -v` when available. */
function timed(cmd: string, args: string[], stdin?: string): Promise<Timed> {
  const useTime = existsSync('/usr/bin/time');
  const [file, argv] = useTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  return new Promise((res, rej) => {
    const started = performance.now();
    const child = spawn(file, argv, { stdio: ['pipe', 'ignore', 'pipe'], cwd: repoRoot, env: { ...process.env, ANOMALY_LOG_LEVEL: 'warn' } });
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
      res({ seconds, peakRssKb: m ? Number(m[1]) : peak, code, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** `runs` (default 2): each tool runs that many times, alternating; the best time counts, peak RSS is the worst. */
export async function benchInitDb(opts: { rows: number; dir: string; runs?: number }): Promise<BenchResult> {
  const dir = resolve(opts.dir);
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const csv = join(dataDir, 'transactions.csv');
  const bytes = await writeTransactionsCsv(csv, opts.rows);
  console.log(`wrote ${opts.rows} rows (${(bytes / 1e6).toFixed(1)} MB) to ${csv}`);

  if (spawnSync('sqlite3', ['-version']).error) {
    throw new Error('sqlite3 CLI not found; install it with: sudo apt-get install sqlite3');
  }
  const db = join(dir, 'bench.db');
  const cliDb = join(dir, 'cli.db');
  const script = [
    'CREATE TABLE transactions (id INTEGER PRIMARY KEY, created_date TEXT, transaction_type TEXT, order_id INTEGER, transaction_status TEXT);',
    '.mode csv',
    `.import --skip 1 ${csv} transactions`,
    '',
  ].join('\n');
  // Alternate the two and keep each one's best run: on a shared machine single runs are noisy.
  let ours: Timed | undefined;
  let cli: Timed | undefined;
  for (let run = 0; run < (opts.runs ?? 2); run++) {
    const o = await timed(process.execPath, [join(repoRoot, 'bin/anomaly.js'), 'init-db', '--data-dir', dataDir, '--db', db, '--date', '2023-05-01']);
    if (o.code !== 0) throw new Error(`init-db failed (exit ${o.code}): ${o.stderr.split('\n')[0]}`);
    rmSync(cliDb, { force: true });
    const c = await timed('sqlite3', [cliDb], script);
    if (c.code !== 0) throw new Error(`sqlite3 .import failed (exit ${c.code}): ${c.stderr.split('\n')[0]}`);
    console.log(`run ${run + 1}: init-db ${o.seconds.toFixed(2)} s (peak RSS ${(o.peakRssKb / 1024).toFixed(0)} MB), sqlite3 .import ${c.seconds.toFixed(2)} s`);
    if (!ours || o.seconds < ours.seconds) ours = { ...o, peakRssKb: Math.max(o.peakRssKb, ours?.peakRssKb ?? 0) };
    else ours.peakRssKb = Math.max(ours.peakRssKb, o.peakRssKb);
    if (!cli || c.seconds < cli.seconds) cli = c;
  }
  rmSync(cliDb, { force: true });
  const rowsPerSec = opts.rows / ours!.seconds;
  const cliRowsPerSec = opts.rows / cli!.seconds;
  const peak = ours!.peakRssKb;
  return { rowsPerSec, cliRowsPerSec, ratio: rowsPerSec / cliRowsPerSec, peakRssMb: peak / 1024 };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = Number(process.argv[2] ?? 5_000_000);
  const dir = process.argv[3] ?? join(repoRoot, 'data/bench');
  const runs = Number(process.argv[4] ?? 2);
  const r = await benchInitDb({ rows, dir, runs });
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`init-db:        ${fmt(r.rowsPerSec)} rows/s (peak RSS ${r.peakRssMb.toFixed(0)} MB)`);
  console.log(`sqlite3 import: ${fmt(r.cliRowsPerSec)} rows/s`);
  console.log(`ratio:          ${r.ratio.toFixed(2)}x`);
}
