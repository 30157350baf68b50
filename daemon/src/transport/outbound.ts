// The outbound link to one peer: dialing over mutual TLS, redialing with backoff, and the
// bounded send queue drained into the socket.
// Owns: this node's sending side towards one peer and the "peer up/down" signal.
// Invariants:
// - At most one ws exists per link; events of a replaced ws are ignored.
// - The queue holds at most PEER_MAX_QUEUED_FRAMES frames and PEER_MAX_QUEUED_BYTES bytes
//   (oldest dropped, counted), and about PEER_MAX_BUFFERED_BYTES (plus one frame) sit in the
//   socket beyond it: a slow or absent peer costs bounded memory.
// - The server must present a certificate from the cluster CA whose CN is this peer's id
//   (checkServerIdentity), otherwise the link never opens.
// - While stopped (blocked or closed) no dial is pending and no ws exists.
import { WebSocket, type ClientOptions } from 'ws';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { PEER_MAX_BUFFERED_BYTES, PEER_MAX_FRAME_BYTES, PEER_MAX_QUEUED_BYTES, PEER_MAX_QUEUED_FRAMES } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { TransportConfig, HostPort } from '../config/config.js';
import { formatHostPort } from '../config/hostport.js';
import { backoffDelayMs } from './backoff.js';
import { CloseCode, Conn, type ConnContext } from './conn.js';
import { BoundedQueue } from './send-queue.js';
import type { TlsMaterial } from './tls-material.js';

/** The HTTP path peers upgrade on. */
export const PEER_PATH = '/mdclusterd/peer/v1';

export interface OutboundContext extends ConnContext {
  /** Read at each dial: replaced by Transport.reloadTls (SIGHUP) for new connections. */
  tls: TlsMaterial;
  readonly timing: TransportConfig;
  random(): number;
  peerState(peer: NodeId, up: boolean): void;
  /** A dial was refused: nothing listens at the peer's address (its process is not running). */
  peerGone(peer: NodeId): void;
}

export class OutboundLink {
  readonly queue = new BoundedQueue<Buffer>(PEER_MAX_QUEUED_FRAMES);
  /** Invariant: the sum of the queued frames' lengths; <= PEER_MAX_QUEUED_BYTES unless one frame is queued. */
  private queuedBytes = 0;
  /** The current ws (connecting or open). Invariant: null while stopped. */
  private ws: WebSocket | null = null;
  /** Set once the current ws is open. Invariant: conn !== null iff up. */
  private conn: Conn | null = null;
  private redialTimer: NodeJS.Timeout | null = null;
  /** Failed dials since the last successful open. */
  private attempt = 0;
  private stopped = true;

  constructor(readonly peer: NodeId, private readonly addr: HostPort, private readonly ctx: OutboundContext) {}

  get up(): boolean {
    return this.conn !== null;
  }

  /** The open connection, for the heartbeat sweep. */
  get openConn(): Conn | null {
    return this.conn;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.dial();
  }

