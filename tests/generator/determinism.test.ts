import { readFileSync, readdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDemo, main } from '../../scripts/generate-demo.js';
import { UsageError } from '../../src/errors.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gen-det-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

const HEADERS: Record<string, string> = {
  'countries.csv': 'country,country_rn',
  'orders.csv': 'id,created_date,merchant_id',
  'transactions.csv': 'id,created_date,transaction_type,order_id,transaction_status',
  'payments_aggregate.csv':
    'created_day,channel_id,order_type,payment_source,merchant_token_type,is_secured,bin_amount_usd,status,error_code,error_message,bank_issuer,card_brand,card_type,card_country,ip_country,invoice_number,retry_number,count_orders,count_emails',
  'checkout/pos_a.csv': 'time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month',
  'checkout/pos_b.csv': 'time,today,yesterday,same_day_last_week,avg_last_week,avg_last_month',
  'transaction_status/acquirer.csv': 'time,status,count',
};

describe('generateDemo', () => {
  it('writes byte-identical files for the same seed, different data for another', async () => {
    const a = tempDir();
    const b = tempDir();
    const c = tempDir();
    await generateDemo({ outDir: a, seed: 7 });
    await generateDemo({ outDir: b, seed: 7 });
    await generateDemo({ outDir: c, seed: 8 });
    expect(files(a)).toEqual([...Object.keys(HEADERS), 'incidents.json'].sort());
    expect(files(b)).toEqual(files(a));
    for (const f of files(a)) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    for (const f of ['orders.csv', 'transactions.csv', 'payments_aggregate.csv', 'transaction_status/acquirer.csv']) {
      expect(readFileSync(join(c, f)).equals(readFileSync(join(a, f))), f).toBe(false);
    }
  });

  it('writes exactly the loader’s headers, ISO UTC times, and at most ~5 MB', async () => {
    const dir = tempDir();
    const manifest = await generateDemo({ outDir: dir });
    let bytes = 0;
    for (const [f, header] of Object.entries(HEADERS)) {
      const text = readFileSync(join(dir, f), 'utf8');
      bytes += text.length;
      expect(text.slice(0, text.indexOf('\n')), f).toBe(header);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.charCodeAt(0)).not.toBe(0xfeff);
    }
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    const firstTx = readFileSync(join(dir, 'transactions.csv'), 'utf8').split('\n')[1]!;
    expect(firstTx).toMatch(/^1,\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},auth,1,(success|fail)$/);
    expect(manifest.seed).toBe(42);
    expect(JSON.parse(readFileSync(join(dir, 'incidents.json'), 'utf8'))).toEqual(manifest);
  });

  it('returns a manifest of the agreed shape', async () => {
    const manifest = await generateDemo({ outDir: tempDir() });
    expect(Object.keys(manifest)).toEqual(['seed', 'demo_at', 'period', 'incidents']);
    expect(manifest.demo_at).toBe('2026-11-20T15:00:00Z');
    expect(manifest.period).toEqual({ from: '2026-10-16T00:00:00Z', to: '2026-11-21T00:00:00Z' });
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
    const ids = manifest.incidents.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const inc of manifest.incidents) {
      expect(inc.start).toMatch(iso);
      expect(inc.end).toMatch(iso);
      expect(Date.parse(inc.start)).toBeLessThanOrEqual(Date.parse(inc.end));
      expect(inc.description.length).toBeGreaterThan(20);
      const expectedKeys = ['id', 'kind', 'table', 'key', 'start', 'end', 'description'];
      expect(Object.keys(inc)).toEqual(inc.kind === 'query_empty' ? [...expectedKeys, 'order_ids'] : expectedKeys);
    }
    const keysOf = (kind: string) => manifest.incidents.filter((i) => i.kind === kind).map((i) => i.key).sort();
    expect(keysOf('status_rate')).toEqual(['backend_reversed', 'denied', 'failed', 'failed', 'missing_data', 'reversed']);
    expect(keysOf('baseline')).toEqual(['pos_b']);
    expect(keysOf('threshold')).toEqual(['0091', 'elo']);
    expect(keysOf('query_empty')).toEqual(expect.arrayContaining(['merchant 7', 'merchant 12']));
    for (const k of keysOf('query_empty')) expect(k).toMatch(/^merchant \d+$/);
  });
});

describe('generate-demo command line', () => {
  it('generates into --out with --seed and reports it', async () => {
    const dir = tempDir();
    const lines: string[] = [];
    expect(await main(['--out', dir, '--seed', '5'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain(`seed 5`);
    expect(JSON.parse(readFileSync(join(dir, 'incidents.json'), 'utf8')).seed).toBe(5);
  });

  it('rejects bad arguments as usage errors', async () => {
    await expect(main(['--rows', 'lots'])).rejects.toThrow(UsageError);
    await expect(main(['--rows', '0'])).rejects.toThrow(/--rows must be an integer/);
    await expect(main(['--seed', '-1'])).rejects.toThrow(UsageError);
    await expect(main(['--bogus'])).rejects.toThrow(UsageError);
  });
});
