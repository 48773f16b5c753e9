import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../scripts/generate-demo.js';
import type { Manifest } from '../../scripts/generate-demo.js';
import { dbMs, readCsv } from './csv.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const D = Date.parse('2026-11-20T00:00:00Z');

let dir: string;
let manifest: Manifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gen-signals-'));
  manifest = await generateDemo({ outDir: dir, seed: 42 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const window = (id: string) => {
  const inc = manifest.incidents.find((i) => i.id === id)!;
  return { start: Date.parse(inc.start), end: Date.parse(inc.end) };
};

describe('acquirer per-minute status counts', () => {
  /** minute (ms) → status → count */
  let minutes: Map<number, Map<string, number>>;
  beforeAll(() => {
    minutes = new Map();
    for (const r of readCsv(join(dir, 'transaction_status', 'acquirer.csv')).rows) {
      expect(Number(r.count)).toBeGreaterThan(0);
      const t = dbMs(r.time!);
      const m = minutes.get(t) ?? new Map<string, number>();
      m.set(r.status!, Number(r.count));
      minutes.set(t, m);
    }
  });

  /** Share of `status` over the minutes in [from, to) that pass `keep`. */
  const share = (status: string, from: number, to: number, keep: (t: number) => boolean = () => true) => {
    let part = 0;
    let total = 0;
    for (const [t, m] of minutes) {
      if (t < from || t >= to || !keep(t)) continue;
      part += m.get(status) ?? 0;
      for (const c of m.values()) total += c;
    }
    return part / total;
  };
  const minuteShare = (t: number, status: string) => {
    const m = minutes.get(t)!;
    return (m.get(status) ?? 0) / [...m.values()].reduce((a, b) => a + b, 0);
  };
  const FROM = Date.parse('2026-11-14T00:00:00Z');
  const TO = Date.parse('2026-11-21T00:00:00Z');

  it('covers every minute of the 7 days except the missing ten', () => {
    const missing = window('missing-minutes');
    expect(missing.end - missing.start).toBe(10 * MIN);
    const absent: number[] = [];
    for (let t = FROM; t < TO; t += MIN) if (!minutes.has(t)) absent.push(t);
    expect(absent).toEqual(Array.from({ length: 10 }, (_, i) => missing.start + i * MIN));
  });

  it('has day and night volumes like the real export', () => {
    const perMinute = (status: string, from: number, hours: number) => {
      let n = 0;
      for (let t = from; t < from + hours * HOUR; t += MIN) n += minutes.get(t)?.get(status) ?? 0;
      return n / (hours * 60);
    };
    // The real export's 300–350 a minute by day, scaled by 1.5 to the ~500 of issue #11's day.
    expect(perMinute('approved', Date.parse('2026-11-19T10:00:00Z'), 6)).toBeGreaterThan(375);
    expect(perMinute('approved', Date.parse('2026-11-19T10:00:00Z'), 6)).toBeLessThan(495);
    expect(perMinute('approved', Date.parse('2026-11-19T02:00:00Z'), 3)).toBeGreaterThan(8);
    expect(perMinute('approved', Date.parse('2026-11-19T02:00:00Z'), 3)).toBeLessThan(40);
  });

  it('raises reversed above 10 % inside the surge and keeps it under 2 % elsewhere', () => {
    const w = window('reversed-surge');
    expect(share('reversed', w.start, w.end)).toBeGreaterThan(0.1);
    const low: number[] = [];
    for (let t = w.start; t < w.end; t += MIN) if (minuteShare(t, 'reversed') <= 0.1) low.push(t);
    expect(low).toEqual([]);
    expect(share('reversed', FROM, TO, (t) => t < w.start || t >= w.end)).toBeLessThan(0.02);
    // No hour outside the surge comes near it.
    for (let h = FROM; h < TO; h += HOUR) {
      if (h + HOUR > w.start && h < w.end) continue;
      expect(share('reversed', h, h + HOUR)).toBeLessThan(0.02);
    }
  });

  it('spikes failed to ~8 % and backend_reversed to ~5 % in their windows only', () => {
    const f = window('failed-spike');
    const b = window('backend-reversed-burst');
    expect(share('failed', f.start, f.end)).toBeGreaterThan(0.065);
    expect(share('failed', f.start, f.end)).toBeLessThan(0.095);
    expect(share('backend_reversed', b.start, b.end)).toBeGreaterThan(0.04);
    expect(share('backend_reversed', b.start, b.end)).toBeLessThan(0.06);
    expect(share('failed', FROM, TO, (t) => t < f.start || t >= f.end)).toBeLessThan(0.005);
    expect(share('backend_reversed', FROM, TO, (t) => t < b.start || t >= b.end)).toBeLessThan(0.002);
  });

  it('creeps failed from ~0.1 % to 1–2 % for hours on ~500 transactions a minute (issue #11 shape)', () => {
    const c = window('failed-creep');
    const f = window('failed-spike');
    expect(c.end - c.start).toBeGreaterThanOrEqual(4 * HOUR);
    expect(share('failed', c.start, c.end)).toBeGreaterThan(0.01);
    expect(share('failed', c.start, c.end)).toBeLessThan(0.02);
    const outside = (t: number) => (t < c.start || t >= c.end) && (t < f.start || t >= f.end);
    expect(share('failed', FROM, TO, outside)).toBeLessThan(0.0015);
    let total = 0;
    for (let t = c.start; t < c.end; t += MIN) for (const n of minutes.get(t)?.values() ?? []) total += n;
    expect(total / ((c.end - c.start) / MIN)).toBeGreaterThan(400);
  });

  it('keeps denied near 9 % by day and higher at night, surging to ~35 % on 18 November', () => {
    const s = window('denied-surge');
    const outside = (t: number) => t < s.start || t >= s.end;
    for (let day = FROM; day < TO; day += 24 * HOUR) {
      const byDay = share('denied', day + 9 * HOUR, day + 18 * HOUR, outside);
      expect(byDay).toBeGreaterThan(0.08);
      expect(byDay).toBeLessThan(0.1);
      const night = share('denied', day + 2 * HOUR, day + 5 * HOUR);
      expect(night).toBeGreaterThan(0.13);
      expect(night).toBeLessThan(0.28);
    }
    expect(share('denied', s.start, s.end)).toBeGreaterThan(0.3);
    expect(share('denied', s.start, s.end)).toBeLessThan(0.4);
  });

  it('puts the earlier-day incidents before D and the others in view at demo time', () => {
    const demoAt = Date.parse(manifest.demo_at);
    for (const inc of manifest.incidents) {
      const earlier = inc.description.startsWith('Earlier day');
      if (earlier) expect(Date.parse(inc.end)).toBeLessThanOrEqual(D);
      else expect(Date.parse(inc.start)).toBeLessThan(demoAt);
    }
    expect(manifest.incidents.filter((i) => i.description.startsWith('Earlier day')).map((i) => i.key).sort()).toEqual([
      'denied',
      'failed',
      'missing_data',
    ]);
  });
});

describe('checkout POS sources', () => {
  const load = (name: string) => readCsv(join(dir, 'checkout', `${name}.csv`)).rows.map((r) => ({
    hour: dbMs(r.time!),
    today: Number(r.today),
    yesterday: Number(r.yesterday),
    lastWeek: Number(r.same_day_last_week),
    avgWeek: Number(r.avg_last_week),
    avgMonth: Number(r.avg_last_month),
    raw: r,
  }));

  it('has one row per hour of D, averages with 2 decimals', () => {
    for (const name of ['pos_a', 'pos_b']) {
      const rows = load(name);
      expect(rows.map((r) => r.hour)).toEqual(Array.from({ length: 24 }, (_, h) => D + h * HOUR));
      for (const r of rows) {
        expect(r.raw.avg_last_week).toMatch(/^\d+\.\d{2}$/);
        expect(r.raw.avg_last_month).toMatch(/^\d+\.\d{2}$/);
      }
    }
  });

  it('collapses pos_b at 08h and 09h only', () => {
    const rows = load('pos_b');
    expect([rows[8]!.today, rows[9]!.today]).toEqual([0, 2]);
    for (const r of [rows[8]!, rows[9]!]) {
      for (const base of [r.yesterday, r.lastWeek, r.avgWeek, r.avgMonth]) expect(base).toBeGreaterThanOrEqual(15);
    }
    const w = window('pos-b-outage');
    expect([w.start, w.end]).toEqual([D + 8 * HOUR, D + 10 * HOUR]);
  });

  it('keeps night hours tiny and today close to the usual level elsewhere', () => {
    for (const name of ['pos_a', 'pos_b']) {
      for (const r of load(name)) {
        const h = (r.hour - D) / HOUR;
        if (h <= 6) {
          for (const v of [r.today, r.yesterday, r.lastWeek, r.avgWeek, r.avgMonth]) expect(v).toBeLessThanOrEqual(4);
        } else if (!(name === 'pos_b' && (h === 8 || h === 9)) && r.avgMonth >= 15) {
          expect(Math.abs(r.today - r.avgMonth) / r.avgMonth).toBeLessThan(0.35);
        }
      }
    }
  });

  it('gives pos_a an outage yesterday at 13h while today is normal there', () => {
    const r = load('pos_a')[13]!;
    expect(r.yesterday).toBeLessThanOrEqual(2);
    expect(r.today).toBeGreaterThan(0.75 * r.lastWeek);
    expect(r.today).toBeGreaterThan(0.75 * r.avgMonth);
    // The bad hour is part of last week's average, which therefore sits below the month's.
    expect(r.avgWeek).toBeLessThan(r.avgMonth);
    expect(manifest.incidents.some((i) => i.key === 'pos_a')).toBe(false);
  });
});

describe('payments aggregate', () => {
  let rows: Record<string, string>[];
  beforeAll(() => {
    rows = readCsv(join(dir, 'payments_aggregate.csv')).rows;
  });

  const approval = (day: string, brand: string) => {
    let ok = 0;
    let all = 0;
    for (const r of rows) {
      if (r.created_day !== day || r.card_brand !== brand) continue;
      all += Number(r.count_orders);
      if (r.status === 'approved') ok += Number(r.count_orders);
    }
    return ok / all;
  };
  const share0091 = (day: string) => {
    let code = 0;
    let declined = 0;
    for (const r of rows) {
      if (r.created_day !== day || r.status !== 'declined') continue;
      declined += Number(r.count_orders);
      if (r.error_code === '0091') code += Number(r.count_orders);
    }
    return code / declined;
  };
  const days = () => [...new Set(rows.map((r) => r.created_day!))];

  it('has one block per day from 16 October to D, with valid codes', () => {
    expect(days()).toHaveLength(36);
    expect(days()[0]).toBe('2026-10-16');
    expect(days().at(-1)).toBe('2026-11-20');
    const bad = rows.filter(
      (r) =>
        !['approved', 'declined', 'error'].includes(r.status!) ||
        !(r.status === 'approved' ? /^$/ : /^\d{4}$/).test(r.error_code!) ||
        !['true', 'false'].includes(r.is_secured!) ||
        !(Number(r.count_orders) > 0) ||
        Number(r.count_emails) > Number(r.count_orders),
    );
    expect(bad).toEqual([]);
    expect(new Set(rows.map((r) => r.card_brand))).toEqual(new Set(['visa', 'mastercard', 'elo', 'amex']));
  });

  it('keeps every brand at 85–92 % approval, except elo on D at ~60 %', () => {
    for (const day of days()) {
      for (const brand of ['visa', 'mastercard', 'elo', 'amex']) {
        const rate = approval(day, brand);
        if (day === '2026-11-20' && brand === 'elo') {
          expect(rate).toBeGreaterThan(0.57);
          expect(rate).toBeLessThan(0.63);
        } else {
          expect(rate).toBeGreaterThanOrEqual(0.85);
          expect(rate).toBeLessThanOrEqual(0.92);
        }
      }
    }
  });

  it('makes 0091 a small share of declines normally and a large one on D', () => {
    for (const day of days()) {
      if (day === '2026-11-20') expect(share0091(day)).toBeGreaterThan(0.25);
      else expect(share0091(day)).toBeLessThan(0.1);
    }
    const keys = manifest.incidents.filter((i) => i.kind === 'threshold').map((i) => i.key);
    expect(keys.sort()).toEqual(['0091', 'elo']);
  });
});
