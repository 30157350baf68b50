// The node's peer directory: which nodes this node exchanges Raft and gossip frames with, and
// at which address. Owns: desiredPeers() (the pure rule) and PeerDirectory, which pushes each
// change to the transport (addPeer/removePeer) as membership changes are applied.
// Invariants:
// - The peer set is every replicated node record (state.nodes, at its recorded address) plus
//   every member of the Raft membership (voters and learners) that has no record, at the
//   address it had in the previous set or else the configured one. So a node stays reachable
//   while it is in EITHER membership (the record goes first when the master removes itself,
//   the conf entry first otherwise), and leaves the set once it has left both.
// - Before this node knows any membership (a joining node with an empty log) the configured
//   peers are the peer set: the joiner must accept and reach the existing members.
// - A peer that leaves the set lingers in the transport for lingerMs before it is forgotten:
//   a conf entry takes effect when appended, before it commits, and the acks that commit it
//   (and a removed leader's MsgTimeoutNow) must still get through. It is not gossiped to.
// - This node itself is never a peer; current and leaving hold at most 2 * RAFT_MAX_MEMBERS
//   ids each (records and conf members are each bounded by RAFT_MAX_MEMBERS).
import type { NodeId } from '../common/types.js';
import type { NodeRecord } from '../cluster/types.js';
import { parseHostPort } from '../config/hostport.js';
import type { ConfState } from '../raft/types.js';
import type { Logger, PeerTransport } from './deps.js';

/** The peer set (id -> "host:port") this node should have. Pure; see the file invariants. */
export function desiredPeers(
  self: NodeId,
  records: readonly NodeRecord[],
  conf: ConfState,
  previous: ReadonlyMap<NodeId, string>,
  configured: ReadonlyMap<NodeId, string>,
): Map<NodeId, string> {
  const out = new Map<NodeId, string>();
  for (const n of records) if (n.id !== self) out.set(n.id, n.address);
  const members = [...conf.voters, ...conf.learners];
  const ids = members.length > 0 ? members : [...configured.keys()];
  for (const id of ids) {
    if (id === self || out.has(id)) continue;
    const address = previous.get(id) ?? configured.get(id);
    if (address !== undefined) out.set(id, address);
  }
  return out;
}

export interface PeerChanges {
  added: NodeId[];
  /** Peers whose address changed. */
  moved: NodeId[];
  /** Peers that left the set (they linger in the transport; see expire()). */
  left: NodeId[];
}

export class PeerDirectory {
  /** Invariant: the active peers, as pushed to the transport (initially the configured ones). */
  private current: Map<NodeId, string>;
  /** Invariant: peers that left `current`, still in the transport until untilMs; disjoint from current. */
  private readonly leaving = new Map<NodeId, { address: string; untilMs: number }>();
  private readonly configured: ReadonlyMap<NodeId, string>;

  constructor(private readonly self: NodeId, configured: ReadonlyMap<NodeId, string>, private readonly transport: PeerTransport,
    private readonly logger: Logger, private readonly lingerMs: number) {
    this.configured = new Map(configured);
    this.current = new Map([...configured].filter(([id]) => id !== self));
  }

  /** The active peers (never this node, never a lingering one). */
  ids(): NodeId[] {
    return [...this.current.keys()];
  }

  address(id: NodeId): string | null {
    return this.current.get(id) ?? this.leaving.get(id)?.address ?? null;
  }

  /** Recomputes the peer set from the applied records and the log's membership; pushes changes. */
  sync(records: readonly NodeRecord[], conf: ConfState, nowMs: number): PeerChanges {
    const previous = new Map(this.current);
    for (const [id, l] of this.leaving) if (!previous.has(id)) previous.set(id, l.address);
    const want = desiredPeers(this.self, records, conf, previous, this.configured);
    const changes: PeerChanges = { added: [], moved: [], left: [] };
    for (const id of this.current.keys()) if (!want.has(id)) changes.left.push(id);
    for (const [id, address] of want) {
      const had = this.current.get(id) ?? this.leaving.get(id)?.address;
      if (had === undefined) changes.added.push(id);
      else if (had !== address) changes.moved.push(id);
    }
    const back = [...this.leaving.keys()].filter((id) => want.has(id));
    if (changes.added.length + changes.moved.length + changes.left.length + back.length === 0) return changes;
    for (const id of back) this.leaving.delete(id);
    for (const id of changes.left) this.leaving.set(id, { address: this.current.get(id)!, untilMs: nowMs + this.lingerMs });
    for (const id of [...changes.added, ...changes.moved]) this.push(id, want.get(id)!);
    this.current = want;
    this.logger.info({ added: changes.added, moved: changes.moved, left: changes.left, peers: [...want.keys()], lingerMs: this.lingerMs }, 'peer set changed');
    return changes;
  }

  /** Monotonic ms of the next linger end (null: no peer lingers). */
  nextExpiryMs(): number | null {
    let at: number | null = null;
    for (const l of this.leaving.values()) if (at === null || l.untilMs < at) at = l.untilMs;
    return at;
  }

  /** Forgets (in the transport) the peers whose linger time is over; returns them. */
  expire(nowMs: number): NodeId[] {
    if (this.leaving.size === 0) return [];
    const gone: NodeId[] = [];
    for (const [id, l] of this.leaving) {
      if (l.untilMs > nowMs) continue;
      this.leaving.delete(id);
      this.transport.removePeer?.(id);
      gone.push(id);
    }
    if (gone.length > 0) this.logger.info({ removed: gone }, 'peers dropped from the transport');
    return gone;
  }

  private push(id: NodeId, address: string): void {
    const hp = parseHostPort(address);
    if (hp === null) {
      // The command schema is looser than parseHostPort; the control handler checks with the
      // latter, so only a foreign proposer could get here. Keep the id known, but undialable.
      this.logger.error({ peer: id, address }, 'peer address in the replicated state is not host:port; not dialing it');
      return;
    }
    this.transport.addPeer?.(id, hp);
  }
}
