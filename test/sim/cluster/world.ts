// The seeded world of one cluster-simulator run. Owns: everything a seed decides before the run
// starts - its profile (below), cluster size, per-node clock drift and start offsets, network
// quality, fsync and md ioctl latencies, the writer's fencing settings, the snapshot interval,
// the sync speed, the array's bitmap, how long the fault phase lasts and which faults it mixes
// at which rates.
// Profiles (WORLD_PROFILES; the default sweep rotates through them by seed, seed % 6):
// - base: the writer's defaults (no fence command, unconfirmed grace 0), md calls <= 5 ms;
// - fenced: a (simulated) fence command with fence-required, and the stall fault: a frozen
//   master is powered off by the new one before it promotes (test/sim/cluster/fence.ts);
// - grace: no fencing, unconfirmed-grace-ms > 0, and stalls no longer than the grace;
// - slow-md: md calls up to several hundred ms, far beyond the 40 ms demote margin;
// - drift-bound: every clock drifts at the configured bound, half fast and half slow;
// - fsync-crash: fsync always takes time, hosts crash inside their fsync window, and the whole
//   cluster loses power more often (every acknowledged entry must survive on the synced disks).
// Invariants:
// - Timing is the daemon's default (tick 10 ms, election 30, heartbeat 2, lease 20, drift bound
//   2 ticks) and every drift rate is within maxDriftRate(30, 2): the drift the lease proof
//   allows (see test/sim/clock.ts and daemon/src/raft/lease.ts).
// - Every draw comes from the 'world' stream of the seed: one seed, one world.
import { assert } from '../../../daemon/src/common/assert.js';
import { nodeId, type NodeId } from '../../../daemon/src/common/types.js';
import { drawDriftRate, maxDriftRate } from '../clock.js';
import type { NetParams } from '../network.js';
import type { ClientWorld } from './clients.js';
import type { Rand } from '../rand.js';

/** The daemon's default timing (config defaults, daemon/src/daemon.ts). */
export const TICK_MS = 10;
export const ELECTION_TICKS = 30;
export const HEARTBEAT_TICKS = 5;
export const LEASE_TICKS = 20;
export const DRIFT_BOUND_TICKS = 2;
// The relations config.ts enforces on a configured timing (a heartbeat renews the lease before it
// ends; the lease ends before any node may elect a new leader, drift included).
assert(HEARTBEAT_TICKS < LEASE_TICKS && LEASE_TICKS < ELECTION_TICKS - DRIFT_BOUND_TICKS,
  'the simulated timing must be a valid configured timing: heartbeat < lease < election - drift bound');

/** The simulated shared disks: md0 starts on the first three, the rest are free for hot-add. */
export const DISK_IDS = ['sda', 'sdb', 'sdc', 'sdd', 'sde', 'sdf'] as const;
/** Size of each simulated disk in 512-byte sectors (128 MiB). */
export const DISK_SIZE_SECTORS = 128 * 2048;
export const ARRAY_DEVICE = 'md0';

export type FaultKind =
  | 'crash' | 'crash-master' | 'crash-fsync' | 'power-loss' | 'partition' | 'one-way' | 'isolate-master' | 'heal'
  | 'disk-fault' | 'admin-fail' | 'admin-remove' | 'admin-add' | 'admin-re-add' | 'step-down' | 'stall';

export const FAULT_KINDS: readonly FaultKind[] = [
  'crash', 'crash-master', 'crash-fsync', 'power-loss', 'partition', 'one-way', 'isolate-master', 'heal',
  'disk-fault', 'admin-fail', 'admin-remove', 'admin-add', 'admin-re-add', 'step-down', 'stall',
];

/**
 * Faults outside the base fault model, drawn only when asked for (`with`) or by a profile that
 * makes them survivable: 'stall' freezes a daemon (not its kernel) for up to 2 s. No lease can
 * make a frozen daemon demote its array; only fencing (profile fenced) or a grace longer than the
 * stall (profile grace) can.
 */
