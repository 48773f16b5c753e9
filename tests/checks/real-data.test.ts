import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SHARED, workspace } from '../helpers/cli.js';
import type { Workspace } from '../helpers/cli.js';

interface RunJson {
  at: string;
  checks: { name: string; status: string; anomalies: { key: string; start: string; end: string; message: string; observed: number; expected: number; evidence?: string }[] }[];
}

const D = '2023-01-10';

describe('cloudwalk checkout_1 (POS sales collapse at 08h–09h)', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = workspace();
    ws.put(join(SHARED, 'cloudwalk/checkout_1.csv'), 'checkout/checkout_1.csv');
    const init = await ws.cli('init-db', '--date', D);
    expect(init.code, init.stderr).toBe(0);
  });

  const evaluate = async (time: string): Promise<RunJson['checks'][number]> => {
    const r = await ws.cli('run', '--at', `${D}T${time}`, '--only', 'checkout_hourly', '--json', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as RunJson).checks[0]!;
  };

  it('alerts on 08h and 09h when evaluated at 10:00', async () => {
    const check = await evaluate('10:00');
    expect(check.status).toBe('alert');
    expect(check.anomalies).toHaveLength(1);
    const a = check.anomalies[0]!;
    expect(a.key).toBe('checkout_1');
    expect(a.start).toBe(`${D}T08:00:00Z`);
    expect(a.end).toBe(`${D}T10:00:00Z`);
    expect(a.message).toMatch(/08h, 09h/);
  });

  it('does not judge the incomplete 07h hour at 07:30', async () => {
    const check = await evaluate('07:30');
    expect(check.status).toBe('ok');
    expect(check.anomalies).toEqual([]);
  });

  it('never alerts on a night hour (00h–06h), whenever the day is evaluated', async () => {
    for (let h = 0; h <= 23; h++) {
      const check = await evaluate(`${String(h).padStart(2, '0')}:59`);
      for (const a of check.anomalies) {
        const startHour = Number(a.start.slice(11, 13));
        expect(startHour, `at ${h}:59: ${a.message}`).toBeGreaterThanOrEqual(7);
      }
    }
  });
});

describe('cloudwalk transactions_1 (reversed surge from 14:33)', () => {
  let ws: Workspace;
  const alertsByTime = new Map<string, string[]>();
  beforeAll(async () => {
    ws = workspace();
    ws.put(join(SHARED, 'cloudwalk/transactions_1.csv'), 'transaction_status/transactions_1.csv');
    const init = await ws.cli('init-db', '--date', D);
    expect(init.code, init.stderr).toBe(0);
    // Evaluated every 5 minutes over the whole day, as cron would.
    for (let m = 5; m < 24 * 60; m += 5) {
      const time = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      const r = await ws.cli('run', '--at', `${D}T${time}`, '--only', 'transaction_status_rates', '--json', '--dry-run');
      expect(r.code, r.stderr).toBe(0);
      const check = (JSON.parse(r.stdout) as RunJson).checks[0]!;
      // Alerting anomalies only: stay-level ones keep a firing alert alive but start none.
      alertsByTime.set(time, check.anomalies.filter((a) => a.evidence !== 'stay').map((a) => a.key));
    }
  }, 120_000);

  it('alerts on reversed within 10 minutes of 14:33', () => {
    const firstReversed = [...alertsByTime].find(([, keys]) => keys.includes('reversed'))?.[0];
    expect(firstReversed).toBeDefined();
    expect(firstReversed! >= '14:33').toBe(true);
    expect(firstReversed! <= '14:43').toBe(true);
  });

  it('keeps alerting on reversed while the surge lasts', () => {
    const during = [...alertsByTime].filter(([t]) => t >= '14:40' && t <= '16:30');
    const alerting = during.filter(([, keys]) => keys.includes('reversed')).length;
    expect(alerting / during.length).toBeGreaterThan(0.9);
  });

  it('raises no status_rate alert between 01:00 and 13:00', () => {
    const quiet = [...alertsByTime].filter(([t, keys]) => t >= '01:00' && t <= '13:00' && keys.length > 0);
    expect(quiet).toEqual([]);
  });

  it('a short burst of a bursty rare status is not an alert; the same status in the surge is', async () => {
    const at = async (time: string) => {
      const r = await ws.cli('run', '--at', `${D}T${time}`, '--only', 'transaction_status_rates', '--json', '--dry-run');
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as RunJson & { checks: { metrics: Record<string, number> }[] }).checks[0]!;
    };
    // 13:04: 15 backend reversals in 5 minutes against ~3 normally (binomial z 5.7). Its morning
    // counts are overdispersed (φ > 1.5), so the z is divided by √φ: stay level at most.
    const burst = await at('13:04');
    expect(burst.metrics.backend_reversed_dispersion).toBeGreaterThan(1.5);
    expect(burst.anomalies.filter((a) => a.key === 'backend_reversed' && a.evidence !== 'stay')).toEqual([]);
    // In the surge backend_reversed alerts within minutes, dispersion or not.
    expect((await at('14:40')).anomalies.filter((a) => a.key === 'backend_reversed' && a.evidence !== 'stay')).toHaveLength(1);
  });

  it('states the surge in words with share, normal level and z', async () => {
    const r = await ws.cli('run', '--at', `${D}T14:40`, '--only', 'transaction_status_rates', '--dry-run');
    expect(r.stdout).toMatch(/reversed \d+\.\d % of transactions 14:35–14:40 \([\d,]+ of [\d,]+\), normal 0\.\d % \(z = \d+/);
  });
});

