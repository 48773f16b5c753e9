import { dateProblem } from './dates.js';
import type { DateParser } from './dates.js';

/**
 * Converters from CSV text to SQL values. A converter returns `undefined` for invalid text (so the
 * hot path throws nothing and allocates nothing); `explain` then words the problem for the message.
 * An empty field is NULL in a nullable column.
 */
export type Convert = (raw: string) => unknown;

export interface FieldKind {
  make(dates: DateParser): Convert;
  /**
   * For a date-time: a converter that accepts and refuses exactly what `make`'s does, but returns
   * the stored text as the number YYYYMMDDHHMMSS (DateParser.dateTimeNumber). The direct B-tree
   * writer asks for it: it writes the text itself, and makes no string per row.
   */
  makeNumber?(dates: DateParser): Convert;
  /** Why `raw` was rejected, and what was expected. */
  explain(raw: string): string;
  /**
   * For an enumeration: its values. Its converter then returns the value's index, not the text (a
   * number is far cheaper to hand to SQLite than a string); the INSERT maps it back to the text.
   */
  readonly values?: readonly string[];
  /** A date or time: a repeated (DST) wall-clock time in a key column is placed by RowConverter. */
  readonly isTime?: boolean;
  /** Text stored trimmed and lowercased (so `APPROVED ` and `approved` are one key). */
  readonly normalizes?: boolean;
  /**
   * A whole number column: values at least `min` (a NULL-able one also takes an empty field). Lets
   * the byte-level reader (typed-rows.ts) read its digits straight from the file's bytes.
   */
  readonly wholeNumber?: { min: number };
}

/** Integer text (optional minus, digits only) within ±(2^53 - 1), so stored exactly; else undefined. */
export function parseInteger(s: string): number | undefined {
  const n = s.length;
  if (n === 0 || n > 17) return undefined;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    if (n === 1) return undefined;
    i = 1;
  }
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  if (v > Number.MAX_SAFE_INTEGER) return undefined;
  return neg ? -v : v;
}

const REAL_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function integer(opts: { nullable?: boolean; min?: number; what?: string } = {}): FieldKind {
  const what = opts.what ?? 'an integer';
  const min = opts.min ?? -Infinity;
  return {
    wholeNumber: { min },
    make: () => (raw) => {
      if (raw.length === 0) return opts.nullable ? null : undefined;
      const v = parseInteger(raw);
      return v !== undefined && v >= min ? v : undefined;
    },
    explain: (raw) => {
      if (raw.length === 0) return `empty value; expected ${what}`;
      if (/^-?\d+$/.test(raw) && raw.replace(/^-?0*/, '').length > 15 && Math.abs(Number(raw)) > Number.MAX_SAFE_INTEGER) {
        return `too large: whole numbers must lie within ±${Number.MAX_SAFE_INTEGER} (2^53 - 1) to be stored exactly; expected ${what}`;
      }
      const v = parseInteger(raw.trim());
      if (v !== undefined && v < min) return `negative value; expected ${what}`;
      return `not a whole number; expected ${what}`;
    },
  };
}

/** A decimal number; finite always (`1e309` is refused, not stored as Infinity); `min` for measures. */
export function real(opts: { nullable?: boolean; min?: number; what?: string } = {}): FieldKind {
  const min = opts.min ?? -Infinity;
  const what = opts.what ?? 'a decimal number such as 8.71';
  return {
    make: () => (raw) => {
      if (raw.length === 0) return opts.nullable ? null : undefined;
      if (!REAL_RE.test(raw)) return undefined;
      const v = Number(raw);
      return Number.isFinite(v) && v >= min ? v : undefined;
    },
    explain: (raw) => {
      if (raw.length === 0) return `empty value; expected ${what}`;
      if (REAL_RE.test(raw)) {
        const v = Number(raw);
        if (!Number.isFinite(v)) return `number too large (beyond ±1.8e308, it would be stored as infinity); expected ${what}`;
        if (v < min) return `negative value; expected ${what}`;
      }
      return `not a number; expected ${what}`;
    },
  };
}

const NUL_PROBLEM = 'contains a NUL byte (\\u0000), which text columns refuse: the file is probably binary or damaged';

/**
 * Text; a NUL byte anywhere is refused. `normalize`: surrounding spaces are dropped and letters
 * lowercased (`APPROVED `, `approved` and `Approved` are one status).
 */
export function text(opts: { nullable?: boolean; normalize?: boolean } = {}): FieldKind {
  return {
    normalizes: opts.normalize === true,
    make: () => (raw) => {
      if (raw.length === 0) return opts.nullable ? null : undefined;
      if (raw.includes('\u0000')) return undefined;
      if (!opts.normalize) return raw;
      const v = raw.trim().toLowerCase();
      return v.length === 0 ? (opts.nullable ? null : undefined) : v;
    },
    explain: (raw) => (raw.includes('\u0000') ? NUL_PROBLEM : 'empty value; expected text'),
  };
}

/** One of `values`; converts to the value's index in `values` (see FieldKind.values). */
export function oneOf(values: readonly string[]): FieldKind {
  const index = new Map(values.map((v, i) => [v, i]));
  return {
    values,
    // Exact text first (the hot path); `SUCCESS` or ` auth ` only when that misses.
    make: () => (raw) => index.get(raw) ?? index.get(raw.trim().toLowerCase()),
    explain: () => `unknown value; expected one of ${values.join(', ')}`,
  };
}

const BOOLS: Record<string, number> = { true: 1, false: 0, t: 1, f: 0, '1': 1, '0': 0 };

export function boolean(): FieldKind {
  return {
    make: () => (raw) => (raw.length === 0 ? null : BOOLS[raw.toLowerCase()]),
    explain: () => 'not a boolean; expected true, false, t, f, 1 or 0',
  };
}

const DATE_FORMS = 'ISO 8601 (2023-05-15, 2023-05-15 17:48, 2023-05-15T17:48:00Z, +02:00 offsets) or month/day/year (5/15/23 17:48)';

export function dateTime(): FieldKind {
  return {
    isTime: true,
    make: (dates) => (raw) => dates.dateTime(raw),
    makeNumber: (dates) => (raw) => dates.dateTimeNumber(raw),
    explain: (raw) =>
      raw.length === 0 ? 'empty value; expected a date-time' : `${dateProblem(raw) ?? 'unparseable or impossible date'}; expected ${DATE_FORMS}`,
  };
}

export function calendarDay(): FieldKind {
  return {
    make: (dates) => (raw) => dates.calendarDay(raw),
    explain: (raw) => `${dateProblem(raw) ?? 'unparseable or impossible date'}; expected a date such as 2023-05-15 or 5/15/23`,
  };
}

export function hourOfDay(): FieldKind {
  return {
    isTime: true,
    make: (dates) => (raw) => dates.hourOfDay(raw),
    explain: (raw) =>
      (dateProblem(raw) ?? 'not an hour') + '; expected an hour of the --date day such as 08h (00h-23h) or a date-time on the hour such as 2023-01-10 08:00',
  };
}

export function minuteOfDay(): FieldKind {
  return {
    isTime: true,
    make: (dates) => (raw) => dates.minuteOfDay(raw),
    explain: (raw) =>
      (dateProblem(raw) ?? 'not a minute') + '; expected a minute of the --date day such as 14h 33 (00h 00-23h 59) or a date-time on the minute such as 2023-01-10 14:33',
  };
}
