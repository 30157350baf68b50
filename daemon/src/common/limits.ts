// Every bound of the shipped programs (mdclusterd, mdctl, native/) on a queue, map, buffer,
// batch, loop, input size or wait, by name, in one place. Bounds used only by tests, the
// simulators, the qemu lanes and the benchmarks live in test/lib/limits.ts.
// Owns: the numbers, each with what it bounds and why this size; each user imports the
// constant rather than writing a literal.
// Invariant: the relations between limits (LIMIT_RELATIONS, at the bottom) hold; they are
// asserted when this module loads, so a program with inconsistent limits never starts.
// Editing rule for contributors: add constants to your own section with a one-line comment;
// never rewrite the file wholesale (several people edit it).
import { assert } from './assert.js';
import { NODE_ID_PATTERN } from './types.js';

// ---- raft ----
/** Most append messages in flight (unacknowledged) to one follower: pipelines a 64-deep window
 * over a LAN round trip without letting a dead follower pin unbounded memory. */
export const RAFT_MAX_INFLIGHT_APPENDS = 64;
/** Most entries carried by one append message: a catching-up follower gets big batches, still
 * far below the byte bound for the small md commands. */
export const RAFT_MAX_ENTRIES_PER_APPEND = 512;
/** Most bytes of entry payload carried by one append message: one append stays well inside a
 * peer frame (relation below) and a heartbeat queued behind it waits at most ~1 MiB. */
export const RAFT_MAX_APPEND_BYTES = 1024 * 1024;
/** Most proposals waiting in a leader's or follower's proposal queue: far above any md
 * workload (commands are per admin action), small enough to refuse a runaway client. */
export const RAFT_MAX_PENDING_PROPOSALS = 10_000;
/** Most pending ReadIndex requests: same reasoning as the proposal queue. */
export const RAFT_MAX_PENDING_READS = 10_000;
/** Largest single entry payload in bytes: the biggest command (create/observe with 64 members)
 * is a few KiB; 256 KiB leaves room and keeps one entry inside one append and one WAL record. */
export const RAFT_MAX_ENTRY_BYTES = 256 * 1024;
/** Most committed entries handed out by one ready(): bounds one apply pass so the event loop
 * keeps serving ticks and heartbeats while a restarted node replays its log. */
export const RAFT_MAX_COMMITTED_PER_READY = 4096;
/** Most members (voters + learners) in a cluster: md-cluster's shared-disk model tops out at a
 * handful of hosts; 9 voters already tolerate 4 failures. */
export const RAFT_MAX_MEMBERS = 9;
/** A learner is promoted only when its match index is within this many entries of the leader's
 * last: one append closes the gap (relation below), so the new voter does not stall commits. */
export const RAFT_PROMOTE_MAX_LAG_ENTRIES = 64;
/** Longest ReadIndex request context string (UTF-16 code units): request ids are short
 * counters; the bound keeps a hostile peer from inflating every heartbeat. */
export const RAFT_MAX_READ_CTX_CHARS = 256;
/** Largest term increase a peer message may bring, over this node's term; a message further
 * ahead is refused (node/ready-loop.ts): 2^32 elections take 136 years at one per second, so
 * only a broken or hostile peer gets there, and a single message cannot push every node's term
 * to the end of the term space (MAX_SAFE_INTEGER). */
export const RAFT_MAX_TERM_JUMP = 2 ** 32;
/** Most snapshot chunks in flight (unacknowledged) to one follower: 4 x 256 KiB keeps the link
 * busy without starving heartbeats. */
export const RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS = 4;
/** Longest node id on the Raft wire, in bytes: NODE_ID_PATTERN allows 63 ASCII characters
 * (relation below); a longer field is a malformed message. */
export const RAFT_WIRE_MAX_NODE_ID_BYTES = 64;
/** Most ids in one encoded membership (voters or learners) on the wire: above RAFT_MAX_MEMBERS
 * (relation below), so only malformed messages are refused. */
export const RAFT_WIRE_MAX_CONF_IDS = 64;

// ---- storage ----
/** Segment file size at which a new WAL segment is started: compaction deletes whole segments,
 * so 16 MiB keeps the disk use near the retained log without many small files. */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;
