import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonSqlParams } from '../../src/checks/sql-params.js';
import { DateParser } from '../../src/ingest/dates.js';
import { dayString, readInstant, startOfDay, toDbTime, zonedToUtc } from '../../src/time.js';
import { workspace } from '../helpers/cli.js';
import { query, runInitDb, tempDir } from './cli-harness.js';

/**
 * DST rules (docs/ingest-guarantees.md): a wall-clock time in a gap resolves forward by the gap,
 * a repeated one to its first occurrence; in hourly and per-minute files the second row of a key in
 * the repeated hour is its second occurrence. Checked on the three transitions of issue 8.
 */

const wall = (y: number, mo: number, d: number, h: number, mi: number) => ({ year: y, month: mo, day: d, hour: h, minute: mi, second: 0 });
const utc = (ms: number) => toDbTime(ms);

describe('zonedToUtc on transition days', () => {
  it('New York 2026-03-08 02:30 (in the spring-forward gap) is 03:30 EDT', () => {
    expect(utc(zonedToUtc(wall(2026, 3, 8, 2, 30), 'America/New_York'))).toBe('2026-03-08 07:30:00');
    expect(utc(zonedToUtc(wall(2026, 3, 8, 1, 59), 'America/New_York'))).toBe('2026-03-08 06:59:00'); // EST
    expect(utc(zonedToUtc(wall(2026, 3, 8, 3, 0), 'America/New_York'))).toBe('2026-03-08 07:00:00'); // EDT
  });

  it('London 2026-10-25 01:30 (repeated) is its first occurrence, 01:30 BST', () => {
    expect(utc(zonedToUtc(wall(2026, 10, 25, 1, 30), 'Europe/London'))).toBe('2026-10-25 00:30:00');
    expect(utc(zonedToUtc(wall(2026, 10, 25, 2, 0), 'Europe/London'))).toBe('2026-10-25 02:00:00'); // GMT
  });

  it('São Paulo 2018-11-04 00:30 (midnight gap) is 01:30 -02 on the same day, and the day starts at 01:00', () => {
    const tz = 'America/Sao_Paulo';
    const at = zonedToUtc(wall(2018, 11, 4, 0, 30), tz);
    expect(utc(at)).toBe('2018-11-04 03:30:00');
    expect(dayString(at, tz)).toBe('2018-11-04');
    const noon = Date.UTC(2018, 10, 4, 15, 0);
    expect(utc(startOfDay(noon, tz))).toBe('2018-11-04 03:00:00'); // 01:00 -02, the first minute that exists
    expect(dayString(startOfDay(noon, tz), tz)).toBe('2018-11-04');
  });

  it('--at without an offset follows the same rules; offsets beyond ±14:00 and years outside 1970-2200 are refused', () => {
    expect(readInstant('2026-03-08T02:30', 'America/New_York')).toEqual({ ms: Date.UTC(2026, 2, 8, 7, 30) });
    expect(readInstant('2026-10-25 01:30', 'Europe/London')).toEqual({ ms: Date.UTC(2026, 9, 25, 0, 30) });
    expect(readInstant('2026-11-20T15:00+14:00', 'UTC')).toEqual({ ms: Date.UTC(2026, 10, 20, 1, 0) });
    expect(readInstant('2026-11-20T15:00-12:00', 'UTC')).toEqual({ ms: Date.UTC(2026, 10, 21, 3, 0) });
    expect(readInstant('2026-11-20T15:00+14:30', 'UTC')).toEqual({ problem: 'has the UTC offset +14:30; offsets range from -14:00 to +14:00' });
    expect(readInstant('2026-11-20T15:00-1860', 'UTC')).toEqual({ problem: 'has the UTC offset -1860; offsets range from -14:00 to +14:00' });
    expect(readInstant('0099-01-01T00:00Z', 'UTC')).toEqual({ problem: 'is outside the supported years 1970-2200' });
    expect(readInstant('9999-12-31T23:00:00-05:00', 'UTC')).toEqual({ problem: 'is outside the supported years 1970-2200' });
    expect(readInstant('1970-01-01T00:30+01:00', 'UTC')).toEqual({ problem: 'is outside the supported years 1970-2200' });
    expect(readInstant('yesterday', 'UTC')).toEqual({ problem: 'is not an ISO 8601 time such as 2026-11-20T15:00 or 2026-11-20T15:00:00Z' });
  });
});

