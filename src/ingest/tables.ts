import { boolean, calendarDay, dateTime, hourOfDay, integer, minuteOfDay, oneOf, real, text } from './fields.js';
import type { FieldKind } from './fields.js';

/** How the columns of one known CSV file map onto a table of src/db/schema.sql. */
export interface ColumnSpec {
  /** Header name (matched case-insensitively after trimming). */
  name: string;
  /** Other accepted header names, e.g. `f0_` for `count` (BigQuery's unnamed column). */
  aliases?: readonly string[];
  /** Column in the table. */
  dbName: string;
  kind: FieldKind;
}

export interface TableSpec {
  table: string;
  columns: readonly ColumnSpec[];
  /** Files in a folder, one per source: the file name stem goes into the `source` column. */
  perSource: boolean;
  /** Primary key columns (table names), to name the offending key of a duplicate. */
  key: readonly string[];
}

const col = (name: string, kind: FieldKind, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, dbName: name, kind, ...extra });

export const COUNTRIES: TableSpec = {
  table: 'countries',
  perSource: false,
  key: ['country'],
  columns: [col('country', text()), col('country_rn', integer())],
};

export const ORDERS: TableSpec = {
  table: 'orders',
  perSource: false,
  key: ['id'],
  columns: [col('id', integer()), col('created_date', dateTime()), col('merchant_id', integer())],
};

export const TRANSACTIONS: TableSpec = {
  table: 'transactions',
  perSource: false,
  key: ['id'],
  columns: [
    col('id', integer()),
    col('created_date', dateTime()),
    col('transaction_type', oneOf(['auth', 'settle', 'void', 'refund'])),
    col('order_id', integer()),
    col('transaction_status', oneOf(['success', 'fail'])),
  ],
};

const nullableInt = integer({ nullable: true });
const nullableText = text({ nullable: true });

export const PAYMENTS_AGGREGATE: TableSpec = {
  table: 'payments_aggregate',
  perSource: false,
  key: [],
  columns: [
    col('created_day', calendarDay()),
    col('channel_id', nullableInt),
    col('order_type', nullableText),
    col('payment_source', nullableText),
    col('merchant_token_type', nullableText),
    col('is_secured', boolean()),
    col('bin_amount_usd', nullableText),
    col('status', text({ nullable: true, normalize: true })),
    col('error_code', nullableText),
    col('error_message', nullableText),
    col('bank_issuer', nullableInt),
    col('card_brand', nullableText),
    col('card_type', nullableText),
    col('card_country', nullableInt),
    col('ip_country', nullableInt),
    col('invoice_number', nullableInt),
    col('retry_number', nullableText),
    col('count_orders', integer({ min: 0, what: 'a count (a whole number ≥ 0)' })),
    col('count_emails', integer({ nullable: true, min: 0, what: 'a count (a whole number ≥ 0)' })),
  ],
};

const measure = real({ nullable: true, min: 0, what: 'a measure ≥ 0 such as 8.71' });

export const CHECKOUT_HOURLY: TableSpec = {
  table: 'checkout_hourly',
  perSource: true,
  key: ['source', 'hour'],
  columns: [
    col('time', hourOfDay(), { dbName: 'hour' }),
    col('today', measure),
    col('yesterday', measure),
    col('same_day_last_week', measure),
    col('avg_last_week', measure),
    col('avg_last_month', measure),
  ],
};

export const TRANSACTION_STATUS: TableSpec = {
  table: 'transaction_status',
  perSource: true,
  key: ['minute', 'source', 'status'],
  columns: [
    col('time', minuteOfDay(), { dbName: 'minute' }),
    col('status', text({ normalize: true })),
    col('count', integer({ min: 0, what: 'a count (a whole number ≥ 0)' }), { aliases: ['f0_'] }),
  ],
};

/** Known single files, in load order; the first name present wins, later ones are legacy names. */
export const KNOWN_FILES: readonly { spec: TableSpec; names: readonly string[] }[] = [
  { spec: COUNTRIES, names: ['countries.csv'] },
  { spec: ORDERS, names: ['orders.csv'] },
  { spec: TRANSACTIONS, names: ['transactions.csv'] },
  { spec: PAYMENTS_AGGREGATE, names: ['payments_aggregate.csv', 'test_aggregate_data.csv'] },
];

/** Known folders: every `*.csv` inside is one source. */
export const KNOWN_FOLDERS: readonly { spec: TableSpec; folder: string }[] = [
  { spec: CHECKOUT_HOURLY, folder: 'checkout' },
  { spec: TRANSACTION_STATUS, folder: 'transaction_status' },
];

export function expectedHeader(spec: TableSpec): string {
  return spec.columns.map((c) => c.name).join(',');
}

export function specByTable(table: string): TableSpec {
  const spec = [...KNOWN_FILES.map((f) => f.spec), ...KNOWN_FOLDERS.map((f) => f.spec)].find((s) => s.table === table);
  if (!spec) throw new Error(`unknown table ${table}`);
  return spec;
}