/** Smallest segment size a caller (a test forcing rotation) may configure: one header and one
 * small record. */
export const WAL_MIN_SEGMENT_BYTES = 64;
/** Largest WAL record (header + payload): one maximal entry plus its headers (relation below). */
export const WAL_MAX_RECORD_BYTES = 2 * 1024 * 1024;
/** Applied entries since the last snapshot that trigger a new snapshot: the cluster state is
 * small, so snapshots are cheap, and a restart replays at most this many small entries. */
export const SNAPSHOT_EVERY_ENTRIES = 10_000;
/** Entries kept in the log behind a snapshot, for slow followers: a follower that missed fewer
 * catches up by appends instead of a snapshot transfer. */
export const SNAPSHOT_KEEP_TRAILING_ENTRIES = 5_000;
/** Bytes of snapshot data in one transfer chunk: fits a peer frame (relation below). */
export const SNAPSHOT_CHUNK_BYTES = 256 * 1024;
/** Largest snapshot accepted from a peer: the cluster state of MD_MAX_ARRAYS full arrays is far
 * smaller; a bigger one is hostile or corrupt. */
export const SNAPSHOT_MAX_BYTES = 64 * 1024 * 1024;
/** Largest encoded snapshot metadata (index, term, membership) in a snapshot file: holds a full
 * membership (relation below). */
export const SNAPSHOT_META_MAX_BYTES = 4096;
/** Most WAL segment files opened at recovery (compaction keeps far fewer): 64 GiB of log. */
export const WAL_MAX_SEGMENTS = 4096;
/** Most storage operations queued on one DiskStorage (callers await each save; more is a bug). */
export const STORAGE_MAX_QUEUED_OPS = 1024;

// ---- transport ----
/** Largest peer frame accepted (ws maxPayload): one full append or snapshot chunk plus framing
 * (relations below). */
export const PEER_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Most frames queued for one peer while its link is down or slow; older ones are dropped
 * (Raft resends them): minutes of heartbeats at the default timing (one per 50 ms). */
export const PEER_MAX_QUEUED_FRAMES = 4096;
/** Most bytes queued for one peer (with PEER_MAX_QUEUED_FRAMES, whichever binds first): several
 * full frames (relation below). */
export const PEER_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Bytes the ws socket may hold unsent before the per-peer queue stops flushing into it
 * (kept small: a heartbeat queued behind it waits for all of it; one frame may overshoot). */
export const PEER_MAX_BUFFERED_BYTES = 2 * 1024 * 1024;
/** Most sockets the peer server holds at once (authenticated or still handshaking): the
 * strangers' share plus every member twice over for the known peer addresses (relations below). */
export const PEER_MAX_INBOUND_SOCKETS = 64;
/** Most of those sockets held for addresses that are not a known peer address, all together:
 * whatever strangers do, PEER_MAX_INBOUND_SOCKETS minus this stays for the configured peers. */
export const PEER_MAX_STRANGER_SOCKETS = 32;
/** Most sockets from one address that is not a known peer address that have not finished the
 * TLS handshake: a real peer has one dial in progress at a time. */
export const PEER_MAX_PENDING_PER_ADDRESS = 4;
/** Most sockets (pending or open) from one address that is not a known peer address: a peer
 * behind a foreign source address still gets its link and a redial. */
export const PEER_MAX_SOCKETS_PER_ADDRESS = 8;
/** Most sockets from one known peer address: every member twice (several nodes can share one
 * address: containers behind NAT, loopback tests). */
export const PEER_MAX_SOCKETS_PER_KNOWN_ADDRESS = 18;
/** Longest time from accept to a finished TLS handshake on the peer port for an address that is
 * not a known peer address, in ms: a loopback or LAN TLS 1.3 handshake takes a few ms of CPU; an
 * idle or dribbling socket loses its slot fast. (A known peer address, whose slots strangers
 * cannot take, gets transport.connect-timeout-ms if longer: a loaded host must not cut it off.) */
export const PEER_HANDSHAKE_TIMEOUT_MS = 500;
/** Least time between two log lines for one kind of refused peer connection or refused peer
 * frame, in ms (every one is counted): a flood costs counters, not log volume. */