describe("the evaluation day's bounds (:day_start, :day_end) on transition days", () => {
  it.each([
    ['Europe/London', Date.UTC(2026, 9, 25, 12), '2026-10-24 23:00:00', '2026-10-26 00:00:00'], // 25 hours
    ['America/New_York', Date.UTC(2026, 2, 8, 12), '2026-03-08 05:00:00', '2026-03-09 04:00:00'], // 23 hours
    ['America/Sao_Paulo', Date.UTC(2018, 10, 4, 12), '2018-11-04 03:00:00', '2018-11-05 02:00:00'], // 23 hours from 01:00
  ])('%s', (tz, at, dayStart, dayEnd) => {
    const p = commonSqlParams(at, tz);
    expect([p.day_start, p.day_end]).toEqual([dayStart, dayEnd]);
  });
});

describe('DateParser on transition days', () => {
  it('gives the second occurrence of a repeated time in `later`, and none for an ordinary time', () => {
    const london = new DateParser('Europe/London', '2026-10-25');
    expect(london.minuteOfDay('01h 30')).toBe('2026-10-25 00:30:00');
    expect(london.later).toBe('2026-10-25 01:30:00');
    expect(london.minuteOfDay('02h 30')).toBe('2026-10-25 02:30:00');
    expect(london.later).toBeUndefined();
    // Cached the second time round: the same answers.
    expect(london.dateTime('2026-10-25 01:30:15')).toBe('2026-10-25 00:30:15');
    expect(london.later).toBe('2026-10-25 01:30:15');
    // An explicit offset is never ambiguous.
    expect(london.dateTime('2026-10-25T01:30:00+00:00')).toBe('2026-10-25 01:30:00');
    expect(london.later).toBeUndefined();
  });
});

const STATUS_HEADER = 'time,status,count\n';
const CHECKOUT_HEADER = 'time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month\n';
const hh = (h: number) => String(h).padStart(2, '0');

/** The local hours of a day as a file writes them: `skip` left out, `repeat` written twice. */
function localHours(opts: { skip?: number; repeat?: number }): number[] {
  const out: number[] = [];
  for (let h = 0; h < 24; h++) {
    if (h === opts.skip) continue;
    out.push(h);
    if (h === opts.repeat) out.push(h);
  }
  return out;
}

async function loadDay(tz: string, day: string, hours: number[]) {
  const dir = tempDir();
  const data = join(dir, 'data');
  mkdirSync(join(data, 'checkout'), { recursive: true });
  mkdirSync(join(data, 'transaction_status'), { recursive: true });
  writeFileSync(join(data, 'checkout/pos.csv'), CHECKOUT_HEADER + hours.map((h, i) => `${hh(h)}h,${i},1,1,1,1\n`).join(''));
  let status = STATUS_HEADER;
  let n = 0;
  for (const h of hours) for (let m = 0; m < 60; m++) status += `${hh(h)}h ${hh(m)},approved,${++n}\n${hh(h)}h ${hh(m)},denied,1\n`;
  writeFileSync(join(data, 'transaction_status/tx.csv'), status);
  const db = join(dir, 'x.db');
  const r = await runInitDb(['--data-dir', data, '--db', db, '--date', day], { env: { ANOMALY_TZ: tz } });
  return { r, db };
}

