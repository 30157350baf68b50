// A cuttable TCP forwarder in front of one daemon's peer listener. Every node's [peers] table
// (and so the replicated node records) names a node by its proxy's address, so all traffic
// INTO a node passes its proxy; TLS passes through untouched (real certificates, real
// identities). The proxy learns which daemon dialed each connection from /proc (see
// socket-owner.ts), so it can cut the directed link "from -> this node" alone.
// Owns: the sockets of the links into its node. Invariants:
// - A cut connection carries no byte in either direction and no close is passed on: both
//   sides see silence, exactly like a partitioned network, until their own timeouts fire.
// - While a source is cut, its new connections are accepted and held silent, never forwarded;
//   a connection whose source cannot be identified is held silent whenever any cut is in force
//   (a partition must never leak), and counted in `unidentified`.
// - Healing destroys the connections that saw the cut, so both sides redial a clean link.
// - At most INTEG_PROXY_MAX_HELD_SOCKETS connections are held (the oldest is dropped).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { INTEG_PROXY_MAX_HELD_SOCKETS } from '../../lib/limits.js';
import { pidHoldingSocket, socketInode } from './socket-owner.js';

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** The node that dialed, or null if unknown. */
  source: string | null;
  /** Set once the pair was silenced by a cut; such a pair is destroyed on heal. */
  silenced: boolean;
}

/** The daemons that may dial this proxy: pid -> node id. */
export type PidDirectory = () => ReadonlyMap<number, string>;

export class PeerProxy {
  private readonly server: Server;
  /** Invariant: size <= INTEG_PROXY_MAX_HELD_SOCKETS. */
  private readonly pairs = new Set<Pair>();
  /** Sources whose links into this node are cut; '*' cuts every source. */
  private readonly cut = new Set<string>();
  private listenPort = 0;
  /** Connections forwarded / held silent since creation, and those whose dialer was not found. */
  forwarded = 0;
  held = 0;
  unidentified = 0;

  constructor(readonly node: string, private readonly targetPort: number, private readonly pids: PidDirectory) {
    this.server = createServer((client) => this.onClient(client));
    this.server.on('error', () => { /* surfaces through listen() */ });
  }

  get port(): number {
    return this.listenPort;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => { this.server.off('error', reject); resolve(); });
    });
    const a = this.server.address();
    this.listenPort = typeof a === 'object' && a !== null ? a.port : 0;
    return this.listenPort;
  }

  /** Cuts the link from `source` ('*': from everyone) into this node. */
  cutFrom(source: string): void {
    this.cut.add(source);
    for (const p of this.pairs) if (this.isCut(p.source)) this.silence(p);
  }

  /** Heals the link from `source` ('*': the all-sources cut; named cuts stay). */
  healFrom(source: string): void {
    if (!this.cut.delete(source)) return;
    for (const p of [...this.pairs]) if (p.silenced && !this.isCut(p.source)) this.destroy(p);
  }

  healAll(): void {
    for (const s of [...this.cut]) this.healFrom(s);
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.destroy(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private isCut(source: string | null): boolean {
    if (this.cut.size === 0) return false;
    return this.cut.has('*') || source === null || this.cut.has(source);
  }

  private identify(client: Socket): string | null {
    const inode = client.remotePort === undefined ? null : socketInode(client.remotePort, this.listenPort);
    if (inode === null) return null;
    const dir = this.pids();
    const pid = pidHoldingSocket(inode, dir.keys());
    return pid === null ? null : dir.get(pid) ?? null;
  }

  private onClient(client: Socket): void {
    const pair: Pair = { client, upstream: null, source: this.identify(client), silenced: false };
    if (pair.source === null) this.unidentified++;
    client.on('error', () => this.destroy(pair));
    client.on('close', () => { if (!pair.silenced) this.destroy(pair); });
    this.track(pair);
    if (this.isCut(pair.source)) {
      this.held++;
      this.silence(pair);
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    pair.upstream = upstream;
    upstream.on('error', () => this.destroy(pair));
    upstream.on('close', () => { if (!pair.silenced) this.destroy(pair); });
    client.pipe(upstream);
    upstream.pipe(client);
    this.forwarded++;
  }

  private track(pair: Pair): void {
    this.pairs.add(pair);
    if (this.pairs.size > INTEG_PROXY_MAX_HELD_SOCKETS) {
      const oldest = this.pairs.values().next().value;
      if (oldest !== undefined) this.destroy(oldest);
    }
  }

  private silence(p: Pair): void {
    p.silenced = true;
    p.client.unpipe();
    p.upstream?.unpipe();
    p.client.pause();
    p.upstream?.pause();
  }

  private destroy(p: Pair): void {
    this.pairs.delete(p);
    p.client.destroy();
    p.upstream?.destroy();
  }
}
