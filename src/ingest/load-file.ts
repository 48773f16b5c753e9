import type Database from 'better-sqlite3';
import { DataError } from '../errors.js';
import type { DateParser } from './dates.js';
import type { Convert } from './fields.js';
import { streamRecords } from './read-records.js';
import type { StreamStats } from './read-records.js';
import { expectedHeader } from './tables.js';
import type { TableSpec } from './tables.js';

/**
 * Loads one CSV file into its table: header check, per-field conversion, and inserts in multi-row
 * statements (BATCH_ROWS rows each). A batch that breaks a primary key makes the file be read again
 * to name both lines of the duplicate; that costs a second pass only on the error path.
 */

export interface LoadTarget {
  spec: TableSpec;
  /** Path to open. */
  path: string;
  /** Path shown in messages. */
  display: string;
  /** The file name stem for per-source tables, else null. */
  source: string | null;
}

export interface LoadResult extends StreamStats {
  rows: number;
}

const BATCH_ROWS = 200;

/** Maps a header record to, for each spec column, the index of its field. Throws on any mismatch. */
export function mapHeader(spec: TableSpec, fields: string[], display: string, line: number): number[] {
  const order = new Array<number>(spec.columns.length).fill(-1);
  const expected = expectedHeader(spec);
  fields.forEach((rawName, i) => {
    const name = rawName.replace(/^\uFEFF/, '').trim().toLowerCase();
    const c = spec.columns.findIndex((col) => col.name === name || (col.aliases ?? []).includes(name));
    if (c === -1) {
      throw new DataError({ file: display, line, column: i + 1, value: rawName }, `unknown column ${JSON.stringify(rawName)}; expected header: ${expected}`);
    }
    if (order[c] !== -1) {
      const before = fields[order[c]!]!;
      throw new DataError(
        { file: display, line, column: i + 1, value: rawName },
        `duplicated column ${JSON.stringify(rawName)} (column ${order[c]! + 1} is ${JSON.stringify(before)} already); expected header: ${expected}`,
      );
    }
    order[c] = i;
  });
  const missing = spec.columns.findIndex((_, c) => order[c] === -1);
  if (missing !== -1) {
    const name = spec.columns[missing]!.name;
    throw new DataError({ file: display, line, column: name }, `missing column ${JSON.stringify(name)}; expected header: ${expected}`);
  }
  return order;
}

/** Thrown from inside the insert loop when a batch breaks a primary key. */
class KeyConflict {
  constructor(
    readonly keys: Set<string>,
    readonly firstLine: number,
    readonly lastLine: number,
    readonly cause: unknown,
  ) {}
}

function insertSql(spec: TableSpec, rows: number): string {
  const cols = (spec.perSource ? ['source'] : []).concat(spec.columns.map((c) => c.dbName));
  const tuple = '(' + cols.map(() => '?').join(',') + ')';
  return `INSERT INTO ${spec.table} (${cols.join(',')}) VALUES ` + new Array(rows).fill(tuple).join(',');
}

function isConstraintError(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_CONSTRAINT');
}