describe('init-db loads DST days', () => {
  it('London 2026-10-25: a 25-hour hourly and per-minute file, the repeated hour placed by order', async () => {
    const hours = localHours({ repeat: 1 });
    expect(hours).toHaveLength(25);
    const { r, db } = await loadDay('Europe/London', '2026-10-25', hours);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checkout_hourly: 25 rows');
    expect(r.stdout).toContain(`transaction_status: ${25 * 120} rows`);
    // Row i of the hourly file has today = i: the two 01h rows are 00:00 and 01:00 UTC.
    expect(query(db, 'SELECT hour, today FROM checkout_hourly WHERE today BETWEEN 0 AND 3 ORDER BY today')).toEqual([
      { hour: '2026-10-24 23:00:00', today: 0 },
      { hour: '2026-10-25 00:00:00', today: 1 },
      { hour: '2026-10-25 01:00:00', today: 2 },
      { hour: '2026-10-25 02:00:00', today: 3 },
    ]);
    // Every UTC minute of the 25 hours once, in file order.
    const minutes = query(db, "SELECT minute, count FROM transaction_status WHERE status = 'approved' ORDER BY minute");
    expect(minutes).toHaveLength(25 * 60);
    expect(minutes.map((m) => m.count)).toEqual(Array.from({ length: 25 * 60 }, (_, i) => i + 1));
    expect(minutes[0]!.minute).toBe('2026-10-24 23:00:00');
    expect(minutes.at(-1)!.minute).toBe('2026-10-25 23:59:00');
  });

  it('New York 2026-03-08: a 23-hour file without 02h loads with distinct hours', async () => {
    const hours = localHours({ skip: 2 });
    const { r, db } = await loadDay('America/New_York', '2026-03-08', hours);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checkout_hourly: 23 rows');
    expect(query(db, 'SELECT hour FROM checkout_hourly WHERE today IN (1, 2) ORDER BY today')).toEqual([
      { hour: '2026-03-08 06:00:00' }, // 01h EST
      { hour: '2026-03-08 07:00:00' }, // 03h EDT
    ]);
    const minutes = query(db, "SELECT minute FROM transaction_status WHERE status = 'approved' ORDER BY minute");
    expect(minutes).toHaveLength(23 * 60);
    expect(minutes[0]!.minute).toBe('2026-03-08 05:00:00');
    expect(minutes.at(-1)!.minute).toBe('2026-03-09 03:59:00');
  });

  it('São Paulo 2018-11-04: a 23-hour file starting at 01h loads; 01h is the first hour of the day', async () => {
    const hours = localHours({ skip: 0 });
    const { r, db } = await loadDay('America/Sao_Paulo', '2018-11-04', hours);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(query(db, 'SELECT min(hour) AS first, max(hour) AS last, count(*) AS n FROM checkout_hourly')).toEqual([
      { first: '2018-11-04 03:00:00', last: '2018-11-05 01:00:00', n: 23 },
    ]);
  });

  it('São Paulo: a file that still has 00h puts it forward onto 01h and says why the key clashes', async () => {
    const { r } = await loadDay('America/Sao_Paulo', '2018-11-04', localHours({}));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('checkout/pos.csv:3, column time (value "01h"): duplicate source, hour: the same key is already on line 2');
    expect(r.stderr).toContain('local time 00:00 on 2018-11-04 in America/Sao_Paulo does not exist (clocks jump forward)');
  });
});

describe('anomaly run evaluates a DST day whole', () => {
  it.each([
    ['Europe/London', '2026-10-25', localHours({ repeat: 1 }), '2026-10-25T23:59:00Z'],
    ['America/New_York', '2026-03-08', localHours({ skip: 2 }), '2026-03-09T03:59:00Z'],
    ['America/Sao_Paulo', '2018-11-04', localHours({ skip: 0 }), '2018-11-05T01:59:00Z'],
  ])('%s %s: the hourly check sees every hour of the day and nothing else', async (tz, day, hours, lastMinute) => {
    const ws = workspace({ ANOMALY_TZ: tz });
    // A steady hour-by-hour file, baselines equal to today: nothing to alert on.
    ws.write('checkout/pos.csv', CHECKOUT_HEADER + hours.map((h) => `${hh(h)}h,10,10,10,10,10\n`).join(''));
    const load = await ws.cli('init-db', '--date', day);
    expect(load.code, load.stderr).toBe(0);
    const r = await ws.cli('run', '--at', lastMinute, '--json', '--dry-run', '--only', 'checkout_hourly');
    expect(r.code, r.stderr).toBe(0);
    const check = JSON.parse(r.stdout).checks[0];
    expect(check.status).toBe('ok');
    expect(check.metrics.hours).toBe(hours.length); // the rows of :day_start <= hour < :day_end
  });
});

describe('--at, --from and --to outside the supported range exit 64', () => {
  it.each([
    ['run', '--at', '2026-11-20T15:00+14:30', 'has the UTC offset +14:30; offsets range from -14:00 to +14:00'],
    ['run', '--at', '0099-11-20T15:00Z', 'is outside the supported years 1970-2200'],
    ['replay', '--from', '9999-12-31T23:00:00-05:00', 'is outside the supported years 1970-2200'],
  ])('%s %s %s', async (command, flag, value, problem) => {
    const ws = workspace();
    const args = command === 'replay' ? [command, flag, value, '--to', '2026-11-20T16:00Z'] : [command, flag, value, '--dry-run'];
    const r = await ws.cli(...args);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`${flag} ${JSON.stringify(value)} ${problem}`);
  });
});
