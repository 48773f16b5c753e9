/**
 * `npm run simulate-retention`: the state database after 90 days of 5-minute runs on the demo data
 * (25,920 runs), with the run's own code: recordRun, planNotifications (Slack + Sheets), delivery
 * marked as done, and the retention step every run (pruneAfterRun). Prints the size as it goes.
 *
 * Method (evaluating 7 checks 25,920 times would take hours): the real checks are evaluated on the
 * demo database once an hour over its last week (168 evaluations, charts included, so sizes are
 * real). Run i uses the evaluation of hour i mod 168. So that deduplication is not flattered, each
 * result's anomalies and chart are made unique (a marker) per run for the per-minute and day-so-far
 * types (they change every run in reality) and per hour for the hourly types and query_empty
 * (conservative: the demo's unfinished orders change far less often). Alert state, repeats every 4h,
 * resolutions and outbox items then follow from the real planning code.
 *
 *   SIM_DAYS (90)   days simulated        SIM_STEP (5m)  run interval
 *   SIM_DATA_DB (data/anomaly.db)         SIM_STATE (data/bench/retention-state.db)
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateStore } from '../src/alerts/store.js';
import { newRunId, recordRun } from '../src/alerts/runs.js';
import { planNotifications } from '../src/alerts/plan.js';
import { bytesOnDisk, pruneAfterRun, spaceOf } from '../src/alerts/retention.js';
import { alertPolicies } from '../src/checks/alert-policies.js';
import { prepareChecks } from '../src/checks/prepare.js';
import { evaluateChecks } from '../src/checks/run-checks.js';
import { silentLogger } from '../src/log.js';
import { renderPng } from '../src/report/render.js';
import { parseDuration, toDbTime, DAY, HOUR, MINUTE } from '../src/time.js';
import type { CheckResult } from '../src/types.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), existsSync(fileURLToPath(new URL('../package.json', import.meta.url))) ? '..' : '../..');
const days = Number(process.env.SIM_DAYS ?? 90);
const stepMs = parseDuration(process.env.SIM_STEP ?? '5m')!;
const dataDb = resolve(process.env.SIM_DATA_DB ?? join(repoRoot, 'data/anomaly.db'));
const statePath = resolve(process.env.SIM_STATE ?? join(repoRoot, 'data/bench/retention-state.db'));
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

if (!existsSync(dataDb)) {
  console.error(`simulate-retention: ${dataDb} not found: build the demo database first (npm run init-db)`);
  process.exit(66);
}
const log = silentLogger();
const prepared = await prepareChecks({ config: join(repoRoot, 'anomaly.config.yaml'), db: dataDb });
const newest = (await prepared.engine.query(`SELECT MAX(minute) AS m FROM transaction_status`))[0]!.m as string;
const sampleEnd = Math.floor(Date.parse(newest.replace(' ', 'T') + 'Z') / HOUR) * HOUR;

// 1. Real evaluations: one an hour over the demo data's last week.
const started = performance.now();
const samples: { at: number; results: CheckResult[] }[] = [];
const cache = new Map<string, unknown>();
for (let at = sampleEnd - 7 * DAY + HOUR; at <= sampleEnd; at += HOUR) {
  const results = await evaluateChecks(prepared.checks, prepared.types, { engine: prepared.engine, at: at + 37 * MINUTE, tz: 'UTC', log, cache });
  samples.push({ at: at + 37 * MINUTE, results });
}
await prepared.engine.close();
const alertShare = samples.flatMap((s) => s.results).filter((r) => r.status === 'alert').length / (samples.length * prepared.checks.length);
console.log(`${samples.length} real evaluations of ${prepared.checks.length} checks in ${((performance.now() - started) / 1000).toFixed(1)} s; ${(alertShare * 100).toFixed(0)} % of results alerting`);

// A real chart PNG per check (what Slack gets in the digest's thread).
const charts = new Map<string, string>();
for (const s of samples) {
  for (const r of s.results) {
    if (r.chart && !charts.has(r.check)) charts.set(r.check, (await renderPng(r.chart, { tz: 'UTC' })).toString('base64'));
  }
}

// 2. 90 days of runs through the real storage, planning and retention code.
const PER_RUN_TYPES = new Set(['status_rate', 'isolation_forest', 'threshold']);
/**
 * The sample's result for a simulated run: its anomalies and chart get a marker of the run (for
 * per-minute and day-so-far types) or of the hour, so they are stored again as often as they would
 * change in reality. A marker adds ~15 bytes; the rest is the real evaluation's content.
 */
