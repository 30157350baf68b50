// One deterministic cluster-simulator run: runClusterSeed(seed). Owns: the run's phases and its
// event loop. Phases: setup (fault-free: a master, disks confirmed, md0 created), chaos (faults
// drawn from the seed for world.chaosUs), heal (network healed and calm, every host restarted;
// within CLUSTER_SIM_LIVENESS_BOUND_MS the cluster must converge, see checkers.convergence, and
// every host must apply every acknowledged proposal: durability, raft-checks.ts).
// Invariants:
// - The run is a function of (seed, options) alone: one PRNG stream per concern, one event
//   queue ordered by (time, insertion), the microtask queue drained between events.
// - The checkers run after every event (and after every kernel change); the first violation
//   ends the run; a node's attempt to exit the process or an unhandled rejection is one too.
import { CLUSTER_SIM_LIVENESS_BOUND_MS, CLUSTER_SIM_MAX_PENDING_EVENTS, CLUSTER_SIM_MAX_STEPS, CLUSTER_SIM_SETUP_BOUND_MS, CLUSTER_SIM_TRACE_RING_EVENTS } from '../../lib/limits.js';
import { MemoryDiskStore, MemoryDisks } from '../../../daemon/src/md/sim/disk-store.js';
import { createPrng } from '../../../daemon/src/raft/prng.js';
import type { RaftFaults } from '../../../daemon/src/raft/types.js';
import { Rand, streamSeed } from '../rand.js';
import type { TraceEvent } from '../trace.js';
import { Trace } from '../trace.js';
import { ClusterCheckers, convergence, type Phase, type Violation } from './checkers.js';
import { SimApp } from './app.js';
import { applyFault, type FaultControl } from './faults.js';
import { installFence } from './fence.js';
import { SimHost, type HostEnv } from './host.js';
import { RaftChecks } from './raft-checks.js';
import { SimClients } from './clients.js';
import { HistoryChecker, type HistoryStats } from './history.js';
import { kernelWritable } from './kernel.js';
import { ClusterNet } from './net.js';
import { pump, Scheduler } from './scheduler.js';
import { setupArray } from './setup.js';
import type { ClusterWorld, WorldOptions } from './world.js';
import { ARRAY_DEVICE, describeWorld, DISK_IDS, DISK_SIZE_SECTORS, drawWorld, FAULT_KINDS, profileOfSeed } from './world.js';

export interface ClusterRunOptions extends WorldOptions {
  /** Receives every trace line as it happens (--verbose). */
  sink?: (line: string) => void;
  /** TEST-ONLY: broken Raft cores (RaftConfig.faults) for the checkers' own tests. */
  raftFaults?: RaftFaults;
}

export interface ClusterRunStats {
  steps: number;
  simulatedMs: number;
  nodes: number;
  faults: number;
  crashes: number;
  /** Simulated ms from the start of the heal phase to convergence (-1 if it never converged). */
  convergeMs: number;
  writerChecks: number;
  /** The application's mounts and writes (refused: md0 had gone read-only under it). */
  appMounts: number;
  appWrites: number;
  appRefusedWrites: number;
  /** md0 moved from one host's kernel to another's this many times; the shortest gap (ms, -1: none). */
  handovers: number;
  minHandoverMs: number;
  /** Distinct (node, term) pairs seen with md0 writable in the node's kernel. */
  masterTerms: number;
  /** Simulated fence calls (profile fenced) and how many powered a host off. */
  fenceCalls: number;
  fenceKills: number;
  /** Hosts that crashed inside an fsync window (crash-fsync fault). */
  fsyncCrashes: number;
  /** Proposals acknowledged to a client (admin faults, sim clients): the durability checker's input. */
  acks: number;
  /** Sim clients' ops and re-proposals (0 without clients), and what the history checker saw. */
  clientOps: number;
  reproposals: number;
  history: HistoryStats | null;
  wallMs: number;
}

export interface ClusterRunResult {
  seed: number;
  violation: Violation | null;
  trace: TraceEvent[];
  stats: ClusterRunStats;
  world: ClusterWorld;
}

/** Period of the convergence probe in the heal phase, in simulated microseconds. */
const PROBE_US = 20_000;

export function runClusterSeed(seed: number, options: ClusterRunOptions = {}): Promise<ClusterRunResult> {
  return new ClusterSim(seed, options).run();
}

