// A cuttable TCP forwarder for one directed peer link between two daemon processes (the
// daemons' transport can only block peers in-process). The harness points node A's [peers]
// entry for B at the proxy A->B, which forwards to B's real peer listener; TLS passes through
// untouched, so certificates and identities are the real ones.
// Owns: the sockets of its link. Invariants:
// - While cut, no byte crosses the link in either direction and no close is passed on: the
//   peers see silence (a partition), exactly like a dead network, until their own timeouts.
// - New connections made while cut are accepted and held silent (like SYNs into a black hole
//   that happen to complete), never forwarded; at most INTEG_PROXY_MAX_HELD_SOCKETS are held.
// - heal() destroys every socket that saw the cut, so both sides redial a clean link.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { INTEG_PROXY_MAX_HELD_SOCKETS } from '../../../daemon/src/common/limits.js';

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

export class LinkProxy {
  private readonly server: Server;
  /** Invariant: pairs.size <= INTEG_PROXY_MAX_HELD_SOCKETS (the oldest is destroyed beyond). */
  private readonly pairs = new Set<Pair>();
  private cut = false;
  private listenPort = 0;
  /** Connections forwarded since creation (tests check links were really used). */
  forwarded = 0;

  constructor(readonly name: string, private readonly targetHost: string, private readonly targetPort: number) {
    this.server = createServer((client) => this.onClient(client));
    this.server.on('error', () => { /* listener errors surface through listen() */ });
  }

  get port(): number {
    return this.listenPort;
  }

  get isCut(): boolean {
    return this.cut;
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

  /** Stops all traffic on the link, silently, in both directions. */
  cutLink(): void {
    this.cut = true;
    for (const p of this.pairs) this.silence(p);
  }

  /** Ends the partition: sockets that saw the cut are destroyed so the peers redial. */
  heal(): void {
    if (!this.cut) return;
    this.cut = false;
    for (const p of [...this.pairs]) this.destroy(p);
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.destroy(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onClient(client: Socket): void {
    const pair: Pair = { client, upstream: null };
    client.on('error', () => this.destroy(pair));
    client.on('close', () => { if (!this.cut) this.destroy(pair); });
    this.track(pair);
    if (this.cut) { client.pause(); return; }
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => this.destroy(pair));
    upstream.on('close', () => { if (!this.cut) this.destroy(pair); });
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
