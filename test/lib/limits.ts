// The bounds used only by tests, the simulators, the qemu lanes (test/kernel, test/cluster) and
// the benchmarks: the shipped programs' bounds are in daemon/src/common/limits.ts.
// Owns: these numbers, each with what it bounds. Invariant: the relations between them (and with
// the production limits they depend on) are asserted when this module loads (TEST_LIMIT_RELATIONS).
import { assertRelations, RAFT_MAX_MEMBERS, type LimitRelation } from '../../daemon/src/common/limits.js';

// ---- md scenarios (test/md-scenarios: one scenario against the sim and the kernel driver) ----
/** Most polls of one wait in a driver-agnostic md scenario before it fails. */
export const MD_SCENARIO_MAX_POLLS = 100_000;

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
/**
 * Longest guest run a test may ask for (every guest is killed by then): a 3-guest lane file's
 * guests live through the whole file, which with the package installed on every boot takes up to
 * ~30 min on a loaded host (test/cluster/lib/lane-test.ts LANE_GUEST_TIMEOUT_MS = 40 min).
 */
export const LAB_MAX_GUEST_TIMEOUT_MS = 45 * 60 * 1000;
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
/** Start and ExecStopPost records the guest's unit runner keeps (the oldest are dropped; the
 * start count stays exact). StartLimitBurst (5 per 60 s in the shipped unit) keeps a healthy
 * run far below it. */
export const CLUSTER_LANE_MAX_UNIT_RECORDS = 64;

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
/** Largest gRPC reply the `anchor` benchmark reads from an etcd member (a Status or Put reply is < 1 KiB). */
export const ETCD_MAX_REPLY_BYTES = 64 * 1024;
/** Bytes of an etcd member's log printed when the `anchor` benchmark fails. */
export const ETCD_LOG_TAIL_BYTES = 4 * 1024;

// ---- relations ----
/** The limits that appear in a relation, by name (the values the checks read). */
export const RELATED_TEST_LIMITS = {
  SIM_TRACE_PRINT_EVENTS, SIM_TRACE_RING_EVENTS, SIM_DEFAULT_STEPS, SIM_MAX_STEPS, CLUSTER_SIM_TRACE_PRINT_EVENTS,
  CLUSTER_SIM_TRACE_RING_EVENTS, LAB_MAX_CONSOLE_LINE_BYTES, LAB_MAX_CONSOLE_BYTES, LAB_MAX_GUESTS, RAFT_MAX_MEMBERS,
  CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS, LAB_MAX_GUEST_TIMEOUT_MS,
} as const;

export type RelatedTestLimits = { [K in keyof typeof RELATED_TEST_LIMITS]: number };

export const TEST_LIMIT_RELATIONS: readonly LimitRelation<RelatedTestLimits>[] = [
  { why: 'a violation report prints from the kept trace', holds: (l) => l.SIM_TRACE_PRINT_EVENTS <= l.SIM_TRACE_RING_EVENTS },
  { why: 'the default run is a valid run', holds: (l) => l.SIM_DEFAULT_STEPS <= l.SIM_MAX_STEPS },
  { why: 'a cluster-simulator violation report prints from the kept trace', holds: (l) => l.CLUSTER_SIM_TRACE_PRINT_EVENTS <= l.CLUSTER_SIM_TRACE_RING_EVENTS },
  { why: 'one console line fits the kept console', holds: (l) => l.LAB_MAX_CONSOLE_LINE_BYTES <= l.LAB_MAX_CONSOLE_BYTES },
  { why: 'the kernel lab can boot a full cluster', holds: (l) => l.LAB_MAX_GUESTS >= l.RAFT_MAX_MEMBERS },
  { why: 'a cluster-lane request ends before its guest is killed', holds: (l) => l.CLUSTER_LANE_MAX_EXEC_TIMEOUT_MS < l.LAB_MAX_GUEST_TIMEOUT_MS },
];

assertRelations(TEST_LIMIT_RELATIONS, RELATED_TEST_LIMITS);
