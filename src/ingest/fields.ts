import type { DateParser } from './dates.js';

/**
 * Converters from CSV text to SQL values. A converter returns `undefined` for invalid text (so the
 * hot path throws nothing and allocates nothing); `explain` then words the problem for the message.
 * An empty field is NULL in a nullable column.
 */
export type Convert = (raw: string) => unknown;

export interface FieldKind {
  make(dates: DateParser): Convert;
  /** Why `raw` was rejected, and what was expected. */
  explain(raw: string): string;
  /**
   * For an enumeration: its values. Its converter then returns the value's index, not the text (a
   * number is far cheaper to hand to SQLite than a string); the INSERT maps it back to the text.
   */
  readonly values?: readonly string[];
}

/** Integer text (optional minus, digits only, at most 15 digits) or undefined. */
export function parseInteger(s: string): number | undefined {
  const n = s.length;
  if (n === 0 || n > 16) return undefined;
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
    make: () => (raw) => {
      if (raw.length === 0) return opts.nullable ? null : undefined;
      const v = parseInteger(raw);
      return v !== undefined && v >= min ? v : undefined;
    },
    explain: (raw) => {
      if (raw.length === 0) return `empty value; expected ${what}`;
      const v = parseInteger(raw.trim());
      if (v !== undefined && v < min) return `negative value; expected ${what}`;
      return `not a whole number; expected ${what}`;
    },
  };
}

export function real(opts: { nullable?: boolean } = {}): FieldKind {
  return {
    make: () => (raw) => {
      if (raw.length === 0) return opts.nullable ? null : undefined;
      return REAL_RE.test(raw) ? Number(raw) : undefined;
    },
    explain: (raw) => (raw.length === 0 ? 'empty value; expected a number' : 'not a number; expected a decimal number such as 8.71'),
  };
}

export function text(opts: { nullable?: boolean } = {}): FieldKind {
  return {
    make: () => (raw) => (raw.length === 0 ? (opts.nullable ? null : undefined) : raw),
    explain: () => 'empty value; expected text',
  };
}

/** One of `values`; converts to the value's index in `values` (see FieldKind.values). */
export function oneOf(values: readonly string[]): FieldKind {
  const index = new Map(values.map((v, i) => [v, i]));
  return {
    values,
    make: () => (raw) => index.get(raw),
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
    make: (dates) => (raw) => dates.dateTime(raw),
    explain: (raw) => (raw.length === 0 ? 'empty value; expected a date-time' : `unparseable or impossible date; expected ${DATE_FORMS}`),
  };
}

export function calendarDay(): FieldKind {
  return {
    make: (dates) => (raw) => dates.calendarDay(raw),
    explain: () => 'unparseable or impossible date; expected a date such as 2023-05-15 or 5/15/23',
  };
}

export function hourOfDay(): FieldKind {
  return {
    make: (dates) => (raw) => dates.hourOfDay(raw),
    explain: () => 'not an hour; expected an hour of the --date day such as 08h (00h-23h) or a date-time on the hour such as 2023-01-10 08:00',
  };
}

export function minuteOfDay(): FieldKind {
  return {
    make: (dates) => (raw) => dates.minuteOfDay(raw),
    explain: () => 'not a minute; expected a minute of the --date day such as 14h 33 (00h 00-23h 59) or a date-time on the minute such as 2023-01-10 14:33',
  };
}