export const PEER_REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Most IP addresses remembered per configured peer host (a DNS name may resolve to several). */
export const PEER_MAX_ADDRESSES_PER_HOST = 16;
/** Largest exponent of the reconnect backoff (delay = min * 2^attempt, capped): the cap, not
 * the exponent, bounds the delay; this only keeps 2^attempt finite. */
export const PEER_MAX_BACKOFF_EXPONENT = 16;
/** How long a refused client gets to read its HTTP error before its socket is destroyed, in ms:
 * one LAN round trip many times over, short enough that refused sockets do not pile up. */
export const PEER_REFUSE_GRACE_MS = 1000;
/** Most host names / IPs put in one node certificate's subjectAltName by gen-certs: a host has
 * a few names and addresses; more is a typo. */
export const CERT_MAX_HOSTS_PER_NODE = 16;
/** Longest certificate validity gen-certs accepts, in days (100 years: longer is a typo). */
export const CERT_MAX_VALIDITY_DAYS = 36500;
/** Longest gen-certs argument, in characters (a list of host names fits easily). */
export const CERT_CLI_MAX_ARG_CHARS = 64 * 1024;
/** Largest PEM file (CA, certificate, key) read: a certificate chain is a few KiB. */
export const TLS_MAX_PEM_BYTES = 256 * 1024;

// ---- config / log / sd_notify ----
/** Largest configuration file read at start-up: a real file is a few KiB. */
export const CONFIG_MAX_BYTES = 1024 * 1024;
/** Most arguments in a configured argv (fence-command): a fence command has a handful. */
export const CONFIG_MAX_ARGV = 64;
/** Longest configured file path, in characters (Linux PATH_MAX). */
export const CONFIG_MAX_PATH_CHARS = 4096;
/** Longest configured argv word (fence-command), in characters (a path plus options). */
export const CONFIG_MAX_ARG_CHARS = 4096;
/** Longest alert mail address, in characters (RFC 5321's 254-octet path limit). */
export const CONFIG_MAX_MAIL_CHARS = 254;
/** Longest "host:port" address string parsed, in characters: a 253-character DNS name, brackets
 * and a port fit. */
export const CONFIG_MAX_ADDRESS_CHARS = 300;
/** Most log records kept by the capturing (test) logger; older ones are dropped. */
export const LOG_CAPTURE_MAX_ENTRIES = 10_000;
/** Largest sd_notify datagram (READY=1, STATUS=...): systemd reads one page. */
export const SDNOTIFY_MAX_MESSAGE_BYTES = 4096;
/** Longest a stopping master tries to hand leadership to a live voter on SIGTERM, in ms: ten
 * default election timeouts (300 ms each), well inside systemd's default stop timeout (90 s). */
export const DAEMON_STOP_STEP_DOWN_MS = 3000;
/** EINTR retries of the non-blocking flock on the data directory (native/src/flock.ts): only a
 * signal arriving during the call interrupts it, so a few retries always suffice. */
export const FLOCK_MAX_EINTR_RETRIES = 8;
/** Largest data-directory lock file read for the holder's pid: it holds "<pid>\n". */
export const DATA_DIR_LOCK_MAX_BYTES = 64;
/** Largest node bundle `mdclusterd init --from-bundle` reads: three PEM files and a peer table. */
export const INIT_BUNDLE_MAX_BYTES = 4 * 256 * 1024;

// ---- control socket / status ----
/** Longest control request, in bytes of its line without the terminating newline (or CRLF),
 * however the bytes arrive: the largest command (create with 64 members) is a few KiB. */
export const CONTROL_MAX_LINE_BYTES = 64 * 1024;
/** Most concurrent control connections served; more get E_BUSY and are closed: mdctl opens one
 * per invocation, --monitor keeps one. */
export const CONTROL_MAX_CONNECTIONS = 64;
/** Most connections held past CONTROL_MAX_CONNECTIONS only to deliver their E_BUSY line (each
 * for at most CONTROL_BUSY_GRACE_MS); beyond it a connection is closed without a word. */