export const OPT_IN_FAULTS: readonly FaultKind[] = ['stall'];

export type WorldProfile = 'base' | 'fenced' | 'grace' | 'slow-md' | 'drift-bound' | 'fsync-crash';
export const WORLD_PROFILES: readonly WorldProfile[] = ['base', 'fenced', 'grace', 'slow-md', 'drift-bound', 'fsync-crash'];

/** The profile a seed runs in when none is forced: the sweep rotates through all of them. */
export function profileOfSeed(seed: number): WorldProfile {
  return WORLD_PROFILES[seed % WORLD_PROFILES.length];
}

/** The writer's fencing settings of a world (daemon config: fence-command, fence-required, unconfirmed-grace-ms). */
export interface FenceWorld {
  /** A fence command is configured (simulated: it powers the old master off). */
  command: boolean;
  required: boolean;
  unconfirmedGraceMs: number;
  /** How long one fence command runs, and how often it fails (the new master retries). */
  runUs: RangeUs;
  failRate: number;
}

/** An inclusive range of simulated microseconds. Invariant: 0 <= lo <= hi. */
export interface RangeUs {
  lo: number;
  hi: number;
}

export interface ClusterWorld {
  profile: WorldProfile;
  nodeIds: NodeId[];
  /** Per node (nodeIds order). Invariant: |driftRate| <= maxDriftRate(ELECTION_TICKS, DRIFT_BOUND_TICKS). */
  driftRates: number[];
  /** Per node: when its daemon first starts, in simulated microseconds. */
  startOffsetsUs: number[];
  net: NetParams;
  /** Latency of a Raft fsync (mustSync save), and of one md ioctl/sysfs write. */
  fsyncUs: RangeUs;
  mdCallUs: RangeUs;
  /** Delay before a node's transport reports a peer up or down after the link changed. */
  peerNoticeUs: RangeUs;
  /** Applied entries between node snapshots (small values exercise snapshot transfer). */
  snapshotEveryEntries: number;
  /** The simulated kernels' speed_limit_max, KiB/s (a 128 MiB resync takes 0.6-3 s). */
  syncSpeedKiBps: number;
  bitmap: 'internal' | 'none';
  /** The application mounts md0 wherever it is writable (demotion then needs the fence action). */
  mounted: boolean;
  /** The application writes to md0 this often (null: it never writes). */
  appWriteEveryUs: number | null;
  /** Length of the fault phase, in simulated microseconds. */
  chaosUs: number;
  /** Gap between two fault actions. */
  faultGapUs: RangeUs;
  /** Downtime of a crashed node that restarts during the fault phase. */
  downtimeUs: RangeUs;
  /** How long a partition lasts when it heals on its own. */
  partitionUs: RangeUs;
  /** How long a daemon stays frozen (opt-in 'stall' fault). */
  stallUs: RangeUs;
  /** Fault weights for this seed (0 disables a kind). */
  weights: Readonly<Record<FaultKind, number>>;
  fence: FenceWorld;
  /** Sim clients with sessions (clients.ts); null: none. With clients, they issue the admin ops (admin-* faults off). */
  clients: ClientWorld | null;
}

export interface WorldOptions {
  /** Force the cluster size (3 or 5); otherwise the seed picks. */
  nodes?: number;
  /** Force the fault-phase length in simulated ms; otherwise the seed picks. */
  chaosMs?: number;
  /** Fault kinds this run never draws (their weight is 0; the draws stay the same). */
  without?: readonly FaultKind[];
  /** Opt-in fault kinds (OPT_IN_FAULTS) this run draws too. */
  with?: readonly FaultKind[];
  /** The world's profile (default: the seed's, profileOfSeed). */
  profile?: WorldProfile;
  /** Run sim clients with sessions (clients.ts) and the history checker (history.ts). */
  clients?: boolean;
}

