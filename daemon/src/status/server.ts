// The status endpoint: HTTP on 127.0.0.1 by default (HTTPS with status.tls-cert). GET / (the
// read-only web dashboard, daemon/web/), GET /mdstat (the cluster-wide view in the kernel's
// /proc/mdstat format), GET /api/v1/status (JSON), GET /metrics (Prometheus), GET /healthz, and
// the websocket /api/v1/watch pushing each cluster change ({type: 'event'}) and the status
// every STATUS_PUSH_INTERVAL_MS ({type: 'status'}). /mdstat and /api/v1/status are
// linearizable reads unless ?stale=1 asks for this node's own view.
// Owns: HTTP parsing limits, routing, access checks (bearer token, websocket Origin) and the
// watcher sockets.
// Invariants: no method changes anything (only GET and HEAD are served; others get 405), so
// the dashboard can never reach a control operation; request heads are bounded
// (STATUS_MAX_REQUEST_BYTES) and a malformed one gets 400 and its socket closed (never left
// half-open); watchers are bounded (STATUS_MAX_WATCHERS) and every socket has
// an error handler; with a token configured every path but /healthz needs it (header
// "Authorization: Bearer T", or the cookie set by /?token=T for browsers); a websocket whose
// Origin is neither this server's own nor allowed is refused with 403; without a token, a
// request naming a non-loopback Host is refused with 421 (DNS rebinding).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { STATUS_BAD_REQUEST_GRACE_MS, STATUS_CLOSE_WAIT_MS, STATUS_MAX_REQUEST_BYTES, STATUS_MAX_WATCHERS, STATUS_PUSH_INTERVAL_MS } from '../common/limits.js';
import type { ClusterEvent } from '../control/protocol.js';
import type { Logger } from '../node/deps.js';
import { Assets } from './assets.js';
import { isLoopbackHost } from '../config/config.js';

export interface StatusServerOptions {
  host: string;
  port: number;
  /** PEM certificate and key: serve HTTPS/WSS instead of HTTP/WS. */
  tls?: { cert: Buffer; key: Buffer } | null;
  /** Bearer token required on every path but /healthz (null: none, loopback only; config.ts). */
  token?: string | null;
  /** Extra origins allowed to open the websocket (the server's own origin always is). */
  allowedOrigins?: readonly string[];
  assets?: Assets;
}

