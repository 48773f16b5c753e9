/** Builders for digest alerts and a logger whose output tests can scan for secrets. */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../../src/log.js';
import type { DigestAlert } from '../../../src/notify/types.js';
import type { Severity } from '../../../src/types.js';

export function firingAlert(check: string, overrides: Partial<DigestAlert> & { severity?: Severity } = {}): DigestAlert {
  return {
    fingerprint: `${check}:key`,
    check,
    description: `Description of ${check}`,
    severity: 'critical',
    state: 'firing',
    firstSeen: '2023-05-15T14:35:00Z',
    anomaly: {
      key: 'key',
      start: '2023-05-15T14:33:00Z',
      end: '2023-05-15T14:38:00Z',
      observed: 18.7,
      expected: 0.5,
      score: 41,
      message: `${check}: reversed 18.7 % of transactions 14:33–14:38, normal 0.5 % (z = 41)`,
    },
    ...overrides,
  };
}

export function resolvedAlert(check: string, resolvedAt = '2023-05-15T15:00:00Z'): DigestAlert {
  return { ...firingAlert(check, { severity: 'warning' }), state: 'resolved', resolvedAt };
}

export function orderRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    order_id: 100000 + i,
    status: i % 3 === 0 ? 'pending' : 'created',
    amount: Math.round((i * 7.31) % 500 * 100) / 100,
  }));
}

/** A debug-level logger writing JSON lines to memory, with no secret scrubbing of its own. */
export function captureLogger(): { log: Logger; output: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { log: pino({ level: 'trace' }, stream), output: () => chunks.join('') };
}

/** Records requested sleeps and returns at once. */
export function fakeSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}