export const CONTROL_MAX_BUSY_CONNECTIONS = 2048;
/** How long a connection refused with E_BUSY is kept for the client to read its line, in ms. */
export const CONTROL_BUSY_GRACE_MS = 1000;
/** Pending-connection queue of the control socket (listen backlog): a thousand mdctl started at
 * once reach accept() and get an answer or E_BUSY instead of EAGAIN (Linux caps it at somaxconn). */
export const CONTROL_LISTEN_BACKLOG = 4096;
/** Requests of one connection served at once; reading pauses beyond (mdctl sends one at a time). */
export const CONTROL_MAX_INFLIGHT_PER_CONNECTION = 16;
/** Reply bytes of one connection not yet taken by the kernel at which the server stops reading
 * its requests until they drain: a client that does not read stops costing memory. */
export const CONTROL_PAUSE_UNSENT_BYTES = 256 * 1024;
/** Reply and event bytes of one connection not yet taken by the kernel at which it is closed:
 * several of the largest replies (the full state of MD_MAX_ARRAYS arrays). */
export const CONTROL_MAX_UNSENT_BYTES = 8 * 1024 * 1024;
/** Most live websocket watchers: dashboards and monitors, not clients at scale. */
export const STATUS_MAX_WATCHERS = 64;
/** Recent events carried in the status JSON (the dashboard's event list, runs collapsed): ~8 KB, a Fail survives a rebuild's progress events. */
export const STATUS_JSON_EVENTS = 50;
/** Sampling of the read model for the promotion/failover histograms: their resolution, at ~20 cheap views/s. */
export const STATUS_SAMPLE_INTERVAL_MS = 50;
/**
 * Resolution of the event-loop lag histogram (nodejs_eventloop_lag_*): its timer wakes the
 * process this often. prom-client's default, 10 ms, was 100 wake-ups a second of an idle daemon;
 * every stall longer than this is still seen.
 */
export const METRICS_EVENT_LOOP_RESOLUTION_MS = 100;
/** Longest wait for a 400 answer to a malformed status request to be written before its socket
 * is destroyed (the client may not read): the line is 28 bytes, a reading client has it at once. */
export const STATUS_BAD_REQUEST_GRACE_MS = 1000;
/**
 * How long a stopping status server waits for its connections to be gone after destroying them
 * (they close in a few ms; the bound keeps a daemon stop finite if the server's count is off).
 */
export const STATUS_CLOSE_WAIT_MS = 2000;
/** The watch websocket pushes the status this often: a live progress bar, ~2 small JSON messages/s per watcher. */
export const STATUS_PUSH_INTERVAL_MS = 500;
/** Static dashboard files served from the status port: the few shipped files, each read once. */
export const STATUS_MAX_ASSET_BYTES = 256 * 1024;
/**
 * How long a linearizable status read (/mdstat, /api/v1/status) waits for the master's read
 * index before answering 503: several loopback failovers (p99 0.55 s), well inside a scraper's
 * timeout (Prometheus: 10 s).
 */
export const STATUS_READ_TIMEOUT_MS = 2_000;
/** Largest HTTP request head/body accepted by the status endpoint: its requests are GETs. */
export const STATUS_MAX_REQUEST_BYTES = 16 * 1024;


// ---- md ----
/** Most arrays managed by one cluster: far above any shared-disk deployment, and small enough
 * that the cluster state stays snapshot-sized (relation below). */
export const MD_MAX_ARRAYS = 256;
/** Most members (including spares) per array: a v1 superblock can list more, but no shared-disk
 * deployment has more than a few dozen. */
export const MD_MAX_MEMBERS_PER_ARRAY = 64;
/** Most events buffered between the md watcher and the node shell: a burst of member failures
 * on every array fits; more means the shell is stuck. */
export const MD_MAX_PENDING_EVENTS = 4096;
/** Largest /proc/mdstat or mdadm output text the format parsers accept (E_TOO_LARGE above):
 * 256 arrays of 64 members print well under 1 MiB. */
export const MD_FORMAT_MAX_TEXT_BYTES = 4 * 1024 * 1024;
/** Most lines the format parsers read from one text (bounds every parse loop). */
export const MD_FORMAT_MAX_LINES = 200_000;

