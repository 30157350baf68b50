// The seeded world and fault schedule of one simulated run. Owns: what one seed decides -
// cluster size, Raft timing, network quality, clock drift per node, client load - and, during
// the safety phase, which fault happens next (partitions of every shape, crashes with or without
// torn writes, restarts and restart storms, leader churn, membership changes, leadership
// transfers, malformed input). Two profiles: 'mixed' (everything, seed-chosen rates) and
// 'churn' (see Profile); event-triggered faults live in nemesis.ts.
// Invariants: every draw comes from the scenario's own PRNG stream, so one seed is one run;
// the schedule only acts through SimControl (it never touches a node directly); membership
// changes keep at least MIN_VOTERS voters and at most RAFT_MAX_MEMBERS members.
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS, RAFT_MAX_MEMBERS } from '../../daemon/src/common/limits.js';
import { nodeId } from '../../daemon/src/common/types.js';
import type { ConfChange, ConfState } from '../../daemon/src/raft/types.js';
import { drawDriftRate, maxDriftRate, NOMINAL_TICK_US } from './clock.js';
import type { NetParams } from './network.js';
import type { Rand } from './rand.js';

/** Membership changes never shrink the voters below this (liveness stays meaningful). */
export const MIN_VOTERS = 3;

export interface RaftTiming {
  electionTimeoutTicks: number;
  heartbeatTicks: number;
  leaseTicks: number;
  clockDriftBoundTicks: number;
  maxInflightAppends: number;
  maxEntriesPerAppend: number;
}

export interface World {
  profile: Profile;
  /** Every node id that may ever run: initial voters first, then spares. */
  nodeIds: string[];
  initialVoters: string[];
  raft: RaftTiming;
  net: NetParams;
  /** Per node (same order as nodeIds). Invariant: |driftRate| <= maxDriftRate(raft). */
  driftRates: number[];
  phasesUs: number[];
  /** Mean gap between fault actions; mean gap between client operations. */
  chaosMeanUs: number;
  clientMeanUs: number;
  /** Fraction of client operations that are ReadIndex reads rather than proposals. */
  readFraction: number;
  /** The application compacts its log every this many applied entries. */
  compactEveryEntries: number;
  /** Upper bound of a crashed node's downtime when it restarts during the safety phase. */
  restartMaxUs: number;
  /** Probability that a leader is cut off at its first commit of a term (see SimControl). */
  cutOnFirstCommitRate: number;
  /** Action weights (0 disables an action for this seed). */
  weights: Readonly<Record<Action, number>>;
}

export type Action = 'partition' | 'one-way' | 'isolate-leader' | 'heal' | 'crash' | 'crash-torn'
  | 'leader-churn' | 'cut-on-commit' | 'restart-all' | 'membership' | 'transfer' | 'garbage';

/**
 * How a seed's faults are mixed: 'mixed' draws every kind of fault at seed-chosen rates;
 * 'churn' (small cluster, reliable network, leaders killed within a few Ready cycles of
 * their election, one entry per append) breeds the multi-term log histories of Figure 8
 * (§5.4.2) that only a correct commit rule survives.
 */
export type Profile = 'mixed' | 'churn';

