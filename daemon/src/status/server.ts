// The status endpoint: HTTP on 127.0.0.1 by default. GET /mdstat (the cluster-wide view in the
// kernel's /proc/mdstat format), GET /api/v1/status (JSON), GET /metrics (Prometheus),
// GET /healthz, and the websocket /api/v1/watch pushing each cluster change. /mdstat and
// /api/v1/status are linearizable reads unless ?stale=1 asks for this node's own view.
// Owns: HTTP parsing limits, routing and the watcher sockets.
// Invariants: no method changes anything (only GET and HEAD are served; others get 405);
// request heads are bounded (STATUS_MAX_REQUEST_BYTES); watchers are bounded
// (STATUS_MAX_WATCHERS) and every socket has an error handler.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { STATUS_MAX_REQUEST_BYTES, STATUS_MAX_WATCHERS } from '../common/limits.js';
import type { ClusterEvent } from '../control/protocol.js';
import type { Logger } from '../node/deps.js';

export interface StatusSource {
  /**
   * Makes the next read linearizable (ReadIndex through the master: it reflects every change
   * acknowledged before the request), or does nothing for a stale read of this node's view.
   * Rejects when no linearizable read can be had (no master reachable).
   */
  freshen(stale: boolean): Promise<void>;
  statusJson(): unknown;
  mdstatText(): string;
  metricsText(): Promise<string>;
  metricsContentType: string;
  healthy(): { ok: boolean; reason: string };
  subscribe(fn: (e: ClusterEvent) => void): () => void;
}

export class StatusServer {
  private server: Server | null = null;
  private wss: WebSocketServer | null = null;
  private readonly watchers = new Set<WebSocket>();
  requests = 0;

  constructor(private readonly host: string, private readonly port: number, private readonly src: StatusSource, private readonly logger: Logger) {}

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    return typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: this.host, port: this.port };
  }

  async start(): Promise<void> {
    const server = createServer({ maxHeaderSize: STATUS_MAX_REQUEST_BYTES }, (req, res) => void this.onRequest(req, res));
    server.on('clientError', (_e, sock) => { if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'); else sock.destroy(); });
    server.on('error', (e) => this.logger.error({ err: e.message }, 'status server error'));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
    this.wss.on('error', (e) => this.logger.warn({ err: e.message }, 'watch socket server error'));
    server.on('upgrade', (req, sock, head) => this.onUpgrade(req, sock, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.terminate();
    this.wss?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  private send(res: ServerResponse, code: number, type: string, body: string): void {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    res.on('error', () => res.destroy());
    req.on('error', () => req.destroy());
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      this.send(res, 405, 'text/plain; charset=utf-8', 'method not allowed: the status endpoint is read-only\n');
      return;
    }
    const [path, query = ''] = (req.url ?? '/').split('?', 2);
    try {
      switch (path) {
        case '/mdstat': case '/api/v1/status': {
          // Linearizable by default; ?stale=1 reads this node's own (possibly behind) view.
          const stale = new URLSearchParams(query).get('stale') === '1';
          try {
            await this.src.freshen(stale);
          } catch (e) {
            return this.send(res, 503, 'text/plain; charset=utf-8', `mdclusterd: no up-to-date read: ${(e as Error).message} (add ?stale=1 for this node's own view)\n`);
          }
          if (path === '/mdstat') return this.send(res, 200, 'text/plain; charset=utf-8', this.src.mdstatText());
          return this.send(res, 200, 'application/json', JSON.stringify(this.src.statusJson(), null, 2) + '\n');
        }
        case '/metrics': return this.send(res, 200, this.src.metricsContentType, await this.src.metricsText());
        case '/healthz': {
          const h = this.src.healthy();
          return this.send(res, h.ok ? 200 : 503, 'text/plain; charset=utf-8', `${h.ok ? 'ok' : 'unhealthy'}: ${h.reason}\n`);
        }
        default: return this.send(res, 404, 'text/plain; charset=utf-8', `not found: ${path}\n`);
      }
    } catch (e) {
      this.logger.error({ err: (e as Error).stack, path }, 'status request failed');
      this.send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  }

  private onUpgrade(req: IncomingMessage, sock: Duplex, head: Buffer): void {
    sock.on('error', () => sock.destroy());
    if ((req.url ?? '').split('?')[0] !== '/api/v1/watch' || this.watchers.size >= STATUS_MAX_WATCHERS) {
      sock.end(`HTTP/1.1 ${this.watchers.size >= STATUS_MAX_WATCHERS ? '503 Service Unavailable' : '404 Not Found'}\r\n\r\n`);
      return;
    }
    this.wss!.handleUpgrade(req, sock, head, (ws) => {
      this.watchers.add(ws);
      ws.on('error', () => ws.terminate());
      const unsubscribe = this.src.subscribe((e) => {
        if (ws.readyState === ws.OPEN && ws.bufferedAmount < STATUS_MAX_REQUEST_BYTES * 64) ws.send(JSON.stringify({ type: 'event', event: e, status: this.src.statusJson() }));
      });
      ws.on('close', () => { this.watchers.delete(ws); unsubscribe(); });
      ws.on('message', () => { /* the feed is one-way; input is ignored */ });
      ws.send(JSON.stringify({ type: 'hello', status: this.src.statusJson() }));
    });
  }
}
