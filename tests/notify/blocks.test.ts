/** The digest as a person reads it in Slack, and Slack's limits on it. */
import { describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/notify/slack/blocks.js';
import { formatTable } from '../../src/notify/slack/table.js';
import { blocksText } from '../helpers/fake-slack.js';
import { firingAlert, orderRows, resolvedAlert } from './support/alerts.js';

const base = { runId: 'run-7', at: '2023-05-15T14:40:00Z' };

describe('renderDigest', () => {
  it('counts firing alerts by severity and resolved ones in the header', () => {
    const { blocks, text } = renderDigest({
      ...base,
      alerts: [
        firingAlert('a'),
        firingAlert('b'),
        firingAlert('c', { severity: 'warning' }),
        resolvedAlert('d'),
      ],
    });
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🔴 2 critical · 🟠 1 warning · ✅ 1 resolved', emoji: true },
    });
    expect(text).toBe('Anomaly monitoring: 2 critical, 1 warning, 1 resolved — a, b, c, d');
  });

  it("uses the anomaly's own severity over the check's", () => {
    const a = firingAlert('a', { severity: 'critical', anomaly: { ...firingAlert('a').anomaly, severity: 'info' } });
    const { blocks } = renderDigest({ ...base, alerts: [a] });
    expect(blocks[0]).toMatchObject({ text: { text: '🔵 1 info' } });
    expect(blocksText(blocks)).toContain('🔵 *a*');
  });

  it('lists firing alerts first, most severe first, and resolved ones struck through', () => {
    const { blocks } = renderDigest({
      ...base,
      alerts: [resolvedAlert('gone'), firingAlert('warn', { severity: 'warning' }), firingAlert('crit')],
    });
    const sections = blocks.filter((b) => b.type === 'section').map((b) => (b.text as { text: string }).text);
    expect(sections[0]).toMatch(/^🔴 \*crit\*/);
    expect(sections[1]).toMatch(/^🟠 \*warn\*/);
    expect(sections[2]).toBe(
      '✅ ~*gone* — Description of gone~\n~gone: reversed 18.7 % of transactions 14:33–14:38, normal 0.5 % (z = 41)~\n' +
        'resolved at 2023-05-15 15:00 UTC',
    );
  });

  it('shows times in the configured zone and ends with the run id', () => {
    const { blocks } = renderDigest({ ...base, tz: 'America/Sao_Paulo', alerts: [firingAlert('a')] });
    expect(blocksText(blocks)).toContain('*window* 2023-05-15 11:33–11:38 America/Sao_Paulo');
    expect(blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Run `run-7` · evaluated 2023-05-15 11:40 America/Sao_Paulo' }],
    });
  });

  it('escapes Slack control characters in user text', () => {
    const a = firingAlert('a', { description: 'amount < 0 & refunds > 10', anomaly: { ...firingAlert('a').anomaly, message: '<!channel>' } });
    const text = blocksText(renderDigest({ ...base, alerts: [a] }).blocks);
    expect(text).toContain('amount &lt; 0 &amp; refunds &gt; 10');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('shows at most 15 rows of an anomaly, then how many more', () => {
    const a = firingAlert('a', { anomaly: { ...firingAlert('a').anomaly, rows: orderRows(40) } });
    const table = (renderDigest({ ...base, alerts: [a] }).blocks[2]!.text as { text: string }).text;
    const lines = table.split('\n');
    expect(lines[0]).toBe('```');
    expect(lines[1]).toBe('order_id | status  | amount');
    expect(lines[2]).toBe('---------+---------+-------');
    expect(lines[3]).toBe('  100000 | pending |      0');
    expect(lines.slice(3, -2)).toHaveLength(15);
    expect(lines.at(-2)).toBe('+25 more rows');
  });

  it('keeps the header within 150 characters and sections within 3,000', () => {
    const long = firingAlert('c'.repeat(4000), { description: 'd'.repeat(4000) });
    const { blocks } = renderDigest({ ...base, alerts: [long] });
    for (const b of blocks) {
      const t = (b.text as { text?: string } | undefined)?.text ?? '';
      expect(t.length).toBeLessThanOrEqual(b.type === 'header' ? 150 : 3000);
    }
    expect(blocksText(blocks)).toMatch(/… \+\d+ more chars$/m);
  });

  it('never exceeds 50 blocks, with or without tables', () => {
    for (const n of [24, 47, 48, 49, 100]) {
      for (const rows of [undefined, orderRows(1)]) {
        const alerts = Array.from({ length: n }, (_, i) => firingAlert(`c${i}`, { anomaly: { ...firingAlert('x').anomaly, rows } }));
        const { blocks } = renderDigest({ ...base, alerts });
        expect(blocks.length).toBeLessThanOrEqual(50);
        const shown = blocks.filter((b) => b.type === 'section' && /^🔴/.test((b.text as { text: string }).text)).length;
        const more = /\+(\d+) more alerts? not shown/.exec(blocksText(blocks));
        expect(shown + Number(more?.[1] ?? 0)).toBe(n);
      }
    }
  });

  it('groups many alerts of one check into one section with a table; a few stay one section each', () => {
    const merchants = [7, 12, 15, 18, 3, 4, 5, 9].map((m, i) =>
      firingAlert('unfinished_orders', {
        fingerprint: `unfinished_orders:merchant ${m}`,
        description: 'Orders authorised but not settled or voided within 7 days',
        severity: i === 0 ? 'critical' : 'warning',
        anomaly: { key: `merchant ${m}`, start: '2023-05-08T10:00:00Z', end: '2023-05-15T14:00:00Z', observed: 10 - i, expected: 0, score: null, message: `${10 - i} orders of merchant ${m} not settled` },
      }),
    );
    const statuses = ['failed', 'reversed'].map((k) => firingAlert('status_rates', { fingerprint: `status_rates:${k}`, anomaly: { ...firingAlert('x').anomaly, key: k } }));
    const { blocks } = renderDigest({ ...base, alerts: [...merchants, ...statuses] });
    const text = blocksText(blocks);
    expect(text.split('Orders authorised but not settled').length - 1).toBe(1); // the description once
    expect(text).toContain('🔴 *unfinished_orders* — Orders authorised but not settled or voided within 7 days · *8 alerts*');
    const table = blocks.map((b) => (b.text as { text?: string } | undefined)?.text ?? '').find((t) => t.startsWith('```') && t.includes('merchant 7'))!;
    expect(table.split('\n')[1]).toMatch(/^key +\| severity +\| observed \| expected \| from \(UTC\) +\| to$/);
    for (const m of [7, 12, 15, 18, 3, 4, 5, 9]) expect(table).toMatch(new RegExp(`\\nmerchant ${m} +\\|`));
    expect(table).toMatch(/\| 2023-05-08 10:00 \| 2023-05-15 14:00\n/);
    // Two status alerts: below the grouping threshold, each keeps its own section and message.
    expect(text.match(/\*status_rates\* — /g)).toHaveLength(2);
    // header + group section + group table + 2 sections + context
    expect(blocks).toHaveLength(6);
  });

  it('shows shares as percentages and a one-minute window as a moment', () => {
    const alert = firingAlert('status_rates', {
      anomaly: { ...firingAlert('x').anomaly, observed: 0.0778, expected: 0.0031, unit: 'share', start: '2023-05-15T11:07:00Z', end: '2023-05-15T11:07:00Z' },
    });
    const text = blocksText(renderDigest({ ...base, alerts: [alert] }).blocks);
    expect(text).toContain('*Observed* 7.8 % · *expected* 0.31 % · *window* at 2023-05-15 11:07 UTC');
    expect(text).not.toContain('0.0778');
  });

  it('says so when there is nothing to report', () => {
    const { blocks, text } = renderDigest({ ...base, alerts: [] });
    expect(text).toBe('Anomaly monitoring: no active alerts');
    expect(blocksText(blocks)).toContain('Nothing to report.');
  });
});

describe('formatTable', () => {
  it('shows NULL, flattens objects and shortens long cells', () => {
    const t = formatTable([{ a: null, b: { x: 1 }, c: 'y'.repeat(50) }], { maxRows: 15, maxChars: 3000 });
    const row = t.split('\n')[2]!;
    expect(row).toBe(`NULL | {"x":1} | ${'y'.repeat(31)}…`);
  });

  it('drops rows to fit the character budget', () => {
    const t = formatTable(orderRows(15), { maxRows: 15, maxChars: 200 });
    expect(t.length).toBeLessThanOrEqual(200);
    expect(t).toMatch(/\+\d+ more rows$/);
  });
});
