// The Raft core contract. Owns: the data types exchanged between the pure Raft core
// (daemon/src/raft), its storage (WAL/snapshots), its transport and the simulator.
// Invariants:
// - Everything here is plain data (no classes, no methods): it can be encoded by codec.ts,
//   persisted by storage and copied by the simulator.
// - Every Message variant carries from, to and term. A message is only ever built by the core
//   (or decoded + validated by codec.ts / validate.ts); untrusted input never reaches the
//   core's state machine without validation.
// - Ready rules (as etcd's RawNode): persist ready.snapshot, then ready.entries
//   (entries[0].index may overwrite a suffix of the stored log) and ready.hardState - with one
//   fsync when mustSync - BEFORE sending ready.messages; apply ready.committedEntries in order;
//   then call advance(ready). As etcd allows (Raft thesis §10.2.1), a leader's appends and
//   heartbeats whose commit index is durable may go while the same Ready's entries are
//   written, and a Ready that only moves the commit index needs no write before its messages
//   and applies; the next Ready waits until the entries, term and vote written are durable
//   (node/ready-order.ts).
import type { ErrorCode } from '../common/errors.js';
import { assert } from '../common/assert.js';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS } from '../common/limits.js';
import type { LogIndex, NodeId, Term } from '../common/types.js';

// ---------------------------------------------------------------------------------------------
// Log

/** The type of a log entry. A 'conf' entry's data is encodeConfChange(cc) (codec.ts). */
export type EntryType = 'normal' | 'conf';

/**
 * One Raft log entry.
 * Invariant: index >= 1; term >= 1; an empty 'normal' entry is a leader's election no-op.
 */
export interface Entry {
  term: Term;
  index: LogIndex;
  type: EntryType;
  data: Uint8Array;
}

/**
 * The state that must be durable before any message produced with it is sent.
 * Invariant: vote is the node voted for in `term` (null: no vote in this term);
 * commit never decreases across persisted HardStates.
 */
export interface HardState {
  term: Term;
  vote: NodeId | null;
  commit: LogIndex;
}

/**
 * Cluster membership.
 * Invariant: voters and learners are disjoint, without duplicates, and together hold at most
 * RAFT_MAX_MEMBERS ids.
 */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

/** A single-server membership change (dissertation ch. 4). */
export type ConfChangeType = 'add-learner' | 'promote' | 'remove';
export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
}

/** Invariant: index/term are those of the last entry covered; conf is membership at index. */
export interface SnapshotMeta {
  index: LogIndex;
  term: Term;
  conf: ConfState;
}

/** An application snapshot. data is opaque to the core. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Messages

/**
 * Every message carries the sender, the receiver and the sender's term.
 * Term rules: 'prop', 'read-index' and 'transfer-leader' are client-style forwards; their term
 * is informational and never makes the receiver change term (like etcd's local messages).
 * 'pre-vote' carries the term the sender WOULD campaign with (its term + 1) and a granted
 * 'pre-vote-resp' echoes that term; neither changes the receiver's term.
 */
interface MessageBase {
  from: NodeId;
  to: NodeId;
  term: Term;
}

/**
 * Lease/ReadIndex round tag, set by a leader on every 'app' and 'heartbeat' and echoed back
 * unchanged in the matching '...-resp'.
 * round: leader-local counter, strictly increasing within the leader's term (a read is
 * confirmed once a quorum acked a round >= the round it was registered at).
 * roundTick: the leader's nowTick when the round was sent (the lease starts from it).
 * Invariant: both are non-negative safe integers.
 */
export interface RoundTag {
  round: number;
  roundTick: number;
}

/** AppendEntries: entries follow (index, logTerm), the leader's commit is `commit`. */
export interface MsgApp extends MessageBase, RoundTag {
  type: 'app';
  /** Index of the entry just before entries[0] (prevLogIndex). */
  index: LogIndex;
  /** Term of the entry at `index` (prevLogTerm). */
  logTerm: Term;
  /** Invariant: consecutive indexes starting at index + 1, terms non-decreasing. */
  entries: Entry[];
  commit: LogIndex;
}

/**
 * Reply to 'app'. Accepted: index = the last index now known to match.
 * Rejected: index = the rejected prevLogIndex; rejectHint/logTerm give the fast back-off hint
 * (rejectHint: the first index of the follower's conflicting term logTerm, or its last index+1
 * when the follower's log is too short and logTerm = 0).
 */
export interface MsgAppResp extends MessageBase, RoundTag {
  type: 'app-resp';
  index: LogIndex;
  reject: boolean;
  rejectHint: LogIndex;
  logTerm: Term;
}

