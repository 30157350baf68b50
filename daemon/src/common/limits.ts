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
/** A learner is promoted only when its match index is within this many entries of the leader's last. */
export const RAFT_PROMOTE_MAX_LAG_ENTRIES = 64;
/** Longest ReadIndex request context string (UTF-16 code units). */
export const RAFT_MAX_READ_CTX_CHARS = 256;
/** Most snapshot chunks in flight (unacknowledged) to one follower. */
export const RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS = 4;

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
/** Largest encoded snapshot metadata (index, term, membership) in a snapshot file. */
export const SNAPSHOT_META_MAX_BYTES = 4096;
/** Most WAL segment files opened at recovery (compaction keeps far fewer). */
export const WAL_MAX_SEGMENTS = 4096;
/** Most storage operations queued on one DiskStorage (callers await each save; more is a bug). */
export const STORAGE_MAX_QUEUED_OPS = 1024;

// ---- transport ----
/** Largest peer frame accepted (ws maxPayload). */
export const PEER_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Most frames queued for one peer while its link is down or slow; older ones are dropped. */
export const PEER_MAX_QUEUED_FRAMES = 4096;
/** Most bytes queued for one peer (with PEER_MAX_QUEUED_FRAMES, whichever binds first). */
export const PEER_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Bytes the ws socket may hold unsent before the per-peer queue stops flushing into it
 * (kept small: a heartbeat queued behind it waits for all of it; one frame may overshoot). */
export const PEER_MAX_BUFFERED_BYTES = 2 * 1024 * 1024;
/** Most sockets the peer server holds at once (authenticated or still handshaking). */
export const PEER_MAX_INBOUND_SOCKETS = 32;
/** Largest exponent of the reconnect backoff (delay = min * 2^attempt, capped). */
export const PEER_MAX_BACKOFF_EXPONENT = 16;
/** Most host names / IPs put in one node certificate's subjectAltName by gen-certs. */
export const CERT_MAX_HOSTS_PER_NODE = 16;

// ---- config / log / sd_notify ----
/** Largest configuration file read at start-up. */
export const CONFIG_MAX_BYTES = 1024 * 1024;
/** Most arguments in a configured argv (fence-command). */
export const CONFIG_MAX_ARGV = 64;
/** Most log records kept by the capturing (test) logger; older ones are dropped. */
export const LOG_CAPTURE_MAX_ENTRIES = 10_000;
/** Largest sd_notify datagram (READY=1, STATUS=..., ...). */
export const SDNOTIFY_MAX_MESSAGE_BYTES = 4096;

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
/** Largest /proc/mdstat or mdadm output text the format parsers accept (E_TOO_LARGE above). */
export const MD_FORMAT_MAX_TEXT_BYTES = 4 * 1024 * 1024;
/** Most lines the format parsers read from one text (bounds every parse loop). */
export const MD_FORMAT_MAX_LINES = 200_000;

// ---- md simulated driver (daemon/src/md/sim, test/md-scenarios) ----
/** Most simulated disks in one shared disk directory (bounds the directory scan). */
export const SIM_MD_MAX_DISKS = 4096;
/** Largest simulated disk file (JSON record with its superblock) read from the disk directory. */
export const SIM_MD_MAX_DISK_FILE_BYTES = 256 * 1024;
/** Most sync steps (checkpoints, parking, completion) one settle of one array may process. */
export const SIM_MD_MAX_SETTLE_STEPS = 4096;
/** Most timers one ManualTime.advance() may fire (a guard against a timer re-arming at 0 ms). */
export const SIM_MD_MAX_TIMERS_PER_ADVANCE = 1_000_000;
/** Most polls of one wait in a driver-agnostic md scenario before it fails. */
export const MD_SCENARIO_MAX_POLLS = 100_000;