class ClusterSim implements FaultControl {
  readonly world: ClusterWorld;
  readonly sched: Scheduler;
  readonly net: ClusterNet;
  readonly hosts: SimHost[];
  readonly rand: Rand;
  private readonly trace_: Trace;
  private readonly checkers: ClusterCheckers;
  private readonly raftChecks: RaftChecks;
  private readonly clients: SimClients | null = null;
  private history: HistoryChecker | null = null;
  private readonly app: SimApp;
  private fenceCalls = 0;
  private fenceKills = 0;
  private fsyncCrashes = 0;
  /** Invariant: only moves forward, setup -> chaos -> heal. */
  private phase: Phase = 'setup';
  private faults = 0;
  private convergeMs = -1;
  /** "node@term" pairs seen with md0 writable in the node's kernel (bounded by nodes x terms). */
  private readonly masters = new Set<string>();
  /** host -> last traced role/writer/kernel summary. */
  private readonly lastSeen = new Map<string, string>();

  constructor(private readonly seed: number, options: ClusterRunOptions) {
    const rand = (name: string): Rand => new Rand(createPrng(streamSeed(seed, name)));
    this.world = drawWorld(rand('world'), { ...options, profile: options.profile ?? profileOfSeed(seed) });
    this.rand = rand('faults');
    this.trace_ = new Trace(CLUSTER_SIM_TRACE_RING_EVENTS, options.sink ?? null);
    this.sched = new Scheduler(CLUSTER_SIM_MAX_PENDING_EVENTS, (what) => this.checkers.fail('event-queue', what));
    this.net = new ClusterNet(this.sched, this.world.net, rand('net'), this.world.nodeIds, this.world.peerNoticeUs);
    const disks = new MemoryDisks();
    const store = new MemoryDiskStore(disks);
    DISK_IDS.forEach((d, i) => store.createDisk({ diskId: d, sizeSectors: DISK_SIZE_SECTORS, major: 8, minor: 16 * i }));
    this.raftChecks = new RaftChecks((p, m) => this.checkers.fail(p, m), () => this.sched.nowUs);
    const env: HostEnv = {
      seed, world: this.world, sched: this.sched, net: this.net, disks, trace: this.trace_,
      fault: (p, m) => this.checkers.fail(p, m),
      kernelChanged: () => this.checkers.checkWriters(),
      crashed: (h, why) => this.onCrashed(h, why),
      observer: this.raftChecks, raftFaults: options.raftFaults,
    };
    this.hosts = this.world.nodeIds.map((id, i) => new SimHost(id, i, env));
    this.app = new SimApp(this.hosts, this.sched, this.world.mounted, this.world.appWriteEveryUs);
    if (this.world.clients !== null) {
      this.clients = new SimClients({
        hosts: this.hosts, sched: this.sched, rand: rand('clients'), world: this.world.clients,
        trace: (k, n, d) => this.trace(k, n, d), acked: (i, what) => this.raftChecks.acked(i, what),
      });
    }
    this.checkers = new ClusterCheckers(this.hosts, {
      nowUs: () => this.sched.nowUs, step: () => this.sched.steps, phase: () => this.phase,
    });
  }

  trace(kind: string, node: string, detail: string): void {
    this.trace_.record(this.sched.nowUs, kind, node, detail);
  }

  async run(): Promise<ClusterRunResult> {
    const wallStart = performance.now();
    const restore = this.guardProcess();
    const unfence = installFence((by, target, done) => this.fence(by, target, done));
    try {
      this.trace('world', '-', describeWorld(this.world));
      this.hosts.forEach((h, i) => this.sched.at(this.world.startOffsetsUs[i], () => h.start()));
      await this.setupPhase();
      if (this.checkers.violation === null) await this.chaosPhase();
      if (this.checkers.violation === null) await this.healPhase();
    } finally {
      unfence();
      restore();
    }
    const v = this.checkers.violation;
    if (v !== null) this.trace('VIOLATION', '-', `${v.property}: ${v.message}`);
    return {
      seed: this.seed, violation: v, trace: this.trace_.last(CLUSTER_SIM_TRACE_RING_EVENTS), world: this.world,
      stats: {
        steps: this.sched.steps, simulatedMs: this.sched.nowUs / 1000, nodes: this.hosts.length, faults: this.faults,
        crashes: this.hosts.reduce((n, h) => n + h.crashes, 0), convergeMs: this.convergeMs,
        writerChecks: this.checkers.writerChecks, appMounts: this.app.stats.mounts, appWrites: this.app.stats.writes,
        appRefusedWrites: this.app.stats.refusedWrites, handovers: this.checkers.handovers,
        minHandoverMs: this.checkers.minHandoverUs === null ? -1 : this.checkers.minHandoverUs / 1000,
        masterTerms: this.masters.size, fenceCalls: this.fenceCalls, fenceKills: this.fenceKills,
        fsyncCrashes: this.fsyncCrashes, acks: this.raftChecks.acks, clientOps: this.clients?.ops.length ?? 0,
        reproposals: this.clients?.reproposals.length ?? 0, history: this.history?.stats ?? null, wallMs: performance.now() - wallStart,
      },
    };
  }