function marked(r: CheckResult, at: number): CheckResult {
  const bucket = PER_RUN_TYPES.has(r.type) ? at : Math.floor(at / HOUR) * HOUR;
  const anomalies = r.anomalies.map((a, i) => (i === 0 ? { ...a, message: `${a.message} [${bucket}]` } : a));
  return { ...r, anomalies, ...(r.chart ? { chart: { ...r.chart, title: `${r.chart.title} [${bucket}]` } } : {}) };
}

rmSync(statePath, { force: true });
rmSync(statePath + '-wal', { force: true });
rmSync(statePath + '-shm', { force: true });
mkdirSync(dirname(statePath), { recursive: true });
const store = StateStore.open(statePath);
// Sizes do not depend on fsync; without it the simulation takes minutes, not an hour.
store.db.pragma('synchronous = OFF');
const policies = alertPolicies(prepared.checks);
const markSent = store.db.prepare(`UPDATE outbox SET status = 'sent', attempts = 1, sent_at = ?, receipt_json = ? WHERE id = ?`);
const setTs = store.db.prepare(`UPDATE slack_messages SET ts = ? WHERE outbox_id = ?`);
const setAlertTs = store.db.prepare(`UPDATE alerts SET slack_channel = 'C0SIM', slack_ts = ? WHERE digest_outbox_id = ?`);
const simStart = Date.UTC(2027, 0, 1);
const runs = Math.round((days * DAY) / stepMs);
let jsonBytes = 0;
let peak = 0;
const t0 = performance.now();
for (let i = 0; i < runs; i++) {
  const at = simStart + i * stepMs;
  const sample = samples[Math.floor((i * stepMs) / HOUR) % samples.length]!;
  const results = sample.results.map((r) => marked(r, at));
  for (const r of results) jsonBytes += JSON.stringify(r.anomalies).length + (r.chart ? JSON.stringify(r.chart).length : 0);
  const runId = newRunId(at, at);
  recordRun(store, { runId, at, startedAt: at, finishedAt: at + 2000, dryRun: false, results });
  const alerting = new Map([...charts].filter(([check]) => results.some((r) => r.check === check && r.status === 'alert')));
  const plan = planNotifications(store, {
    runId,
    at,
    results,
    policies,
    destinations: { slack: { defaultChannel: 'C0SIM' }, sheets: true },
    charts: alerting,
    now: at + 1000,
    configuredChecks: new Set(prepared.checks.map((c) => c.name)),
  });
  // Delivery: every item sent a second later, with the receipt a real one carries.
  store.db.transaction(() => {
    for (const id of plan.outboxIds) {
      const ts = `${Math.floor(at / 1000)}.${String(id).padStart(6, '0')}`;
      markSent.run(toDbTime(at + 2000), JSON.stringify({ slack: { channel: 'C0SIM', ts } }), id);
      setTs.run(ts, id);
      setAlertTs.run(ts, id);
    }
  })();
  pruneAfterRun(store, { now: at + 3000, retentionMs: prepared.retentionMs, log });
  if ((i + 1) % ((10 * DAY) / stepMs) === 0 || i === runs - 1) {
    const disk = bytesOnDisk(statePath);
    peak = Math.max(peak, disk.db);
    const free = spaceOf(store).freeBytes;
    console.log(`day ${String(Math.round(((i + 1) * stepMs) / DAY)).padStart(3)}: state.db ${mb(disk.db)} (${mb(free)} of it free pages), WAL ${mb(disk.wal)}`);
  }
}
const elapsed = (performance.now() - t0) / 1000;
store.db.pragma('wal_checkpoint(TRUNCATE)');
const counts = Object.fromEntries(
  ['check_runs', 'check_results', 'payloads', 'outbox', 'alerts', 'slack_messages'].map((t) => [
    t,
    (store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n,
  ]),
);
const tables = store.db
  .prepare(`SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 6`)
  .all() as { name: string; bytes: number }[];
store.close();
const final = bytesOnDisk(statePath);
console.log(`\n${runs} runs (${days} days every ${process.env.SIM_STEP ?? '5m'}) in ${elapsed.toFixed(0)} s, ${((elapsed * 1000) / runs).toFixed(2)} ms a run`);
console.log(`rows kept: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}`);
console.log(`largest: ${tables.map((t) => `${t.name} ${mb(t.bytes)}`).join(', ')}`);
console.log(`anomaly + chart JSON the runs produced: ${mb(jsonBytes)} (what one row each would have stored, before retention)`);
console.log(`state database after ${days} days: ${mb(final.db)} (peak ${mb(Math.max(peak, final.db))}; target < 50 MB)`);