// ---- md kernel driver (daemon/src/md/kernel, native/) ----
/** Slow fallback re-read of every array by the kernel watcher, in ms (events normally come from poll(2)). */
export const MD_WATCH_FALLBACK_INTERVAL_MS = 5000;
/** Shortest fallback interval a caller (a test) may configure, in ms. */
export const MD_WATCH_MIN_FALLBACK_INTERVAL_MS = 20;
/** Most sysfs/proc files one watcher polls at once (mdstat first, then array files, then members). */
export const MD_WATCH_MAX_FILES = 4096;
/** Longest wait for the poll worker thread to exit on close, in ms (then it is terminated). */
export const MD_WATCH_STOP_TIMEOUT_MS = 2000;
/** Most md devices listArrays() reports (a bound on the /sys/block scan). */
export const MD_KERNEL_MAX_LISTED_ARRAYS = 4096;
/** Most components read per array and highest GET_DISK_INFO number scanned: a 4 KiB v1 superblock
 * holds (4096 - 256) / 2 device roles. */
export const MD_KERNEL_MAX_DEVICES_PER_ARRAY = 1920;
/** Largest sysfs attribute read (sysfs attributes are one page at most). */
export const MD_SYSFS_MAX_READ_BYTES = 64 * 1024;
/** Longest an mdadm create/assemble may run before it is killed, in ms. */
export const MDADM_TIMEOUT_MS = 120_000;
/** Most bytes of mdadm stdout/stderr kept (execFile maxBuffer). */
export const MDADM_MAX_OUTPUT_BYTES = 1024 * 1024;

// ---- kernel lab (test/kernel: qemu guests with real md) ----
/** Most guests one lab cluster boots at once (a full cluster, see the relation below). */
export const LAB_MAX_GUESTS = 9;
/** Most virtio-blk disks attached to one guest. */
export const LAB_MAX_DISKS_PER_GUEST = 16;
/** Bytes of a guest's serial console kept (the tail; markers are parsed as lines stream in). */
export const LAB_MAX_CONSOLE_BYTES = 1024 * 1024;
/** Longest console line the marker scanner buffers before cutting it. */
export const LAB_MAX_CONSOLE_LINE_BYTES = 16 * 1024;
/** Most LAB-MARK lines kept per guest (the oldest are dropped beyond). */
export const LAB_MAX_MARKS = 10_000;
/** Most files read back from one guest's results share. */
export const LAB_MAX_RESULT_FILES = 2000;
/** Most bytes read back from one guest's results share (all files together). */
export const LAB_MAX_RESULT_BYTES = 64 * 1024 * 1024;
/** Largest QMP reply buffered from qemu's monitor socket. */
export const LAB_MAX_QMP_REPLY_BYTES = 256 * 1024;
/** Longest guest run a test may ask for (every guest is killed by then). */
export const LAB_MAX_GUEST_TIMEOUT_MS = 20 * 60 * 1000;
/** Differential lane: mdstat probes kept per kind (distinct matched states, mismatches) for the report. */
export const DIFF_MAX_KEPT_PROBES = 200;
/** Differential lane: re-probes of /proc/mdstat when the kernel's two reads around the driver's disagree. */
export const DIFF_PROBE_MAX_RETRIES = 5;

// ---- cluster lane (test/cluster: mdclusterd on 3 qemu guests, host <-> guest agent over 9p) ----
/** Most argv words in one agent exec request. */
export const CLUSTER_LANE_MAX_ARGV = 256;
/** Longest any one agent request may run (exec, long poll), in ms. */
export const CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS = 10 * 60 * 1000;
/** Most bytes of stdout (and of stderr) an agent exec keeps; also the largest request/response file. */
export const CLUSTER_LANE_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** Most agent requests running at once in one guest (more wait in the request dir). */
export const CLUSTER_LANE_MAX_CONCURRENT_REQUESTS = 16;
/** Most request files the agent reads per poll of its request dir. */
export const CLUSTER_LANE_MAX_REQUESTS_PER_POLL = 64;
/** Most samples one clock-offset estimate takes. */
export const CLUSTER_LANE_MAX_CLOCK_SAMPLES = 64;

