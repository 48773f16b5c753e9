import { describe, expect, it } from 'vitest';
import { bindParams, clickhouseParameterNames, quoteString, sampleParams, typedLiteral } from '../../src/db/clickhouse-binding.js';
import { clickhouseCredentials, isClickHouseUrl, parseClickHouseUrl } from '../../src/db/clickhouse-url.js';
import { forEngine } from '../../src/checks/prepare.js';
import type { CheckDefinition } from '../../src/checks/check-type.js';

/** Decodes a ClickHouse string literal the way the server's lexer does (the escapes quoteString writes). */
function unquote(literal: string): string {
  expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
  const body = literal.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "'") throw new Error(`unescaped quote at ${i}: the literal would end early`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    out += n === '0' ? '\0' : n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n!;
  }
  return out;
}

describe('client-side binding (servers before 19.6)', () => {
  const evil = [
    "'; DROP TABLE orders; --",
    "\\'; DROP TABLE orders; --",
    'ends with a backslash\\',
    "''",
    'NUL\0inside',
    'line\nbreak\rand\ttab',
    'x'.repeat(1_000_000),
    '\\'.repeat(1001) + "'",
  ];

  it.each(evil.map((s) => [s.slice(0, 40), s]))('quotes %j so that it reads back unchanged and never ends the literal', (_n, s) => {
    const literal = quoteString(s);
    expect(unquote(literal)).toBe(s);
    expect(literal).not.toContain('\0');
  });

  it('writes typed literals and refuses values that do not fit the type', () => {
    expect(typedLiteral('at', 'DateTime', '2023-01-10 08:00:00')).toBe("toDateTime('2023-01-10 08:00:00', 'UTC')");
    expect(typedLiteral('d', 'Date', '2023-01-10')).toBe("toDate('2023-01-10')");
    expect(typedLiteral('n', 'Int64', -5)).toBe('toInt64(-5)');
    expect(typedLiteral('x', 'Float64', 0.25)).toBe('toFloat64(0.25)');
    expect(typedLiteral('x', 'Nullable(String)', null)).toBe('NULL');
    expect(() => typedLiteral('at', 'DateTime', "2023-01-10 08:00:00') OR (1")).toThrow(/is not a DateTime/);
    expect(() => typedLiteral('n', 'Int64', '1 OR 1=1')).toThrow(/is not a Int64/);
    expect(() => typedLiteral('n', 'UInt8', -1)).toThrow(/is not a UInt8/);
    expect(() => typedLiteral('x', 'Float64', Number.NaN)).toThrow(/is not a Float64/);
    expect(() => typedLiteral('x', 'String', null)).toThrow(/is null; declare it Nullable/);
    expect(() => typedLiteral('x', 'Array(String)', 'a')).toThrow(/not supported/);
  });

  it('binds both placeholder forms, and ignores look-alikes in strings and comments', () => {
    const sql = "SELECT ':at' AS a, '{at:DateTime}' AS b -- :at {at:DateTime}\n, {at:DateTime} AS c, :day AS d /* :x */ FROM t WHERE x::Int = 1";
    expect(clickhouseParameterNames(sql)).toEqual(['at', 'day']);
    const bound = bindParams(sql, { at: '2023-01-10 08:00:00', day: "it's" }, false);
    expect(bound.sql).toBe(
      "SELECT ':at' AS a, '{at:DateTime}' AS b -- :at {at:DateTime}\n, toDateTime('2023-01-10 08:00:00', 'UTC') AS c, 'it\\'s' AS d /* :x */ FROM t WHERE x::Int = 1",
    );
    expect(bound.queryParams).toEqual({});
  });

  it('leaves {name:Type} to servers that bind natively, with DateTime read as UTC', () => {
    const bound = bindParams('SELECT {at:DateTime} AS a, :day AS d', { at: '2023-01-10 08:00:00', day: '2023-01-10' }, true);
    expect(bound.sql).toBe("SELECT {at:DateTime('UTC')} AS a, '2023-01-10' AS d");
    expect(bound.queryParams).toEqual({ at: '2023-01-10 08:00:00' });
    expect(() => bindParams('SELECT {at:DateTime}', { at: 'yesterday' }, true)).toThrow(/is not a DateTime/);
  });

  it('names a missing parameter', () => {
    expect(() => bindParams('SELECT {at:DateTime}, :since', { at: '2023-01-10 08:00:00' }, false)).toThrow(/SQL parameter :since is not provided/);
  });

  it('has a sample value of each type for validation', () => {
    expect(sampleParams('SELECT {a:DateTime}, {b:Date}, {c:Int64}, :d')).toEqual({ a: '2000-01-01 00:00:00', b: '2000-01-01', c: 0, d: '2000-01-01 00:00:00' });
  });
});

