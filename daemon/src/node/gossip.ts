// Gossip of applied indexes: what this node tells its peers outside Raft, and what it knows of
// them. Owns: the gossip body (applied index, term, the arrays this node holds writable), its
// validation, each peer's link state, last gossiped applied index and writable-array count,
// and waitAllApplied (a request that waits until every live voter applied it).
// Invariants:
// - Sent after every apply, when the term or the set of writable arrays changed, when a link
//   came up, and otherwise every GOSSIP_REFRESH_MS (maybeAnnounce, from node/node.ts), to the
//   active peers only (the Ready loop sends; this part never touches the transport). A frame
//   on an open link is not lost (TCP), and one lost with a link is re-sent when it is up again,
//   so the refresh is a backstop, not the way news travels.
// - A malformed body changes nothing and is counted in `dropped`; a body lists at most
//   GOSSIP_MAX_WRITABLE arrays.
// - The per-peer maps hold only peers of the peer set or lingering ones: forget() drops a
//   peer once node/peers.ts expires it. gossipWaiters holds one entry per sleeping
//   waitAllApplied call (each removes itself when woken), so size <= pending proposals.
import { OpError } from '../common/errors.js';
import type { NodeId } from '../common/types.js';
import type { Clock, Timers } from './deps.js';
import { peerViews, type PeerView } from './view.js';

/** Longest time between two gossip frames when nothing changed (applied index, term, writable arrays). */
export const GOSSIP_REFRESH_MS = 1000;
/** More writable arrays than any node holds (md minors): a longer list is malformed. */
const GOSSIP_MAX_WRITABLE = 4096;

export interface PeerWritable {
  term: number;
  writableCount: number;
  atMonoMs: number;
}

/** What gossip needs from the rest of the node: narrow, one way. */
export interface GossipHooks {
  /** Current term and the arrays this node holds writable (its open writer-log intervals). */
  term(): number;
  writableDevices(): string[];
  /** Changes whenever the set of writable arrays may have changed (node/writer-log.ts). */
  writableGeneration(): number;
  /** Sends a body to every active peer (the Ready loop frames it). */
  send(body: Uint8Array): void;
  /** Active peers and the voters of the log's membership. */
  peerIds(): NodeId[];
  voters(): readonly NodeId[];
}

export class Gossip {
  /** Peer id -> link up (absent: not yet known). */
  private readonly up = new Map<string, boolean>();
  /** Peer id -> last applied index it gossiped. */
  private readonly applied = new Map<string, number>();
  /** Peer id -> what it last said about its writable arrays, with its term. */
  private readonly writable = new Map<string, PeerWritable>();
  dropped = 0;
  private readonly gossipWaiters = new Set<() => void>();
  /** What the last frame said and when (null: none sent yet). */
  private sent: { applied: number; term: number; generation: number; atMs: number } | null = null;

  constructor(private readonly hooks: GossipHooks, private readonly clock: Clock, private readonly timers: Timers, private readonly tickMs: number) {}

  /**
   * Tells every peer this node's applied index, its term and the arrays it holds writable: a
   * new master promotes only once the old one said "none" in the new term (or was fenced).
   */
  announce(applied: number): void {
    const term = this.hooks.term();
    this.sent = { applied, term, generation: this.hooks.writableGeneration(), atMs: this.clock.monoMs() };
    const body = new TextEncoder().encode(JSON.stringify({ applied, term, writable: this.hooks.writableDevices() }));
    this.hooks.send(body);
  }

  /** Announces when the term or the writable arrays changed since the last frame, or it is GOSSIP_REFRESH_MS old. */
  maybeAnnounce(applied: number): void {
    const s = this.sent;
    if (s !== null && s.applied === applied && s.term === this.hooks.term() && s.generation === this.hooks.writableGeneration()
      && this.clock.monoMs() - s.atMs < GOSSIP_REFRESH_MS) return;
    this.announce(applied);
  }

  /** Monotonic ms at which maybeAnnounce sends a refresh if nothing changes before (null: at once). */
  refreshDueMs(): number | null {
    return this.sent === null ? null : this.sent.atMs + GOSSIP_REFRESH_MS;
  }

  received(from: NodeId, body: Uint8Array): void {
    try {
      const g = JSON.parse(new TextDecoder().decode(body)) as { applied?: unknown; term?: unknown; writable?: unknown };
      if (typeof g.applied === 'number' && Number.isSafeInteger(g.applied) && g.applied >= 0) {
        this.applied.set(from, g.applied);
        if (typeof g.term === 'number' && Number.isSafeInteger(g.term) && Array.isArray(g.writable) && g.writable.length <= GOSSIP_MAX_WRITABLE) {
          this.writable.set(from, { term: g.term, writableCount: g.writable.length, atMonoMs: this.clock.monoMs() });
        }
        this.wakeWaiters();
      } else this.dropped++;
    } catch {
      this.dropped++;
    }
  }

  /** `node` told us (gossip) in `term` or later that it holds no writable array. */
  saidNoneWritable(node: string, term: number): boolean {
    const said = this.writable.get(node);
    return said !== undefined && said.term >= term && said.writableCount === 0;
  }

  saidStillWritable(node: string, term: number): boolean {
    const said = this.writable.get(node);
    return said !== undefined && said.term >= term && said.writableCount > 0;
  }

  isUp(id: string): boolean {
    return this.up.get(id) === true;
  }

  /** The transport reported the link to `peer` up or down. */
  linkChanged(peer: string, up: boolean): void {
    this.up.set(peer, up);
    this.wakeWaiters(); // a peer whose link went down no longer holds waitAllApplied up
  }

  /** The applied index `id` last gossiped (undefined: none yet). */
  appliedOf(id: string): number | undefined {
    return this.applied.get(id);
  }

  /** Every peer heard of (link or gossip), for the read model (node/view.ts). */
  views(): Map<string, PeerView> {
    return peerViews(this.up, this.applied);
  }

  /** A peer that left the membership and lingered long enough (node/peers.ts expire()). */
  forget(id: string): void {
    this.up.delete(id);
    this.applied.delete(id);
  }

  /** Resolves once every live voter gossiped an applied index >= `index`; E_TIMEOUT after `deadline`. */
  async waitAllApplied(index: number, deadline: number): Promise<void> {
    for (;;) {
      // Voters only: a learner still catching up (perhaps by snapshot) does not hold callers up.
      const voters = this.hooks.voters();
      const lagging = this.hooks.peerIds().filter((id) => voters.includes(id) && this.isUp(id) && (this.applied.get(id) ?? 0) < index);
      if (lagging.length === 0) return;
      if (this.clock.monoMs() > deadline) throw new OpError('E_TIMEOUT', `not applied on ${lagging.join(', ')} in time`);
      // Woken by the next applied-index gossip or link change (a tick later at the latest: the
      // voters may change too).
      await new Promise<void>((res) => {
        const t = this.timers.setTimeout(() => { this.gossipWaiters.delete(wake); res(); }, this.tickMs);
        const wake = (): void => { t.cancel(); res(); };
        this.gossipWaiters.add(wake);
      });
    }
  }

  private wakeWaiters(): void {
    const ws = [...this.gossipWaiters];
    this.gossipWaiters.clear();
    for (const w of ws) w();
  }
}
