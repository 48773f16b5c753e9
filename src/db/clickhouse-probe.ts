import { ClickHouseEngine } from './clickhouse-engine.js';
import { DATA_TABLES } from './clickhouse-layout.js';
import { clickhouseCredentials, parseClickHouseUrl } from './clickhouse-url.js';
import type { EngineEnv } from './open-engine.js';

/** A doctor line (the shape of notify/probe.ts's ProbeLine, kept local: db does not import notify). */
export interface DbProbeLine {
  ok: boolean;
  what: string;
  detail: string;
  fix?: string;
}

/**
 * `anomaly doctor` on a clickhouse:// database: the connection, the server version (and so how
 * parameters are bound), and the tables init-db makes with the rows it loaded. Returns the engine
 * when the server answers, so the caller can prepare every check's SQL on it.
 */
export async function probeClickHouse(url: string, env: EngineEnv): Promise<{ lines: DbProbeLine[]; engine?: ClickHouseEngine }> {
  const target = parseClickHouseUrl(url);
  const engine = ClickHouseEngine.open(target, clickhouseCredentials(env));
  let version: string;
  let native: boolean;
  try {
    ({ version, nativeParams: native } = await engine.server());
  } catch (error) {
    await engine.close();
    return {
      lines: [
        {
          ok: false,
          what: 'database',
          detail: `cannot reach ClickHouse at ${target.display}: ${(error as Error).message}`,
          fix: 'start the server, check host and port, and CLICKHOUSE_USER / CLICKHOUSE_PASSWORD',
        },
      ],
    };
  }
  const lines: DbProbeLine[] = [
    { ok: true, what: 'ClickHouse', detail: `${target.display}: server ${version}, parameters bound ${native ? 'by the server' : 'client-side (server before 19.6)'}${target.cluster ? `, cluster ${target.cluster} of ${target.hosts.length} shards` : ''}` },
  ];
  const present = new Set(
    (await engine.query(`SELECT name FROM system.tables WHERE database = {db:String}`, { db: target.database })).map((r) => String(r.name)),
  );
  const missing = [...DATA_TABLES, 'loads'].filter((t) => !present.has(t));
  if (missing.length) {
    lines.push({ ok: false, what: 'database schema', detail: `missing tables in ${target.database}: ${missing.join(', ')}`, fix: `load it with \`anomaly init-db --db ${target.display}\`` });
  } else {
    const loads = await engine.query(`SELECT table_name, sum(rows) AS rows FROM ${target.database}.loads GROUP BY table_name ORDER BY table_name`);
    lines.push({ ok: true, what: 'database', detail: `${target.display}: ${loads.map((l) => `${String(l.table_name)} ${String(l.rows)}`).join(', ') || 'no data loaded'}` });
  }
  return { lines, engine };
}
