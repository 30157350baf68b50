// How a configuration becomes the NodeSettings of a ClusterNode: the one derivation, used by
// the daemon (daemon.ts) and by the cluster simulator's hosts (test/sim/cluster/host.ts), so the
// simulator runs the node exactly as configured in production.
// Owns: the Raft config derived from the timing section (fixed protocol choices: check-quorum
// and pre-vote on; the append bounds from common/limits.ts), the writer role's demote margin,
// and the peer list. Invariants: nothing here reads the environment, the clock or the disk;
// the caller supplies what differs per process (reboot hook, writer log file, snapshot period).
// Lives above config/ and node/ (it needs both types): see LAYERS in .dependency-cruiser.cjs.
import { assert } from './common/assert.js';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS } from './common/limits.js';
import type { Config } from './config/config.js';
import { formatHostPort } from './config/hostport.js';
import type { NodeSettings } from './node/node.js';

/** The parts of a Config a node is built from. */
export type NodeConfig = Pick<Config, 'nodeId' | 'peers' | 'cluster' | 'timing' | 'master'> & Partial<Pick<Config, 'spareGroups'>>;

/** What the process running the node decides, not the configuration. */
export interface NodeHooks {
  /** The fence of last resort (fence-action = "reboot"). */
  reboot: () => void;
  writerLogFile: string | null;
  snapshotEveryEntries: number;
}

/** The writer role demotes when fewer than a fifth of the lease ticks (at least 1) remain. */
const DEMOTE_MARGIN_LEASE_FRACTION = 5;

export function nodeSettingsFromConfig(config: NodeConfig, hooks: NodeHooks): NodeSettings {
  const t = config.timing;
  const m = config.master;
  const demoteMarginTicks = Math.max(1, Math.floor(t.leaseTicks / DEMOTE_MARGIN_LEASE_FRACTION));
  // The writer demotes while the lease still runs: config.ts guarantees leaseTicks > heartbeatTicks >= 1.
  assert(demoteMarginTicks < t.leaseTicks, 'the demote margin must be shorter than the lease');
  return {
    id: config.nodeId,
    peers: [...config.peers].map(([id, hp]) => ({ id, address: formatHostPort(hp) })),
    join: config.cluster.join,
    tickMs: t.tickMs,
    raft: {
      electionTimeoutTicks: t.electionTicks, heartbeatTicks: t.heartbeatTicks, leaseTicks: t.leaseTicks,
      clockDriftBoundTicks: t.driftBoundTicks, maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS,
      maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND, checkQuorum: true, preVote: true,
    },
    writer: {
      demoteMarginTicks,
      fenceAction: m.fenceAction, fenceCommand: m.fenceCommand, fenceTimeoutMs: m.fenceTimeoutMs,
      fenceRequired: m.fenceRequired, checkpointIntervalMs: m.checkpointIntervalMs,
      unconfirmedGraceMs: m.unconfirmedGraceMs, reboot: hooks.reboot,
    },
    writerLogFile: hooks.writerLogFile,
    snapshotEveryEntries: hooks.snapshotEveryEntries,
    spareGroups: config.spareGroups ?? [],
  };
}