// ---- md simulated driver (daemon/src/md/sim: md.driver = "sim") ----
/** Most simulated disks in one shared disk directory (bounds the directory scan). */
export const SIM_MD_MAX_DISKS = 4096;
/** Largest simulated disk file (JSON record with its superblock) read from the disk directory:
 * a full superblock record is a few KiB. */
export const SIM_MD_MAX_DISK_FILE_BYTES = 256 * 1024;
/** Most sync steps (checkpoints, parking, completion) one settle of one array may process. */
export const SIM_MD_MAX_SETTLE_STEPS = 4096;
/** Most timers one ManualTime.advance() may fire (a guard against a timer re-arming at 0 ms). */
export const SIM_MD_MAX_TIMERS_PER_ADVANCE = 1_000_000;

// ---- md kernel driver (daemon/src/md/kernel, native/) ----
/** Slow fallback re-read of every array by the kernel watcher, in ms (events normally come from
 * poll(2)): catches a missed notification within seconds at negligible cost. */
export const MD_WATCH_FALLBACK_INTERVAL_MS = 5000;
/** Shortest fallback interval a caller (a test) may configure, in ms: a re-read of every array
 * takes a few ms. */
export const MD_WATCH_MIN_FALLBACK_INTERVAL_MS = 20;
/** Most sysfs/proc files one watcher polls at once (mdstat first, then array files, then
 * members): at least one full array (relation below). */
export const MD_WATCH_MAX_FILES = 4096;
/** Longest wait for the poll worker thread to exit on close, in ms (then it is terminated): the
 * worker wakes within one poll() return, far faster. */
export const MD_WATCH_STOP_TIMEOUT_MS = 2000;
/** Most md devices listArrays() reports (a bound on the /sys/block scan). */
export const MD_KERNEL_MAX_LISTED_ARRAYS = 4096;
/** Most components read per array and highest GET_DISK_INFO number scanned: a 4 KiB v1 superblock
 * holds (4096 - 256) / 2 device roles. */
export const MD_KERNEL_MAX_DEVICES_PER_ARRAY = 1920;
/** Largest sysfs attribute read (sysfs attributes are one page at most; 64 KiB covers any page
 * size Linux uses). */
export const MD_SYSFS_MAX_READ_BYTES = 64 * 1024;
/** Longest an mdadm create/assemble may run before it is killed, in ms: creating on slow disks
 * takes seconds; two minutes means mdadm hangs. */
export const MDADM_TIMEOUT_MS = 120_000;
/** Most bytes of mdadm stdout/stderr kept (execFile maxBuffer): its output is a few KiB. */
export const MDADM_MAX_OUTPUT_BYTES = 1024 * 1024;

// ---- node shell ----
/** Writer intervals kept in memory for /api/v1/status: the recent history an operator reads. */
export const WRITER_LOG_MAX_INTERVALS = 256;
/** Plan/act rounds per array in one reconcile pass (each round re-reads the kernel): a plan
 * converges in a few rounds; more means it oscillates. */
export const RECONCILE_MAX_ROUNDS = 8;
/** Slowest interval between two full reconcile passes (drift repair), in ms: events drive
 * reconciles; this only repairs what no event reported. */
export const RECONCILE_INTERVAL_MS = 2000;
/** Least time between two stop+re-assemble cycles of one array on a standby, in ms: keeps a
 * failing assemble from looping hot. */
export const REASSEMBLE_MIN_INTERVAL_MS = 1000;
/** Most Raft ticks replayed at once after an event-loop stall: more than any election timeout
 * (relation in config/schema.ts), so a stalled node still sees its timers expire. */
export const RAFT_MAX_CATCHUP_TICKS = 100_000;

/** Longest sleep of a node's wake-up timer (node/ticker.ts) even when nothing is due: a backstop. */
export const NODE_MAX_SLEEP_MS = 1000;
/** Most local md events queued for proposal: one burst of failures on every array fits. */
export const NODE_MAX_PENDING_LOCAL_EVENTS = 1024;
/** Most event subscribers on one node (control socket + websocket): monitors, not clients at scale. */
export const NODE_MAX_SUBSCRIBERS = 128;
/** Recent cluster events kept for late subscribers: enough for a monitor that reconnects. */
export const NODE_EVENT_HISTORY = 256;
/** Default time one add-node / remove-node request may take (a new node's catch-up included),
 * in ms: a snapshot transfer of the small cluster state takes seconds. */
