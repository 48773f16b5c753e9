import { describe, expect, it } from 'vitest';
import { runTable } from '../src/commands/run-output.js';
import { anomaly, result } from './alerts/helpers.js';

describe('anomaly run table: stay-level anomalies are marked', () => {
  it('counts them apart and marks their line; entry-level anomalies carry no marker', () => {
    const text = runTable([
      result('transaction_status_rates', [anomaly('reversed'), anomaly('volume', { evidence: 'stay', message: 'volume low, still alerting' })], { status: 'alert' }),
      result('quiet_check', [anomaly('failed', { evidence: 'stay' })], { status: 'ok' }),
    ]);
    const rows = text.split('\n');
    expect(rows.find((l) => l.startsWith('transaction_status_rates'))).toMatch(/\s2 \(1 stay\)\s/);
    expect(rows.find((l) => l.startsWith('quiet_check'))).toMatch(/\s1 \(1 stay\)\s/);
    expect(rows.find((l) => l.includes('volume low'))).toMatch(/\[stay level: keeps a firing alert open, starts none\]$/);
    expect(rows.find((l) => l.includes('reversed is 10'))).not.toMatch(/stay/);
  });
});
