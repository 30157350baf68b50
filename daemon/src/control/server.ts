// The control socket server used by mdctl: a unix socket (mode 0600), versioned JSON requests,
// one per line. Owns: request framing and validation, dispatch to the node, error replies with
// stable codes, and the memory a connection may cost.
// Invariants:
// - Nothing a client sends can crash the daemon: every socket has an error handler and every
//   request is validated.
// - One size limit for every framing: a request whose line (without its LF or CRLF) is longer
//   than CONTROL_MAX_LINE_BYTES gets E_TOO_LARGE and the connection is closed, whether the line
//   came in one write, many writes, or among other lines, and as soon as the unterminated part
//   alone exceeds the limit (the server never buffers more than one limit plus one read).
// - Backpressure: a connection is not read while it has CONTROL_MAX_INFLIGHT_PER_CONNECTION
//   requests being served or CONTROL_PAUSE_UNSENT_BYTES of replies the kernel has not taken;
//   past CONTROL_MAX_UNSENT_BYTES (replies of requests already in flight, subscription events)
//   it is closed. A client that never reads costs bounded memory.
// - At most CONTROL_MAX_CONNECTIONS connections are served; the next ones get one E_BUSY line
//   and are closed (at most CONTROL_MAX_BUSY_CONNECTIONS held, each CONTROL_BUSY_GRACE_MS).
// - A request gets exactly one reply line (a subscription then streams event lines).
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { OpError, isErrorCode } from '../common/errors.js';
import {
  CONTROL_BUSY_GRACE_MS, CONTROL_LISTEN_BACKLOG, CONTROL_MAX_BUSY_CONNECTIONS, CONTROL_MAX_CONNECTIONS,
  CONTROL_MAX_INFLIGHT_PER_CONNECTION, CONTROL_MAX_LINE_BYTES, CONTROL_MAX_UNSENT_BYTES, CONTROL_PAUSE_UNSENT_BYTES,
} from '../common/limits.js';
import type { Logger } from '../node/deps.js';
import { CONTROL_PROTOCOL_VERSION, type ControlResponse } from './protocol.js';

export type Handler = (req: Record<string, unknown> & { type: string; id: number }, conn: ControlConnection) => Promise<unknown>;

export interface ControlConnection {
  /** Sends an unsolicited line (subscription events). Returns false once closed. */
  push(resp: ControlResponse): boolean;
  onClose(fn: () => void): void;
}

/** Counters of the control server (totals since start). */
export interface ControlStats {
  requests: number;
  badRequests: number;
  /** Connections refused with E_BUSY (or closed silently past the busy bound). */
  busyRefused: number;
  /** Requests refused with E_TOO_LARGE (their connection closed). */
  tooLarge: number;
  /** Connections closed for holding more than CONTROL_MAX_UNSENT_BYTES of unread replies. */
  closedUnread: number;
  /** Times a connection stopped being read for backpressure. */
  pauses: number;
  /** Connections served right now. */
  connections: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Length of a line without a trailing CR (CRLF framing counts the same as LF framing). */
function contentLength(b: Buffer, end: number): number {
  return end > 0 && b[end - 1] === CR ? end - 1 : end;
}

export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private busySockets = 0;
  requests = 0;
  badRequests = 0;
  private busyRefused = 0;
  private tooLarge = 0;
  private closedUnread = 0;
  private pauses = 0;
  /** Monotonic ms of the last "busy" warning (one per CONTROL_BUSY_GRACE_MS at most). */
  private lastBusyLogMs = -Infinity;

  constructor(private readonly path: string, private readonly handler: Handler, private readonly logger: Logger) {}

