import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../src/alerts/index.js';
import {
  CHECK_RESULTS_HEADER,
  StateStore as Store,
  formatElapsed,
  newRunId,
  planNotifications,
  recordRun,
} from '../../src/alerts/index.js';
import { readSqlFile } from '../../src/sql-file.js';
import type { Anomaly } from '../../src/types.js';
import { HOUR, MINUTE } from '../../src/time.js';
import type { SheetsAppend } from './helpers.js';
import { T0, alertRow, anomaly, openTempStore, outboxRows, policies, policy, result, tempDir } from './helpers.js';

describe('planNotifications is all or nothing', () => {
  let store: StateStore;
  beforeEach(() => (store = openTempStore().store));
  afterEach(() => store.close());

  it('a throw part-way through leaves no state change and no outbox item', () => {
    const input = (results: ReturnType<typeof result>[], runId: string, at: number) => ({
      runId,
      at,
      results,
      policies: policies(policy('status_rates'), policy('volume')),
      destinations: { slack: { defaultChannel: '#alerts' }, sheets: true },
      now: at,
    });
    planNotifications(store, input([result('status_rates', [anomaly('reversed')])], 'run-1', T0));
    const alertsBefore = store.db.prepare('SELECT * FROM alerts ORDER BY fingerprint').all();
    const outboxBefore = outboxRows(store);
    expect(outboxBefore).toHaveLength(2);

    // The second check's anomaly blows up when read: after the first check's state was written.
    const broken = anomaly('checkout_1 08h');
    Object.defineProperty(broken, 'message', {
      enumerable: true,
      get() {
        throw new Error('simulated crash');
      },
    });
    const results = [result('status_rates', [anomaly('refunded')]), result('volume', [broken as Anomaly])];
    expect(() => planNotifications(store, input(results, 'run-2', T0 + HOUR))).toThrow('simulated crash');

    expect(store.db.prepare('SELECT * FROM alerts ORDER BY fingerprint').all()).toEqual(alertsBefore);
    expect(outboxRows(store)).toEqual(outboxBefore);
    expect(alertRow(store, 'status_rates:reversed')).toMatchObject({ state: 'firing' });
    expect(alertRow(store, 'status_rates:refunded')).toBeUndefined();
  });
});

describe('run history', () => {
  it('recordRun writes rows users can query with plain SQL', () => {
    const { store } = openTempStore();
    const runId = newRunId(T0, T0 + 1234);
    recordRun(store, {
      runId,
      at: T0,
      startedAt: T0 + 1000,
      finishedAt: T0 + 4000,
      dryRun: false,
      results: [
        result('status_rates', [anomaly('reversed')], { chart: { kind: 'bars', title: 'x', bars: [{ group: 'a', value: 1, alert: true }] } }),
        result('volume', []),
        result('unfinished_orders', [], { status: 'error', error: 'no such table: orders' }),
      ],
    });
    expect(store.db.prepare('SELECT * FROM check_runs').all()).toEqual([
      {
        run_id: runId,
        at: '2026-11-20 15:00:00',
        started_at: '2026-11-20 15:00:01',
        finished_at: '2026-11-20 15:00:04',
        dry_run: 0,
        status: 'error',
        checks_total: 3,
        checks_alerting: 1,
        checks_errored: 1,
      },
    ]);
    const rows = store.db
      .prepare(
        `SELECT r.check_name, r.status, r.anomaly_count, r.error, json_extract(r.anomalies_json, '$[0].key') AS first_key,
                json_extract(r.metrics_json, '$.rows') AS metric_rows, r.chart_json IS NOT NULL AS has_chart
         FROM check_results_full r JOIN check_runs c USING (run_id)
         WHERE c.at >= '2026-11-20 00:00:00' ORDER BY r.check_name`,
      )
      .all();
    expect(rows).toEqual([
      { check_name: 'status_rates', status: 'alert', anomaly_count: 1, error: null, first_key: 'reversed', metric_rows: 42, has_chart: 1 },
      { check_name: 'unfinished_orders', status: 'error', anomaly_count: 0, error: 'no such table: orders', first_key: null, metric_rows: 42, has_chart: 0 },
      { check_name: 'volume', status: 'ok', anomaly_count: 0, error: null, first_key: null, metric_rows: 42, has_chart: 0 },
    ]);
    store.close();
  });

  it('run ids sort by evaluation time and are unique', () => {
    const a = newRunId(T0, T0);
    const b = newRunId(T0, T0);
    const c = newRunId(T0 + HOUR, T0 - HOUR);
    expect(a).toMatch(/^20261120T150000Z-[0-9a-z]{9}-[0-9a-f]{4}$/);
    expect(a).not.toBe(b);
    expect([c, a].sort()).toEqual([a, c]);
    expect([newRunId(T0, T0 + 1000), newRunId(T0, T0)].sort()[0]!.split('-')[1]).toBe(T0.toString(36).padStart(9, '0'));
  });

  it('reopening the store keeps its data and the schema version', () => {
    const { store, file } = openTempStore();
    recordRun(store, { runId: 'r1', at: T0, startedAt: T0, finishedAt: T0, dryRun: true, results: [] });
    store.close();
    const again = Store.open(file);
    expect(again.db.prepare('SELECT run_id, dry_run, status FROM check_runs').all()).toEqual([{ run_id: 'r1', dry_run: 1, status: 'ok' }]);
    expect(again.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get()).toEqual({ value: '2' });
    expect(again.db.pragma('journal_mode', { simple: true })).toBe('wal');
    again.db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
    again.close();
    expect(() => Store.open(file)).toThrow(/schema version 99, newer/);
  });

  it('reads state.sql from src/ when running from dist/', () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'dist', 'src', 'alerts'), { recursive: true });
    fs.mkdirSync(path.join(root, 'src', 'alerts'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', 'alerts', 'x.sql'), 'SELECT 1;');
    const moduleUrl = 'file://' + path.join(root, 'dist', 'src', 'alerts', 'store.js');
    expect(readSqlFile('x.sql', moduleUrl)).toBe('SELECT 1;');
    expect(() => readSqlFile('missing.sql', moduleUrl)).toThrow(/missing\.sql not found/);
  });

  it('formats elapsed time for thread replies', () => {
    expect(formatElapsed(2 * HOUR + 10 * MINUTE)).toBe('2h 10m');
    expect(formatElapsed(45 * MINUTE)).toBe('45m');
    expect(formatElapsed(30_000)).toBe('30s');
    expect(formatElapsed(26 * HOUR + 5 * MINUTE)).toBe('1d 2h');
  });
});