/** Admin faults whose commands the sim clients issue instead (with sessions) when clients run. */
const CLIENT_OWNED_FAULTS: readonly FaultKind[] = ['admin-fail', 'admin-remove', 'admin-add', 'admin-re-add'];

export function drawWorld(rand: Rand, opts: WorldOptions & { profile: WorldProfile }): ClusterWorld {
  const profile = opts.profile;
  const size = opts.nodes ?? rand.pick([3, 3, 5]);
  const nodeIds = Array.from({ length: size }, (_, i) => nodeId(`n${i + 1}`));
  const maxRate = maxDriftRate(ELECTION_TICKS, DRIFT_BOUND_TICKS);
  const w: ClusterWorld = {
    profile,
    nodeIds,
    driftRates: nodeIds.map(() => drawDriftRate(rand, maxRate)),
    startOffsetsUs: nodeIds.map(() => rand.int(0, 50_000)),
    net: drawNet(rand),
    fsyncUs: rand.pick([{ lo: 0, hi: 0 }, { lo: 50, hi: 2_000 }, { lo: 500, hi: 8_000 }]),
    mdCallUs: rand.pick([{ lo: 0, hi: 0 }, { lo: 10, hi: 1_000 }, { lo: 500, hi: 5_000 }]),
    peerNoticeUs: { lo: 1_000, hi: rand.pick([5_000, 50_000, 300_000]) },
    snapshotEveryEntries: rand.pick([8, 32, 200, 10_000]),
    syncSpeedKiBps: rand.pick([50_000, 200_000]),
    bitmap: rand.chance(0.5) ? 'internal' : 'none',
    mounted: rand.chance(0.25),
    appWriteEveryUs: rand.pick([null, 20_000, 100_000]),
    chaosUs: (opts.chaosMs ?? rand.pick([10_000, 15_000, 20_000])) * 1000,
    faultGapUs: rand.pick([{ lo: 50_000, hi: 400_000 }, { lo: 100_000, hi: 1_000_000 }, { lo: 300_000, hi: 2_000_000 }]),
    downtimeUs: rand.pick([{ lo: 10_000, hi: 300_000 }, { lo: 200_000, hi: 3_000_000 }]),
    partitionUs: rand.pick([{ lo: 50_000, hi: 500_000 }, { lo: 300_000, hi: 3_000_000 }]),
    weights: drawWeights(rand, opts.with ?? [], opts.without ?? []),
    stallUs: { lo: 50_000, hi: 2_000_000 },
    fence: { command: false, required: false, unconfirmedGraceMs: 0, runUs: { lo: 1_000, hi: 200_000 }, failRate: 0.2 },
    clients: null,
  };
  applyProfile(w, rand, maxRate, opts.without ?? []);
  if (opts.clients === true) {
    w.clients = {
      clients: rand.pick([2, 3]), attemptTimeoutMs: rand.pick([300, 1_000, 3_000]),
      thinkUs: rand.pick([{ lo: 50_000, hi: 500_000 }, { lo: 200_000, hi: 2_000_000 }]), reproposeRate: rand.pick([0.1, 0.3]),
    };
    for (const k of CLIENT_OWNED_FAULTS) (w.weights as Record<FaultKind, number>)[k] = 0;
  }
  return w;
}

