import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { QueryEngine } from './engine.js';
import { ClickHouseEngine } from './clickhouse-engine.js';
import { clickhouseCredentials, isClickHouseUrl, parseClickHouseUrl } from './clickhouse-url.js';
import { SqliteEngine } from './sqlite-engine.js';
import { InputMissingError } from '../errors.js';

/** The credentials part of the environment (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD). */
export interface EngineEnv {
  CLICKHOUSE_USER?: string;
  CLICKHOUSE_PASSWORD?: string;
}

/**
 * The one place that turns `--db` / ANOMALY_DB into an engine: a `clickhouse://` or
 * `clickhouses://` URL is ClickHouse, anything else is a SQLite file that must exist.
 */
export function openEngine(db: string, env: EngineEnv = process.env): QueryEngine {
  if (isClickHouseUrl(db)) return ClickHouseEngine.open(parseClickHouseUrl(db), clickhouseCredentials(env));
  const path = resolve(db);
  if (!existsSync(path)) {
    throw new InputMissingError(`database ${db} not found: load data first with \`anomaly init-db\` (or set --db / ANOMALY_DB)`);
  }
  return SqliteEngine.open(path);
}