describe('Google Sheets rows', () => {
  let store: StateStore;
  beforeEach(() => (store = openTempStore().store));
  afterEach(() => store.close());

  const sheetsItems = () =>
    outboxRows(store)
      .filter((r) => r.kind === 'sheets.append')
      .map((r) => r.payload as SheetsAppend);

  it('every run appends one row per check result to "Check results", even without alerts', () => {
    planNotifications(store, {
      runId: 'run-1',
      at: T0,
      results: [
        result('volume', []),
        result('status_rates', [anomaly('reversed'), anomaly('refunded')]),
        result('unfinished_orders', [], { status: 'error', error: 'no such table: orders' }),
      ],
      policies: new Map(),
      destinations: { sheets: true },
      now: T0,
    });
    const [append] = sheetsItems();
    expect(append).toEqual({
      kind: 'sheets.append',
      tab: 'Check results',
      deliveryId: 'run-1:Check results',
      header: ['timestamp', 'run_id', 'check', 'status', 'anomaly_count', 'summary'],
      rows: [
        ['2026-11-20 15:00:00', 'run-1', 'volume', 'ok', 0, ''],
        ['2026-11-20 15:00:00', 'run-1', 'status_rates', 'alert', 2, 'reversed is 10, normal 2; refunded is 10, normal 2'],
        ['2026-11-20 15:00:00', 'run-1', 'unfinished_orders', 'error', 0, 'no such table: orders'],
      ],
    });
    expect(CHECK_RESULTS_HEADER).toEqual(append!.header);
    // A quiet run still reports.
    planNotifications(store, { runId: 'run-2', at: T0 + HOUR, results: [result('volume', [])], policies: new Map(), destinations: { sheets: true }, now: T0 + HOUR });
    // The check error is also a row of its own tab, once.
    expect(sheetsItems().map((a) => a.deliveryId)).toEqual(['run-1:Check results', 'run-1:Check errors', 'run-2:Check results']);
    expect(sheetsItems()[1]!.rows).toEqual([['2026-11-20 15:00:00', 'unfinished_orders', '__error__', null, null, 'check errored: no such table: orders']]);
  });

  it('a check with sheet_tab appends its notified anomalies with the documented columns (the notifier prefixes delivery_id)', () => {
    const withRows = anomaly('merchant 4', { rows: [{ order_id: 11, created_date: '2026-11-20 09:00:00' }, { order_id: 12, amount: 5.5 }] });
    const plain = anomaly('merchant 7', { observed: 3, expected: null, message: 'merchant 7 has 3 unfinished orders' });
    const pol = policies(policy('unfinished_orders', { sheetTab: 'Unfinished orders', slack: { enabled: false } }));
    const input = (at: number, runId: string) => ({
      runId,
      at,
      results: [result('unfinished_orders', [withRows, plain])],
      policies: pol,
      destinations: { sheets: true },
      now: at,
    });
    planNotifications(store, input(T0, 'run-1'));
    const tab = sheetsItems().find((a) => a.tab === 'Unfinished orders')!;
    expect(tab.deliveryId).toBe('run-1:Unfinished orders');
    expect(tab.header).toEqual(['timestamp', 'check', 'key', 'order_id', 'created_date', 'amount', 'observed', 'expected', 'message']);
    const ts = '2026-11-20 15:00:00';
    expect(tab.rows).toEqual([
      [ts, 'unfinished_orders', 'merchant 4', 11, '2026-11-20 09:00:00', null, null, null, null],
      [ts, 'unfinished_orders', 'merchant 4', 12, null, 5.5, null, null, null],
      [ts, 'unfinished_orders', 'merchant 7', null, null, null, 3, null, 'merchant 7 has 3 unfinished orders'],
    ]);
    expect(alertRow(store, 'unfinished_orders:merchant 4')).toMatchObject({ notify_count: 1 });

    // Same dedup as Slack: still firing within the repeat interval → no new tab rows.
    planNotifications(store, input(T0 + HOUR, 'run-2'));
    expect(sheetsItems().filter((a) => a.tab === 'Unfinished orders')).toHaveLength(1);
    planNotifications(store, input(T0 + 4 * HOUR, 'run-3'));
    expect(sheetsItems().filter((a) => a.tab === 'Unfinished orders').map((a) => a.deliveryId)).toEqual([
      'run-1:Unfinished orders',
      'run-3:Unfinished orders',
    ]);
  });
});