/** Bends a drawn world to its profile (draws after the base world's, from the same stream). */
function applyProfile(w: ClusterWorld, rand: Rand, maxRate: number, without: readonly FaultKind[]): void {
  const weights = w.weights as Record<FaultKind, number>;
  const atLeast = (k: FaultKind, n: number): void => { if (!without.includes(k)) weights[k] = Math.max(weights[k], n); };
  switch (w.profile) {
    case 'base': return;
    case 'fenced':
      w.fence = { ...w.fence, command: true, required: true };
      atLeast('stall', 2);
      return;
    case 'grace': {
      const graceMs = rand.pick([300, 1_000, 2_000]);
      w.fence = { ...w.fence, unconfirmedGraceMs: graceMs };
      // A stall the grace covers: the new master's claim comes >= one election timeout (300 ms)
      // after the freeze began, so a freeze up to the grace ends well before the grace does.
      w.stallUs = { lo: 50_000, hi: graceMs * 1000 };
      atLeast('stall', 2);
      return;
    }
    case 'slow-md':
      w.mdCallUs = { lo: 1_000, hi: rand.pick([100_000, 300_000, 600_000]) };
      return;
    case 'drift-bound':
      w.driftRates = w.nodeIds.map((_, i) => (i % 2 === 0 ? maxRate : -maxRate));
      return;
    case 'fsync-crash':
      w.fsyncUs = rand.pick([{ lo: 200, hi: 2_000 }, { lo: 1_000, hi: 10_000 }]);
      atLeast('crash-fsync', 3);
      atLeast('power-loss', 1);
      return;
  }
}

function drawNet(rand: Rand): NetParams {
  const minDelayUs = rand.int(100, 2_000);
  return {
    minDelayUs,
    maxDelayUs: minDelayUs + rand.pick([500, 5_000, 20_000, 60_000]),
    lossRate: rand.pick([0, 0.01, 0.05]),
    dupRate: rand.pick([0, 0.01, 0.03]),
    reorderRate: rand.pick([0, 0.02, 0.1]),
    reorderExtraUs: rand.pick([5_000, 30_000]),
    partitionMode: rand.chance(0.5) ? 'drop' : 'hold',
  };
}

function drawWeights(rand: Rand, withKinds: readonly FaultKind[], without: readonly FaultKind[]): Record<FaultKind, number> {
  const w = {} as Record<FaultKind, number>;
  for (const k of FAULT_KINDS) w[k] = rand.pick([0, 1, 1, 2, 3]);
  // Every seed heals and isolates the master sometimes: the two faults the writer role is about.
  w.heal = Math.max(w.heal, 2);
  w['isolate-master'] = Math.max(w['isolate-master'], 1);
  for (const k of OPT_IN_FAULTS) w[k] = withKinds.includes(k) ? Math.max(w[k], 1) : 0;
  for (const k of without) w[k] = 0;
  return w;
}

export function describeWorld(w: ClusterWorld): string {
  const drift = w.driftRates.map((r) => `${(r * 100).toFixed(2)}%`).join(',');
  const weights = Object.entries(w.weights).filter(([, v]) => v > 0).map(([k, v]) => `${k}:${v}`).join(' ');
  const f = w.fence;
  return `profile=${w.profile} fence=${f.command ? (f.required ? 'required' : 'on') : 'off'} grace=${f.unconfirmedGraceMs}ms nodes=${w.nodeIds.length} drift=[${drift}] net=${w.net.minDelayUs}-${w.net.maxDelayUs}us loss=${w.net.lossRate} dup=${w.net.dupRate} ` +
    `reorder=${w.net.reorderRate} ${w.net.partitionMode} fsync=${w.fsyncUs.lo}-${w.fsyncUs.hi}us md=${w.mdCallUs.lo}-${w.mdCallUs.hi}us ` +
    `snapEvery=${w.snapshotEveryEntries} speed=${w.syncSpeedKiBps}KiB/s bitmap=${w.bitmap} chaos=${w.chaosUs / 1000}ms ` +
    `app=${w.mounted ? 'mounted' : 'unmounted'}/${w.appWriteEveryUs === null ? 'no-writes' : `writes-every-${w.appWriteEveryUs / 1000}ms`} ` +
    `gap=${w.faultGapUs.lo / 1000}-${w.faultGapUs.hi / 1000}ms faults{${weights}} ` +
    (w.clients === null ? 'clients=none' : `clients=${w.clients.clients} timeout=${w.clients.attemptTimeoutMs}ms think=${w.clients.thinkUs.lo / 1000}-${w.clients.thinkUs.hi / 1000}ms repropose=${w.clients.reproposeRate}`);
}