  // ---- phases ---------------------------------------------------------------------------------

  private async setupPhase(): Promise<void> {
    let done = false;
    setupArray({ hosts: this.hosts, sched: this.sched, rand: this.rand, bitmap: this.world.bitmap, trace: (k, n, d) => this.trace(k, n, d) })
      .then(() => { done = true; }, (e: unknown) => this.checkers.fail('setup', `set-up failed: ${String(e)}`));
    const deadlineUs = this.sched.nowUs + CLUSTER_SIM_SETUP_BOUND_MS * 1000;
    while (!done && this.checkers.violation === null) {
      if (this.sched.nowUs > deadlineUs) {
        this.checkers.fail('setup', `md0 was not created within ${CLUSTER_SIM_SETUP_BOUND_MS} ms without faults`);
        return;
      }
      await this.step();
    }
  }

  private async chaosPhase(): Promise<void> {
    this.phase = 'chaos';
    this.app.start();
    this.clients?.start();
    const endUs = this.sched.nowUs + this.world.chaosUs;
    this.trace('phase', '-', `chaos for ${this.world.chaosUs / 1000} ms`);
    const next = (): void => {
      this.sched.after(this.rand.int(this.world.faultGapUs.lo, this.world.faultGapUs.hi), () => {
        if (this.phase !== 'chaos') return;
        const kind = this.rand.weighted(FAULT_KINDS.map((k) => [k, this.world.weights[k]] as const));
        this.faults++;
        this.trace('fault', '-', applyFault(kind, this));
        next();
      });
    };
    next();
    while (this.sched.nowUs < endUs && this.checkers.violation === null) await this.step();
  }

  private async healPhase(): Promise<void> {
    this.phase = 'heal';
    this.trace('phase', '-', 'heal: network healed and calm, every host restarted, no more faults');
    this.net.net.setFaultsEnabled(false);
    this.net.healAll();
    this.clients?.finish();
    for (const h of this.hosts) if (!h.up) h.start();
    await pump(); // let the daemons finish start() before any other event looks at them
    const startUs = this.sched.nowUs;
    const deadlineUs = startUs + CLUSTER_SIM_LIVENESS_BOUND_MS * 1000;
    let converged = false;
    let why: string | null = 'not probed yet';
    const probe = (): void => {
      why = convergence(this.hosts);
      if (why === null) converged = true;
      else this.sched.after(PROBE_US, probe);
    };
    this.sched.after(PROBE_US, probe);
    while (!converged && this.checkers.violation === null) {
      if (this.sched.nowUs > deadlineUs) {
        this.checkers.fail('liveness', `not converged ${CLUSTER_SIM_LIVENESS_BOUND_MS} ms after healing: ${why}`);
        return;
      }
      await this.step();
    }
    this.convergeMs = (this.sched.nowUs - startUs) / 1000;
    this.trace('converged', '-', `after ${this.convergeMs.toFixed(1)} ms`);
    await this.catchUp(deadlineUs);
  }

  /**
   * Runs until the clients' outstanding ops are answered and every host applied every
   * acknowledged proposal (or the bound passes), then checks durability and the history.
   */
  private async catchUp(deadlineUs: number): Promise<void> {
    const ackedTo = (): number => this.raftChecks.core.maxAckedIndex;
    const behind = (): boolean => (this.clients?.outstanding ?? 0) > 0 ||
      this.hosts.some((h) => h.live === null || h.live.node.state.appliedIndex < ackedTo());
    while (behind() && this.checkers.violation === null && this.sched.nowUs <= deadlineUs) await this.step();
    this.clients?.stop();
    if (this.checkers.violation === null) this.raftChecks.checkDurable(this.hosts);
    if (this.checkers.violation === null && this.clients !== null) {
      this.history = new HistoryChecker({
        log: this.raftChecks.log, appliedAtUs: this.raftChecks.appliedAtUs, ops: this.clients.ops,
        reproposals: this.clients.reproposals, clientIds: new Set(this.clients.ids()),
        finals: this.hosts.filter((h) => h.live !== null).map((h) => ({ node: h.id, state: h.live!.node.state })),
      }, (p, m) => this.checkers.fail(p, m));
      this.history.check();
    }
  }

  // ---- the event loop -------------------------------------------------------------------------

