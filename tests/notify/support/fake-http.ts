/**
 * Shared plumbing for the fake Slack and Google servers: a real HTTP server on 127.0.0.1 that can
 * be stopped and restarted on the same port (to simulate "connection refused"), a request log and
 * per-route fault injection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface RecordedRequest {
  route: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type Handler = (req: IncomingMessage, body: Buffer) => Promise<Reply> | Reply;
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** Drop the connection instead of answering (the client sees a reset / socket hang up). */
  destroy?: boolean;
}

export class FaultQueue<F> {
  private readonly pending = new Map<string, F[]>();

  add(route: string, fault: F, times: number): void {
    const list = this.pending.get(route) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.pending.set(route, list);
  }

  /** The next fault for this route, consumed. */
  take(route: string): F | undefined {
    const list = this.pending.get(route);
    return list?.shift();
  }
}

export class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(
    private readonly routeOf: (req: IncomingMessage) => string,
    private readonly handle: Handler,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port !== 0) {
      this.server = await this.listen(this.port);
      return;
    }
    // A port below the kernel's ephemeral range: restart() must get the same port back after a
    // "refused" spell, and an ephemeral port can meanwhile become the local end of some other
    // process's outgoing connection (seen once in CI: EADDRINUSE on restart). A port another
    // listener holds is simply skipped here.
    const below = ephemeralLow();
    for (let attempt = 0; ; attempt++) {
      const port = below - 1 - Math.floor(Math.random() * Math.min(12_000, below - 1025));
      try {
        this.server = await this.listen(port);
        this.port = port;
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 50) throw error;
      }
    }
  }

  private async listen(port: number): Promise<Server> {
    const server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return server;
  }

  /** Closes the listener and every open connection: clients now get ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    if (this.server) return;
    await this.start();
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The client went away (killed, timed out) before its request arrived whole: like a real
      // server, nothing of it takes effect.
      return;
    }
    const body = Buffer.concat(chunks);
    const route = this.routeOf(req);
    this.requests.push({
      route,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { ...req.headers },
      body: body.toString('utf8'),
    });
    try {
      const reply = await this.handle(req, body);
      if (res.destroyed) return;
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = { ...reply.headers };
      let payload = reply.text ?? '';
      if (reply.json !== undefined) {
        headers['content-type'] = 'application/json; charset=utf-8';
        payload = JSON.stringify(reply.json);
      }
      res.writeHead(reply.status, headers);
      res.end(payload);
    } catch (err) {
      if (res.destroyed) return;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake server error: ${(err as Error).message}`);
    }
  }
}

/** Waits `ms`, resolving early (with false) if the client gave up on the request meanwhile. */
export function waitUnlessAborted(req: IncomingMessage, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    req.socket.once('close', onClose);
  });
}

/** The first port of the kernel's ephemeral range (where listen(0) and outgoing connections take ports). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // Not Linux: the IANA dynamic range starts here.
  }
  return 49152;
}