// ---- node shell ----
/** Writer intervals kept in memory for /api/v1/status. */
export const WRITER_LOG_MAX_INTERVALS = 256;
/** Plan/act rounds per array in one reconcile pass (each round re-reads the kernel). */
export const RECONCILE_MAX_ROUNDS = 8;
/** Slowest interval between two full reconcile passes (drift repair), in ms. */
export const RECONCILE_INTERVAL_MS = 2000;
/** Least time between two stop+re-assemble cycles of one array on a standby, in ms. */
export const REASSEMBLE_MIN_INTERVAL_MS = 1000;
/** Most Raft ticks replayed at once after an event-loop stall (more than any election timeout). */
export const RAFT_MAX_CATCHUP_TICKS = 100_000;
/** Most local md events queued for proposal. */
export const NODE_MAX_PENDING_LOCAL_EVENTS = 1024;
/** Most event subscribers on one node (control socket + websocket). */
export const NODE_MAX_SUBSCRIBERS = 128;
/** Recent cluster events kept for late subscribers. */
export const NODE_EVENT_HISTORY = 256;
/** Default and longest time one add-node / remove-node request may take (a new node's catch-up included), in ms. */
export const MEMBERSHIP_DEFAULT_TIMEOUT_MS = 60_000;
export const MEMBERSHIP_MAX_TIMEOUT_MS = 600_000;
/** Ticks between two attempts of a refused-for-now membership change (a learner still catching up). */
export const MEMBERSHIP_PROMOTE_POLL_TICKS = 5;
/** Election timeouts a peer that left the membership stays connected (its last acks, a removed
 * leader's MsgTimeoutNow) before the transport forgets it. */
export const MEMBERSHIP_PEER_LINGER_ELECTIONS = 2;

// ---- mdctl (mdctl/src) ----
/** Event keys one `mdctl --monitor` remembers for de-duplication (the oldest are forgotten first). */
export const MONITOR_MAX_SEEN_KEYS = 10_000;
/** Alerts waiting for their --program / sendmail / logger run; more are dropped with a notice. */
export const MONITOR_MAX_QUEUED_ALERTS = 1024;
/** Bound on one alert program, sendmail or logger run (it is killed after). */
export const MONITOR_ALERT_TIMEOUT_MS = 60_000;
/** Largest mdadm.conf `mdctl --monitor` reads for SparesMissing (spares= on ARRAY lines). */
export const MONITOR_MAX_CONF_BYTES = 1024 * 1024;
/** Arrays whose rebuild progress a monitor tracks (one entry per md device of the cluster). */
export const MONITOR_MAX_TRACKED_ARRAYS = 256;

// ---- deterministic simulator (test/sim) ----
/** Most events (deliveries, ticks, faults) pending in one simulated run; more is a violation. */
export const SIM_MAX_PENDING_EVENTS = 200_000;
/** Trace events kept per run (the ring a violation report prints from). */
export const SIM_TRACE_RING_EVENTS = 4096;
/** Trace events printed with a violation. */
export const SIM_TRACE_PRINT_EVENTS = 40;
/** Liveness bound: after healing, a leader must commit a fresh entry on all live voters within
 * this many nominal ticks of simulated time. */
export const SIM_LIVENESS_BOUND_TICKS = 400;
/** Default number of safety-phase steps (events) per seed. */
export const SIM_DEFAULT_STEPS = 6000;
/** Most steps a run may be asked for (--steps). */
export const SIM_MAX_STEPS = 10_000_000;
/** Most client reads awaiting their read state in one run (older ones are forgotten). */
export const SIM_MAX_PENDING_READS = 4096;
/** Most client proposals awaiting their acknowledgement in one run (older ones are forgotten). */
export const SIM_MAX_PENDING_PROPOSALS = 4096;
/** Most Ready cycles one simulated node may run for one step; more means the core never quiesces. */
export const SIM_MAX_READIES_PER_STEP = 1000;
/** Most seeds one `npm run sim` invocation may be asked for (--seeds). */
export const SIM_MAX_SEEDS = 10_000_000;
/** Violating seeds whose trace is printed in full; later ones print only their reproduce line. */
export const SIM_MAX_TRACES_PRINTED = 3;

