// The control socket server used by mdctl: a unix socket (mode 0600), versioned JSON requests,
// one per line. Owns: request validation, dispatch to the node, and error replies with stable
// codes. Invariants: nothing a client sends can crash the daemon (every line is size-bounded
// and validated; every socket has an error handler); connections are bounded; a request gets
// exactly one reply line (a subscription then streams event lines).
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { OpError, isErrorCode } from '../common/errors.js';
import { CONTROL_MAX_CONNECTIONS, CONTROL_MAX_LINE_BYTES } from '../common/limits.js';
import type { Logger } from '../node/deps.js';
import { CONTROL_PROTOCOL_VERSION, type ControlResponse } from './protocol.js';

export type Handler = (req: Record<string, unknown> & { type: string; id: number }, conn: ControlConnection) => Promise<unknown>;

export interface ControlConnection {
  /** Sends an unsolicited line (subscription events). Returns false once closed. */
  push(resp: ControlResponse): boolean;
  onClose(fn: () => void): void;
}

export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  requests = 0;
  badRequests = 0;

  constructor(private readonly path: string, private readonly handler: Handler, private readonly logger: Logger) {}

  async start(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    if (existsSync(this.path)) unlinkSync(this.path); // a stale socket from a crashed run
    const server = createServer((s) => this.onConnection(s));
    server.maxConnections = CONTROL_MAX_CONNECTIONS;
    server.on('error', (e) => this.logger.error({ err: e.message }, 'control socket error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => { server.off('error', reject); resolve(); });
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  private onConnection(sock: Socket): void {
    this.sockets.add(sock);
    let buf = '';
    let closed = false;
    const closers: (() => void)[] = [];
    const conn: ControlConnection = {
      push: (resp) => {
        if (closed) return false;
        sock.write(JSON.stringify(resp) + '\n');
        return true;
      },
      onClose: (fn) => closers.push(fn),
    };
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      closed = true;
      this.sockets.delete(sock);
      for (const fn of closers) fn();
    });
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) void this.onLine(line, conn);
      }
      if (Buffer.byteLength(buf) > CONTROL_MAX_LINE_BYTES) {
        this.badRequests++;
        conn.push(errorReply(0, new OpError('E_TOO_LARGE', `request line longer than ${CONTROL_MAX_LINE_BYTES} bytes`)));
        sock.end();
        buf = '';
      }
    });
  }

  private async onLine(line: string, conn: ControlConnection): Promise<void> {
    this.requests++;
    let req: unknown;
    try { req = JSON.parse(line); } catch {
      this.badRequests++;
      conn.push(errorReply(0, new OpError('E_BAD_REQUEST', 'the request is not JSON')));
      return;
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      this.badRequests++;
      conn.push(errorReply(0, new OpError('E_BAD_REQUEST', 'the request is not a JSON object')));
      return;
    }
    const r = req as Record<string, unknown>;
    const id = typeof r.id === 'number' && Number.isSafeInteger(r.id) ? r.id : 0;
    if (r.v !== CONTROL_PROTOCOL_VERSION) {
      this.badRequests++;
      conn.push(errorReply(id, new OpError('E_UNSUPPORTED_VERSION', `protocol version ${String(r.v)} is not supported (this daemon speaks ${CONTROL_PROTOCOL_VERSION})`)));
      return;
    }
    if (typeof r.type !== 'string') {
      this.badRequests++;
      conn.push(errorReply(id, new OpError('E_BAD_REQUEST', 'the request has no type')));
      return;
    }
    try {
      const result = await this.handler({ ...r, type: r.type, id }, conn);
      conn.push({ v: 1, id, ok: true, result });
    } catch (e) {
      if (!(e instanceof OpError)) this.logger.error({ err: (e as Error).stack }, 'control request failed unexpectedly');
      conn.push(errorReply(id, e));
    }
  }
}

export function errorReply(id: number, e: unknown): ControlResponse {
  if (e instanceof OpError && isErrorCode(e.code)) return { v: 1, id, ok: false, error: { code: e.code, message: e.message, details: { ...e.details } } };
  return { v: 1, id, ok: false, error: { code: 'E_INTERNAL', message: (e as Error)?.message ?? String(e) } };
}
