// The read model of the node for its consumers (control, status, the daemon's entry point):
// one typed snapshot, NodeView, taken by ClusterNode.view(). Owns: which facts about Raft, the
// writer role, the peers and the counters leave the node shell, and under which names.
// Invariants:
// - Consumers read the node only through a NodeView: never Raft's status, never a part's
//   fields. A view is a copy taken at one moment (the replicated state is shared, read-only).
// - `writer` is the lease-guarded check (node/writer.ts), taken after Raft time caught up, and
//   the Raft facts are read after it: they describe the same moment.
import type { NodeId } from '../common/types.js';
import type { ClusterState } from '../cluster/types.js';
import type { ConfState, Role } from '../raft/types.js';
import type { WriterInterval } from './writer-log.js';

export interface PeerView {
  /** Link state (null: not yet known). */
  up: boolean | null;
  /** The applied index it last gossiped (null: none yet). */
  applied: number | null;
}

export interface NodeView {
  id: NodeId;
  role: Role;
  term: number;
  /** The Raft leader this node knows (null: none). */
  lead: NodeId | null;
  commit: number;
  lastIndex: number;
  conf: ConfState;
  lease: { valid: boolean; endTick: number | null; nowTick: number };
  /** This node holds the writer (master) role right now. */
  writer: boolean;
  /** The applied replicated state (read-only for consumers). */
  state: Readonly<ClusterState>;
  /** Every peer this node heard of (link or gossip). */
  peers: ReadonlyMap<string, PeerView>;
  counters: {
    /** Peer frames dropped as malformed (frames, gossip bodies and Raft messages). */
    droppedFrames: number;
    reconcilePasses: number;
    reconcileFailures: number;
    fenceActions: number;
  };
  writerLog: readonly WriterInterval[];
  /** stop() was called (or the Ready loop stopped on a fatal error). */
  stopping: boolean;
}

/** Joins link states and gossiped applied indexes into one map. */
export function peerViews(up: ReadonlyMap<string, boolean>, applied: ReadonlyMap<string, number>): Map<string, PeerView> {
  const out = new Map<string, PeerView>();
  for (const [id, u] of up) out.set(id, { up: u, applied: applied.get(id) ?? null });
  for (const [id, a] of applied) if (!out.has(id)) out.set(id, { up: null, applied: a });
  return out;
}