const TOKEN_COOKIE = 'mdclusterd_token';

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
  /** Every open connection (HTTP, upgraded, refused upgrades): close() destroys them. Bound: the OS's. */
  private readonly sockets = new Set<Duplex>();
  private readonly assets: Assets;
  private pushTimer: NodeJS.Timeout | null = null;
  requests = 0;

  constructor(private readonly opts: StatusServerOptions, private readonly src: StatusSource, private readonly logger: Logger) {
    this.assets = opts.assets ?? new Assets();
  }

  get address(): { host: string; port: number } {
    const a = this.server?.address();
    return typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: this.opts.host, port: this.opts.port };
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.onRequest(req, res);
    const tls = this.opts.tls;
    const server: Server = tls
      ? createTlsServer({ maxHeaderSize: STATUS_MAX_REQUEST_BYTES, cert: tls.cert, key: tls.key }, handler)
      : createServer({ maxHeaderSize: STATUS_MAX_REQUEST_BYTES }, handler);
    // A malformed request: 400, then the socket is destroyed once the line is written (or after
    // STATUS_BAD_REQUEST_GRACE_MS). Ending it alone is not enough: Node's HTTP server may have
    // paused it (pipelined answers queued behind a pending one), and a paused socket never reads
    // the client's FIN, so it would stay open for good and close() would never finish.
    server.on('clientError', (_e, sock) => {
      if (!sock.writable) { sock.destroy(); return; }
      const timer = setTimeout(() => sock.destroy(), STATUS_BAD_REQUEST_GRACE_MS);
      timer.unref();
      sock.end('HTTP/1.1 400 Bad Request\r\n\r\n', () => { clearTimeout(timer); sock.destroy(); });
    });
    server.on('error', (e) => this.logger.error({ err: e.message }, 'status server error'));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
    this.wss.on('error', (e) => this.logger.warn({ err: e.message }, 'watch socket server error'));
    server.on('upgrade', (req, sock, head) => this.onUpgrade(req, sock, head));
    server.on('connection', (sock: Duplex) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
    // Progress (sync checkpoints, lease, applied index) moves without events: watchers get the
    // status every STATUS_PUSH_INTERVAL_MS while any are connected.
    this.pushTimer = setInterval(() => this.pushStatus(), STATUS_PUSH_INTERVAL_MS);
    this.pushTimer.unref();
  }

  private pushStatus(): void {
    if (this.watchers.size === 0) return;
    let msg: string;
    try { msg = JSON.stringify({ type: 'status', status: this.src.statusJson() }); } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'status push failed');
      return;
    }
    for (const ws of this.watchers) if (ws.readyState === ws.OPEN && ws.bufferedAmount < STATUS_MAX_REQUEST_BYTES * 64) ws.send(msg);
  }

  /**
   * Stops listening and ends every connection at once: a refused upgrade or a paused socket
   * waits for a FIN its client may never send, and server.close() waits for them all (a daemon
   * stop then never finished: npm run fuzz, status surface, exit 13 after 1M inputs). The wait
   * for the server's close is bounded by STATUS_CLOSE_WAIT_MS and logged if cut short.
   */
  async close(): Promise<void> {
    if (this.pushTimer) clearInterval(this.pushTimer);
    for (const w of this.watchers) w.terminate();
    this.wss?.close();
    const server = this.server;
    if (server === null) return;
    const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
    server.closeAllConnections();
    for (const sock of this.sockets) sock.destroy();
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([closed, new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), STATUS_CLOSE_WAIT_MS); })]);
    clearTimeout(timer);
    if (!done) this.logger.warn({ openSockets: this.sockets.size, waitedMs: STATUS_CLOSE_WAIT_MS }, 'status server: close did not finish; stopping anyway');
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
    if (!this.hostAllowed(req)) {
      this.send(res, 421, 'text/plain; charset=utf-8', 'misdirected request: without a status token only loopback host names are served\n');
      return;
    }
    if (path !== '/healthz' && !this.authorized(req)) {
      // A browser opening /?token=T once gets the token as a cookie (the websocket sends it too).
      const offered = new URLSearchParams(query).get('token');
      if (path === '/' && offered !== null && this.tokenMatches(offered)) {
        res.writeHead(303, { location: '/', 'cache-control': 'no-store', 'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(offered)}; HttpOnly; SameSite=Strict; Path=/${this.opts.tls ? '; Secure' : ''}` });
        res.end();
        return;
      }
      res.setHeader('www-authenticate', 'Bearer realm="mdclusterd"');
      this.send(res, 401, 'text/plain; charset=utf-8', 'unauthorized: send "Authorization: Bearer <status token>" (browsers: open /?token=<status token>)\n');
      return;
    }
    const asset = this.assets.get(path);
    if (asset !== null) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store', 'content-length': asset.body.length, 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'" });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
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

  private tokenMatches(offered: string): boolean {
    const want = this.opts.token;
    if (want === null || want === undefined) return true;
    const a = Buffer.from(offered);
    const b = Buffer.from(want);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** True when no token is configured, or the request carries it (bearer header or cookie). */
  private authorized(req: IncomingMessage): boolean {
    if (this.opts.token === null || this.opts.token === undefined) return true;
    const auth = req.headers.authorization;
    if (auth !== undefined && auth.startsWith('Bearer ')) return this.tokenMatches(auth.slice(7).trim());
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, v = ''] = part.trim().split('=', 2);
      if (k === TOKEN_COOKIE) { try { return this.tokenMatches(decodeURIComponent(v)); } catch { return false; } }
    }
    return false;
  }

  /**
   * DNS rebinding guard: without a token (loopback only, config.ts) the Host header must name a
   * loopback address or the bound host, so a foreign page whose name resolves to 127.0.0.1
   * cannot read the status through the victim's browser. With a token, the token guards.
   */
  private hostAllowed(req: IncomingMessage): boolean {
    if (this.opts.token !== null && this.opts.token !== undefined) return true;
    const host = (req.headers.host ?? '').toLowerCase();
    const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
    return isLoopbackHost(name) || name === this.opts.host.toLowerCase();
  }

  /** No Origin (not a browser), the server's own origin, or one configured in status.allowed-origins. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    const own = `${this.opts.tls ? 'https' : 'http'}://${req.headers.host ?? ''}`;
    return origin.toLowerCase() === own.toLowerCase() || (this.opts.allowedOrigins ?? []).some((o) => o.toLowerCase() === origin.toLowerCase());
  }

  private onUpgrade(req: IncomingMessage, sock: Duplex, head: Buffer): void {
    sock.on('error', () => sock.destroy());
    if (!this.hostAllowed(req)) { sock.end('HTTP/1.1 421 Misdirected Request\r\n\r\n'); return; }
    if (!this.authorized(req)) { sock.end('HTTP/1.1 401 Unauthorized\r\n\r\n'); return; }
    if (!this.originAllowed(req)) {
      this.logger.warn({ origin: req.headers.origin }, 'watch websocket refused: foreign Origin');
      sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
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
