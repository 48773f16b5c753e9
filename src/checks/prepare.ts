import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkTypes } from './registry.js';
import type { CheckDefinition, CheckType } from './check-type.js';
import { freshnessSql, sourcesOf } from './freshness.js';
import { loadChecksFile, selectChecks } from '../config/checks-file.js';
import { parameterNames } from '../db/sqlite-engine.js';
import { clickhouseParameterNames } from '../db/clickhouse-binding.js';
import type { QueryEngine } from '../db/engine.js';
import { openEngine } from '../db/open-engine.js';
import type { EngineEnv } from '../db/open-engine.js';
import { isClickHouseUrl } from '../db/clickhouse-url.js';
import { ClickHouseEngine } from '../db/clickhouse-engine.js';
import { ConfigError, InputMissingError, IoError } from '../errors.js';

export interface PreparedChecks {
  engine: QueryEngine;
  checks: CheckDefinition[];
  all: CheckDefinition[];
  types: ReadonlyMap<string, CheckType<unknown>>;
  configPath: string;
  dbPath: string;
  /** `defaults.retention` of the checks file (ms). */
  retentionMs: number;
}

/**
 * Loads the checks file, opens the data database and makes sure every selected check's SQL
 * prepares against it — a typo in SQL is a configuration error (78) before anything runs.
 */
export async function prepareChecks(opts: { config: string; db: string; only?: string; env?: EngineEnv }): Promise<PreparedChecks> {
  const types = checkTypes();
  const configPath = resolve(opts.config);
  const file = loadChecksFile(configPath, types);
  const dbPath = isClickHouseUrl(opts.db) ? opts.db : resolve(opts.db);
  const selected = new Set(selectChecks(file.checks, opts.only));
  const engine = openEngine(opts.db, opts.env);
  if (engine instanceof ClickHouseEngine) await reachable(engine);
  const all = file.checks.map((c) => forEngine(c, engine.name));
  const checks = all.filter((_, i) => selected.has(file.checks[i]!));
  for (const check of checks) {
    const key = check.sqlSource.includes('inline sql') ? 'sql' : `sql_file (${check.sqlSource})`;
    const provided = types.get(check.type)!.sqlParameters;
    const unknown = sqlParameterNames(check.sql, engine.name).filter((n) => !provided.includes(n));
    if (unknown.length) {
      await engine.close();
      throw new ConfigError(
        `${opts.config}: check "${check.name}": ${key}: uses ${unknown.map((n) => ':' + n).join(', ')}, which a ${check.type} check does not provide (it provides ${provided.map((n) => ':' + n).join(', ')})`,
      );
    }
    try {
      await engine.validate(check.sql);
    } catch (error) {
      await engine.close();
      if (error instanceof IoError) throw error; // the database file itself is damaged, not the SQL
      throw new ConfigError(`${opts.config}: check "${check.name}": ${key}: the SQL does not prepare against ${opts.db}: ${(error as Error).message}`);
    }
    for (const source of sourcesOf(check)) {
      try {
        await engine.validate(freshnessSql(source, engine.name));
      } catch (error) {
        await engine.close();
        throw new ConfigError(
          `${opts.config}: check "${check.name}": source: ${source.table}.${source.time_column} cannot be read from ${opts.db}: ${(error as Error).message}`,
        );
      }
    }
  }
  return { engine, checks, all, types, configPath, dbPath, retentionMs: file.retentionMs };
}

/**
 * The check as an engine runs it: a check read from `checks/<name>.sql` uses its dialect twin
 * `checks/<engine>/<name>.sql` when there is one (SQLite, the default dialect, has none).
 * Inline SQL and files without a twin run as written, so they must be portable.
 */
export function forEngine<C extends CheckDefinition>(check: C, engineName: string): C {
  if (engineName === 'sqlite' || check.sqlSource.includes('inline sql')) return check;
  const original = resolve(check.sqlSource);
  const twin = join(dirname(original), engineName, basename(original));
  if (!existsSync(twin)) return check;
  return { ...check, sql: readFileSync(twin, 'utf8'), sqlSource: join(dirname(check.sqlSource), engineName, basename(check.sqlSource)) };
}

/** Parameter names in an engine's SQL (ClickHouse also reads typed `{name:Type}` placeholders). */
export function sqlParameterNames(sql: string, engineName: string): string[] {
  return engineName === 'clickhouse' ? clickhouseParameterNames(sql) : parameterNames(sql);
}

/** A server that cannot be reached is missing input (66), not a configuration error in the SQL. */
async function reachable(engine: ClickHouseEngine): Promise<void> {
  try {
    await engine.server();
  } catch (error) {
    await engine.close();
    throw new InputMissingError(`cannot reach ClickHouse at ${engine.target.display}: ${(error as Error).message}`);
  }
}
