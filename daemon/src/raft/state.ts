// The shape of one node's Raft state machine as the per-concern modules see it (election.ts,
// replication.ts, readindex.ts, lease.ts, leader-state.ts, transfer.ts, snapshot-transfer.ts,
// proposals.ts, roles.ts). Owns: that interface and the state records it holds (read queue,
// snapshot receiver). raft.ts implements it (class Raft).
// Invariants: this module imports no concern module, so the concern modules can name the state
// without importing raft.ts; replication.ts reaches the concerns above it (commit advance,
// heartbeat round acks, a pending leadership transfer) only through the dispatch methods at
// the end of RaftState, implemented by raft.ts. The field invariants are stated in raft.ts.
import type { NodeId, Term } from '../common/types.js';
import type { RaftLog } from './log.js';
import type { Progress } from './progress.js';
import type { ConfState, HardState, Message, Prng, RaftConfig, ReadState, Role, SnapshotMeta } from './types.js';

export type StepFn = (r: RaftState, m: Message) => void;
export type TickFn = (r: RaftState) => void;

export interface PendingRead {
  index: number;
  requestCtx: string;
  from: NodeId;
  /** The round that must be acknowledged by a quorum. */
  round: number;
}

export interface ReadQueue {
  pending: PendingRead[];
  /** Reads received before the leader committed an entry of its term. */
  beforeCommit: { requestCtx: string; from: NodeId }[];
  /** A heartbeat round must be broadcast for the newest pending reads. */
  broadcastNeeded: boolean;
}

export interface SnapshotReceiver {
  leaderTerm: number;
  meta: SnapshotMeta;
  totalBytes: number;
  chunks: Uint8Array[];
  /** Invariant: sum of chunks' lengths; <= totalBytes. */
  receivedBytes: number;
}

export interface RaftState {
  readonly id: NodeId;
  readonly cfg: RaftConfig;
  readonly prng: Prng;
  term: Term;
  vote: NodeId | null;
  lead: NodeId | null;
  role: Role;
  readonly log: RaftLog;
  prs: Map<NodeId, Progress>;
  votes: Map<NodeId, boolean>;
  msgs: Message[];
  readStates: ReadState[];
  nowTick: number;
  electionElapsed: number;
  heartbeatElapsed: number;
  randomizedElectionTimeout: number;
  heardLeaderTick: number;
  /** The leader heardLeaderTick refers to (null: none heard since start, or this node). */
  heardLeaderId: NodeId | null;
  /** R5: the shell's evidence that heardLeaderId's process is gone (cleared when it is heard again). */
  goneLeader: NodeId | null;
  /** Candidate: the latest quiet-period end the R5 votes of this campaign impose (0: none). */
  campaignQuietUntilTick: number;
  /** Leader: before this tick no round counts for the lease and nothing commits (R5 quiet period). */
  quietUntilTick: number;
  leaseEndTick: number | null;
  leaderStartTick: number;
  round: number;
  leadTransferee: NodeId | null;
  transferStartTick: number;
  timeoutNowSent: boolean;
  pendingConfIndex: number;
  reads: ReadQueue;
  snapRecv: SnapshotReceiver | null;
  droppedMessages: number;
  stepFn: StepFn;
  tickFn: TickFn;

  conf(): ConfState;
  voters(): readonly NodeId[];
  promotable(): boolean;
  hardState(): HardState;
  fault(name: keyof NonNullable<RaftConfig['faults']>): boolean;
  inVoteLease(): boolean;
  send(m: Message): void;
  becomeFollower(t: Term, lead: NodeId | null): void;
  becomePreCandidate(): void;
  becomeCandidate(): void;
  becomeLeader(): void;
  onConfChanged(): void;

  // ---- dispatch out of replication.ts (see the header) ----
  /** The leader's commit index advanced, already broadcast (leader-state.ts afterCommit). */
  afterCommit(): void;
  /** A follower acknowledged heartbeat round `round`, sent at `roundTick` (lease.ts ackRound). */
  ackRound(pr: Progress, round: number, roundTick: number): void;
  /** A follower's match advanced: a pending leadership transfer to it may fire (transfer.ts). */
  maybeSendTimeoutNow(to: NodeId): void;
}
