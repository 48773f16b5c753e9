import { UsageError } from '../errors.js';
import { buildDatabase } from '../ingest/build-db.js';
import { clickhouseCredentials, isClickHouseUrl, parseClickHouseUrl } from '../db/clickhouse-url.js';
import type { LoadedFile } from '../ingest/build-db.js';
import { findInputs } from '../ingest/inputs.js';
import type { AbsentTable } from '../ingest/inputs.js';
import { previousRowCounts } from '../ingest/previous-db.js';
import { dayString, isSupportedYear, isValidWallClock, MAX_YEAR, MIN_YEAR } from '../time.js';
import type { CommandContext } from './context.js';

/**
 * `anomaly init-db`: loads every known CSV file of the data directory into a fresh SQLite database
 * and swaps it in atomically. Prints one line per table with its row count.
 */
export async function initDbCommand(ctx: CommandContext, opts: { dataDir?: string; db?: string; date?: string; append?: boolean }): Promise<number> {
  const dataDir = opts.dataDir ?? ctx.env.ANOMALY_DATA_DIR;
  const dbPath = opts.db ?? ctx.env.ANOMALY_DB;
  const tz = ctx.env.ANOMALY_TZ;
  const day = opts.date ?? dayString(ctx.now(), tz);
  if (!isDay(day)) throw new UsageError(`--date ${JSON.stringify(day)} is not a valid date; expected YYYY-MM-DD, e.g. 2023-01-10`);
  if (!isSupportedYear(Number(day.slice(0, 4)))) throw new UsageError(`--date ${JSON.stringify(day)} is outside the supported years ${MIN_YEAR}-${MAX_YEAR}`);

  const { files, warnings, absent } = findInputs(dataDir);
  for (const w of warnings) ctx.err(`warning: ${w}\n`);
  if (opts.append) {
    // Appending never empties a table: a kind without a file here simply has nothing new.
    const { appendCommand } = await import('./init-db-append.js');
    return appendCommand(ctx, { files, dataDir, dbPath, day, tz });
  }
  const before = previousRowCounts(dbPath, absent.map((a) => a.table));
  const started = performance.now();
  const progress = { write: ctx.err, enabled: ctx.interactive };
  const onInterrupt = (signal: NodeJS.Signals, tmp: string) => {
    ctx.err(`anomaly: init-db interrupted by ${signal}; removed ${tmp} and the lock; ${dbPath} was not changed\n`);
    ctx.log.warn({ signal, db: dbPath, tmp }, 'init-db interrupted');
  };
  // The ClickHouse client is imported only for a ClickHouse target: it adds ~50 ms to every SQLite load.
  const { files: loaded, indexMs, removedTemps = [] } = isClickHouseUrl(dbPath)
    ? await (await import('../ingest/build-clickhouse.js')).buildClickHouse({ files, target: parseClickHouseUrl(dbPath), credentials: clickhouseCredentials(ctx.env), day, tz, now: ctx.now, progress })
    : await buildDatabase({ files, dbPath, day, tz, now: ctx.now, progress, onInterrupt });
  for (const t of removedTemps) {
    ctx.err(`warning: removed ${t.path} (${formatBytes(t.bytes)}), left by an earlier init-db that did not finish\n`);
    ctx.log.warn({ path: t.path, bytes: t.bytes }, 'stale init-db temp file removed');
  }
  for (const a of absent) {
    const had = before.get(a.table) ?? 0;
    if (had > 0) ctx.err(`warning: ${a.table} held ${had} ${had === 1 ? 'row' : 'rows'} before and is now empty: no ${a.looked.join(' or ')} in ${dataDir}\n`);
  }
  for (const line of summarize(loaded, absent)) ctx.out(line + '\n');
  const rows = loaded.reduce((sum, f) => sum + f.rows, 0);
  for (const f of loaded) ctx.log.debug({ table: f.table, file: f.relPath, rows: f.rows, bytes: f.bytes, ms: f.ms, phases: f.phases, direct: f.direct }, 'file loaded');
  ctx.log.info({ db: dbPath, dataDir, day, tz, files: loaded.length, rows, indexMs, ms: Math.round(performance.now() - started) }, 'init-db finished');
  return 0;
}

function isDay(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m !== null && isValidWallClock({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: 0, minute: 0, second: 0 });
}

function formatBytes(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${bytes} bytes`;
}

/**
 * One line per table: `checkout_hourly: 48 rows (checkout/a.csv, checkout/b.csv)`; a table with no
 * file is said to be empty: `orders: empty (no orders.csv)`.
 */
export function summarize(loaded: LoadedFile[], absent: AbsentTable[] = []): string[] {
  const byTable = new Map<string, { rows: number; files: string[] }>();
  for (const f of loaded) {
    const entry = byTable.get(f.table) ?? { rows: 0, files: [] };
    entry.rows += f.rows;
    entry.files.push(f.relPath);
    byTable.set(f.table, entry);
  }
  const lines = [...byTable].map(([table, e]) => `${table}: ${e.rows} ${e.rows === 1 ? 'row' : 'rows'} (${e.files.join(', ')})`);
  return lines.concat(absent.map((a) => `${a.table}: empty (no ${a.looked.join(' or ')})`));
}
