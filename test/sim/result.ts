// The shape of one simulated run's outcome (runSeed in sim.ts) and its one-line summaries.
// Owns: RunOptions, Violation, RunStats, RunResult and the world description in the trace.
// Invariant: plain data only, so tests and the CLI can inspect results freely.
import type { RaftFaults } from '../../daemon/src/raft/types.js';
import type { Profile, World } from './scenario.js';
import type { TraceEvent } from './trace.js';

export interface RunOptions {
  /** Safety-phase steps (events). Default SIM_DEFAULT_STEPS. */
  steps?: number;
  /** TEST-ONLY broken core variants. */
  faults?: RaftFaults;
  /** Receives every trace line as it happens (--verbose). */
  sink?: (line: string) => void;
  /** Pins the seed's fault profile (default: drawn from the seed). */
  profile?: Profile;
}

export interface Violation {
  /** The property broken (election-safety, log-matching, lease, liveness, ...). */
  property: string;
  message: string;
  atUs: number;
  step: number;
  phase: 'safety' | 'liveness';
}

export interface RunStats {
  steps: number;
  simulatedMs: number;
  nodes: number;
  sent: number;
  delivered: number;
  crashes: number;
  restarts: number;
  faultActions: number;
  maxCommitted: number;
  proposed: number;
  acked: number;
  readsDone: number;
  livenessMs: number;
}

export interface RunResult {
  seed: number;
  /** Empty, or the first violation (a run stops at it). */
  violations: Violation[];
  trace: TraceEvent[];
  stats: RunStats;
  world: World;
}

export function describeWorld(w: World): string {
  const r = w.raft;
  const n = w.net;
  return `profile=${w.profile} voters=${w.initialVoters.length} spares=${w.nodeIds.length - w.initialVoters.length} ` +
    `election=${r.electionTimeoutTicks} hb=${r.heartbeatTicks} lease=${r.leaseTicks} drift=${r.clockDriftBoundTicks} ` +
    `inflight=${r.maxInflightAppends} batch=${r.maxEntriesPerAppend} delay=${n.minDelayUs}-${n.maxDelayUs}us ` +
    `loss=${n.lossRate} dup=${n.dupRate} reorder=${n.reorderRate} partitions=${n.partitionMode} ` +
    `drifts=${w.driftRates.map((d) => d.toFixed(4)).join(',')}`;
}
