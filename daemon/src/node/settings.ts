// The node's settings: one definition, derived from the configuration (node-settings.ts) and
// read by the composition root (node.ts) and, in part, by the Ready loop.
import type { NodeId } from '../common/types.js';
import type { SpareGroup } from '../cluster/spare-groups.js';
import type { RaftConfig } from '../raft/types.js';
import type { WriterSettings } from './writer.js';

export interface NodeSettings {
  id: NodeId;
  /** Every configured member, including this node, with peer addresses ("host:port"). */
  peers: { id: NodeId; address: string }[];
  /**
   * A node joining an existing cluster: it starts without a founding membership (no bootstrap
   * conf entries) and waits for the master to add it (add-node); it never campaigns before.
   * Ignored once the log holds a membership. Default false: `peers` are the founding voters.
   */
  join?: boolean;
  tickMs: number;
  raft: Omit<RaftConfig, 'id'>;
  writer: WriterSettings;
  writerLogFile: string | null;
  /** Applied entries between snapshots (SNAPSHOT_EVERY_ENTRIES in production). */
  snapshotEveryEntries: number;
  /** [spare-groups]: arrays among which the master moves spares (node/spare-mover.ts). Absent: none. */
  spareGroups?: readonly SpareGroup[];
}
