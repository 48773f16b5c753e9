import { createClient, ClickHouseLogLevel } from '@clickhouse/client';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { Params, QueryEngine, Row } from './engine.js';
import { bindParams, sampleParams } from './clickhouse-binding.js';
import type { ClickHouseCredentials, ClickHouseTarget } from './clickhouse-url.js';

/**
 * ClickHouse through the official HTTP client. Checks' SQL is the ClickHouse twin of a check
 * (`checks/clickhouse/<name>.sql`) or the portable SQL itself; parameters are bound by
 * clickhouse-binding.ts, natively where the server can (detected once per connection).
 */

/** Settings every query runs with: numbers as JSON numbers, NULL (not 0) for a LEFT JOIN's misses. */
const QUERY_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 0,
  join_use_nulls: 1,
};

export interface ServerInfo {
  version: string;
  /** Whether the server binds `{name:Type}` parameters itself (19.6 and later). */
  nativeParams: boolean;
}

/** The first error line of a ClickHouse exception, without the server's boilerplate. */
export function clickhouseMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const m = /DB::Exception: ([\s\S]*?)(?:, e\.what\(\) = DB::Exception|\(version [\d.]+|$)/.exec(text);
  return (m ? m[1]! : text).trim().replace(/\s+/g, ' ');
}

export function connectClient(target: ClickHouseTarget, credentials: ClickHouseCredentials, host = target.hosts[0]!, database = target.database): ClickHouseClient {
  return createClient({
    url: host,
    database,
    username: credentials.user,
    password: credentials.password,
    application: 'anomaly-monitoring',
    request_timeout: 600_000,
    clickhouse_settings: QUERY_SETTINGS,
    // The client logs failed requests with their settings by itself; errors reach the user through
    // the CLI instead, once, without anything the client might print.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

export class ClickHouseEngine implements QueryEngine {
  readonly name = 'clickhouse';
  private info: Promise<ServerInfo> | undefined;

  constructor(
    readonly client: ClickHouseClient,
    readonly target: ClickHouseTarget,
  ) {}

  static open(target: ClickHouseTarget, credentials: ClickHouseCredentials): ClickHouseEngine {
    return new ClickHouseEngine(connectClient(target, credentials), target);
  }

  /** Server version and parameter support, asked once per connection. */
  server(): Promise<ServerInfo> {
    this.info ??= (async () => {
      const rows = await this.raw('SELECT version() AS version', {});
      const version = String(rows[0]!.version);
      const [major = 0, minor = 0] = version.split('.').map(Number);
      return { version, nativeParams: major > 19 || (major === 19 && minor >= 6) };
    })();
    return this.info;
  }

  async query(sql: string, params: Params = {}): Promise<Row[]> {
    const { nativeParams } = await this.server();
    const bound = bindParams(sql, params, nativeParams);
    return this.raw(bound.sql, bound.queryParams);
  }

  /** Runs the statement with sample parameters and LIMIT 0: the server parses and analyses it. */
  async validate(sql: string): Promise<void> {
    const { nativeParams } = await this.server();
    const body = sql.replace(/;\s*$/, '');
    const bound = bindParams(`SELECT * FROM (\n${body}\n) LIMIT 0`, sampleParams(body), nativeParams);
    await this.raw(bound.sql, bound.queryParams);
  }

  /** A statement that returns nothing (DDL, INSERT … SELECT). */
  async exec(sql: string, settings: ClickHouseSettings = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, clickhouse_settings: settings });
    } catch (error) {
      throw new Error(clickhouseMessage(error), { cause: error });
    }
  }

  private async raw(sql: string, queryParams: Record<string, unknown>): Promise<Row[]> {
    try {
      // Values bound client-side can make a statement longer than the parser's default 256 KiB.
      const bytes = Buffer.byteLength(sql);
      const result = await this.client.query({
        query: sql,
        format: 'JSONEachRow',
        ...(Object.keys(queryParams).length ? { query_params: queryParams } : {}),
        ...(bytes > 200_000 ? { clickhouse_settings: { ...QUERY_SETTINGS, max_query_size: String(bytes + 65_536) } } : {}),
      });
      return await result.json<Row>();
    } catch (error) {
      throw new Error(clickhouseMessage(error), { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
