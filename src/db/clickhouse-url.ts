import { ConfigError } from '../errors.js';

/**
 * `ANOMALY_DB` / `--db` naming a ClickHouse database instead of a SQLite file:
 *
 *   clickhouse://127.0.0.1:8123/anomaly                      one server over HTTP
 *   clickhouses://ch.example.com:8443/anomaly                HTTPS
 *   clickhouse://h1:8123,h2:8123/anomaly?cluster=anomaly     a cluster: every shard's HTTP address,
 *                                                            the first one is queried
 *
 * Credentials never go in the URL (it is printed and logged): CLICKHOUSE_USER / CLICKHOUSE_PASSWORD.
 */
export interface ClickHouseTarget {
  /** http or https base URLs, one per host; the first is the one queries go to. */
  hosts: string[];
  database: string;
  /** Name of the cluster in the servers' `remote_servers`; undefined = one server, no sharding. */
  cluster?: string;
  /** The URL as given (safe to print: it holds no credentials). */
  display: string;
}

export interface ClickHouseCredentials {
  user: string;
  password: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isClickHouseUrl(db: string): boolean {
  return /^clickhouses?:\/\//i.test(db.trim());
}

export function parseClickHouseUrl(text: string): ClickHouseTarget {
  const url = text.trim();
  const m = /^(clickhouses?):\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(url);
  const fail = (problem: string): never => {
    throw new ConfigError(`database URL: ${problem}; expected clickhouse://host:port/database (or clickhouses:// for HTTPS, ?cluster=name with several hosts)`);
  };
  if (!m) return fail('not a ClickHouse URL');
  const [, scheme, authority, path, query] = m;
  if (authority!.includes('@')) {
    // Said without repeating the URL: it holds a password.
    return fail('credentials must not be in the URL (they would be printed and logged); set CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
  }
  const https = scheme!.toLowerCase() === 'clickhouses';
  const hosts = authority!.split(',').map((h) => h.trim());
  if (hosts.some((h) => h === '')) fail('no host');
  const bases = hosts.map((h) => {
    const hm = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
    if (!hm) return fail(`host ${JSON.stringify(h)} is not host or host:port`);
    const port = hm[2] === undefined ? (https ? 8443 : 8123) : Number(hm[2]);
    if (port < 1 || port > 65535) fail(`port ${hm[2]} is out of range`);
    return `${https ? 'https' : 'http'}://${hm[1]}:${port}`;
  });
  const database = decodeURIComponent(path ?? '') || 'default';
  if (!IDENT.test(database)) fail(`database name ${JSON.stringify(database)} must be letters, digits and _`);
  let cluster: string | undefined;
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const [key, value = ''] = pair.split('=').map(decodeURIComponent) as [string, string?];
    if (key === 'cluster') {
      if (!IDENT.test(value)) fail(`cluster name ${JSON.stringify(value)} must be letters, digits and _`);
      cluster = value;
    } else fail(`unknown option ${JSON.stringify(key)} (known: cluster)`);
  }
  if (bases.length > 1 && cluster === undefined) fail('several hosts need ?cluster=<name from remote_servers>');
  return { hosts: bases, database, cluster, display: url };
}

/** CLICKHOUSE_USER (default `default`) and CLICKHOUSE_PASSWORD (default empty). */
export function clickhouseCredentials(env: { CLICKHOUSE_USER?: string; CLICKHOUSE_PASSWORD?: string }): ClickHouseCredentials {
  return { user: env.CLICKHOUSE_USER || 'default', password: env.CLICKHOUSE_PASSWORD ?? '' };
}
