import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'yaml';
import { SqliteEngine } from '../../src/db/sqlite-engine.js';
import { checkTypes } from '../../src/checks/registry.js';
import type { CheckDefinition } from '../../src/checks/check-type.js';
import { silentLogger } from '../../src/log.js';
import { toDbTime, DAY, HOUR, MINUTE } from '../../src/time.js';
import { REPO } from '../helpers/cli.js';

/** The example in checks/: its SQL and its params, as a user would copy them. */
const example = parse(readFileSync(join(REPO, 'checks/metric-example.config.yaml'), 'utf8')) as { checks: { params: Record<string, unknown>; sql_file: string }[] };
const SQL = readFileSync(join(REPO, 'checks', example.checks[0]!.sql_file), 'utf8');
const D = Date.parse('2026-11-20T00:00:00Z');

function definition(params: Record<string, unknown>, sql = SQL): CheckDefinition {
  const t = checkTypes().get('metric')!;
  return {
    name: 'approved_per_hour',
    type: 'metric',
    description: 'metric',
    severity: 'warning',
    sql,
    sqlSource: 'approved_per_hour.sql',
    params: t.params.parse(params),
    slack: { enabled: true, criticalSeparately: false },
    repeatIntervalMs: 4 * HOUR,
    resolveAfter: 1,
    enabled: true,
  };
}

/** Approved per minute with a daily rhythm; `factor(t)` scales it (an incident). */
function db(factor: (t: number) => number = () => 1): Database.Database {
  const d = new Database(':memory:');
  d.exec(readFileSync(join(REPO, 'src/db/schema.sql'), 'utf8'));
  const insert = d.prepare('INSERT INTO transaction_status (minute, source, status, count) VALUES (?, ?, ?, ?)');
  d.transaction(() => {
    for (let t = D - 8 * DAY; t < D + 20 * HOUR; t += MINUTE) {
      const hour = new Date(t).getUTCHours();
      const base = hour < 6 ? 20 : 300;
      insert.run(toDbTime(t), 'acq', 'approved', Math.round(base * factor(t) * (0.97 + 0.06 * (((t / MINUTE) * 7919) % 100) / 100)));
    }
  })();
  return d;
}

async function evaluate(d: Database.Database, def: CheckDefinition, at: number) {
  return checkTypes().get('metric')!.evaluate(def, { engine: new SqliteEngine(d), at, tz: 'UTC', log: silentLogger(), cache: new Map() });
}

describe('metric check type (example checks/metric-example.config.yaml)', () => {
  const def = definition(example.checks[0]!.params);

  it('judges the latest complete hour: quiet on normal data at any hour of the day', async () => {
    const d = db();
    for (let h = 1; h <= 19; h++) {
      const r = await evaluate(d, def, D + h * HOUR + 5 * MINUTE);
      expect(r.status, `at ${h}:05`).toBe('ok');
      expect(r.anomalies.filter((a) => a.evidence !== 'stay')).toEqual([]);
    }
  });

  it('alerts on an hour far below the same hour on earlier days, naming value, expectation and z', async () => {
    const d = db((t) => (t >= D + 14 * HOUR && t < D + 15 * HOUR ? 0.3 : 1));
    const r = await evaluate(d, def, D + 15 * HOUR + 2 * MINUTE);
    expect(r.status).toBe('alert');
    expect(r.anomalies).toHaveLength(1);
    const a = r.anomalies[0]!;
    expect(a).toMatchObject({ key: 'value', start: '2026-11-20T14:00:00Z', end: '2026-11-20T15:00:00Z' });
    expect(a.message).toMatch(/^approved_per_hour: [\d,]+ approved at 2026-11-20T14:00:00Z vs [\d,.]+ approved expected \(-\d+ %\), from the same time on earlier days \(z = -\d+/);
  });

  it('one anomaly per series when the SQL returns a series column', async () => {
    const d = db((t) => (t >= D + 14 * HOUR ? 0.2 : 1));
    const bySeries = definition(
      example.checks[0]!.params,
      `SELECT strftime('%Y-%m-%d %H:00:00', minute) AS ts, status AS series, SUM(count) AS value FROM transaction_status WHERE minute >= :from AND minute < :to GROUP BY 1, 2`,
    );
    const r = await evaluate(d, bySeries, D + 15 * HOUR);
    expect(r.anomalies.map((a) => a.key)).toEqual(['approved']);
  });

  it('is skipped without enough earlier days, and names the missing columns of a wrong query', async () => {
    const d = db();
    expect((await evaluate(d, def, D - 6 * DAY)).status).toBe('skipped');
    await expect(evaluate(d, definition({}, 'SELECT minute AS t, count AS v FROM transaction_status WHERE minute >= :from AND minute < :to'), D)).rejects.toThrow(/ts, value/);
  });
});