  /** Stops dialing and drops the link; returns how many queued frames were discarded. */
  stop(): number {
    this.stopped = true;
    if (this.redialTimer !== null) clearTimeout(this.redialTimer);
    this.redialTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws !== null) ws.terminate();
    this.markDown();
    this.queuedBytes = 0;
    return this.queue.clear();
  }

  /** Queues a frame and drains what the socket can take; returns how many old frames were dropped. */
  enqueue(frame: Buffer): number {
    let dropped = 0;
    this.queuedBytes += frame.length;
    const evicted = this.queue.push(frame);
    if (evicted !== undefined) {
      this.queuedBytes -= evicted.length;
      dropped++;
    }
    while (this.queuedBytes > PEER_MAX_QUEUED_BYTES && this.queue.length > 1) {
      this.queuedBytes -= this.queue.shift()!.length;
      dropped++;
    }
    this.flush();
    return dropped;
  }

  /** Bytes of the frames in the queue. */
  get queuedByteCount(): number {
    return this.queuedBytes;
  }

  private readonly onWritten = (err?: Error | null): void => {
    if (err) return;
    // Only a write that completes while more of our data is still waiting shows that the peer
    // reads: the kernel's socket buffer was full and drained. A small write into an empty buffer
    // completes even on a partitioned link, so it proves nothing.
    if (this.conn && this.conn.ws.bufferedAmount > 0) this.conn.noteProgress();
    if (this.queue.length > 0) this.flush();
  };

  private flush(): void {
    const conn = this.conn;
    if (conn === null || !conn.isOpen) return;
    const c = this.ctx.counters(this.peer);
    while (this.queue.length > 0 && conn.ws.bufferedAmount < PEER_MAX_BUFFERED_BYTES) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.length;
      c.sentFrames++;
      c.sentBytes += frame.length;
      conn.ws.send(frame, { binary: true }, this.onWritten);
    }
  }

  private dial(): void {
    this.redialTimer = null;
    if (this.stopped) return;
    const peer = this.peer;
    // Node's tls.checkServerIdentity contract (return an Error to refuse); @types/ws types
    // this option differently, hence the cast of the TLS part of the options.
    const tlsOptions: ConnectionOptions = {
      ca: this.ctx.tls.caPem,
      cert: this.ctx.tls.certPem,
      key: this.ctx.tls.keyPem,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      checkServerIdentity: (_host: string, cert: PeerCertificate) =>
        cert.subject?.CN === peer ? undefined : new Error(`peer certificate CN ${JSON.stringify(cert.subject?.CN)} is not ${peer}`),
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(`wss://${formatHostPort(this.addr)}${PEER_PATH}`, {
        ...(tlsOptions as ClientOptions),
        maxPayload: PEER_MAX_FRAME_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: this.ctx.timing.connectTimeoutMs,
        followRedirects: false,
      });
    } catch (err) {
      // An address no URL can hold (parseHostPort should have refused it): never dialable, so
      // no redial; the caller (the Ready loop applying a node-add) must not die of it.
      this.ctx.counters(peer).dialFailures++;
      this.ctx.log.error('peer address cannot be dialed; not dialing it', { peer, address: formatHostPort(this.addr), err: (err as Error).message });
      return;
    }
    this.ws = ws;
    ws.on('error', (err: Error & { code?: string }) => {
      if (this.ws === ws && this.conn === null) {
        this.ctx.counters(peer).dialFailures++;
        this.ctx.log.debug('peer dial failed', { peer, attempt: this.attempt, err: err.message, code: err.code });
        if (err.code === 'ECONNREFUSED') this.ctx.peerGone(peer);
      }
    });
    ws.on('open', () => this.onOpen(ws));
    ws.on('close', () => this.onClose(ws));
  }

  private onOpen(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.attempt = 0;
    this.conn = new Conn(ws, this.peer, 'out', this.ctx);
    this.ctx.counters(this.peer).connects++;
    this.ctx.log.info('peer link up', { peer: this.peer });
    this.ctx.peerState(this.peer, true);
    this.flush();
  }

  private onClose(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.markDown();
    if (!this.stopped) this.scheduleRedial();
  }

  private markDown(): void {
    if (this.conn === null) return;
    this.conn = null;
    this.ctx.counters(this.peer).disconnects++;
    this.ctx.log.info('peer link down', { peer: this.peer });
    this.ctx.peerState(this.peer, false);
  }

  private scheduleRedial(): void {
    const t = this.ctx.timing;
    const delayMs = backoffDelayMs(this.attempt, t.reconnectMinMs, t.reconnectMaxMs, () => this.ctx.random());
    this.attempt++;
    this.redialTimer = setTimeout(() => this.dial(), delayMs);
  }

  /** Closes an open link politely (used on shutdown before stop()). */
  closeGracefully(): void {
    this.conn?.close(CloseCode.NORMAL, 'shutting down');
  }
}