describe('pbilinskyi orders (the 7-day settle rule)', () => {
  it('returns exactly the orders that break the rule', async () => {
    const ws = workspace();
    ws.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
    ws.put(join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv');
    expect((await ws.cli('init-db')).code).toBe(0);
    const r = await ws.cli('run', '--at', '2023-06-01T00:00:00Z', '--only', 'unfinished_orders', '--json', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    const check = (JSON.parse(r.stdout) as RunJson).checks[0]!;
    expect(check.status).toBe('alert');
    // Order 1 only had a failed settle; order 4 was never finished. 2 (voided) and 3 (settled) are fine.
    // The sample ends in May 2023: on 1 June its tables are stale, which the check also says.
    expect(check.anomalies.map((a) => a.key).sort()).toEqual(['merchant 1', 'merchant 3', 'stale']);
    const state = await import('better-sqlite3');
    const db = new state.default(ws.env.ANOMALY_STATE_DB!, { readonly: true });
    const stored = db.prepare(`SELECT anomalies_json FROM check_results_full WHERE check_name = 'unfinished_orders'`).get() as { anomalies_json: string };
    const rows = (JSON.parse(stored.anomalies_json) as { key: string; rows: { order_id: number; problem: string }[] }[])
      .filter((a) => a.key !== 'stale')
      .flatMap((a) => a.rows);
    expect(rows.map((x) => [x.order_id, x.problem]).sort()).toEqual([
      [1, 'only failed settles'],
      [4, 'never finished'],
    ]);
    db.close();
  });

  it('is healthy before any 7-day deadline has passed', async () => {
    const ws = workspace();
    ws.put(join(SHARED, 'pbilinskyi/orders.csv'), 'orders.csv');
    ws.put(join(SHARED, 'pbilinskyi/transactions.csv'), 'transactions.csv');
    expect((await ws.cli('init-db')).code).toBe(0);
    const r = await ws.cli('run', '--at', '2023-05-22T17:47:00Z', '--only', 'unfinished_orders', '--json', '--dry-run');
    // No order is late; the only anomaly is that the sample's newest rows are more than 6 h old.
    expect((JSON.parse(r.stdout) as RunJson).checks[0]!.anomalies.map((a) => a.key)).toEqual(['stale']);
  });
});
