/**
 * Throwaway ClickHouse servers on 127.0.0.1 for the tests and `npm run bench -- --engine clickhouse`:
 * `clickhouse-server --config-file=…` processes (never a system service) on free ports, each with its
 * own temporary data folder, all sharing one `remote_servers` cluster with one shard per server.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVER_BINARY = 'clickhouse-server';

export interface LocalServer {
  http: number;
  tcp: number;
  dir: string;
  process: ChildProcess;
}

export interface LocalCluster {
  servers: LocalServer[];
  /** The remote_servers name every server knows. */
  cluster: string;
  /** `clickhouse://127.0.0.1:<http>/<database>`: the first server alone, plain MergeTree tables. */
  singleUrl(database: string): string;
  /** Every server as one shard of the cluster: MergeTree per shard, Distributed over them. */
  clusterUrl(database: string): string;
  stop(): Promise<void>;
}

/** True when clickhouse-server can be started here. */
export function clickhouseAvailable(): boolean {
  return !spawnSync(SERVER_BINARY, ['--help'], { stdio: 'ignore' }).error;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function config(dir: string, ports: { http: number; tcp: number; interserver: number }, shards: { tcp: number }[], cluster: string): string {
  const shardXml = shards.map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcp}</port></replica></shard>`).join('');
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${dir}/server.log</log><errorlog>${dir}/server.err.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <interserver_http_port>${ports.interserver}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
  </users>
  <profiles><default></default></profiles>
  <quotas><default></default></quotas>
  <remote_servers><${cluster}>${shardXml}</${cluster}></remote_servers>
</yandex>
`;
}

async function waitReady(server: LocalServer, deadline: number): Promise<void> {
  for (;;) {
    if (server.process.exitCode !== null) throw new Error(`clickhouse-server exited with code ${server.process.exitCode} (see ${server.dir}/server.err.log)`);
    try {
      const res = await fetch(`http://127.0.0.1:${server.http}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`clickhouse-server on port ${server.http} did not answer /ping in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopServer(server: LocalServer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      rmSync(server.dir, { recursive: true, force: true });
      resolve();
    };
    if (server.process.exitCode !== null || server.process.signalCode !== null) return done();
    const killer = setTimeout(() => server.process.kill('SIGKILL'), 10_000);
    server.process.once('exit', () => {
      clearTimeout(killer);
      done();
    });
    server.process.kill('SIGTERM');
  });
}

/** Starts `shards` servers (default 2) and waits until each answers /ping, at most `timeoutMs`. */
export async function startCluster(opts: { shards?: number; timeoutMs?: number; cluster?: string } = {}): Promise<LocalCluster> {
  const shards = opts.shards ?? 2;
  const cluster = opts.cluster ?? 'anomaly_local';
  const ports: { http: number; tcp: number; interserver: number }[] = [];
  for (let i = 0; i < shards; i++) ports.push({ http: await freePort(), tcp: await freePort(), interserver: await freePort() });
  const servers: LocalServer[] = ports.map((p) => {
    const dir = mkdtempSync(join(tmpdir(), 'anomaly-clickhouse-'));
    writeFileSync(join(dir, 'config.xml'), config(dir, p, ports, cluster));
    const child = spawn(SERVER_BINARY, [`--config-file=${join(dir, 'config.xml')}`], { cwd: dir, stdio: 'ignore' });
    child.on('error', () => {});
    return { http: p.http, tcp: p.tcp, dir, process: child };
  });
  const stop = async () => {
    await Promise.all(servers.map(stopServer));
  };
  try {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (const s of servers) await waitReady(s, deadline);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    servers,
    cluster,
    singleUrl: (db) => `clickhouse://127.0.0.1:${servers[0]!.http}/${db}`,
    clusterUrl: (db) => `clickhouse://${servers.map((s) => `127.0.0.1:${s.http}`).join(',')}/${db}?cluster=${cluster}`,
    stop,
  };
}