export const MEMBERSHIP_DEFAULT_TIMEOUT_MS = 60_000;
/** Longest time an add-node / remove-node request may ask for, in ms (ten minutes). */
export const MEMBERSHIP_MAX_TIMEOUT_MS = 600_000;
/** Ticks between two attempts of a refused-for-now membership change (a learner still catching
 * up): a few heartbeats, so progress is seen without busy retries. */
export const MEMBERSHIP_PROMOTE_POLL_TICKS = 5;
/** Election timeouts a peer that left the membership stays connected (its last acks, a removed
 * leader's MsgTimeoutNow) before the transport forgets it. */
export const MEMBERSHIP_PEER_LINGER_ELECTIONS = 2;

// ---- mdctl (mdctl/src) ----
/** Event keys one `mdctl --monitor` remembers for de-duplication (the oldest are forgotten first):
 * days of events of a busy cluster. */
export const MONITOR_MAX_SEEN_KEYS = 10_000;
/** Alerts waiting for their --program / sendmail / logger run; more are dropped with a notice:
 * a burst on every array fits. */
export const MONITOR_MAX_QUEUED_ALERTS = 1024;
/** Bound on one alert program, sendmail or logger run (it is killed after): a minute is ample
 * for a local program; a hung one must not block later alerts forever. */
export const MONITOR_ALERT_TIMEOUT_MS = 60_000;
/** Largest mdadm.conf `mdctl --monitor` reads for SparesMissing (spares= on ARRAY lines): a real
 * one is a few KiB. */
export const MONITOR_MAX_CONF_BYTES = 1024 * 1024;
/** Arrays whose rebuild progress a monitor tracks (one entry per md device of the cluster): every
 * array (relation below). */
export const MONITOR_MAX_TRACKED_ARRAYS = 256;

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

// ---- process ----
/** MiB of each of V8's young-generation semi-spaces (node --max-semi-space-size), given by every
 * launcher of mdclusterd (DAEMON_NODE_OPTIONS): with V8's default (16 MiB) a burst of requests
 * (issue #19's control flood) grew the young generation from 16 to 32 MiB and the RSS by ~23 MB,
 * and V8 shrinks it only at a scavenge that sees less than ~1 MB/s of allocation, which an
 * idle cluster daemon (heartbeats, status sampling) hovers at: the RSS stayed at its peak.
 * At 4 MiB the young generation stays within 8 MiB; a scavenge of the daemon's heap is ~1 ms. */
export const DAEMON_MAX_SEMI_SPACE_MIB = 4;
/** Node options of the mdclusterd process: main.ts's #! line, the .deb's /usr/bin/mdclusterd and
 * the test launchers pass exactly these (test/unit/daemon-node-options.test.ts checks the first two). */
export const DAEMON_NODE_OPTIONS: readonly string[] = [`--max-semi-space-size=${DAEMON_MAX_SEMI_SPACE_MIB}`];