/** Draws the world of one seed; `force` pins the profile (the draw stays seeded). */
export function drawWorld(rand: Rand, force?: Profile): World {
  const drawn: Profile = rand.chance(0.25) ? 'churn' : 'mixed';
  const profile = force ?? drawn;
  const churn = profile === 'churn';
  const size = churn ? rand.pick([3, 3, 5]) : rand.pick([3, 5, 7]);
  const spares = churn ? 0 : rand.int(0, Math.min(2, RAFT_MAX_MEMBERS - size));
  const nodeIds = Array.from({ length: size + spares }, (_, i) => `n${i + 1}`);
  const raft = drawTiming(rand);
  if (churn && rand.chance(0.8)) raft.maxEntriesPerAppend = 1;
  const maxRate = maxDriftRate(raft.electionTimeoutTicks, raft.clockDriftBoundTicks);
  const net = drawNet(rand);
  if (churn) Object.assign(net, { maxDelayUs: net.minDelayUs + rand.int(0, 3_000), lossRate: rand.pick([0, 0.01]), dupRate: 0, reorderRate: 0 });
  return {
    profile,
    nodeIds,
    initialVoters: nodeIds.slice(0, size),
    raft,
    net,
    driftRates: nodeIds.map(() => drawDriftRate(rand, maxRate)),
    phasesUs: nodeIds.map(() => rand.int(0, NOMINAL_TICK_US - 1)),
    chaosMeanUs: churn ? rand.pick([20_000, 50_000]) : rand.pick([50_000, 150_000, 400_000]),
    clientMeanUs: churn ? 15_000 : rand.pick([5_000, 20_000, 60_000]),
    readFraction: rand.pick([0, 0.1, 0.3]),
    compactEveryEntries: rand.pick([8, 32, 128]),
    restartMaxUs: churn ? rand.pick([300_000, 800_000]) : rand.pick([5_000, 100_000, 1_000_000]),
    cutOnFirstCommitRate: churn ? 0.5 : 0,
    weights: churn ? CHURN_WEIGHTS : drawWeights(rand),
  };
}

const CHURN_WEIGHTS: Readonly<Record<Action, number>> = {
  'partition': 1, 'one-way': 1, 'isolate-leader': 1, 'heal': 2, 'crash': 1, 'crash-torn': 2,
  'leader-churn': 5, 'cut-on-commit': 0, 'restart-all': 3, 'membership': 0, 'transfer': 0, 'garbage': 0,
};

function drawTiming(rand: Rand): RaftTiming {
  const electionTimeoutTicks = rand.pick([8, 10, 16]);
  const clockDriftBoundTicks = rand.int(0, 3);
  // The contract's relation: leaseTicks < electionTimeoutTicks - clockDriftBoundTicks.
  const maxLease = electionTimeoutTicks - clockDriftBoundTicks - 1;
  return {
    electionTimeoutTicks,
    heartbeatTicks: rand.int(1, 3),
    leaseTicks: rand.chance(0.6) ? maxLease : rand.int(Math.max(1, maxLease - 4), maxLease),
    clockDriftBoundTicks,
    maxInflightAppends: rand.pick([1, 4, RAFT_MAX_INFLIGHT_APPENDS]),
    maxEntriesPerAppend: rand.pick([1, 8, RAFT_MAX_ENTRIES_PER_APPEND]),
  };
}

function drawNet(rand: Rand): NetParams {
  const minDelayUs = rand.int(100, 5_000);
  const spreadUs = rand.pick([1_000, 10_000, 40_000, 150_000]);
  return {
    minDelayUs,
    maxDelayUs: minDelayUs + rand.int(0, spreadUs),
    lossRate: rand.pick([0, 0.01, 0.05, 0.2]),
    dupRate: rand.pick([0, 0.01, 0.05]),
    reorderRate: rand.pick([0, 0.05, 0.2]),
    reorderExtraUs: rand.pick([5_000, 50_000, 200_000]),
    partitionMode: rand.chance(0.5) ? 'drop' : 'hold',
  };
}

function drawWeights(rand: Rand): Record<Action, number> {
  const w = (p: number): number => (rand.chance(p) ? rand.int(1, 4) : 0);
  return {
    'partition': w(0.8), 'one-way': w(0.6), 'isolate-leader': w(0.7), 'heal': 3,
    'crash': w(0.7), 'crash-torn': w(0.5), 'leader-churn': w(0.5), 'cut-on-commit': w(0.4), 'restart-all': w(0.3), 'membership': w(0.6), 'transfer': w(0.5), 'garbage': w(0.5),
  };
}

