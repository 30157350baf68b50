// The peer transport of the daemon: one outbound link per peer for sending, an inbound
// listener for receiving, mutual TLS with the cluster CA, and a test switch to cut links.
// Owns: the interface the node shell uses (start/send/onMessage/onPeerState/stats/close,
// blockPeer/unblockPeer, addPeer/removePeer for membership changes), the heartbeat sweep, and
// the counters.
// Invariants:
// - Payloads are opaque bytes (raft/codec.ts messages): the transport never decodes them;
//   they arrive in order per link, may be lost, and are never duplicated by the transport.
// - Memory per peer is bounded (see outbound.ts); at most one inbound link per peer (a new
//   one replaces the old); nothing a peer sends can throw out of an event handler.
// - A blocked peer exchanges nothing with this node in either direction until unblocked.
// - After close() no timer, socket or listener of the transport remains.
import { OpError } from '../common/errors.js';
import { PEER_REFUSAL_LOG_INTERVAL_MS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { HostPort, TransportConfig } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { LogThrottle } from '../log/throttle.js';
import { formatHostPort } from '../config/hostport.js';
import { CloseCode, Conn, type ConnContext } from './conn.js';
import { encodeFrame, FrameKind, MAX_FRAME_PAYLOAD_BYTES } from './frame.js';
import { OutboundLink, type OutboundContext } from './outbound.js';
import { PeerServer } from './server.js';
import { newPeerCounters, REFUSAL_REASONS, type PeerCounters, type RefusalReason, type TransportStats } from './stats.js';
import type { TlsMaterial } from './tls-material.js';
import type { WebSocket } from 'ws';

export interface TransportOptions {
  self: NodeId;
  /** Where to listen for peers (port 0 picks a free port; see listenAddress()). */
  listen: HostPort;
  /** Every member's peer address; may include self (ignored for dialing). */
  peers: ReadonlyMap<NodeId, HostPort>;
  tls: TlsMaterial;
  timing: TransportConfig;
  logger: Logger;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
  /** Monotonic milliseconds; default performance.now. */
  nowMs?: () => number;
  /** Name resolution of peer hosts for the listener's known addresses (tests); default: the system resolver. */
  resolve?: (host: string) => Promise<string[]>;
}

export type MessageHandler = (from: NodeId, payload: Uint8Array) => void;
export type PeerStateHandler = (peer: NodeId, up: boolean) => void;

export class Transport {
  private readonly log: Logger;
  private readonly links = new Map<NodeId, OutboundLink>();
  /** Invariant: at most one per peer; only open or closing links. */
  private readonly inbound = new Map<NodeId, Conn>();
  /** Invariant: the remote IP of every link in `inbound`, same keys. */
  private readonly inboundAddress = new Map<NodeId, string>();
  private readonly counters = new Map<NodeId, PeerCounters>();
  private readonly blocked = new Set<NodeId>();
  private readonly server: PeerServer;
  private messageHandlers: MessageHandler[] = [];
  private peerStateHandlers: PeerStateHandler[] = [];
  private peerGoneHandlers: ((peer: NodeId) => void)[] = [];
  private rttHandler: ((peer: NodeId, ms: number) => void) | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private state: 'new' | 'started' | 'closed' = 'new';
  private boundAddress: HostPort | null = null;
  /** Every refused inbound connection, by reason; logged at most once per interval per reason. */
  private readonly refusals: LogThrottle<RefusalReason>;
  private droppedUnknownDestination = 0;
  private localStalls = 0;
  /** Monotonic ms of the previous heartbeat sweep (or of start()). */
  private lastSweepMs = 0;
  private readonly nowMs: () => number;
  /** Invariant: exactly the keys of `links` (the peers whose certificates the listener accepts). */
  private readonly peerIds = new Set<NodeId>();
  /** Invariant: the formatted address of every link in `links`. */
  private readonly peerAddresses = new Map<NodeId, string>();
  private readonly outCtx: OutboundContext;
  /** Invariant: the address of every link in `links` (the listener keeps slots for their hosts). */
  private readonly peerHostPorts = new Map<NodeId, HostPort>();

  constructor(private readonly opts: TransportOptions) {
    this.log = opts.logger.child({ component: 'transport' });
    const random = opts.random ?? Math.random;
    const nowMs = opts.nowMs ?? (() => performance.now());
    this.nowMs = nowMs;
    const connCtx: ConnContext = {
      log: this.log,
      counters: (p) => this.countersOf(p),
      isBlocked: (p) => this.blocked.has(p),
      rtt: (p, ms) => this.rttHandler?.(p, ms),
      deliver: (from, payload) => this.deliver(from, payload),
      nowMs,
    };
    const outCtx: OutboundContext = { ...connCtx, tls: opts.tls, timing: opts.timing, random, peerState: (p, up) => this.emitPeerState(p, up), peerGone: (p) => this.emitPeerGone(p) };
    this.outCtx = outCtx;
    this.refusals = new LogThrottle(this.log, 'refused a peer connection', PEER_REFUSAL_LOG_INTERVAL_MS, nowMs);
    const peerIds = this.peerIds;
    for (const [id, addr] of opts.peers) {
      if (id === opts.self) continue;
      peerIds.add(id);
      this.peerAddresses.set(id, formatHostPort(addr));
      this.peerHostPorts.set(id, addr);
      this.counters.set(id, newPeerCounters());
      this.links.set(id, new OutboundLink(id, addr, outCtx));
    }
    this.server = new PeerServer({
      self: opts.self,
      peers: peerIds,
      tls: opts.tls,
      timing: opts.timing,
      log: this.log,
      isBlocked: (p) => this.blocked.has(p),
      connectedElsewhere: (peer, address) => {
        const conn = this.inbound.get(peer);
        const from = this.inboundAddress.get(peer);
        return conn !== undefined && conn.isOpen && from !== undefined && from !== address ? from : null;
      },
      accept: (peer, ws, address) => this.acceptInbound(peer, ws, address, connCtx),
      refused: (reason, detail) => {
        if (reason === 'duplicate-identity') {
          // A misconfiguration to fix, not noise: logged as an error every time (it is rare).
          this.refusals.count1(reason);
          this.log.error('refused a peer whose certificate identity is already connected from another address (two daemons with one identity?)', { reason, ...detail });
          return;
        }
        this.refusals.note(reason, { code: 'E_PEER_REFUSED', ...detail });
      },
      resolve: opts.resolve,
    });
    this.server.setKnownHosts(this.knownHosts());
  }

  /** The hosts of every configured peer (the listener keeps slots for their addresses). */
  private knownHosts(): string[] {
    return [...this.peerHostPorts.values()].map((a) => a.host);
  }

  /** New connections, dialed and accepted, use `tls` from now on (SIGHUP); open links are kept. */
  reloadTls(tls: TlsMaterial): void {
    this.outCtx.tls = tls;
    this.server.setTls(tls);
  }

  /** Listens for peers and starts dialing them. Rejects with OpError('E_LISTEN_FAILED'). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new OpError('E_SHUTTING_DOWN', 'the transport was already started or closed');
    this.state = 'started';
    this.boundAddress = await this.server.listen(this.opts.listen);
    if (this.state !== 'started') return;
    for (const [id, link] of this.links) if (!this.blocked.has(id)) link.start();
    this.lastSweepMs = this.nowMs();
    this.sweepTimer = setInterval(() => this.sweep(), this.opts.timing.pingIntervalMs);
  }

  /** The address actually listened on (after start()). */
  listenAddress(): HostPort | null {
    return this.boundAddress;
  }

  /** Queues `payload` for `to`. Never throws for a bad destination or a full queue: it counts. */
  send(to: NodeId, payload: Uint8Array): void {
    const link = this.links.get(to);
    if (link === undefined || this.state === 'closed') {
      this.droppedUnknownDestination++;
      return;
    }
    const c = this.countersOf(to);
    if (this.blocked.has(to)) {
      c.droppedBlocked++;
      return;
    }
    if (payload.length > MAX_FRAME_PAYLOAD_BYTES) {
      c.droppedTooLarge++;
      this.log.error('dropped an outgoing peer message larger than a frame', { peer: to, bytes: payload.length, maxBytes: MAX_FRAME_PAYLOAD_BYTES });
      return;
    }
    c.droppedQueueFull += link.enqueue(encodeFrame(FrameKind.RAFT, payload));
  }

  /**
   * Adds a peer, or moves a known peer to a new address (a membership change applied from the
   * replicated state): from now on its certificate is accepted and it is dialed. Returns true
   * when anything changed. Ignores this node itself and a closed transport.
   */
  addPeer(id: NodeId, addr: HostPort): boolean {
    const address = formatHostPort(addr);
    if (id === this.opts.self || this.state === 'closed' || this.peerAddresses.get(id) === address) return false;
    const old = this.links.get(id);
    if (old !== undefined) {
      old.closeGracefully();
      this.countersOf(id).droppedBlocked += old.stop();
    }
    const link = new OutboundLink(id, addr, this.outCtx);
    this.links.set(id, link);
    this.peerIds.add(id);
    this.peerAddresses.set(id, address);
    this.countersOf(id);
    this.peerHostPorts.set(id, addr);
    this.server.setKnownHosts(this.knownHosts());
    if (this.state === 'started' && !this.blocked.has(id)) link.start();
    this.log.info('peer added', { peer: id, address, moved: old !== undefined });
    return true;
  }

  /**
   * Forgets a peer (removed from the cluster): closes both links, drops its queued frames and
   * refuses its connections from now on. Returns false when it was not a peer.
   */
  removePeer(id: NodeId): boolean {
    const link = this.links.get(id);
    if (link === undefined) return false;
    this.links.delete(id);
    this.peerIds.delete(id);
    this.peerAddresses.delete(id);
    this.blocked.delete(id);
    link.closeGracefully();
    link.stop();
    this.inbound.get(id)?.ws.terminate();
    this.inbound.delete(id);
    this.inboundAddress.delete(id);
    this.counters.delete(id);
    this.peerHostPorts.delete(id);
    this.server.setKnownHosts(this.knownHosts());
    this.log.info('peer removed', { peer: id });
    return true;
  }

  /** The current peers and their addresses ("host:port"). */
  peerAddressMap(): ReadonlyMap<NodeId, string> {
    return new Map(this.peerAddresses);
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandlers.push(handler);
  }

  /** A dial to the peer was refused (ECONNREFUSED: nothing listens there; node/deps.ts). */
  onPeerGone(handler: (peer: NodeId) => void): void {
    this.peerGoneHandlers.push(handler);
  }

  onPeerState(handler: PeerStateHandler): void {
    this.peerStateHandlers.push(handler);
  }

  /** One observer of ping round trips (the daemon's peer RTT histogram); a later call replaces it. */
  onRtt(handler: (peer: NodeId, ms: number) => void): void {
    this.rttHandler = handler;
  }

  /** TEST SWITCH: cuts every link to/from `peer` (a partition as seen from this node). */
  blockPeer(peer: NodeId): void {
    const link = this.links.get(peer);
    if (link === undefined || this.blocked.has(peer)) return;
    this.blocked.add(peer);
    this.countersOf(peer).droppedBlocked += link.stop();
    this.inbound.get(peer)?.ws.terminate();
    this.inbound.delete(peer);
    this.inboundAddress.delete(peer);
    this.log.warn('peer blocked (test partition)', { peer });
  }

  unblockPeer(peer: NodeId): void {
    if (!this.blocked.delete(peer)) return;
    this.log.warn('peer unblocked', { peer });
    if (this.state === 'started') this.links.get(peer)?.start();
  }

  stats(): TransportStats {
    const peers: TransportStats['peers'] = {};
    for (const [id, link] of this.links) {
      peers[id] = {
        ...this.countersOf(id),
        up: link.up,
        blocked: this.blocked.has(id),
        inbound: this.inbound.get(id)?.isOpen ?? false,
        queuedFrames: link.queue.length,
        queuedBytes: link.queuedByteCount,
      };
    }
    return {
      self: this.opts.self,
      peers,
      refusedConnections: this.refusalsIn('http'),
      tlsErrors: this.refusalsIn('tls'),
      refusedAtAccept: this.refusalsIn('admission'),
      refusals: this.refusals.counts(),
      admission: this.server.gauges(),
      droppedUnknownDestination: this.droppedUnknownDestination,
      localStalls: this.localStalls,
    };
  }

  /** Closes every link and the listener. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const link of this.links.values()) {
      link.closeGracefully();
      link.stop();
    }
    for (const conn of this.inbound.values()) conn.ws.terminate();
    this.inbound.clear();
    this.inboundAddress.clear();
    await this.server.close();
  }

  private refusalsIn(stage: keyof typeof REFUSAL_REASONS): number {
    let n = 0;
    for (const r of REFUSAL_REASONS[stage]) n += this.refusals.count(r);
    return n;
  }

  private countersOf(peer: NodeId): PeerCounters {
    let c = this.counters.get(peer);
    if (c === undefined) {
      c = newPeerCounters();
      this.counters.set(peer, c);
    }
    return c;
  }

  private acceptInbound(peer: NodeId, ws: WebSocket, address: string, ctx: ConnContext): void {
    if (this.state !== 'started' || this.blocked.has(peer)) {
      ws.on('error', () => {});
      ws.terminate();
      return;
    }
    const conn = new Conn(ws, peer, 'in', ctx);
    const old = this.inbound.get(peer);
    this.inbound.set(peer, conn);
    this.inboundAddress.set(peer, address);
    this.countersOf(peer).inboundAccepted++;
    ws.on('close', () => {
      if (this.inbound.get(peer) === conn) { this.inbound.delete(peer); this.inboundAddress.delete(peer); }
    });
    if (old !== undefined) old.close(CloseCode.REPLACED, 'replaced by a newer link');
    this.log.info('inbound peer link accepted', { peer, replaced: old !== undefined });
  }

  private deliver(from: NodeId, payload: Uint8Array): void {
    if (this.state !== 'started') return;
    for (const h of this.messageHandlers) h(from, payload);
  }

  private emitPeerState(peer: NodeId, up: boolean): void {
    for (const h of this.peerStateHandlers) h(peer, up);
  }

  private emitPeerGone(peer: NodeId): void {
    if (this.state !== 'started') return;
    for (const h of this.peerGoneHandlers) h(peer);
  }

  /**
   * Pings every open link and terminates silent ones. If this sweep itself ran late, the
   * process (not the peers) was stalled: timers run before pending socket reads, so pongs that
   * arrived during the stall are still unread; the stalled time is not counted as silence.
   */
  private sweep(): void {
    const t = this.opts.timing;
    const now = this.nowMs();
    const lateMs = now - this.lastSweepMs - t.pingIntervalMs;
    this.lastSweepMs = now;
    const conns = [...this.inbound.values()];
    for (const link of this.links.values()) if (link.openConn !== null) conns.push(link.openConn);
    if (lateMs > t.pingIntervalMs) {
      this.localStalls++;
      this.log.warn('event loop stalled; peer liveness checks restarted', { stalledMs: Math.round(lateMs) });
      for (const conn of conns) conn.forgiveStall(lateMs);
    }
    for (const conn of conns) conn.sweep(t.deadAfterMs, t.pingIntervalMs);
  }
}