// ---- relations ----
/** The production limits that appear in a relation, by name (the values the checks read). */
export const RELATED_LIMITS = {
  RAFT_MAX_ENTRY_BYTES, RAFT_MAX_APPEND_BYTES, PEER_MAX_FRAME_BYTES, WAL_MAX_RECORD_BYTES, WAL_SEGMENT_BYTES,
  WAL_MIN_SEGMENT_BYTES, RAFT_MAX_MEMBERS, SNAPSHOT_META_MAX_BYTES, SNAPSHOT_CHUNK_BYTES, SNAPSHOT_MAX_BYTES,
  PEER_MAX_BUFFERED_BYTES, PEER_MAX_QUEUED_BYTES, PEER_MAX_INBOUND_SOCKETS, PEER_MAX_STRANGER_SOCKETS,
  PEER_MAX_SOCKETS_PER_KNOWN_ADDRESS, SNAPSHOT_KEEP_TRAILING_ENTRIES,
  SNAPSHOT_EVERY_ENTRIES, MD_MAX_ARRAYS, MD_MAX_MEMBERS_PER_ARRAY, MD_WATCH_MIN_FALLBACK_INTERVAL_MS,
  MD_WATCH_FALLBACK_INTERVAL_MS, MD_KERNEL_MAX_DEVICES_PER_ARRAY, MD_WATCH_MAX_FILES, MEMBERSHIP_DEFAULT_TIMEOUT_MS,
  MEMBERSHIP_MAX_TIMEOUT_MS, MONITOR_MAX_TRACKED_ARRAYS, RAFT_WIRE_MAX_NODE_ID_BYTES, RAFT_WIRE_MAX_CONF_IDS,
  CONTROL_MAX_LINE_BYTES, CONTROL_PAUSE_UNSENT_BYTES, CONTROL_MAX_UNSENT_BYTES, RAFT_PROMOTE_MAX_LAG_ENTRIES, RAFT_MAX_ENTRIES_PER_APPEND,
  SESSION_RESULT_WINDOW, SESSION_MAX_RESULTS_PER_CLIENT, SESSION_MAX_RESULTS_TOTAL,
} as const;

/** A relation that must hold between limits: why, and the check over named values. */
export interface LimitRelation<L> {
  why: string;
  holds(l: L): boolean;
}

/** The reasons of the relations that do not hold for the values `l`. */
export function violatedRelations<L>(relations: readonly LimitRelation<L>[], l: L): string[] {
  return relations.filter((r) => !r.holds(l)).map((r) => r.why);
}

/** Assert at load that every relation holds for the values in force. */
export function assertRelations<L>(relations: readonly LimitRelation<L>[], l: L): void {
  const bad = violatedRelations(relations, l);
  assert(bad.length === 0, `limits out of relation: ${bad.join('; ')}`);
}

export type RelatedLimits = { [K in keyof typeof RELATED_LIMITS]: number };