/** What the fault schedule may do to the simulated cluster. */
export interface SimControl {
  readonly nowUs: number;
  isRunning(id: string): boolean;
  /** The running leader with the highest term, if any. */
  leader(): string | null;
  /** The membership as the leader (else any running node) sees it. */
  conf(): ConfState | null;
  block(from: string, to: string): void;
  healAll(): void;
  /**
   * Crashes `id` now, or with tornWrites in a later Ready (after `afterReadies` complete ones)
   * before its fsync; restartUs: downtime before it restarts (null: down until the liveness phase).
   */
  crash(id: string, tornWrites: boolean, afterReadies: number, restartUs: number | null): void;
  /**
   * The next leader to make the first commit of its term (catching followers up after an
   * election) is cut off from every other node in the same step, so the appends and commit
   * notices it just sent never arrive (drop) or arrive late (hold).
   */
  isolateLeaderOnCommit(): void;
  /** Heals the network and restarts every crashed node at once (a restart storm: stale logs
   * race for votes). */
  restartAllNow(): void;
  /** The next node seen leading dies (torn) after that many complete Readies. */
  crashNextLeader(afterReadies: number, restartUs: number | null): void;
  proposeConfChange(at: string, cc: ConfChange): void;
  transferLeadership(at: string, to: string): void;
  injectGarbage(to: string, value: unknown): void;
}

/** The safety-phase fault schedule. */
export class FaultSchedule {
  /** The world's action weights as [action, weight] pairs, enabled ones only. */
  private readonly actions: (readonly [Action, number])[];

  constructor(private readonly world: World, private readonly rand: Rand) {
    this.actions = (Object.entries(world.weights) as [Action, number][]).filter(([, w]) => w > 0);
  }

  /** Delay until the next fault action (exponential around the seed's mean). */
  nextGapUs(): number {
    return Math.max(1, Math.round(-Math.log(1 - this.rand.float()) * this.world.chaosMeanUs));
  }

  /** Performs one fault action; returns its name (for the trace). */
  act(c: SimControl): Action {
    const a = this.rand.weighted(this.actions);
    switch (a) {
      case 'partition': this.partition(c); break;
      case 'one-way': this.oneWay(c); break;
      case 'isolate-leader': this.isolateLeader(c); break;
      case 'heal': c.healAll(); break;
      case 'crash': this.crash(c, false); break;
      case 'crash-torn': this.crash(c, true); break;
      case 'leader-churn': this.leaderChurn(c); break;
      case 'cut-on-commit': c.isolateLeaderOnCommit(); break;
      case 'restart-all': c.restartAllNow(); break;
      case 'membership': this.membership(c); break;
      case 'transfer': this.transfer(c); break;
      case 'garbage': this.garbage(c); break;
    }
    return a;
  }

  /** Splits the nodes in two groups (a minority or a majority on the leader's side). */
  private partition(c: SimControl): void {
    const ids = this.world.nodeIds;
    const k = this.rand.int(1, ids.length - 1);
    const side = new Set(this.rand.subset(ids, k));
    for (const a of ids) for (const b of ids) if (side.has(a) !== side.has(b)) c.block(a, b);
  }

  /** Blocks one to three directed links (asymmetric partitions). */
  private oneWay(c: SimControl): void {
    const ids = this.world.nodeIds;
    const n = this.rand.int(1, 3);
    for (let i = 0; i < n; i++) c.block(this.rand.pick(ids), this.rand.pick(ids));
  }

  /** Cuts the leader off: both ways, only its outbound or only its inbound links. */
  private isolateLeader(c: SimControl): void {
    const l = c.leader();
    if (l === null) return;
    const mode = this.rand.int(0, 2);
    for (const o of this.world.nodeIds) {
      if (mode !== 2) c.block(l, o);
      if (mode !== 1) c.block(o, l);
    }
  }

  private crash(c: SimControl, torn: boolean): void {
    const up = this.world.nodeIds.filter((id) => c.isRunning(id));
    if (up.length === 0) return;
    const l = c.leader();
    const id = l !== null && this.rand.chance(0.4) ? l : this.rand.pick(up);
    c.crash(id, torn, 0, this.downtimeUs());
  }

