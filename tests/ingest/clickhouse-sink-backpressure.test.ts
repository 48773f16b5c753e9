import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterEach, expect, it } from 'vitest';
import { ClickHouseSink } from '../../src/ingest/clickhouse-sink.js';
import { TRANSACTIONS } from '../../src/ingest/tables.js';

/**
 * A server slower than the parser must slow the parser down, not let the INSERT body pile up in
 * memory: the sink reports a backlog while its body waits to drain, and clears it once the server
 * reads again. The "server" is a local HTTP endpoint that stops reading the request body.
 */

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function stalledServer(): Promise<{ url: string; resume: () => void; received: () => number }> {
  let bytes = 0;
  const stalled: { req: IncomingMessage; res: ServerResponse }[] = [];
  const server = createServer((req, res) => {
    req.pause();
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.end());
    req.on('error', () => {});
    stalled.push({ req, res });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, resume: () => stalled.forEach((s) => s.req.resume()), received: () => bytes };
}

it('reports a backlog while the server does not read, and clears it when the server reads again', async () => {
  const server = await stalledServer();
  const client = createClient({ url: server.url, compression: { request: false, response: false }, log: { level: ClickHouseLogLevel.OFF } });
  closers.push(() => client.close());
  const sink = new ClickHouseSink(TRANSACTIONS, 'transactions.csv', { targets: [{ client, table: 't' }], keysTable: { client, table: 't' } });
  expect(sink.backlog()).toBeUndefined();

  // The parser's loop: 20,000 rows a batch (about 0.6 MB of RowBinary), the next batch only once
  // the backlog has cleared. Against a server that reads nothing, it must come to a stop once the
  // socket buffers are full (a backlog still pending after a bounded wait), a few MB in.
  const rows = 20_000;
  const lines = Int32Array.from({ length: rows }, (_, i) => i + 2);
  let batches = 0;
  let stuck: Promise<void> | undefined;
  while (stuck === undefined && batches < 200) {
    const values: unknown[] = [];
    for (let r = 0; r < rows; r++) values.push(batches * rows + r + 1, '2026-11-20 12:00:00', 0, 7, 0);
    sink.insert(values, rows, lines, 0);
    batches++;
    const backlog = sink.backlog();
    if (backlog === undefined) continue;
    const outcome = await Promise.race([backlog.then(() => 'drained'), new Promise((resolve) => setTimeout(resolve, 300, 'pending'))]);
    if (outcome === 'pending') stuck = backlog;
  }
  expect(stuck, 'the sink never held the parser back').toBeDefined();
  expect(batches).toBeLessThan(60);
  expect(server.received()).toBe(0);

  server.resume();
  await stuck;
  // Drained by the server reading, not ended by a failed request.
  expect((sink as unknown as { failure: unknown }).failure).toBeUndefined();
  sink.abort();
});
