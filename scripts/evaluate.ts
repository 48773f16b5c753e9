/**
 * `npm run evaluate`: this project's checks next to three detectors a user might write instead
 * (scripts/evaluate/peers.ts), run through the same replay on the same data, scored against
 * labelled incidents: recall, false episodes, mean and max detection delay, fragmentation
 * (episodes per detected incident). Datasets: the demo week (data/, labels data/incidents.json)
 * and the real samples in ../shared/data/cloudwalk/ (labels tests/fixtures/labels/cloudwalk.json),
 * each replayed at 1-minute steps and at 5-minute (cron-style) steps; and the orders sample in
 * ../shared/data/pbilinskyi/ (labels tests/fixtures/labels/pbilinskyi.json), where every check is
 * scored (no per-minute data there, so no peers): 2 overdue orders, any other alert is false.
 *
 *   npm run evaluate                    # every dataset
 *   EVALUATE_ONLY=demo npm run evaluate # or cloudwalk, or pbilinskyi
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareChecks } from '../src/checks/prepare.js';
import { SqliteEngine } from '../src/db/sqlite-engine.js';
import { silentLogger } from '../src/log.js';
import { replay } from '../src/replay/replay.js';
import type { Episode } from '../src/replay/replay.js';
import { loadLabels, scoreEpisodes, PER_MINUTE_TYPES } from '../src/replay/score.js';
import type { Incident, Score } from '../src/replay/score.js';
import { fromDbTime, toIso, HOUR, MINUTE } from '../src/time.js';
import { fixedShareDetector, isolationForestDetector, replayDetector, windowedGaussianDetector } from './evaluate/peers.js';
import type { MinuteCounts } from './evaluate/peers.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');

/** The peers' settings, as a user would pick them (documented in docs/detection.md). */
export const PEER_SETTINGS = {
  fixedShares: { failed: 0.01, reversed: 0.02, backend_reversed: 0.01, denied: 0.2 },
  gaussian: { windowSize: 6400, threshold: 0.9999, statuses: ['failed', 'reversed', 'backend_reversed', 'denied'] },
  isolationForest: { contamination: 0.01, seed: 42 },
};

interface Dataset {
  name: string;
  dataDir: string;
  date?: string;
  /** Orders and transactions only (no per-minute counts): every check scored, no peers. */
  orders?: boolean;
  labels: string;
  from: number;
  to: number;
}

function datasets(): Dataset[] {
  const shared = resolve(repoRoot, '../shared/data/cloudwalk');
  const all: Dataset[] = [
    {
      name: 'demo week',
      dataDir: join(repoRoot, 'data'),
      labels: join(repoRoot, 'data/incidents.json'),
      from: Date.parse('2026-11-14T00:00:00Z'),
      to: Date.parse('2026-11-20T23:59:00Z'),
    },
  ];
  if (existsSync(shared)) {
    all.push({
      name: 'cloudwalk',
      dataDir: shared,
      date: '2023-01-10',
      labels: join(repoRoot, 'tests/fixtures/labels/cloudwalk.json'),
      from: Date.parse('2023-01-10T00:00:00Z'),
      to: Date.parse('2023-01-10T23:59:00Z'),
    });
  }
  const orders = resolve(repoRoot, '../shared/data/pbilinskyi');
  if (existsSync(orders)) {
    all.push({
      name: 'pbilinskyi',
      dataDir: orders,
      orders: true,
      labels: join(repoRoot, 'tests/fixtures/labels/pbilinskyi.json'),
      from: Date.parse('2023-05-15T00:00:00Z'),
      to: Date.parse('2023-05-31T23:59:00Z'),
    });
  }
  const only = process.env.EVALUATE_ONLY;
  return only ? all.filter((d) => d.name.startsWith(only)) : all;
}

/** Loads a dataset into a fresh database with the real `anomaly init-db`. */
function buildDb(ds: Dataset, work: string): string {
  let dataDir = ds.dataDir;
  if (ds.orders) {
    dataDir = join(work, 'data');
    mkdirSync(dataDir, { recursive: true });
    for (const f of ['orders.csv', 'transactions.csv']) copyFileSync(join(ds.dataDir, f), join(dataDir, f));
  } else if (ds.date) {
    // The cloudwalk files are laid out as the loader expects them (one table per folder).
    dataDir = join(work, 'data');
    mkdirSync(join(dataDir, 'checkout'), { recursive: true });
    mkdirSync(join(dataDir, 'transaction_status'), { recursive: true });
    copyFileSync(join(ds.dataDir, 'checkout_1.csv'), join(dataDir, 'checkout/checkout_1.csv'));
    copyFileSync(join(ds.dataDir, 'transactions_1.csv'), join(dataDir, 'transaction_status/transactions_1.csv'));
  }
  const db = join(work, 'data.db');
  execFileSync(process.execPath, [join(repoRoot, 'bin/anomaly.js'), 'init-db', ...(ds.date ? ['--date', ds.date] : [])], {
    env: { ...process.env, ANOMALY_DATA_DIR: dataDir, ANOMALY_DB: db, ANOMALY_STATE_DB: join(work, 'state.db'), ANOMALY_LOG_DIR: join(work, 'logs') },
    stdio: 'ignore',
  });
  return db;
}

