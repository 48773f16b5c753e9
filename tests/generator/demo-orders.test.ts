import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../scripts/generate-demo.js';
import type { Manifest } from '../../scripts/generate-demo.js';
import { dbMs, readCsv } from './csv.js';

const DAY = 86_400_000;
const DEADLINE = 7 * DAY;
const DEMO_AT = Date.parse('2026-11-20T15:00:00Z');

let dir: string;
let manifest: Manifest;
let orders: { id: number; t: number; merchant: number }[];
let txs: { id: number; t: number; type: string; order: number; status: string }[];
/** Per order: auth status and time, and every later transaction. */
let byOrder: Map<number, { t: number; type: string; status: string }[]>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gen-orders-'));
  manifest = await generateDemo({ outDir: dir });
  orders = readCsv(join(dir, 'orders.csv')).rows.map((r) => ({ id: Number(r.id), t: dbMs(r.created_date!), merchant: Number(r.merchant_id) }));
  txs = readCsv(join(dir, 'transactions.csv')).rows.map((r) => ({
    id: Number(r.id),
    t: dbMs(r.created_date!),
    type: r.transaction_type!,
    order: Number(r.order_id),
    status: r.transaction_status!,
  }));
  byOrder = new Map();
  for (const x of txs) {
    const list = byOrder.get(x.order) ?? [];
    list.push(x);
    byOrder.set(x.order, list);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The 7-day rule at `at`: successful auth, then no successful settle/void within 7 days. */
function overdueOrders(at: number): Set<number> {
  const overdue = new Set<number>();
  for (const o of orders) {
    const list = byOrder.get(o.id) ?? [];
    const auth = list.find((x) => x.type === 'auth' && x.status === 'success');
    if (!auth || at - auth.t <= DEADLINE) continue;
    const finish = list.find((x) => (x.type === 'settle' || x.type === 'void') && x.status === 'success' && x.t <= at);
    if (!finish || finish.t - auth.t > DEADLINE) overdue.add(o.id);
  }
  return overdue;
}

const settlementIncidents = () => manifest.incidents.filter((i) => i.kind === 'query_empty');

describe('demo orders and transactions', () => {
  it('numbers orders and transactions in created_date order, within the period', () => {
    // Violations are collected and compared once: tens of thousands of expect() calls are slow.
    const badOrders = orders.filter((o, i) => o.id !== i + 1 || (i > 0 && o.t < orders[i - 1]!.t));
    const badTxs = txs.filter((x, i) => x.id !== i + 1 || (i > 0 && x.t < txs[i - 1]!.t));
    expect(badOrders).toEqual([]);
    expect(badTxs).toEqual([]);
    expect(orders[0]!.t).toBeGreaterThanOrEqual(Date.parse('2026-10-16T00:00:00Z'));
    expect(txs.at(-1)!.t).toBeLessThan(Date.parse('2026-11-21T00:00:00Z'));
    expect(new Set(orders.map((o) => o.merchant))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 1)));
  });

  it('gives every order exactly one auth, at its creation time, before anything else', () => {
    const created = new Map(orders.map((o) => [o.id, o.t]));
    const bad = [...byOrder].filter(
      ([id, list]) =>
        list[0]!.type !== 'auth' ||
        list[0]!.t !== created.get(id) ||
        list.filter((x) => x.type === 'auth').length !== 1 ||
        (list[0]!.status === 'fail' && list.length !== 1),
    );
    expect(bad).toEqual([]);
    expect(byOrder.size).toBe(orders.length);
    expect(new Set(txs.map((x) => `${x.type}/${x.status}`))).toEqual(
      new Set(['auth/success', 'auth/fail', 'settle/success', 'settle/fail', 'void/success', 'refund/success']),
    );
  });

  it('has 300–600 orders a weekday, weekends about 30 % lower', () => {
    const perDay = new Map<string, number>();
    for (const o of orders) {
      const d = new Date(o.t).toISOString().slice(0, 10);
      perDay.set(d, (perDay.get(d) ?? 0) + 1);
    }
    const full = [...perDay].filter(([d]) => d < '2026-11-20');
    const weekend = full.filter(([d]) => [0, 6].includes(new Date(d).getUTCDay())).map(([, n]) => n);
    const weekday = full.filter(([d]) => ![0, 6].includes(new Date(d).getUTCDay())).map(([, n]) => n);
    expect(weekday.filter((n) => n < 300 || n > 600)).toEqual([]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(weekend) / mean(weekday)).toBeGreaterThan(0.6);
    expect(mean(weekend) / mean(weekday)).toBeLessThan(0.8);
  });

  it('makes exactly the manifest’s orders overdue at demo time', () => {
    const listed = new Set(settlementIncidents().flatMap((i) => i.order_ids ?? []));
    expect(listed.size).toBeGreaterThan(60);
    expect([...overdueOrders(DEMO_AT)].sort((a, b) => a - b)).toEqual([...listed].sort((a, b) => a - b));
  });

  it('keys each settlement incident by the merchant of its orders', () => {
    const merchantOf = new Map(orders.map((o) => [o.id, o.merchant]));
    const keys = settlementIncidents().map((i) => i.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const inc of settlementIncidents()) {
      for (const id of inc.order_ids!) expect(`merchant ${merchantOf.get(id)}`).toBe(inc.key);
      // Visible from the moment its first order is overdue until demo time.
      const firstAuth = Math.min(...inc.order_ids!.map((id) => byOrder.get(id)![0]!.t));
      expect(Date.parse(inc.start)).toBe(firstAuth + DEADLINE);
      expect(Date.parse(inc.start)).toBeLessThan(DEMO_AT);
      expect(inc.end).toBe(manifest.demo_at);
    }
  });

  it('never settles merchant 7’s orders of 5–6 November, every one of them', () => {
    const inc = manifest.incidents.find((i) => i.key === 'merchant 7')!;
    const from = Date.parse('2026-11-05T09:00:00Z');
    const to = Date.parse('2026-11-06T18:00:00Z');
    const inWindow = orders.filter((o) => o.merchant === 7 && o.t >= from && o.t < to).map((o) => o.id);
    expect(inc.order_ids).toEqual(inWindow);
    expect(inWindow.length).toBeGreaterThan(20);
    for (const id of inWindow) expect(byOrder.get(id)!.map((x) => `${x.type}/${x.status}`)).toEqual(['auth/success']);
  });

  it('settles merchant 12’s late orders 7 d + 1 h to 9 d after the auth', () => {
    const inc = manifest.incidents.find((i) => i.key === 'merchant 12')!;
    expect(inc.order_ids).toHaveLength(10);
    for (const id of inc.order_ids!) {
      const [auth, ...rest] = byOrder.get(id)!;
      expect(rest).toHaveLength(1);
      expect(rest[0]).toMatchObject({ type: 'settle', status: 'success' });
      const delay = rest[0]!.t - auth!.t;
      expect(delay).toBeGreaterThanOrEqual(DEADLINE + 3_600_000);
      expect(delay).toBeLessThanOrEqual(9 * DAY);
    }
  });

  it('gives the failed-settle orders failed settles only, each of another merchant', () => {
    const failed = manifest.incidents.filter((i) => i.id.endsWith('-failed-settles'));
    expect(failed).toHaveLength(5);
    for (const inc of failed) {
      const [, ...rest] = byOrder.get(inc.order_ids![0]!)!;
      expect(rest.length).toBeGreaterThanOrEqual(1);
      for (const x of rest) expect(x).toMatchObject({ type: 'settle', status: 'fail' });
    }
  });

  it('places the 7-day boundary one second either side', () => {
    const delays = new Map<number, number>();
    for (const [id, list] of byOrder) {
      const settle = list.find((x) => x.type === 'settle' && x.status === 'success');
      if (settle) delays.set(id, settle.t - list[0]!.t);
    }
    const at = (ms: number) => [...delays].filter(([, d]) => d === ms).map(([id]) => id);
    const late = at(DEADLINE + 1000);
    const fine = at(DEADLINE - 1000);
    expect(late).toHaveLength(1);
    expect(fine).toHaveLength(1);
    const boundary = manifest.incidents.find((i) => i.order_ids?.includes(late[0]!))!;
    expect(boundary.order_ids).toEqual(late);
    expect(settlementIncidents().some((i) => i.order_ids!.includes(fine[0]!))).toBe(false);
    expect(boundary.description).toContain(`order ${fine[0]}`);
  });

  it('follows the normal lifecycle elsewhere: failed auths, voids, retried settles, refunds, pending orders', () => {
    const count = (f: (list: { type: string; status: string }[]) => boolean) => [...byOrder.values()].filter(f).length;
    const n = orders.length;
    expect(count((l) => l[0]!.status === 'fail') / n).toBeCloseTo(0.03, 1);
    expect(count((l) => l.some((x) => x.type === 'void')) / n).toBeCloseTo(0.05, 1);
    expect(count((l) => l.some((x) => x.type === 'settle' && x.status === 'fail'))).toBeGreaterThan(100);
    expect(count((l) => l.some((x) => x.type === 'refund'))).toBeGreaterThan(50);
    // Settles mostly within a day of the auth.
    const settleDelays = [...byOrder.values()]
      .map((l) => l.find((x) => x.type === 'settle' && x.status === 'success'))
      .filter((x) => x !== undefined);
    expect(settleDelays.length).toBeGreaterThan(n * 0.85);
    // Orders younger than 7 days may still be pending; older than 3 days some still are.
    const pending = orders.filter((o) => {
      const l = byOrder.get(o.id)!;
      return l[0]!.status === 'success' && !l.some((x) => (x.type === 'settle' || x.type === 'void') && x.status === 'success');
    });
    const young = pending.filter((o) => DEMO_AT - o.t < DEADLINE);
    expect(young.length).toBeGreaterThan(200);
    expect(young.some((o) => DEMO_AT - o.t > 3 * DAY)).toBe(true);
  });

  it('has no order overdue at any earlier replay time except those of incidents already started', () => {
    const incidentOf = new Map(settlementIncidents().flatMap((i) => i.order_ids!.map((id) => [id, i] as const)));
    const stray: string[] = [];
    for (let at = Date.parse('2026-10-16T00:00:00Z'); at < Date.parse('2026-11-21T00:00:00Z'); at += 3_600_000) {
      for (const id of overdueOrders(at)) {
        const inc = incidentOf.get(id);
        if (!inc || Date.parse(inc.start) >= at) stray.push(`order ${id} at ${new Date(at).toISOString()}`);
      }
    }
    expect(stray).toEqual([]);
    // And each incident is visible one second after its start.
    for (const inc of settlementIncidents()) {
      const overdue = overdueOrders(Date.parse(inc.start) + 1000);
      expect(inc.order_ids!.some((id) => overdue.has(id)), inc.id).toBe(true);
    }
  });
});