export async function loadFile(
  db: Database.Database,
  target: LoadTarget,
  dates: DateParser,
  onProgress?: (bytesRead: number) => void,
): Promise<LoadResult> {
  const { spec, display, source } = target;
  const ncols = spec.columns.length;
  const width = ncols + (source !== null ? 1 : 0);
  const converters: Convert[] = spec.columns.map((c) => c.kind.make(dates));
  const multi = db.prepare(insertSql(spec, BATCH_ROWS));
  const single = db.prepare(insertSql(spec, 1));
  const batch: unknown[] = new Array(BATCH_ROWS * width);
  const lines = new Array<number>(BATCH_ROWS);
  const keyIndexes = spec.key.map((k) => (source !== null ? ['source'] : []).concat(spec.columns.map((c) => c.dbName)).indexOf(k));
  let inBatch = 0;
  let k = 0;
  let rows = 0;
  let order: number[] | undefined;
  let header: string[] = [];

  const conflict = (from: number, to: number, error: unknown): KeyConflict => {
    const keys = new Set<string>();
    for (let r = from; r < to; r++) keys.add(keyIndexes.map((i) => String(batch[r * width + i])).join('\u0000'));
    return new KeyConflict(keys, lines[from]!, lines[to - 1]!, error);
  };
  const flushFull = () => {
    try {
      multi.run(batch);
    } catch (error) {
      if (isConstraintError(error)) throw conflict(0, BATCH_ROWS, error);
      throw error;
    }
    inBatch = 0;
    k = 0;
  };
  const flushTail = () => {
    for (let r = 0; r < inBatch; r++) {
      try {
        single.run(batch.slice(r * width, (r + 1) * width));
      } catch (error) {
        if (isConstraintError(error)) throw conflict(r, r + 1, error);
        throw error;
      }
    }
    inBatch = 0;
    k = 0;
  };

  let stats: StreamStats;
  let parserNames: ((names: string[]) => void) | undefined;
  try {
    stats = await streamRecords(target.path, {
      display,
      onProgress,
      parserRef: (p) => (parserNames = (names) => (p.columnNames = names)),
      onRecord: (fields, line, fieldLines) => {
        if (order === undefined) {
          order = mapHeader(spec, fields, display, line);
          header = fields;
          parserNames?.(fields);
          return;
        }
        if (fields.length !== ncols) throw fieldCountError(display, line, header, fields);
        if (source !== null) batch[k++] = source;
        for (let c = 0; c < ncols; c++) {
          const f = order[c]!;
          const raw = fields[f]!;
          const v = converters[c]!(raw);
          if (v === undefined) {
            throw new DataError({ file: display, line: fieldLines?.[f] ?? line, column: header[f]!, value: raw }, spec.columns[c]!.kind.explain(raw));
          }
          batch[k++] = v;
        }
        lines[inBatch++] = line;
        rows++;
        if (inBatch === BATCH_ROWS) flushFull();
      },
    });
    if (order === undefined) {
      throw new DataError({ file: display, line: 1 }, `empty file: expected a header line: ${expectedHeader(spec)}`);
    }
    flushTail();
  } catch (error) {
    if (error instanceof KeyConflict) throw await describeDuplicate(target, dates, error);
    throw error;
  }
  return { ...stats, rows };
}

function fieldCountError(display: string, line: number, header: string[], fields: string[]): DataError {
  const n = header.length;
  const column = fields.length > n ? n + 1 : header[fields.length]!;
  const value = fields.length > n ? fields.slice(n).join(',') : fields.join(',');
  return new DataError(
    { file: display, line, column, value },
    `wrong number of fields: expected ${n} (${header.join(',')}), found ${fields.length}`,
  );
}

/** Reads the file again to find the first repeat of one of the conflicting keys, and its first line. */
async function describeDuplicate(target: LoadTarget, dates: DateParser, conflict: KeyConflict): Promise<DataError> {
  const { spec, source, display } = target;
  const converters = spec.columns.map((c) => c.kind.make(dates));
  const firstSeen = new Map<string, number>();
  let order: number[] | undefined;
  let header: string[] = [];
  const keyCols = spec.key.map((name) => (name === 'source' ? -1 : spec.columns.findIndex((c) => c.dbName === name)));
  let found: DataError | undefined;
  const stop = new Error('found');
  try {
    await streamRecords(target.path, {
      display,
      onRecord: (fields, line) => {
        if (order === undefined) {
          order = mapHeader(spec, fields, display, line);
          header = fields;
          return;
        }
        const key = keyCols.map((c) => (c === -1 ? String(source) : String(converters[c]!(fields[order![c]!]!)))).join('\u0000');
        if (!conflict.keys.has(key)) return;
        const first = firstSeen.get(key);
        if (first === undefined) {
          firstSeen.set(key, line);
          return;
        }
        const shown = keyCols.filter((c) => c !== -1);
        const column = shown.map((c) => header[order![c]!]).join(', ');
        const value = shown.map((c) => fields[order![c]!]).join(', ');
        found = new DataError(
          { file: display, line, column, value },
          `duplicate ${spec.key.join(', ')}: the same key is already on line ${first}; each key must appear once`,
        );
        throw stop;
      },
    });
  } catch (error) {
    if (error !== stop) throw error;
  }
  return (
    found ??
    new DataError(
      { file: display, line: conflict.firstLine },
      `rows on lines ${conflict.firstLine}-${conflict.lastLine} break the ${spec.table} primary key (${spec.key.join(', ')}): ${String((conflict.cause as Error).message)}`,
    )
  );
}