export const LIMIT_RELATIONS: readonly LimitRelation<RelatedLimits>[] = [
  { why: 'one entry must fit in one append', holds: (l) => l.RAFT_MAX_ENTRY_BYTES <= l.RAFT_MAX_APPEND_BYTES },
  { why: 'one full append must fit in one peer frame', holds: (l) => l.RAFT_MAX_APPEND_BYTES + 64 * 1024 <= l.PEER_MAX_FRAME_BYTES },
  { why: 'one entry must fit in one WAL record', holds: (l) => l.RAFT_MAX_ENTRY_BYTES + 64 <= l.WAL_MAX_RECORD_BYTES },
  { why: 'one record must fit in one segment', holds: (l) => l.WAL_MAX_RECORD_BYTES <= l.WAL_SEGMENT_BYTES },
  { why: 'the smallest configurable segment is a valid segment', holds: (l) => l.WAL_MIN_SEGMENT_BYTES <= l.WAL_SEGMENT_BYTES },
  { why: 'snapshot metadata (2 u64 + members) fits its bound', holds: (l) => 16 + 2 + l.RAFT_MAX_MEMBERS * 64 <= l.SNAPSHOT_META_MAX_BYTES },
  { why: 'one snapshot chunk must fit in one peer frame', holds: (l) => l.SNAPSHOT_CHUNK_BYTES + 64 * 1024 <= l.PEER_MAX_FRAME_BYTES },
  { why: 'a snapshot holds at least one chunk', holds: (l) => l.SNAPSHOT_CHUNK_BYTES <= l.SNAPSHOT_MAX_BYTES },
  { why: 'a full append can be in flight while the next is queued', holds: (l) => l.RAFT_MAX_APPEND_BYTES <= l.PEER_MAX_BUFFERED_BYTES },
  { why: 'a peer queue holds several full frames', holds: (l) => l.PEER_MAX_FRAME_BYTES * 4 <= l.PEER_MAX_QUEUED_BYTES },
  { why: 'every peer can hold a link while another reconnects', holds: (l) => l.PEER_MAX_INBOUND_SOCKETS >= 2 * l.RAFT_MAX_MEMBERS },
  { why: 'strangers cannot take the known peers\' sockets', holds: (l) => l.PEER_MAX_INBOUND_SOCKETS - l.PEER_MAX_STRANGER_SOCKETS >= 2 * l.RAFT_MAX_MEMBERS },
  { why: 'one known address can hold a link and a redial of every member', holds: (l) => l.PEER_MAX_SOCKETS_PER_KNOWN_ADDRESS >= 2 * l.RAFT_MAX_MEMBERS },
  { why: 'compaction must leave fewer entries than the snapshot interval', holds: (l) => l.SNAPSHOT_KEEP_TRAILING_ENTRIES < l.SNAPSHOT_EVERY_ENTRIES },
  { why: 'cluster state stays snapshot-sized', holds: (l) => l.MD_MAX_ARRAYS * l.MD_MAX_MEMBERS_PER_ARRAY * 512 <= l.RAFT_MAX_ENTRY_BYTES * 64 },
  { why: 'the default watcher fallback is a valid interval', holds: (l) => l.MD_WATCH_MIN_FALLBACK_INTERVAL_MS <= l.MD_WATCH_FALLBACK_INTERVAL_MS },
  { why: 'the kernel driver reads every member a managed array can have', holds: (l) => l.MD_KERNEL_MAX_DEVICES_PER_ARRAY >= l.MD_MAX_MEMBERS_PER_ARRAY },
  { why: 'the watcher can poll at least one full array', holds: (l) => l.MD_WATCH_MAX_FILES >= 1 + 8 + l.MD_MAX_MEMBERS_PER_ARRAY },
  { why: 'the default membership timeout is a valid timeout', holds: (l) => l.MEMBERSHIP_DEFAULT_TIMEOUT_MS <= l.MEMBERSHIP_MAX_TIMEOUT_MS },
  { why: 'a monitor tracks every array a cluster can hold', holds: (l) => l.MONITOR_MAX_TRACKED_ARRAYS >= l.MD_MAX_ARRAYS },
  { why: 'every valid node id fits the Raft wire bound', holds: (l) => !NODE_ID_PATTERN.test('a'.repeat(l.RAFT_WIRE_MAX_NODE_ID_BYTES + 1)) },
  { why: 'a full membership fits the Raft wire bound', holds: (l) => l.RAFT_WIRE_MAX_CONF_IDS >= l.RAFT_MAX_MEMBERS },
  { why: 'every control request line fits one Raft entry', holds: (l) => l.CONTROL_MAX_LINE_BYTES <= l.RAFT_MAX_ENTRY_BYTES },
  { why: 'a control connection pauses before it is closed', holds: (l) => l.CONTROL_PAUSE_UNSENT_BYTES < l.CONTROL_MAX_UNSENT_BYTES },
  { why: 'a learner within the promotion lag catches up with one append', holds: (l) => l.RAFT_PROMOTE_MAX_LAG_ENTRIES <= l.RAFT_MAX_ENTRIES_PER_APPEND },
  { why: 'a session keeps its last result and the one before', holds: (l) => l.SESSION_RESULT_WINDOW >= 2 },
  { why: 'one acking client fits in the session table', holds: (l) => l.SESSION_MAX_RESULTS_PER_CLIENT <= l.SESSION_MAX_RESULTS_TOTAL },
];

assertRelations(LIMIT_RELATIONS, RELATED_LIMITS);

// --- the daemon's alerts (node/alert-delivery.ts) ---
/**
 * Applied entries whose alerts the cluster has not yet confirmed sent. The master confirms within
 * a few ticks; the bound only matters while no master delivers (no quorum) and keeps an hour of
 * one failure a second.
 */
export const ALERT_MAX_PENDING = 4096;
/** Channel runs (program, sendmail, logger) waiting to start: a burst of events on many arrays. */
export const ALERT_MAX_QUEUED_RUNS = 256;
/** One channel run's time limit (a hung mail relay must not hold the queue). */
export const ALERT_RUN_TIMEOUT_MS = 10_000;
/** Bytes of mdadm.conf read for MAILADDR/MAILFROM/PROGRAM (the whole file of any sane system). */
export const ALERT_MAX_MDADM_CONF_BYTES = 1 << 20;
