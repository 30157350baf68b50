// The simulated peer network of the cluster simulator and each daemon's PeerTransport over it.
// Owns: routing frames between the live daemon incarnations through SimNetwork (test/sim:
// seeded delay, loss, duplication, reordering, partitions that drop or hold traffic), and the
// transport's peer up/down notices, which follow the links after a seeded delay.
// Invariants:
// - A frame reaches only the incarnation of its destination that is live at delivery time; a
//   crashed incarnation sends nothing (its transport is dead) and receives nothing.
// - Every delivered frame is a private copy: no two nodes ever share a buffer.
// - A peer is reported up to a node only while both are live and neither direction of the link
//   is blocked; each change is reported at most once, after a delay drawn from the world.
// - A down link is also reported as "gone" (a refused dial, raft/leader-gone.ts) when the
//   peer's daemon is dead, and, as false evidence (a firewall that rejects), for a seeded share
//   of blocked links to a live peer: the evidence speeds elections and must never break safety.
import type { NodeId } from '../../../daemon/src/common/types.js';
import type { PeerTransport } from '../../../daemon/src/node/deps.js';
import type { Delivery, NetParams } from '../network.js';
import { SimNetwork } from '../network.js';
import type { Rand } from '../rand.js';
import type { NodeTime } from './node-time.js';
import type { Scheduler } from './scheduler.js';
import type { RangeUs } from './world.js';

interface Endpoint {
  onMessage: (from: NodeId, payload: Uint8Array) => void;
  onPeerState: (peer: NodeId, up: boolean) => void;
  onPeerGone: (peer: NodeId) => void;
  /** peer -> the state last scheduled for report to this endpoint. */
  reported: Map<string, boolean>;
}

/** Share of links blocked to a live peer that also report it gone (false evidence). */
const FALSE_GONE_SHARE = 0.3;

export class ClusterNet {
  readonly net: SimNetwork<Uint8Array>;
  /** Invariant: holds exactly the live incarnations' endpoints. */
  private readonly endpoints = new Map<string, Endpoint>();

  constructor(
    private readonly sched: Scheduler,
    params: NetParams,
    private readonly rand: Rand,
    private readonly ids: readonly NodeId[],
    private readonly noticeUs: RangeUs,
  ) {
    this.net = new SimNetwork<Uint8Array>(params, rand, (atUs, d) => {
      this.sched.at(atUs, () => this.deliver(d));
      return true;
    });
  }

  attach(id: NodeId, ep: Omit<Endpoint, 'reported'>): void {
    this.endpoints.set(id, { ...ep, reported: new Map() });
    this.refreshPeerStates();
  }

  /** The node's daemon died: its endpoint and the frames held in its send queues are gone. */
  detach(id: NodeId): void {
    this.endpoints.delete(id);
    this.net.dropHeldFrom(id);
    this.refreshPeerStates();
  }

  send(from: NodeId, to: NodeId, payload: Uint8Array): void {
    if (from === to || !this.ids.includes(to)) return;
    this.net.send(this.sched.nowUs, from, to, payload.slice());
  }

  block(from: NodeId, to: NodeId): void {
    this.net.block(from, to);
    this.refreshPeerStates();
  }

  unblock(from: NodeId, to: NodeId): void {
    this.net.unblock(this.sched.nowUs, from, to);
    this.refreshPeerStates();
  }

  healAll(): void {
    this.net.healAll(this.sched.nowUs);
    this.refreshPeerStates();
  }

  blockedLinks(): string[] {
    return this.net.blockedLinks();
  }

  private deliver(d: Delivery<Uint8Array>): void {
    if (!this.net.arrive(d)) return;
    const ep = this.endpoints.get(d.to);
    if (ep !== undefined) ep.onMessage(d.from as NodeId, d.payload.slice());
  }

  private linkUp(a: NodeId, b: NodeId): boolean {
    return this.endpoints.has(a) && this.endpoints.has(b) && !this.net.isBlocked(a, b) && !this.net.isBlocked(b, a);
  }

  /** Schedules an up/down notice for every (node, peer) whose link state changed. */
  private refreshPeerStates(): void {
    for (const [id, ep] of this.endpoints) {
      for (const peer of this.ids) {
        if (peer === id) continue;
        const up = this.linkUp(id as NodeId, peer);
        if (ep.reported.get(peer) === up) continue;
        ep.reported.set(peer, up);
        this.sched.after(this.rand.int(this.noticeUs.lo, this.noticeUs.hi), () => {
          if (this.endpoints.get(id) === ep && ep.reported.get(peer) === up) ep.onPeerState(peer, up);
        });
        if (!up && (!this.endpoints.has(peer) || this.rand.chance(FALSE_GONE_SHARE))) {
          this.sched.after(this.rand.int(this.noticeUs.lo, this.noticeUs.hi), () => {
            if (this.endpoints.get(id) === ep && ep.reported.get(peer) === false) ep.onPeerGone(peer);
          });
        }
      }
    }
  }
}

/**
 * One daemon incarnation's transport. Invariants: after the incarnation dies it neither sends
 * nor attaches; a frozen daemon reads its frames and notices only when the freeze ends.
 */
export class SimTransport implements PeerTransport {
  private onMsg: (from: NodeId, payload: Uint8Array) => void = () => {};
  private onPeer: (peer: NodeId, up: boolean) => void = () => {};
  private onGone: (peer: NodeId) => void = () => {};

  constructor(private readonly net: ClusterNet, private readonly id: NodeId, private readonly time: NodeTime) {}

  async start(): Promise<void> {
    if (!this.time.alive) return;
    this.net.attach(this.id, {
      onMessage: (from, payload) => this.time.runAsDaemon(() => this.onMsg(from, payload)),
      onPeerState: (peer, up) => this.time.runAsDaemon(() => this.onPeer(peer, up)),
      onPeerGone: (peer) => this.time.runAsDaemon(() => this.onGone(peer)),
    });
  }

  send(to: NodeId, payload: Uint8Array): void {
    if (this.time.alive) this.net.send(this.id, to, payload);
  }

  onMessage(handler: (from: NodeId, payload: Uint8Array) => void): void {
    this.onMsg = handler;
  }

  onPeerState(handler: (peer: NodeId, up: boolean) => void): void {
    this.onPeer = handler;
  }

  onPeerGone(handler: (peer: NodeId) => void): void {
    this.onGone = handler;
  }

  async close(): Promise<void> {
    if (this.time.alive) this.net.detach(this.id);
  }
}