  private async step(): Promise<void> {
    if (this.sched.steps >= CLUSTER_SIM_MAX_STEPS) {
      this.checkers.fail('steps', `more than ${CLUSTER_SIM_MAX_STEPS} events in one run`);
      return;
    }
    if (!this.sched.runNext()) {
      this.checkers.fail('stall', 'the event queue ran empty');
      return;
    }
    await pump();
    this.checkers.afterEvent();
    this.raftChecks.afterEvent(this.hosts);
    if (this.phase !== 'setup') this.app.afterEvent();
    this.observe();
  }

  /**
   * Traces changes of each host's Raft role, lease, master record and kernel md0 state. Passive:
   * it reads Raft status and leaseValid() (not WriterRole.isWriter(), which replays due ticks).
   */
  private observe(): void {
    for (const h of this.hosts) {
      const st = this.statusOf(h);
      const key = st === null ? 'down' : `${st.role}|${st.term}|${st.lead}|${st.master}|${st.lease}|${st.writable}`;
      if (st !== null && st.writable) this.masters.add(`${h.id}@${st.term}`);
      if (this.lastSeen.get(h.id) === key) continue;
      this.lastSeen.set(h.id, key);
      this.trace(
        'state', h.id,
        st === null ? 'down' : `${st.role} t${st.term} lead=${st.lead ?? '-'}${st.master ? ' MASTER' : ''}${st.lease ? ' lease' : ''} md0:${st.writable ? 'rw' : 'ro/none'}`,
      );
    }
  }

  private statusOf(h: SimHost): { role: string; term: number; lead: string | null; master: boolean; lease: boolean; writable: boolean } | null {
    if (h.live === null) return null;
    const node = h.live.node;
    const st = node.raft.status();
    const m = node.state.master;
    return {
      role: st.role, term: st.term, lead: st.lead, master: m !== null && m.node === h.id && m.term === st.term,
      lease: st.role === 'leader' && node.raft.leaseValid(), writable: kernelWritable(h.live.kernel.sim, ARRAY_DEVICE),
    };
  }

  // ---- FaultControl ---------------------------------------------------------------------------

  leader(): SimHost | null {
    let best: SimHost | null = null;
    let bestTerm = -1;
    for (const h of this.hosts) {
      const st = h.live?.node.raft.status();
      if (st !== undefined && st.role === 'leader' && st.term > bestTerm) {
        best = h;
        bestTerm = st.term;
      }
    }
    return best;
  }

  acked(index: number, what: string): void {
    this.raftChecks.acked(index, what);
  }

  private onCrashed(h: SimHost, why: string): void {
    this.raftChecks.stopped(h);
    if (why === 'fence reboot') this.restartLater(h, this.world.downtimeUs.lo);
    else if (why.startsWith('fenced') || why.includes('fsync window')) {
      if (why.includes('fsync window')) this.fsyncCrashes++;
      if (this.phase !== 'heal') this.restartLater(h, this.rand.int(this.world.downtimeUs.lo, this.world.downtimeUs.hi));
      else this.restartLater(h, 0);
    }
  }

  /**
   * The simulated fence command (fence.ts): after a seeded run time it powers `target` off (its
   * daemon and kernel vanish; it reboots after a downtime) and reports success, or it fails.
   */
  private fence(by: string, target: string, done: (err: Error | null) => void): void {
    this.fenceCalls++;
    const caller = this.hosts.find((h) => h.id === by);
    const victim = this.hosts.find((h) => h.id === target);
    const inc = caller?.live ?? null;
    const f = this.world.fence;
    const us = this.rand.int(f.runUs.lo, f.runUs.hi);
    const fails = this.rand.chance(f.failRate);
    this.trace('fence', by, `fence ${target}: runs ${(us / 1000).toFixed(1)} ms${fails ? ', fails' : ''}`);
    this.sched.after(us, () => {
      if (!fails && victim !== undefined && victim.up) {
        this.fenceKills++;
        victim.crash(`fenced by ${by}`);
      }
      if (inc !== null) inc.time.runAsDaemon(() => done(fails ? new Error('simulated fence failure') : null));
    });
  }

  restartLater(host: SimHost, delayUs: number): void {
    this.sched.after(delayUs, () => {
      if (!host.up) host.start();
    });
  }

  // ---- process guards -------------------------------------------------------------------------

  /** A node calling process.exit or leaving a rejection unhandled is a violation, not a dead simulator. */
  private guardProcess(): () => void {
    const realExit = process.exit;
    process.exit = ((code?: number) => {
      this.checkers.fail('exit', `a node called process.exit(${String(code)})`);
    }) as typeof process.exit;
    const onRejection = (e: unknown): void => this.checkers.fail('unhandled-rejection', String(e instanceof Error ? e.stack : e));
    process.on('unhandledRejection', onRejection);
    return () => {
      process.exit = realExit;
      process.off('unhandledRejection', onRejection);
    };
  }
}
