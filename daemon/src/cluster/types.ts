// The replicated cluster state: what every node agrees the md arrays and the cluster look like.
// Owns: the data model applied identically on every node from committed Raft entries.
// Invariants:
// - ClusterState is changed only by apply.ts, deterministically, from committed commands; it
//   never depends on local time, local kernel state or randomness.
// - arrays are sorted by device name; member paths are unique within an array and no path is a
//   member of two arrays (removed members excepted).
// - master.term only grows; a command stamped with a fencing token (term) other than
//   master.term is refused at apply time.
import type { LogIndex, NodeId, Sectors, Term } from '../common/types.js';
import type { MdLevel } from '../md/types.js';
import { emptySessionTable, type SessionTable } from './sessions.js';

export { newestStartedFirst } from './array-order.js';

/** What the cluster says a member is. 'active' members hold a slot (in sync or recovering). */
export type MemberRole = 'active' | 'spare' | 'faulty' | 'removed';

export interface MemberRecord {
  /** Canonical component path (same on every node unless localPaths overrides it). */
  path: string;
  /** Per-node path override: node id -> that node's path for this component. */
  localPaths: Record<string, string>;
  /** Device UUID from the member's superblock, once the master has observed it. */
  deviceUuid: string | null;
  role: MemberRole;
  /** Invariant: non-null iff role is 'active'. */
  slot: number | null;
  /** Invariant: false unless role is 'active'. An active member that is not in sync is recovering. */
  inSync: boolean;
  /** Superblock dev_number as the master's kernel reports it (mdstat's [N]); -1 until observed. */
  descNumber: number;
  writeMostly: boolean;
  /** The admin asked for this member to be replaced (md want_replacement). */
  wantReplacement: boolean;
  /** This member is the replacement for the member at that path. */
  replacementFor: string | null;
  /** The master kernel's name and numbers for this component (e.g. "sdb", 8:16); null until observed. */
  kernelName: string | null;
  major: number;
  minor: number;
  /** An add the master has yet to carry out and observe ('re-add' uses the old superblock). */
  pendingAdd: 'add' | 're-add' | null;
  /**
   * Log index of the last client command (or md result) that changed this member's admin state;
   * absent in records written before conditional observations (read as 0). An observation based
   * on an older index does not touch the member (apply.ts, applyObserve).
   */
  changedIndex?: number;
}

/** Which part of an array an md operation acts on; a later operation on the same target supersedes it. */
export type MdTarget = { member: string } | { array: 'run' | 'read-only' | 'sync' | 'grow' };

/**
 * An applied client command the master has yet to carry out in md (its session result is
 * 'pending'). The master reports md's verdict with an md-done entry; on failure the record
 * goes back to `undo` (cluster/md-ops.ts).
 */
export interface PendingMdOp {
  client: string;
  seq: number;
  op: string;
  target: MdTarget;
  /** Index at which the command was applied. */
  sinceIndex: number;
  /** The record parts the command changed, as they were before it (restored if md refuses). */
  undo: { members: { path: string; before: MemberRecord | null }[]; array: Partial<Pick<ArrayRecord, 'run' | 'adminReadOnly' | 'requestedAction' | GrowField>> | null; created: boolean };
}

/** The array fields a grow command changes (cluster/grow.ts); its undo restores exactly these. */
export type GrowField = 'bitmap' | 'bitmapChunkKiB' | 'componentSizeKiB' | 'growAssumeClean' | 'raidDisks' | 'chunkKiB' | 'growBackupFile';

/**
 * 'reshape': doneSectors is md's reshape_position (array sectors already in the new layout) and
 * totalSectors the array's size once reshaped; a new master never runs an array whose
 * superblocks say less than the checkpoint (cluster/plan.ts).
 */
export type CheckpointAction = 'idle' | 'resync' | 'recover' | 'check' | 'repair' | 'reshape';

export interface SyncCheckpoint {
  action: CheckpointAction;
  /** Invariant: doneSectors <= totalSectors. */
  doneSectors: Sectors;
  totalSectors: Sectors;
  /** Fencing token (master term) of the master that recorded it. */
  term: Term;
  /** The master kernel's sync_speed when recorded (for finish=/speed= in the cluster view). */
  speedKiBps: number;
  /** md's mismatch_cnt when a sync ended (action 'idle'); absent when not reported. */
  mismatchCount?: number;
}