// ---- deterministic cluster simulator (test/sim/cluster: ClusterNode + SimMdDriver per node) ----
/** Most events (timers, deliveries, faults) pending in one cluster-simulator run; more is a violation. */
export const CLUSTER_SIM_MAX_PENDING_EVENTS = 500_000;
/** Most events one cluster-simulator run may execute (a guard against a run that never ends). */
export const CLUSTER_SIM_MAX_STEPS = 20_000_000;
/** Trace events kept per cluster-simulator run (the ring a violation report prints from). */
export const CLUSTER_SIM_TRACE_RING_EVENTS = 4096;
/** Trace events printed with a cluster-simulator violation. */
export const CLUSTER_SIM_TRACE_PRINT_EVENTS = 60;
/** Setup bound: md0 must be created (fault-free) within this much simulated time, in ms. */
export const CLUSTER_SIM_SETUP_BOUND_MS = 20_000;
/** Liveness bound: after healing, a writable master and converged standbys within this many simulated ms. */
export const CLUSTER_SIM_LIVENESS_BOUND_MS = 20_000;
/** Most applied-state fingerprints (one per log index) kept for the prefix-agreement check. */
export const CLUSTER_SIM_MAX_FINGERPRINTS = 1_000_000;
/** Most seeds one cluster-simulator invocation may run (--seeds). */
export const CLUSTER_SIM_MAX_SEEDS = 1_000_000;

// ---- integration tests and daemon benchmarks (test/integration, bench/{commit,idle,failover,mdctl}) ----
/** Most sockets one test link proxy holds (forwarded or held silent while cut); the oldest is dropped. */
export const INTEG_PROXY_MAX_HELD_SOCKETS = 64;
/** Bytes of each daemon's log printed when an integration test fails. */
export const INTEG_LOG_TAIL_BYTES = 8 * 1024;
/** Largest HTTP body or control reply the harness reads from a daemon. */
export const INTEG_MAX_REPLY_BYTES = 8 * 1024 * 1024;
/** Most daemon incarnations (starts) the harness tracks per node (bounds the writer-log segments). */
export const INTEG_MAX_INCARNATIONS = 1000;
/** Most proposals the harness keeps in flight on one control connection when filling the log. */
export const INTEG_MAX_PIPELINED_PROPOSALS = 256;
/** Most samples one daemon benchmark run may take (commit latencies, failovers, process runs). */
export const BENCH_MAX_SAMPLES = 100_000;

// ---- client sessions (cluster/sessions.ts; Raft dissertation section 6.3) ----
/**
 * Most client sessions the replicated state keeps; past it the least recently used is evicted
 * (deterministically, at apply) and its id kept as a tombstone. Each mdctl invocation is one
 * session, a node's own proposals one per incarnation: 4096 covers far more than the sessions
 * that can be retrying at once (a client retries for at most its timeout, mdctl 60 s).
 */
export const SESSION_MAX_CLIENTS = 4096;
/** Results kept per session of a client that sends no ack (highest seqs): mdctl has one request in flight. */
export const SESSION_RESULT_WINDOW = 16;
/**
 * Results kept per session of a client that acks (those at or above its ack): its requests in
 * flight at once. A node's own session (node/requests.ts) refuses more than this in flight.
 */
export const SESSION_MAX_RESULTS_PER_CLIENT = 1024;
/** Stored results over all sessions (~100 bytes each in the state): past it the least recently used sessions go. */
export const SESSION_MAX_RESULTS_TOTAL = 32_768;
/**
 * Evicted client ids remembered (FIFO) so their late requests are refused (E_SESSION_EXPIRED),
 * not applied again. A retried request is applied twice only if SESSION_MAX_CLIENTS +
 * SESSION_MAX_TOMBSTONES other sessions started while it was retrying.
 */