describe('clickhouse:// URLs', () => {
  it('reads one server, HTTPS and a cluster', () => {
    expect(parseClickHouseUrl('clickhouse://127.0.0.1:8123/anomaly')).toMatchObject({ hosts: ['http://127.0.0.1:8123'], database: 'anomaly', cluster: undefined });
    expect(parseClickHouseUrl('clickhouses://ch.example.com/db')).toMatchObject({ hosts: ['https://ch.example.com:8443'], database: 'db' });
    expect(parseClickHouseUrl('clickhouse://h1:8123,h2:8124/a?cluster=two')).toMatchObject({ hosts: ['http://h1:8123', 'http://h2:8124'], database: 'a', cluster: 'two' });
    expect(parseClickHouseUrl('clickhouse://localhost')).toMatchObject({ hosts: ['http://localhost:8123'], database: 'default' });
    expect(isClickHouseUrl('clickhouse://x/y')).toBe(true);
    expect(isClickHouseUrl('data/anomaly.db')).toBe(false);
  });

  it('refuses credentials in the URL without repeating them', () => {
    let message = '';
    try {
      parseClickHouseUrl('clickhouse://admin:s3cretpass@127.0.0.1:8123/db');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/credentials must not be in the URL/);
    expect(message).not.toContain('s3cretpass');
  });

  it('refuses what it cannot read', () => {
    expect(() => parseClickHouseUrl('clickhouse://h1,h2/db')).toThrow(/several hosts need \?cluster=/);
    expect(() => parseClickHouseUrl('clickhouse://h:99999/db')).toThrow(/out of range/);
    expect(() => parseClickHouseUrl('clickhouse://h/db-name')).toThrow(/database name/);
    expect(() => parseClickHouseUrl('clickhouse://h/db?secure=1')).toThrow(/unknown option "secure"/);
  });

  it('takes credentials from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD', () => {
    expect(clickhouseCredentials({})).toEqual({ user: 'default', password: '' });
    expect(clickhouseCredentials({ CLICKHOUSE_USER: 'monitor', CLICKHOUSE_PASSWORD: 'pw' })).toEqual({ user: 'monitor', password: 'pw' });
  });
});

describe('dialect twins', () => {
  const check = (sqlSource: string): CheckDefinition => ({
    name: 'x', type: 'threshold', description: 'x', severity: 'warning', sql: 'SQLITE', sqlSource, params: {},
    slack: { enabled: true, criticalSeparately: false }, repeatIntervalMs: 0, resolveAfter: 1, enabled: true,
  });

  it('uses checks/clickhouse/<name>.sql when it exists, the portable file otherwise', () => {
    const twin = forEngine(check('checks/orders_hourly.sql'), 'clickhouse');
    expect(twin.sqlSource).toBe('checks/clickhouse/orders_hourly.sql');
    expect(twin.sql).toMatch(/arrayJoin/);
    expect(forEngine(check('checks/checkout_hourly.sql'), 'clickhouse').sql).toBe('SQLITE');
    expect(forEngine(check('checks/orders_hourly.sql'), 'sqlite').sql).toBe('SQLITE');
    expect(forEngine(check('anomaly.config.yaml (inline sql of x)'), 'clickhouse').sql).toBe('SQLITE');
  });
});