async function minuteCounts(db: string): Promise<MinuteCounts> {
  const engine = SqliteEngine.open(db);
  const rows = await engine.query(readFileSync(join(repoRoot, 'checks/transaction_status_minutes.sql'), 'utf8'), { from: '0000', to: '9999' });
  await engine.close();
  const byMinute = new Map<number, Map<string, number>>();
  const statuses = new Set<string>();
  for (const r of rows) {
    const t = fromDbTime(String(r.minute));
    statuses.add(String(r.status));
    const m = byMinute.get(t) ?? new Map<string, number>();
    m.set(String(r.status), (m.get(String(r.status)) ?? 0) + Number(r.count));
    byMinute.set(t, m);
  }
  const list = [...statuses].sort();
  const from = Math.min(...byMinute.keys());
  const to = Math.max(...byMinute.keys());
  const counts: number[][] = [];
  for (let t = from; t <= to; t += MINUTE) counts.push(list.map((s) => byMinute.get(t)?.get(s) ?? 0));
  return { from, statuses: list, counts };
}

interface Row {
  detector: string;
  step: string;
  score: Score;
}

const perMinute = (incidents: Incident[]) => incidents.filter((i) => PER_MINUTE_TYPES.has(i.kind));

async function evaluateDataset(ds: Dataset): Promise<{ rows: Row[]; outages: { step: string; score: Score }[]; incidents: number }> {
  const work = mkdtempSync(join(tmpdir(), 'anomaly-evaluate-'));
  try {
    const db = buildDb(ds, work);
    const labels = loadLabels(ds.labels);
    const data = await minuteCounts(db);
    const rows: Row[] = [];
    const outages: { step: string; score: Score }[] = [];
    for (const stepMs of [MINUTE, 5 * MINUTE]) {
      const step = `${stepMs / MINUTE}m`;
      const prepared = await prepareChecks({ config: join(repoRoot, 'anomaly.config.yaml'), db });
      const result = await replay({ from: ds.from, to: ds.to, stepMs, checks: prepared.checks, types: prepared.types, engine: prepared.engine, tz: 'UTC', log: silentLogger() });
      await prepared.engine.close();
      const minuteEpisodes = result.episodes.filter((e) => PER_MINUTE_TYPES.has(e.type));
      rows.push({
        detector: 'this project (status_rate + isolation_forest checks)',
        step,
        score: scoreEpisodes(minuteEpisodes, perMinute(labels), { graceMs: HOUR, types: new Set(PER_MINUTE_TYPES), from: ds.from }),
      });
      const outageEpisodes = result.episodes.filter((e) => e.type === 'baseline');
      outages.push({ step, score: scoreEpisodes(outageEpisodes, labels.filter((i) => i.kind === 'baseline'), { graceMs: HOUR, types: new Set(['baseline']), from: ds.from }) });

      const peer = (detector: string, episodes: Episode[]) =>
        rows.push({ detector, step, score: scoreEpisodes(episodes, perMinute(labels), { graceMs: HOUR, types: new Set(episodes.length && episodes[0]!.type === 'isolation_forest' ? ['isolation_forest'] : ['status_rate']), from: ds.from }) });
      const base = { from: ds.from, to: ds.to, stepMs };
      peer('fixed share thresholds', replayDetector(data, fixedShareDetector(data, PEER_SETTINGS.fixedShares), { ...base, check: 'fixed', type: 'status_rate' }));
      peer('NAB windowed Gaussian', replayDetector(data, windowedGaussianDetector(data, PEER_SETTINGS.gaussian), { ...base, check: 'gaussian', type: 'status_rate' }));
      const forest = isolationForestDetector(data, { ...PEER_SETTINGS.isolationForest, fitFrom: ds.from, fitTo: ds.to + MINUTE });
      const iforestEpisodes = replayDetector(data, forest, { ...base, check: 'iforest', type: 'isolation_forest' });
      rows.push({
        detector: `Isolation Forest (contamination ${PEER_SETTINGS.isolationForest.contamination})`,
        step,
        score: scoreEpisodes(iforestEpisodes, perMinute(labels), { graceMs: HOUR, types: new Set(['isolation_forest']), from: ds.from }),
      });
    }
    return { rows, outages, incidents: perMinute(labels).length };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const min = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / MINUTE).toFixed(1)}`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n') + '\n';
}

/** Every check of the config replayed on an orders-only dataset: detections and false episodes. */
async function evaluateOrders(ds: Dataset): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'anomaly-evaluate-'));
  const started = performance.now();
  try {
    const db = buildDb(ds, work);
    const labels = loadLabels(ds.labels);
    process.stdout.write(`\n## ${ds.name}: ${toIso(ds.from)} → ${toIso(ds.to)}, ${labels.length} labelled incidents, every check scored\n\n`);
    for (const stepMs of [MINUTE, 5 * MINUTE]) {
      const prepared = await prepareChecks({ config: join(repoRoot, 'anomaly.config.yaml'), db });
      const result = await replay({ from: ds.from, to: ds.to, stepMs, checks: prepared.checks, types: prepared.types, engine: prepared.engine, tz: 'UTC', log: silentLogger() });
      await prepared.engine.close();
      const types = new Set(prepared.checks.map((c) => c.type));
      const score = scoreEpisodes(result.episodes, labels, { graceMs: HOUR, types, from: ds.from });
      const found = score.incidents.map((i) => `${i.incident.id} ${i.delayMs === null ? 'MISSED' : `after ${min(i.delayMs)} min, ${i.episodes} ep.`}`);
      const falses = score.falseEpisodes.map((e) => `${e.check}:${e.key} ${toIso(e.start)}–${toIso(e.end)}`);
      process.stdout.write(`this project at ${stepMs / MINUTE}m: ${found.join('; ')}; false episodes ${falses.length}${falses.length ? ` (${falses.join(', ')})` : ''}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

async function main(): Promise<void> {
  for (const ds of datasets()) {
    if (ds.orders) {
      await evaluateOrders(ds);
      continue;
    }
    const started = performance.now();
    const { rows, outages, incidents } = await evaluateDataset(ds);
    process.stdout.write(`\n## ${ds.name}: ${toIso(ds.from)} → ${toIso(ds.to)}, ${incidents} labelled per-minute incidents\n\n`);
    process.stdout.write(
      table(
        ['detector', 'step', 'recall', 'false episodes', 'mean delay (min)', 'max delay (min)', 'episodes / incident'],
        rows.map((r) => [
          r.detector,
          r.step,
          `${r.score.incidents.filter((i) => i.detected).length}/${r.score.incidents.length}`,
          String(r.score.falseEpisodes.length),
          min(r.score.meanDelayMs),
          min(r.score.maxDelayMs),
          r.score.fragmentation === null ? 'n/a' : r.score.fragmentation.toFixed(2),
        ]),
      ),
    );
    for (const r of rows.filter((x) => x.detector.startsWith('this project'))) {
      const missed = r.score.incidents.filter((i) => !i.detected).map((i) => i.incident.id);
      const falses = r.score.falseEpisodes.map((e) => `${e.check}:${e.key} ${toIso(e.start)}–${toIso(e.end).slice(11)}`);
      // An alert of the same key already open when the incident starts counts as delay 0: say since when.
      const since = (i: (typeof r.score.incidents)[number]) =>
        i.firstAlertAt !== null && i.firstAlertAt < Date.parse(i.incident.start) ? ` (already alerting since ${toIso(i.firstAlertAt).slice(11, 16)})` : '';
      const perIncident = r.score.incidents.map((i) => `${i.incident.id} ${i.delayMs === null ? 'missed' : `${min(i.delayMs)} min${since(i)}, ${i.episodes} ep.`}`);
      process.stdout.write(`\nthis project at ${r.step}: ${perIncident.join('; ')}${missed.length ? `; MISSED ${missed.join(', ')}` : ''}${falses.length ? `; false: ${falses.join(', ')}` : ''}\n`);
    }
    for (const o of outages) {
      const list = o.score.incidents.map((i) => `${i.incident.id} ${i.delayMs === null ? 'missed' : `after ${min(i.delayMs)} min`}`);
      process.stdout.write(`checkout/baseline outages at ${o.step}: ${list.join('; ') || 'none labelled'}; false episodes ${o.score.falseEpisodes.length}\n`);
    }
    process.stdout.write(`(${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`evaluate: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