export interface ArrayRecord {
  /** Kernel name, e.g. "md0". Invariant: unique in the cluster. */
  device: string;
  /** Invariant: unique in the cluster; colon form. */
  uuid: string;
  name: string;
  level: MdLevel;
  raidDisks: number;
  layout: string | null;
  chunkKiB: number | null;
  metadata: string;
  bitmap: 'internal' | 'none';
  assumeClean: boolean;
  /** Component size in KiB as the master observed it; null until observed. */
  componentSizeKiB: number | null;
  arraySizeKiB: number | null;
  /** Creation time from the superblock (seconds since the epoch), once observed; 0 before. */
  ctimeSec: number;
  /**
   * Member paths in the master kernel's list order (newest bound first), as last observed;
   * absent until observed. Each node's kernel binds members in its own order (a creator in
   * role order, mdadm --assemble the freshest last, hot-adds at the head), so the cluster
   * view follows the writable copy: /mdstat on every node equals the master's /proc/mdstat.
   */
  memberOrder?: string[];
  /** The internal bitmap's chunk in KiB as the master observed it; absent/null until observed. */
  bitmapChunkKiB?: number | null;
  /** 'running' arrays are assembled on every node (writable on the master only). */
  run: 'running' | 'stopped';
  /**
   * Log index of the entry that last started the array (create, assemble, run); absent in
   * snapshots written before it existed (read as 0). The cluster-wide /proc/mdstat lists
   * arrays newest-started first, as the kernel lists its md devices newest first.
   */
  startedIndex?: number;
  /** The admin asked for the array to be read-only everywhere (mdadm --readonly). */
  adminReadOnly: boolean;
  /** True once the array exists on disk (the master created or assembled it and observed it). */
  materialized: boolean;
  members: MemberRecord[];
  sync: SyncCheckpoint;
  /** How the array came to the cluster: the master creates ('create') or assembles it. */
  origin: 'create' | 'assemble';
  /** Pending admin sync request (check / repair / idle / frozen) for the master to carry out. */
  requestedAction: 'check' | 'repair' | 'idle' | 'frozen' | null;
  /** Base index of the newest observation applied (an older one is ignored); absent until one. */
  observedBase?: number;
  /**
   * Log index of the last grow command (or md's refusal of one) that changed the array's shape
   * (bitmap, ...); absent = 0. An observation based on an older index leaves those fields alone
   * (apply.ts applyObserve), and until an observation at or after it the master carries the
   * record's shape out (plan.ts) instead of observing the kernel's.
   */
  growIndex?: number;
  /** The last size grow asked md not to resync the new region (mdadm --grow --size --assume-clean); absent = false. */
  growAssumeClean?: boolean;
  /** The backup file the last --raid-devices or --chunk grow gave mdadm on the master; absent = none. */
  growBackupFile?: string;
  /** Client commands awaiting the master's md result, oldest first; absent = none. Invariant: length <= MD_MAX_PENDING_OPS_PER_ARRAY. */
  pendingMd?: PendingMdOp[];
}

export interface NodeRecord {
  id: NodeId;
  /** "host:port" of the peer listener. */
  address: string;
}

/**
 * The master record. `uncleared` lists every earlier master not yet proven to hold no writable
 * array: a master claim adds the master it replaces (whether or not that one ever wrote: only
 * its own confirmation or a fence proves it), so a master that never became writer because its
 * predecessor was frozen passes that predecessor on to the next claim instead of hiding it.
 * An entry leaves the list only by a `master-cleared` entry of the current term (the old master
 * said, in that term, that it holds nothing writable, or it was fenced) or when its node is
 * removed from the cluster. Absent in snapshots written before the list existed = empty.
 * Invariant: never contains `node`; at most one entry per node id, sorted.
 */
export interface MasterRecord {
  node: NodeId;
  term: Term;
  uncleared?: NodeId[];
}

export interface ClusterState {
  arrays: ArrayRecord[];
  /** Invariant: sorted by id. */
  nodes: NodeRecord[];
  /** The current master, its fencing token, and the earlier masters it has yet to clear. */
  master: MasterRecord | null;
  /** Device path -> nodes that confirmed they see it (sorted). */
  deviceSeen: Record<string, NodeId[]>;
  /** Index of the last applied entry. */
  appliedIndex: LogIndex;
  /**
   * Every alert raised by entries up to this index was delivered by a master (its alerts-sent
   * entry); a new master delivers the alerts of later entries again. Absent = 0.
   */
  alertsSentThrough?: number;
  /** Client sessions (cluster/sessions.ts); absent in snapshots written before sessions. */
  sessions?: SessionTable;
}

export function emptyClusterState(): ClusterState {
  return { arrays: [], nodes: [], master: null, deviceSeen: {}, appliedIndex: 0 as LogIndex, sessions: emptySessionTable() };
}

/** The session table of `state`, created if a snapshot from before sessions lacks it. */
export function sessionsOf(state: ClusterState): SessionTable {
  if (!state.sessions) state.sessions = emptySessionTable();
  return state.sessions;
}
