import type { Params } from './engine.js';

/**
 * Query parameters for ClickHouse. A check's SQL names its parameters either the portable way
 * (`:at`, as in the SQLite files) or ClickHouse's typed way (`{at:DateTime}`). ClickHouse ≥ 19.6
 * binds `{name:Type}` itself (`param_<name>` on the HTTP interface); older servers (Debian's 18.16
 * answers `Unknown setting param_at`) get the value written into the SQL here as a typed literal.
 * `:name` is always written in here: as a string literal for text, a number for numbers, NULL for
 * null — ClickHouse compares a DateTime column with a 'YYYY-MM-DD HH:MM:SS' string exactly.
 */

interface Placeholder {
  start: number;
  end: number;
  name: string;
  /** The ClickHouse type of a `{name:Type}` placeholder; undefined for `:name`. */
  type?: string;
}

/** Placeholders of `sql`, outside quoted text and comments, in order. */
export function placeholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === '{') {
      const m = /^\{\s*([A-Za-z_]\w*)\s*:\s*([^{}]+?)\s*\}/.exec(sql.slice(i, i + 200));
      if (m) {
        found.push({ start: i, end: i + m[0].length, name: m[1]!, type: m[2]! });
        i += m[0].length;
      } else i++;
    } else if (c === ':' && sql[i + 1] !== ':' && (i === 0 || !/[:\w]/.test(sql[i - 1]!))) {
      const m = /^:([A-Za-z_]\w*)/.exec(sql.slice(i, i + 100));
      if (m) {
        found.push({ start: i, end: i + m[0].length, name: m[1]! });
        i += m[0].length;
      } else i++;
    } else i++;
  }
  return found;
}

function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j]!;
    if (c === '\\') j += 2;
    else if (c === quote && sql[j + 1] === quote) j += 2;
    else if (c === quote) return j + 1;
    else j++;
  }
  return j;
}

/** Names of the parameters `sql` uses (both forms). */
export function clickhouseParameterNames(sql: string): string[] {
  return [...new Set(placeholders(sql).map((p) => p.name))];
}

/**
 * A ClickHouse string literal. Backslash escapes cover everything ClickHouse's lexer treats
 * specially: the quote, the backslash itself, and NUL / control characters (written as escapes so
 * the statement stays one readable line in the server's query log).
 */
export function quoteString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    switch (c) {
      case "'":
        out += "\\'";
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\0':
        out += '\\0';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += c;
    }
  }
  return out + "'";
}

const DB_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `value` as a literal of ClickHouse type `type`; throws when the value does not fit the type. */
export function typedLiteral(name: string, type: string, value: string | number | null): string {
  const t = type.replace(/\s+/g, '');
  const nullable = /^Nullable\((.+)\)$/.exec(t);
  if (value === null) {
    if (nullable) return 'NULL';
    throw new Error(`SQL parameter {${name}:${type}} is null; declare it Nullable(${type})`);
  }
  const base = nullable ? nullable[1]! : t;
  const bad = (): never => {
    throw new Error(`SQL parameter {${name}:${type}}: value ${JSON.stringify(String(value).slice(0, 100))} is not a ${base}`);
  };
  if (base === 'String') return quoteString(String(value));
  if (/^DateTime(\('UTC'\))?$/.test(base)) {
    if (typeof value !== 'string' || !DB_TIME.test(value)) bad();
    return `toDateTime(${quoteString(value as string)}, 'UTC')`;
  }
  if (base === 'Date') {
    if (typeof value !== 'string' || !DAY.test(value)) bad();
    return `toDate(${quoteString(value as string)})`;
  }
  if (/^U?Int(8|16|32|64)$/.test(base)) {
    const n = typeof value === 'number' ? value : /^-?\d{1,18}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || (base.startsWith('U') && n < 0)) bad();
    return `to${base}(${n})`;
  }
  if (/^Float(32|64)$/.test(base)) {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) bad();
    return `to${base}(${n})`;
  }
  throw new Error(`SQL parameter {${name}:${type}}: type ${type} is not supported (use String, DateTime, Date, (U)Int8-64, Float32/64 or Nullable of one)`);
}

/** A `:name` value as an untyped literal. */
function plainLiteral(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`SQL parameter value ${value} is not a finite number`);
    return String(value);
  }
  return quoteString(value);
}

export interface BoundQuery {
  sql: string;
  /** Values for ClickHouse's own binding (`param_<name>`), when the server has it. */
  queryParams: Record<string, string | number | null>;
}

/**
 * Binds `params` into `sql`. With `native`, `{name:Type}` placeholders stay for the server
 * (a bare DateTime becomes DateTime('UTC'): stored times are UTC) and their values go in
 * `queryParams`; otherwise every placeholder is replaced by a literal here.
 */
export function bindParams(sql: string, params: Params, native: boolean): BoundQuery {
  const queryParams: Record<string, string | number | null> = {};
  let out = '';
  let last = 0;
  for (const p of placeholders(sql)) {
    if (!(p.name in params)) {
      throw new Error(`SQL parameter ${p.type ? `{${p.name}:${p.type}}` : ':' + p.name} is not provided (available: ${Object.keys(params).join(', ')})`);
    }
    const value = params[p.name]!;
    out += sql.slice(last, p.start);
    if (p.type === undefined) out += plainLiteral(value);
    else if (native) {
      typedLiteral(p.name, p.type, value); // the same check of the value as client-side
      out += `{${p.name}:${p.type.replace(/^DateTime$/, "DateTime('UTC')")}}`;
      queryParams[p.name] = value;
    } else out += typedLiteral(p.name, p.type, value);
    last = p.end;
  }
  return { sql: out + sql.slice(last), queryParams };
}

/** Values of each placeholder's type that let a statement be checked without real parameters. */
export function sampleParams(sql: string): Params {
  const params: Params = {};
  for (const p of placeholders(sql)) {
    const t = (p.type ?? 'String').replace(/^Nullable\((.+)\)$/, '$1');
    params[p.name] = t.startsWith('DateTime') ? '2000-01-01 00:00:00' : t === 'Date' ? '2000-01-01' : /Int|Float/.test(t) ? 0 : '2000-01-01 00:00:00';
  }
  return params;
}
