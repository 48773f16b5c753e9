import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toIso } from '../../src/time.js';
import type { OrderIncidentIds } from './demo-orders.js';
import { ELO_INCIDENT } from './payments.js';
import { DAY, DEMO_AT, PERIOD_FROM, PERIOD_TO, SETTLE_DEADLINE, WINDOWS } from './timeline.js';
import type { Window } from './timeline.js';

export type IncidentKind = 'status_rate' | 'baseline' | 'query_empty' | 'threshold';

/**
 * One planted anomaly. start/end are ISO UTC, the span in which a check can see it (replay scores
 * an alert episode that overlaps it). For minute and hour windows end is exclusive. A `query_empty`
 * incident starts when the first of its orders becomes overdue (its auth + 7 days) and lasts
 * until demo_at: overdue and late-settled orders stay reportable.
 */
export interface Incident {
  id: string;
  kind: IncidentKind;
  table: string;
  key: string;
  start: string;
  end: string;
  description: string;
  order_ids?: number[];
}

export interface Manifest {
  seed: number;
  demo_at: string;
  period: { from: string; to: string };
  incidents: Incident[];
}

const span = (w: Window) => ({ start: toIso(w.start), end: toIso(w.end) });
/** From the moment the first of these orders is overdue until demo time. */
const overdueSpan = (authMs: number[]) => ({ start: toIso(Math.min(...authMs) + SETTLE_DEADLINE), end: toIso(DEMO_AT) });
const days = (ms: number): string => (ms / DAY).toFixed(2);

/** The incidents of the demo set, in the order the README tells them. */
export function demoIncidents(orders: OrderIncidentIds): Incident[] {
  const { neverSettled, lateSettled, failedOnly, boundaryFine, boundaryLate } = orders;
  const lateDelays = lateSettled.settleMs.map((s, i) => s - lateSettled.authMs[i]!);
  return [
    {
      id: 'reversed-surge',
      kind: 'status_rate',
      table: 'transaction_status',
      key: 'reversed',
      ...span(WINDOWS.reversedSurge),
      description: 'Acquirer reversals jump from ~0.5 % to 12–22 % of transactions per minute (14:33 to 17:30 on D).',
    },
    {
      id: 'failed-spike',
      kind: 'status_rate',
      table: 'transaction_status',
      key: 'failed',
      ...span(WINDOWS.failedSpike),
      description: 'Failed transactions rise from ~0.1 % to ~8 % of volume (14:40 to 15:05 on D).',
    },
    {
      id: 'backend-reversed-burst',
      kind: 'status_rate',
      table: 'transaction_status',
      key: 'backend_reversed',
      ...span(WINDOWS.backendReversedBurst),
      description: 'Backend reversals rise from ~0.1 % to ~5 % of volume (14:45 to 15:00 on D).',
    },
    {
      id: 'missing-minutes',
      kind: 'status_rate',
      table: 'transaction_status',
      key: 'missing_data',
      ...span(WINDOWS.missingMinutes),
      description: 'Earlier day: no acquirer rows at all for the ten minutes 03:00–03:09 on 2026-11-17.',
    },
    {
      id: 'denied-surge',
      kind: 'status_rate',
      table: 'transaction_status',
      key: 'denied',
      ...span(WINDOWS.deniedSurge),
      description: 'Earlier day: denied share rises from ~9 % to ~35 % (10:05 to 10:25 on 2026-11-18).',
    },
    {
      id: 'failed-creep',
      kind: 'status_rate',
      table: 'transaction_status',
      key: 'failed',
      ...span(WINDOWS.failedCreep),
      description: 'Earlier day: failed rises from ~0.1 % to 1–2 % of ~500 transactions a minute and stays there for hours (13:10 to 17:40 on 2026-11-19).',
    },
    {
      id: 'pos-b-outage',
      kind: 'baseline',
      table: 'checkout_hourly',
      key: 'pos_b',
      ...span(WINDOWS.posBOutage),
      description: 'POS b sells 0 and 2 at 08h and 09h on D, against ~20–35 in those hours normally.',
    },
    {
      id: 'elo-approval-drop',
      kind: 'threshold',
      table: 'payments_aggregate',
      key: ELO_INCIDENT.brand,
      ...span(WINDOWS.demoDay),
      description: 'elo approval rate falls to ~60 % on D (85–92 % on other days): extra declines with error 0091.',
    },
    {
      id: 'error-0091-share',
      kind: 'threshold',
      table: 'payments_aggregate',
      key: ELO_INCIDENT.code,
      ...span(WINDOWS.demoDay),
      description: 'Error 0091 (issuer unavailable) is ~6 % of declines normally and about a third of them on D.',
    },
    {
      id: 'merchant-7-never-settled',
      kind: 'query_empty',
      table: 'transactions',
      key: 'merchant 7',
      ...overdueSpan(neverSettled.authMs),
      description: `All ${neverSettled.orderIds.length} orders of merchant 7 authorised 2026-11-05 09:00 to 2026-11-06 18:00 were never settled or voided.`,
      order_ids: neverSettled.orderIds,
    },
    {
      id: 'merchant-12-late-settle',
      kind: 'query_empty',
      table: 'transactions',
      key: 'merchant 12',
      ...overdueSpan(lateSettled.authMs),
      description: `${lateSettled.orderIds.length} orders of merchant 12 settled ${days(Math.min(...lateDelays))}–${days(Math.max(...lateDelays))} days after their auth (limit 7).`,
      order_ids: lateSettled.orderIds,
    },
    ...failedOnly.map(
      (f): Incident => ({
        id: `merchant-${f.merchant}-failed-settles`,
        kind: 'query_empty',
        table: 'transactions',
        key: `merchant ${f.merchant}`,
        ...overdueSpan([f.authMs]),
        description: `Order ${f.orderId} of merchant ${f.merchant} has only failed settles, no successful settle or void.`,
        order_ids: [f.orderId],
      }),
    ),
    {
      id: `merchant-${boundaryLate.merchant}-settled-one-second-late`,
      kind: 'query_empty',
      table: 'transactions',
      key: `merchant ${boundaryLate.merchant}`,
      ...overdueSpan([boundaryLate.authMs]),
      description:
        `Order ${boundaryLate.orderId} settled 7 d 0:00:01 after its auth (${(boundaryLate.settleMs - boundaryLate.authMs) / 1000 - SETTLE_DEADLINE / 1000} s late). ` +
        `Not an incident: order ${boundaryFine.orderId} (merchant ${boundaryFine.merchant}) settled 6 d 23:59:59 after its auth.`,
      order_ids: [boundaryLate.orderId],
    },
  ];
}

export function buildManifest(
  seed: number,
  incidents: Incident[],
  // Every source runs to the end of D, so the whole period can be replayed.
  period: Window = { start: PERIOD_FROM, end: PERIOD_TO },
  demoAt: number = DEMO_AT,
): Manifest {
  return {
    seed,
    demo_at: toIso(demoAt),
    period: { from: toIso(period.start), to: toIso(period.end) },
    incidents,
  };
}

export function writeManifest(outDir: string, manifest: Manifest): void {
  writeFileSync(join(outDir, 'incidents.json'), JSON.stringify(manifest, null, 2) + '\n');
}