/** Heartbeat: the leader's commit, capped by the receiver's known match. */
export interface MsgHeartbeat extends MessageBase, RoundTag {
  type: 'heartbeat';
  commit: LogIndex;
}

export interface MsgHeartbeatResp extends MessageBase, RoundTag {
  type: 'heartbeat-resp';
}

/** RequestVote / PreVote. transfer: the campaign was started by a leadership transfer. */
export interface MsgVote extends MessageBase {
  type: 'vote' | 'pre-vote';
  /** Index of the candidate's last entry. */
  index: LogIndex;
  /** Term of the candidate's last entry. */
  logTerm: Term;
  transfer: boolean;
}

export interface MsgVoteResp extends MessageBase {
  type: 'vote-resp' | 'pre-vote-resp';
  reject: boolean;
  /**
   * The vote was granted inside the voter's vote lease, which it dropped because its leader's
   * process is known gone (lease.ts R5): the winner then keeps a quiet period. Absent = false.
   */
  leaseBypass?: boolean;
  /**
   * With leaseBypass: the voter's ticks since it last heard the leader whose lease it dropped,
   * counted when it voted (the quiet period runs from then, leader-gone.ts). Absent otherwise.
   */
  leaseHeardAgoTicks?: number;
}

/**
 * One chunk of a snapshot. The snapshot is identified by (meta.index, meta.term); chunks are
 * sent in order, offsetBytes + chunk.length <= totalBytes <= SNAPSHOT_MAX_BYTES; the chunk
 * with offsetBytes + chunk.length === totalBytes is the last one.
 */
export interface MsgSnap extends MessageBase {
  type: 'snap';
  meta: SnapshotMeta;
  offsetBytes: number;
  totalBytes: number;
  chunk: Uint8Array;
}

/**
 * Acknowledges snapshot chunks: nextOffsetBytes = bytes received so far, in order.
 * reject: the follower cannot continue this transfer (the leader restarts or falls back to probe).
 * Completion is acknowledged by an 'app-resp' with index = meta.index.
 */
export interface MsgSnapResp extends MessageBase {
  type: 'snap-resp';
  index: LogIndex;
  nextOffsetBytes: number;
  reject: boolean;
}

/** A proposal forwarded by a follower to its leader. Entries have index/term 0 (unassigned). */
export interface MsgProp extends MessageBase {
  type: 'prop';
  entries: Entry[];
}

/** A ReadIndex request forwarded by a follower to its leader. */
export interface MsgReadIndex extends MessageBase {
  type: 'read-index';
  requestCtx: string;
}

/** The leader's answer to 'read-index': index is the read index (valid once applied). */
export interface MsgReadIndexResp extends MessageBase {
  type: 'read-index-resp';
  requestCtx: string;
  index: LogIndex;
}

/** Leadership transfer: the receiver campaigns at once (bypassing the lease check). */
export interface MsgTimeoutNow extends MessageBase {
  type: 'timeout-now';
}

/** A transfer request forwarded by a follower to its leader. */
export interface MsgTransferLeader extends MessageBase {
  type: 'transfer-leader';
  target: NodeId;
}

export type Message =
  | MsgApp
  | MsgAppResp
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgVote
  | MsgVoteResp
  | MsgSnap
  | MsgSnapResp
  | MsgProp
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgTimeoutNow
  | MsgTransferLeader;

export type MessageType = Message['type'];

export const MESSAGE_TYPES: readonly MessageType[] = [
  'app', 'app-resp', 'heartbeat', 'heartbeat-resp', 'vote', 'vote-resp', 'pre-vote',
  'pre-vote-resp', 'snap', 'snap-resp', 'prop', 'read-index', 'read-index-resp', 'timeout-now',
  'transfer-leader',
];

// ---------------------------------------------------------------------------------------------
// Node state and Ready

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader' | 'learner';

export interface SoftState {
  lead: NodeId | null;
  role: Role;
}

export interface ReadState {
  /** The commit index to wait for (applied >= index) before serving the read. */
  index: LogIndex;
  requestCtx: string;
}

/** Everything the node shell must persist, send and apply. See the Ready rules at the top. */
export interface Ready {
  /** Non-null when lead or role changed since the last ready(). Never persisted. */
  softState: SoftState | null;
  /** Non-null when term, vote or commit changed since the last ready(). */
  hardState: HardState | null;
  /** Non-null when a snapshot received from the leader must be installed (persist + restore). */
  snapshot: Snapshot | null;
  /** New unstable entries to persist; entries[0].index may overwrite a suffix. */
  entries: Entry[];
  /** True when entries, hardState.term or hardState.vote changed: one fsync before sending. */
  mustSync: boolean;
  /** To send after persisting. */
  messages: Message[];
  /** To apply in order (the state machine). At most RAFT_MAX_COMMITTED_PER_READY. */
  committedEntries: Entry[];
  /** Confirmed linearizable reads. */
  readStates: ReadState[];
}

