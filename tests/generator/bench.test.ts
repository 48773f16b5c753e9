import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../scripts/generate-demo.js';
import type { Manifest } from '../../scripts/generate-demo.js';
import { dbMs, readCsv } from './csv.js';

const ROWS = 60_000;
let dir: string;
let manifest: Manifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gen-bench-'));
  manifest = await generateDemo({ outDir: dir, rows: ROWS, seed: 3 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('benchmark mode (--rows)', () => {
  it('writes exactly N transactions, in id and time order, each of a listed order', () => {
    const txs = readCsv(join(dir, 'transactions.csv')).rows;
    const orders = readCsv(join(dir, 'orders.csv')).rows;
    expect(txs).toHaveLength(ROWS);
    const orderIds = new Set(orders.map((o) => Number(o.id)));
    const bad = txs.filter(
      (x, i) => Number(x.id) !== i + 1 || (i > 0 && dbMs(x.created_date!) < dbMs(txs[i - 1]!.created_date!)) || !orderIds.has(Number(x.order_id)),
    );
    expect(bad).toEqual([]);
    // Every order has its auth in the file.
    const authed = new Set(txs.filter((x) => x.transaction_type === 'auth').map((x) => Number(x.order_id)));
    expect(authed.size).toBe(orders.length);
    expect(orders.length).toBeGreaterThan(ROWS / 2.2 * 0.9);
    expect(orders.length).toBeLessThan(ROWS / 2.2 * 1.1);
  });

  it('covers the same whole days with acquirer minutes', () => {
    const rows = readCsv(join(dir, 'transaction_status', 'acquirer.csv')).rows;
    const minutes = new Set(rows.map((r) => dbMs(r.time!)));
    const from = Date.parse(manifest.period.from);
    const to = Date.parse(manifest.period.to);
    expect(minutes.size).toBe((to - from) / 60_000);
    expect(Math.min(...minutes)).toBe(from);
    const lastTx = readFileSync(join(dir, 'transactions.csv'), 'utf8').trimEnd().split('\n').at(-1)!.split(',')[1]!;
    expect(dbMs(lastTx)).toBeLessThan(to);
    expect(dbMs(lastTx)).toBeGreaterThanOrEqual(to - 86_400_000);
    expect(manifest.incidents).toEqual([]);
  });
});
