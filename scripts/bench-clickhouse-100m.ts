/**
 * The 100 M-row ClickHouse figures in two steps, so the long preparation does not hold the
 * benchmark's exclusive CPU lock: against a ClickHouse server (or cluster URL) that you started,
 *   node dist/scripts/bench-clickhouse-100m.js prepare <url>   (under `flock -s`: a heavy load, not a timing)
 *     loads the 10 M-transaction CSV set of BENCH_DIR/ch-10000000 (made by `npm run bench -- --engine
 *     clickhouse` or generate-demo) with `anomaly init-db`, then makes it BENCH_CH_FACTOR (10) times as
 *     big inside ClickHouse: earlier copies of every time-stamped table, shifted back by the data's
 *     span, ids offset (INSERT … SELECT, see bench-clickhouse.ts multiply), so the distribution per
 *     day is the generator's;
 *   node dist/scripts/bench-clickhouse-100m.js measure <url>   (under `flock`: the timing)
 *     prints `anomaly run --dry-run` (process, best of 3) and `anomaly replay` per 1-minute step at the
 *     same moment as the 10 M figures.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DAY } from '../src/time.js';
import { measure, multiply, timed } from './bench-clickhouse.js';

const [step, url] = process.argv.slice(2);
const dir = join(resolve(process.env.BENCH_DIR ?? 'data/bench'), 'ch-10000000');
const manifest = JSON.parse(readFileSync(join(dir, 'data/incidents.json'), 'utf8')) as { period: { to: string } };
const at = Math.floor((Date.parse(manifest.period.to) - DAY / 2) / 3_600_000) * 3_600_000;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

if (step === 'prepare' && url) {
  const load = timed(['init-db', '--data-dir', join(dir, 'data'), '--db', url], dir);
  console.log(`loaded the 10 M set in ${load.seconds.toFixed(0)} s`);
  const made = await multiply(url, Number(process.env.BENCH_CH_FACTOR ?? 10));
  console.log(`${fmt(made.transactions)} transactions made inside ClickHouse in ${made.seconds.toFixed(0)} s`);
} else if (step === 'measure' && url) {
  const r = await measure(0, url, url, dir, at);
  console.log(`${url}: run --dry-run ${fmt(r.runMs)} ms (best of 3), replay ${r.replayMsPerStep.toFixed(1)} ms per 1-minute step`);
} else {
  console.error('usage: bench-clickhouse-100m.js prepare|measure <clickhouse url>');
  process.exit(64);
}
