// The control-socket client: connects to the local daemon, sends one request per line and
// reads the reply (or a stream of events). Owns: socket selection (--socket, MDCTL_SOCKET, the
// packaged default) and transport errors. Invariant: every failure becomes a ClientError with
// the daemon's error code when there is one; nothing here prints.
import { connect, type Socket } from 'node:net';
import type { ClusterEvent, ControlResponse } from '../../daemon/src/control/protocol.js';

export const DEFAULT_SOCKET = '/run/mdclusterd/control.sock';
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

export class ClientError extends Error {
  override name = 'ClientError';
  constructor(readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

export function socketPath(opt: string | undefined, env: NodeJS.ProcessEnv): string {
  return socketPaths(opt, env)[0];
}

/**
 * Every daemon mdctl may ask, the local one first: --socket or MDCTL_SOCKET, each possibly a
 * comma-separated list (the others answer a command when the first does not: propose.ts).
 */
export function socketPaths(opt: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const raw = opt ?? env.MDCTL_SOCKET ?? DEFAULT_SOCKET;
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return list.length > 0 ? list : [DEFAULT_SOCKET];
}

export class Client {
  private sock: Socket | null = null;
  private buf = '';
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private eventHandler: ((e: ClusterEvent) => void) | null = null;
  private closeHandler: ((err: Error) => void) | null = null;
  private closedErr: Error | null = null;

  constructor(private readonly path: string) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.path);
      s.setEncoding('utf8');
      s.once('connect', () => { this.sock = s; resolve(); });
      s.on('error', (e: NodeJS.ErrnoException) => {
        const err = new ClientError('E_NO_DAEMON', e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? `cannot reach mdclusterd at ${this.path} (${e.code}): is the daemon running? (--socket or MDCTL_SOCKET choose another)`
          : `control socket ${this.path}: ${e.message}`);
        this.fail(err);
        reject(err);
      });
      s.on('close', () => this.fail(new ClientError('E_NO_DAEMON', 'the daemon closed the connection')));
      s.on('data', (d: string) => this.onData(d));
    });
  }

  private fail(err: Error): void {
    const first = this.closedErr === null;
    this.closedErr ??= err;
    if (first) this.closeHandler?.(err);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private onData(d: string): void {
    this.buf += d;
    if (this.buf.length > MAX_REPLY_BYTES) { this.fail(new ClientError('E_TOO_LARGE', 'reply too large')); this.sock?.destroy(); return; }
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let msg: ControlResponse;
      try { msg = JSON.parse(line) as ControlResponse; } catch { continue; }
      if ('event' in msg) { this.eventHandler?.(msg.event); continue; }
      const w = this.waiting.get(msg.id);
      if (!w) {
        // id 0: an error about the connection itself (E_BUSY, E_TOO_LARGE): it ends every request on it.
        if (msg.id === 0 && !msg.ok) this.fail(new ClientError(msg.error.code, msg.error.message, msg.error.details ?? {}));
        continue;
      }
      this.waiting.delete(msg.id);
      if (msg.ok) w.resolve(msg.result);
      else w.reject(new ClientError(msg.error.code, msg.error.message, msg.error.details ?? {}));
    }
  }

  request<T = unknown>(type: string, body: Record<string, unknown> = {}): Promise<T> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock!.write(JSON.stringify({ v: 1, id, type, ...body }) + '\n');
    });
  }

  onEvent(fn: (e: ClusterEvent) => void): void {
    this.eventHandler = fn;
  }

  /** Called once when the connection ends (the daemon went away or the reply was too large). */
  onClose(fn: (err: Error) => void): void {
    this.closeHandler = fn;
    if (this.closedErr) fn(this.closedErr);
  }

  close(): void {
    this.sock?.end();
    this.sock?.destroy();
  }
}
