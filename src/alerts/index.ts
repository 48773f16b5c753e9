/** Run history, alert state across runs, and the outbox that never loses a notification. */
export { StateStore, STATE_SCHEMA_VERSION, withStateStore } from './store.js';
export type { AlertPolicy } from './policy.js';
export { defaultPolicy, DEFAULT_REPEAT_INTERVAL_MS, DEFAULT_RESOLVE_AFTER } from './policy.js';
export { newRunId, recordRun, runStatus } from './runs.js';
export type { RunRecord } from './runs.js';
export { planNotifications, fingerprintOf } from './plan.js';
export type { PlanInput, PlanSummary } from './plan.js';
export { drainOutbox, pendingOutbox, recentOutbox, expireOutbox, OUTBOX_MAX_AGE_MS } from './outbox.js';
export type { DrainOptions, DrainResult, OutboxEntry, OutboxStatus } from './outbox.js';
export { snooze, unsnooze, listSnoozes } from './snooze.js';
export type { SnoozeEntry } from './snooze.js';
export { CHECK_RESULTS_TAB, CHECK_RESULTS_HEADER, ANOMALY_TAB_PREFIX } from './sheets-rows.js';
export { formatElapsed } from './format.js';
