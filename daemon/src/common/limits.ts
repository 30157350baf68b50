// Every bound on a queue, map, buffer, batch or loop in the project, by name, in one place.
// Owns: the numbers; each user imports the constant rather than writing a literal.
// Invariant: the relations between limits are asserted at the bottom of this file, at load.
// Editing rule for contributors: add constants to your own section with a one-line comment;
// never rewrite the file wholesale (several people edit it).
import { assert } from './assert.js';

// ---- raft ----
/** Most append messages in flight (unacknowledged) to one follower. */
export const RAFT_MAX_INFLIGHT_APPENDS = 64;
/** Most entries carried by one append message. */
export const RAFT_MAX_ENTRIES_PER_APPEND = 512;
/** Most bytes of entry payload carried by one append message. */
export const RAFT_MAX_APPEND_BYTES = 1024 * 1024;
/** Most proposals waiting in a leader's or follower's proposal queue. */
export const RAFT_MAX_PENDING_PROPOSALS = 10_000;
/** Most pending ReadIndex requests. */
export const RAFT_MAX_PENDING_READS = 10_000;
/** Largest single entry payload in bytes. */
export const RAFT_MAX_ENTRY_BYTES = 256 * 1024;
/** Most committed entries handed out by one ready(). */
export const RAFT_MAX_COMMITTED_PER_READY = 4096;
/** Most members (voters + learners) in a cluster. */
export const RAFT_MAX_MEMBERS = 9;

// ---- storage ----
/** Segment file size at which a new WAL segment is started. */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;
/** Largest WAL record (header + payload). */
export const WAL_MAX_RECORD_BYTES = 2 * 1024 * 1024;
/** Applied entries since the last snapshot that trigger a new snapshot. */
export const SNAPSHOT_EVERY_ENTRIES = 10_000;
/** Entries kept in the log behind a snapshot, for slow followers. */
export const SNAPSHOT_KEEP_TRAILING_ENTRIES = 5_000;
/** Bytes of snapshot data in one transfer chunk. */
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;
/** Largest snapshot accepted from a peer. */
export const SNAPSHOT_MAX_BYTES = 64 * 1024 * 1024;

// ---- transport ----
/** Largest peer frame accepted (ws maxPayload). */
export const PEER_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Most frames queued for one peer while its link is down or slow; older ones are dropped. */
export const PEER_MAX_QUEUED_FRAMES = 4096;

// ---- control socket / status ----
/** Longest control request line. */
export const CONTROL_MAX_LINE_BYTES = 64 * 1024;
/** Most concurrent control connections. */
export const CONTROL_MAX_CONNECTIONS = 64;
/** Most live websocket watchers. */
export const STATUS_MAX_WATCHERS = 64;
/** Largest HTTP request head/body accepted by the status endpoint. */
export const STATUS_MAX_REQUEST_BYTES = 16 * 1024;

// ---- md ----
/** Most arrays managed by one cluster. */
export const MD_MAX_ARRAYS = 256;
/** Most members (including spares) per array. */
export const MD_MAX_MEMBERS_PER_ARRAY = 64;
/** Most events buffered between the md watcher and the node shell. */
export const MD_MAX_PENDING_EVENTS = 4096;

// ---- relations ----
assert(RAFT_MAX_ENTRY_BYTES <= RAFT_MAX_APPEND_BYTES, 'one entry must fit in one append');
assert(RAFT_MAX_APPEND_BYTES + 64 * 1024 <= PEER_MAX_FRAME_BYTES, 'one full append must fit in one peer frame');
assert(RAFT_MAX_ENTRY_BYTES + 64 <= WAL_MAX_RECORD_BYTES, 'one entry must fit in one WAL record');
assert(WAL_MAX_RECORD_BYTES <= WAL_SEGMENT_BYTES, 'one record must fit in one segment');
assert(SNAPSHOT_CHUNK_BYTES + 64 * 1024 <= PEER_MAX_FRAME_BYTES, 'one snapshot chunk must fit in one peer frame');
assert(SNAPSHOT_KEEP_TRAILING_ENTRIES < SNAPSHOT_EVERY_ENTRIES, 'compaction must leave fewer entries than the snapshot interval');
assert(MD_MAX_ARRAYS * MD_MAX_MEMBERS_PER_ARRAY * 512 <= RAFT_MAX_ENTRY_BYTES * 64, 'cluster state stays snapshot-sized');