export const SESSION_MAX_TOMBSTONES = 4096;
/** Longest stored result message (bytes of UTF-16 text): a result is an answer, not a log. */
export const SESSION_MAX_MESSAGE_CHARS = 256;
/** md operations awaiting the master's md result per array; more are refused (E_SESSIONS_FULL). */
export const MD_MAX_PENDING_OPS_PER_ARRAY = 64;
/** Reconcile passes an md operation may fail transiently before it is reported failed for good. */
export const MD_MAX_OP_ATTEMPTS = 5;

// ---- relations ----
assert(RAFT_MAX_ENTRY_BYTES <= RAFT_MAX_APPEND_BYTES, 'one entry must fit in one append');
assert(RAFT_MAX_APPEND_BYTES + 64 * 1024 <= PEER_MAX_FRAME_BYTES, 'one full append must fit in one peer frame');
assert(RAFT_MAX_ENTRY_BYTES + 64 <= WAL_MAX_RECORD_BYTES, 'one entry must fit in one WAL record');
assert(WAL_MAX_RECORD_BYTES <= WAL_SEGMENT_BYTES, 'one record must fit in one segment');
assert(16 + 2 + RAFT_MAX_MEMBERS * 64 <= SNAPSHOT_META_MAX_BYTES, 'snapshot metadata (2 u64 + members) fits its bound');
assert(SNAPSHOT_CHUNK_BYTES + 64 * 1024 <= PEER_MAX_FRAME_BYTES, 'one snapshot chunk must fit in one peer frame');
assert(RAFT_MAX_APPEND_BYTES <= PEER_MAX_BUFFERED_BYTES, 'a full append can be in flight while the next is queued');
assert(PEER_MAX_FRAME_BYTES * 4 <= PEER_MAX_QUEUED_BYTES, 'a peer queue holds several full frames');
assert(PEER_MAX_INBOUND_SOCKETS >= 2 * RAFT_MAX_MEMBERS, 'every peer can hold a link while another reconnects');
assert(SNAPSHOT_KEEP_TRAILING_ENTRIES < SNAPSHOT_EVERY_ENTRIES, 'compaction must leave fewer entries than the snapshot interval');
assert(MD_MAX_ARRAYS * MD_MAX_MEMBERS_PER_ARRAY * 512 <= RAFT_MAX_ENTRY_BYTES * 64, 'cluster state stays snapshot-sized');
assert(LAB_MAX_GUESTS >= RAFT_MAX_MEMBERS, 'the kernel lab can boot a full cluster');
assert(SIM_TRACE_PRINT_EVENTS <= SIM_TRACE_RING_EVENTS, 'a violation report prints from the kept trace');
assert(SIM_DEFAULT_STEPS <= SIM_MAX_STEPS, 'the default run is a valid run');
assert(LAB_MAX_CONSOLE_LINE_BYTES <= LAB_MAX_CONSOLE_BYTES, 'one console line fits the kept console');
assert(MD_WATCH_MIN_FALLBACK_INTERVAL_MS <= MD_WATCH_FALLBACK_INTERVAL_MS, 'the default watcher fallback is a valid interval');
assert(MD_KERNEL_MAX_DEVICES_PER_ARRAY >= MD_MAX_MEMBERS_PER_ARRAY, 'the kernel driver reads every member a managed array can have');
assert(MD_WATCH_MAX_FILES >= 1 + 8 + MD_MAX_MEMBERS_PER_ARRAY, 'the watcher can poll at least one full array');
assert(MEMBERSHIP_DEFAULT_TIMEOUT_MS <= MEMBERSHIP_MAX_TIMEOUT_MS, 'the default membership timeout is a valid timeout');
assert(MONITOR_MAX_TRACKED_ARRAYS >= MD_MAX_ARRAYS, 'a monitor tracks every array a cluster can hold');
assert(SESSION_RESULT_WINDOW >= 2, 'a session keeps its last result and the one before');
assert(SESSION_MAX_RESULTS_PER_CLIENT <= SESSION_MAX_RESULTS_TOTAL, 'one acking client fits in the table');
assert(CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS < LAB_MAX_GUEST_TIMEOUT_MS, 'a cluster-lane request ends before its guest is killed');