  async start(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    if (existsSync(this.path)) unlinkSync(this.path); // a stale socket from a crashed run
    // allowHalfOpen: a client that sends its requests and then shuts down its sending side
    // (nc -N, a script) still gets every reply; the connection ends after the last one.
    const server = createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    server.maxConnections = CONTROL_MAX_CONNECTIONS + CONTROL_MAX_BUSY_CONNECTIONS;
    server.on('error', (e) => this.logger.error({ err: e.message }, 'control socket error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: this.path, backlog: CONTROL_LISTEN_BACKLOG }, () => { server.off('error', reject); resolve(); });
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  stats(): ControlStats {
    return { requests: this.requests, badRequests: this.badRequests, busyRefused: this.busyRefused, tooLarge: this.tooLarge,
      closedUnread: this.closedUnread, pauses: this.pauses, connections: this.sockets.size };
  }

  /** Past CONTROL_MAX_CONNECTIONS: one E_BUSY line, then closed. */
  private refuseBusy(sock: Socket): void {
    sock.on('error', () => {});
    this.busyRefused++;
    const now = performance.now();
    if (now - this.lastBusyLogMs >= CONTROL_BUSY_GRACE_MS) {
      this.lastBusyLogMs = now;
      this.logger.warn({ code: 'E_BUSY', connections: this.sockets.size, busyRefused: this.busyRefused }, 'control socket busy: refusing connections');
    }
    if (this.busySockets >= CONTROL_MAX_BUSY_CONNECTIONS) {
      sock.destroy();
      return;
    }
    this.busySockets++;
    const timer = setTimeout(() => sock.destroy(), CONTROL_BUSY_GRACE_MS);
    sock.once('close', () => { this.busySockets--; clearTimeout(timer); });
    // Read and drop what the client sends: closing a unix socket with unread data makes the
    // client's next read fail with ECONNRESET, possibly before it reads the E_BUSY line.
    sock.on('data', () => {});
    sock.end(JSON.stringify(errorReply(0, new OpError('E_BUSY', `the daemon is serving ${CONTROL_MAX_CONNECTIONS} control connections; retry later`, { maxConnections: CONTROL_MAX_CONNECTIONS }))) + '\n');
  }

  private onConnection(sock: Socket): void {
    if (this.sockets.size >= CONTROL_MAX_CONNECTIONS) {
      this.refuseBusy(sock);
      return;
    }
    this.sockets.add(sock);
    /** Bytes received and not yet dispatched. Invariant: no complete line is left here while dispatch is allowed. */
    let buf: Buffer = Buffer.alloc(0);
    /** Bytes of buf already scanned for LF (none found). */
    let scanned = 0;
    let inFlight = 0;
    let closed = false;
    let paused = false;
    /** The client ended its side: end ours once every request it sent is answered. */
    let ended = false;
    const finishIfDone = (): void => {
      if (ended && !closed && inFlight === 0 && buf.indexOf(LF) < 0) sock.end();
    };
    const closers: (() => void)[] = [];
    const conn: ControlConnection = {
      push: (resp) => {
        if (closed) return false;
        sock.write(JSON.stringify(resp) + '\n');
        if (sock.writableLength > CONTROL_MAX_UNSENT_BYTES) {
          this.closedUnread++;
          this.logger.warn({ code: 'E_TOO_LARGE', unsentBytes: sock.writableLength, maxBytes: CONTROL_MAX_UNSENT_BYTES }, 'control client does not read its replies; closing');
          closed = true;
          sock.destroy();
          return false;
        }
        return true;
      },
      onClose: (fn) => closers.push(fn),
    };
    const tooLarge = (): void => {
      this.badRequests++;
      this.tooLarge++;
      conn.push(errorReply(0, new OpError('E_TOO_LARGE', `request line longer than ${CONTROL_MAX_LINE_BYTES} bytes`, { maxBytes: CONTROL_MAX_LINE_BYTES })));
      closed = true;
      buf = Buffer.alloc(0);
      sock.end();
      // Keep reading (and dropping) until the client closes, for at most the grace time: unread
      // data at close would reset the client's read before it sees the E_TOO_LARGE line.
      sock.resume();
      setTimeout(() => sock.destroy(), CONTROL_BUSY_GRACE_MS).unref();
    };
    /** Dispatches complete lines while allowed; pauses or resumes reading accordingly. */
    const pump = (): void => {
      while (!closed && inFlight < CONTROL_MAX_INFLIGHT_PER_CONNECTION && sock.writableLength < CONTROL_PAUSE_UNSENT_BYTES) {
        const nl = buf.indexOf(LF, scanned);
        if (nl < 0) {
          scanned = buf.length;
          if (contentLength(buf, buf.length) > CONTROL_MAX_LINE_BYTES) tooLarge();
          break;
        }
        const lineLength = contentLength(buf, nl);
        const line = buf.subarray(0, lineLength);
        buf = buf.subarray(nl + 1);
        scanned = 0;
        if (lineLength > CONTROL_MAX_LINE_BYTES) {
          tooLarge();
          break;
        }
        const text = line.toString('utf8');
        if (!text.trim()) continue;
        inFlight++;
        void this.onLine(text, conn).finally(() => {
          inFlight--;
          pump();
          finishIfDone();
        });
      }
      if (closed) return;
      const hold = inFlight >= CONTROL_MAX_INFLIGHT_PER_CONNECTION || sock.writableLength >= CONTROL_PAUSE_UNSENT_BYTES;
      if (hold && !paused) {
        paused = true;
        this.pauses++;
        sock.pause();
      } else if (!hold && paused) {
        paused = false;
        sock.resume();
      }
    };
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      closed = true;
      buf = Buffer.alloc(0);
      this.sockets.delete(sock);
      for (const fn of closers) fn();
    });
    sock.on('drain', pump);
    sock.on('end', () => {
      ended = true;
      // A last request without its LF is still a request.
      if (!closed && buf.length > 0 && buf.indexOf(LF) < 0) buf = Buffer.concat([buf, Buffer.from([LF])]);
      pump();
      finishIfDone();
    });
    sock.on('data', (chunk: Buffer) => {
      if (closed) return;
      // Keep the bytes only: a subarray of a large earlier read would pin that read's memory.
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      pump();
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
    const t0 = performance.now();
    try {
      const result = await this.handler({ ...r, type: r.type, id }, conn);
      conn.push({ v: 1, id, ok: true, result });
      this.logger.debug({ type: r.type, id, ms: Math.round(performance.now() - t0) }, 'control request answered');
    } catch (e) {
      if (!(e instanceof OpError)) this.logger.error({ err: (e as Error).stack }, 'control request failed unexpectedly');
      conn.push(errorReply(id, e));
      this.logger.debug({ type: r.type, id, ms: Math.round(performance.now() - t0), code: e instanceof OpError ? e.code : 'E_INTERNAL' }, 'control request refused');
    }
  }
}

export function errorReply(id: number, e: unknown): ControlResponse {
  if (e instanceof OpError && isErrorCode(e.code)) return { v: 1, id, ok: false, error: { code: e.code, message: e.message, details: { ...e.details } } };
  return { v: 1, id, ok: false, error: { code: 'E_INTERNAL', message: (e as Error)?.message ?? String(e) } };
}