// ---------------------------------------------------------------------------------------------
// PRNG, config, results

/** A deterministic random source (raft/prng.ts). nextU32() returns an integer in [0, 2^32). */
export interface Prng {
  nextU32(): number;
}

/**
 * TEST-ONLY deliberately broken variants, so the simulator can prove it catches them.
 * Never set in production (the daemon never reads them from configuration).
 */
export interface RaftFaults {
  /** Grant votes without the §5.4.1 up-to-date check. */
  grantVoteWithoutLogCheck?: boolean;
  /** Commit previous-term entries by counting replicas (violates §5.4.2, Figure 8). */
  commitPreviousTermByCounting?: boolean;
  /** The leader's lease never expires and the vote-time lease check is skipped. */
  ignoreLease?: boolean;
}

export interface RaftConfig {
  id: NodeId;
  /** Minimum election timeout; each timeout is randomized in [min, 2*min). */
  electionTimeoutTicks: number;
  heartbeatTicks: number;
  /** Lease length from the tick a quorum-acked round was sent at. */
  leaseTicks: number;
  /** Bound on the difference in tick rate between any two nodes over one election timeout. */
  clockDriftBoundTicks: number;
  /** Invariant: 1 <= maxInflightAppends <= RAFT_MAX_INFLIGHT_APPENDS. */
  maxInflightAppends: number;
  /** Invariant: 1 <= maxEntriesPerAppend <= RAFT_MAX_ENTRIES_PER_APPEND. */
  maxEntriesPerAppend: number;
  checkQuorum: true;
  preVote: true;
  faults?: RaftFaults;
}

/** Asserts the static relations of a RaftConfig (the daemon validates user config first). */
export function assertRaftConfig(c: RaftConfig): void {
  const posInt = (n: number): boolean => Number.isSafeInteger(n) && n >= 1;
  assert(posInt(c.electionTimeoutTicks), 'electionTimeoutTicks must be a positive integer');
  assert(posInt(c.heartbeatTicks), 'heartbeatTicks must be a positive integer');
  assert(posInt(c.leaseTicks), 'leaseTicks must be a positive integer');
  assert(Number.isSafeInteger(c.clockDriftBoundTicks) && c.clockDriftBoundTicks >= 0,
    'clockDriftBoundTicks must be a non-negative integer');
  assert(c.heartbeatTicks < c.electionTimeoutTicks, 'heartbeatTicks < electionTimeoutTicks');
  assert(c.leaseTicks < c.electionTimeoutTicks - c.clockDriftBoundTicks,
    'leaseTicks < electionTimeoutTicks - clockDriftBoundTicks');
  assert(posInt(c.maxInflightAppends) && c.maxInflightAppends <= RAFT_MAX_INFLIGHT_APPENDS,
    'maxInflightAppends must be in [1, RAFT_MAX_INFLIGHT_APPENDS]');
  assert(posInt(c.maxEntriesPerAppend) && c.maxEntriesPerAppend <= RAFT_MAX_ENTRIES_PER_APPEND,
    'maxEntriesPerAppend must be in [1, RAFT_MAX_ENTRIES_PER_APPEND]');
}

/** What the core restarts from: storage's durable state. */
export interface RaftRestored {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  /** The durable log after the snapshot, in order, contiguous. */
  entries: Entry[];
  /**
   * The founding membership. On a FRESH node (no hard state, snapshot or entries) that is a
   * member of it, the core seeds the log with it as committed conf entries at term 1 (etcd's
   * bootstrap); every founding member must pass the same value. A node joining an existing
   * cluster must pass none (or one without itself): it learns membership from the leader's
   * log or snapshot. For a restored log without any conf entry and without a snapshot, it is
   * used as the membership at index 0. Otherwise it is ignored.
   */
  initialConf?: ConfState;
}

export type ProposeResult = { ok: true } | { ok: false; code: ErrorCode; leader: NodeId | null };

export interface RaftStatus {
  id: NodeId;
  term: Term;
  vote: NodeId | null;
  lead: NodeId | null;
  role: Role;
  commit: LogIndex;
  applied: LogIndex;
  lastIndex: LogIndex;
  conf: ConfState;
  nowTick: number;
  leaseEndTick: number | null;
  droppedMessages: number;
}

// CONTRACT READY