  /**
   * Kills the current leader (or else the next one elected) within a few Ready cycles: short
   * reigns leave entries of many terms on minorities, the raw material of Figure 8 (§5.4.2).
   */
  private leaderChurn(c: SimControl): void {
    const k = this.rand.pick([0, 0, 1, 2, 4]);
    // Down for a few election timeouts: long enough for others to elect a leader meanwhile.
    const electionUs = this.world.raft.electionTimeoutTicks * NOMINAL_TICK_US;
    const downUs = this.rand.int(2 * electionUs, 6 * electionUs);
    const l = c.leader();
    if (l === null) c.crashNextLeader(k, downUs);
    else c.crash(l, true, k, downUs);
  }

  /** Mostly a restart after a random downtime; sometimes down until the liveness phase. */
  private downtimeUs(): number | null {
    return this.rand.chance(0.9) ? this.rand.int(1_000, this.world.restartMaxUs) : null;
  }

  /** One single-server change drawn from what the current membership allows. */
  private membership(c: SimControl): void {
    const conf = c.conf();
    const at = c.leader();
    if (conf === null || at === null) return;
    const members = new Set<string>([...conf.voters, ...conf.learners]);
    const options: ConfChange[] = [];
    if (members.size < RAFT_MAX_MEMBERS) {
      for (const id of this.world.nodeIds) if (!members.has(id)) options.push({ type: 'add-learner', node: nodeId(id) });
    }
    for (const id of conf.learners) options.push({ type: 'promote', node: id }, { type: 'remove', node: id });
    if (conf.voters.length > MIN_VOTERS) for (const id of conf.voters) options.push({ type: 'remove', node: id });
    if (options.length === 0) return;
    // Mostly ask the leader; sometimes a follower (which forwards or refuses).
    const via = this.rand.chance(0.8) ? at : this.rand.pick(this.world.nodeIds.filter((id) => c.isRunning(id)));
    c.proposeConfChange(via, this.rand.pick(options));
  }

  private transfer(c: SimControl): void {
    const conf = c.conf();
    const l = c.leader();
    if (conf === null || l === null) return;
    const targets = conf.voters.filter((v) => v !== l);
    if (targets.length === 0) return;
    c.transferLeadership(this.rand.chance(0.8) ? l : this.rand.pick(conf.voters), this.rand.pick(targets));
  }

  /** Malformed input handed to step(): must be dropped and counted, never thrown on. */
  private garbage(c: SimControl): void {
    const up = this.world.nodeIds.filter((id) => c.isRunning(id));
    if (up.length === 0) return;
    const to = this.rand.pick(up);
    const from = this.rand.pick(this.world.nodeIds);
    const samples: unknown[] = [
      null, 42, 'app', [], { type: 'nonsense', from, to, term: 1 },
      { type: 'heartbeat', from, to, term: -1, commit: 0, round: 0, roundTick: 0 },
      { type: 'app', from, to, term: 1.5, index: 0, logTerm: 0, entries: [], commit: 0, round: 0, roundTick: 0 },
      { type: 'app', from, to, term: 1, index: 0, logTerm: 0, entries: [{ term: 1, index: 5, type: 'normal', data: 'x' }], commit: 0, round: 0, roundTick: 0 },
      { type: 'vote', from: 'bad id!', to, term: 1, index: 0, logTerm: 0, transfer: false },
      { type: 'vote-resp', from, to, term: Number.MAX_SAFE_INTEGER + 2, reject: false },
      { type: 'snap', from, to, term: 1, meta: { index: 1, term: 1, conf: { voters: [], learners: [] } }, offsetBytes: 5, totalBytes: 1, chunk: new Uint8Array(3) },
    ];
    c.injectGarbage(to, this.rand.pick(samples));
  }
}
