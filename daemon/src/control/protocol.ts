// The control-socket protocol between mdctl and the local daemon: versioned JSON, one request
// per line, one or more response lines per request (a subscription streams events).
// Owns: the request/response shapes. Invariant: this file has no runtime imports, so mdctl can
// depend on it without loading daemon code; the daemon validates requests in server.ts.
import type { ErrorCode } from '../common/errors.js';

export const CONTROL_PROTOCOL_VERSION = 1;
export const DEFAULT_CONTROL_SOCKET = '/run/mdclusterd/control.sock';

export type ControlRequest =
  /**
   * Propose a replicated command; resolves when applied here and, unless waitMd is false, when
   * the master reported md's result (or on all live nodes with waitAll). With a session the
   * request is exactly-once: asking again with the same session (on any node) gets the recorded
   * outcome and never applies it twice. Result: { index, md: 'none'|'done'|'failed'|'superseded'|'pending' }.
   */
  | { v: 1; id: number; type: 'propose'; command: Record<string, unknown>; session?: { client: string; seq: number }; waitAll?: boolean; waitMd?: boolean; timeoutMs?: number }
  /** Read the cluster state: linearizable (ReadIndex) unless local is true. */
  | { v: 1; id: number; type: 'state'; local?: boolean }
  /** The cluster-wide /proc/mdstat text. */
  | { v: 1; id: number; type: 'mdstat'; local?: boolean }
  /** This node's kernel view of one array (or all). */
  | { v: 1; id: number; type: 'kernel'; device?: string }
  /** Read a component's superblock through this node's md driver. */
  | { v: 1; id: number; type: 'examine'; path: string }
  /**
   * mdadm --zero-superblock of a component through this node's md driver, refused for a member
   * of a running array (and of a stopped one unless force). Result: { result: 'zeroed'|'none' }.
   */
  | { v: 1; id: number; type: 'zero-superblock'; path: string; force?: boolean }
  /** Stream cluster events until the connection closes. */
  | { v: 1; id: number; type: 'subscribe' }
  | { v: 1; id: number; type: 'step-down'; to?: string }
  /** Master only: adds a node as a learner, promotes it once caught up (node/membership.ts). */
  | { v: 1; id: number; type: 'add-node'; node: string; address: string; timeoutMs?: number }
  /** Master only: removes a node; force skips the quorum-after-removal check. */
  | { v: 1; id: number; type: 'remove-node'; node: string; force?: boolean; timeoutMs?: number }
  /** This node confirms it sees the device (md-cluster's --cluster-confirm). */
  | { v: 1; id: number; type: 'confirm'; path: string };

export type ControlRequestType = ControlRequest['type'];

export interface ControlErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type ControlResponse =
  | { v: 1; id: number; ok: true; result: unknown }
  | { v: 1; id: number; ok: false; error: ControlErrorBody }
  /** A streamed event of a subscription. */
  | { v: 1; id: number; event: ClusterEvent };

/** Events for monitors: mdadm's names plus the cluster's. Each is raised once per cluster. */
export interface ClusterEvent {
  /** Stable key: the Raft index (or term for leadership events) that caused it; dedups across nodes. */
  key: string;
  name:
    | 'Fail' | 'FailSpare' | 'DegradedArray' | 'SparesMissing' | 'SpareActive' | 'NewArray' | 'DeviceDisappeared'
    | 'RebuildStarted' | 'Rebuild' | 'RebuildFinished' | 'MoveSpare' | 'TestMessage'
    /** A member left the array's record (hot-removed after it failed, a spare taken out, or dropped by md). */
    | 'DeviceRemoved'
    | 'MasterChanged' | 'NodeDown' | 'NodeUp' | 'QuorumLost' | 'QuorumRegained'
    /** The cluster's own: degraded when the master's daemon first assembled it; a failed demotion; a fence command run. */
    | 'DegradedAtBoot' | 'DemoteFailed' | 'FenceRan'
    /** md refused a committed client operation after commit: the record was put back (md-done failed). */
    | 'OpRefused';
  device: string | null;
  component: string | null;
  /** For Rebuild: the percentage reached. */
  percent?: number;
  /** For RebuildFinished: md's mismatch_cnt after the sync (absent when unknown), and the raid level number. */
  mismatchCount?: number;
  raidLevel?: number;
  detail?: string;
  node: string;
  timeMs: number;
}
