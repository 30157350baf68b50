// The node's peer directory: which nodes this node exchanges Raft and gossip frames with, and
// at which address. Owns: desiredPeers() (the pure rule) and PeerDirectory, which pushes each
// change to the transport (addPeer/removePeer) as membership changes are applied.
// Invariants:
// - The peer set is every replicated node record (state.nodes, at its recorded address) plus
//   every member of the Raft membership (voters and learners) that has no record, at the
//   address it had in the previous set or else the configured one. So a node stays reachable
//   while it is in EITHER membership (the record goes first when the master removes itself,
//   the conf entry first otherwise), and is dropped once it has left both.
// - Before this node knows any membership (a joining node with an empty log) the configured
//   peers are the peer set: the joiner must accept and reach the existing members.
// - This node itself is never in the set; the set holds at most 2 * RAFT_MAX_MEMBERS ids
//   (records and conf members are each bounded by RAFT_MAX_MEMBERS).
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
  removed: NodeId[];
}

export class PeerDirectory {
  /** Invariant: the set last pushed to the transport (initially the configured peers but self). */
  private current: Map<NodeId, string>;
  private readonly configured: ReadonlyMap<NodeId, string>;

  constructor(private readonly self: NodeId, configured: ReadonlyMap<NodeId, string>, private readonly transport: PeerTransport,
    private readonly logger: Logger) {
    this.configured = new Map(configured);
    this.current = new Map([...configured].filter(([id]) => id !== self));
  }

  /** The current peers (never this node). */
  ids(): NodeId[] {
    return [...this.current.keys()];
  }

  address(id: NodeId): string | null {
    return this.current.get(id) ?? null;
  }

  /** Recomputes the peer set from the applied records and the log's membership; pushes changes. */
  sync(records: readonly NodeRecord[], conf: ConfState): PeerChanges {
    const want = desiredPeers(this.self, records, conf, this.current, this.configured);
    const changes: PeerChanges = { added: [], moved: [], removed: [] };
    for (const id of this.current.keys()) if (!want.has(id)) changes.removed.push(id);
    for (const [id, address] of want) {
      const had = this.current.get(id);
      if (had === undefined) changes.added.push(id);
      else if (had !== address) changes.moved.push(id);
    }
    if (changes.added.length + changes.moved.length + changes.removed.length === 0) return changes;
    for (const id of changes.removed) this.transport.removePeer?.(id);
    for (const id of [...changes.added, ...changes.moved]) {
      const hp = parseHostPort(want.get(id));
      if (hp === null) {
        // The command schema is looser than parseHostPort; the control handler checks with the
        // latter, so only a foreign proposer could get here. Keep the id known, but undialable.
        this.logger.error({ peer: id, address: want.get(id) }, 'peer address in the replicated state is not host:port; not dialing it');
        continue;
      }
      this.transport.addPeer?.(id, hp);
    }
    this.current = want;
    this.logger.info({ added: changes.added, moved: changes.moved, removed: changes.removed, peers: [...want.keys()] }, 'peer set changed');
    return changes;
  }
}
