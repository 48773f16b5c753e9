import { z } from 'zod';
import { parseDuration } from '../time.js';

/** A `params:` duration such as `5m`, `6h` or `30d`, with its default. */
export function durationParam(fallback: string) {
  return z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 5m, 6h or 30d').default(fallback);
}

/** A number from a query cell; NULL, empty or non-numeric → null. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
