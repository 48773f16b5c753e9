import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkTypes } from './registry.js';
import type { CheckDefinition, CheckType } from './check-type.js';
import { loadChecksFile, selectChecks } from '../config/checks-file.js';
import { SqliteEngine, parameterNames } from '../db/sqlite-engine.js';
import type { QueryEngine } from '../db/engine.js';
import { ConfigError, InputMissingError } from '../errors.js';

export interface PreparedChecks {
  engine: QueryEngine;
  checks: CheckDefinition[];
  all: CheckDefinition[];
  types: ReadonlyMap<string, CheckType<unknown>>;
  configPath: string;
  dbPath: string;
}

/**
 * Loads the checks file, opens the data database and makes sure every selected check's SQL
 * prepares against it — a typo in SQL is a configuration error (78) before anything runs.
 */
export async function prepareChecks(opts: { config: string; db: string; only?: string }): Promise<PreparedChecks> {
  const types = checkTypes();
  const configPath = resolve(opts.config);
  const file = loadChecksFile(configPath, types);
  const checks = selectChecks(file.checks, opts.only);
  const dbPath = resolve(opts.db);
  if (!existsSync(dbPath)) {
    throw new InputMissingError(`database ${opts.db} not found: load data first with \`anomaly init-db\` (or set --db / ANOMALY_DB)`);
  }
  const engine = SqliteEngine.open(dbPath);
  for (const check of checks) {
    const key = check.sqlSource.includes('inline sql') ? 'sql' : `sql_file (${check.sqlSource})`;
    const provided = types.get(check.type)!.sqlParameters;
    const unknown = parameterNames(check.sql).filter((n) => !provided.includes(n));
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
      throw new ConfigError(`${opts.config}: check "${check.name}": ${key}: the SQL does not prepare against ${opts.db}: ${(error as Error).message}`);
    }
  }
  return { engine, checks, all: file.checks, types, configPath, dbPath };
}
