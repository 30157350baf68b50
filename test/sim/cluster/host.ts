// One simulated host of the cluster simulator: the machine (its Raft disk, its drifting clock,
// its view of the shared md disks) and the current incarnation of its daemon - a real
// ClusterNode with the real Raft core, over a real SimMdDriver kernel, an in-memory transport
// and storage - plus crash and restart.
// Invariants:
// - At most one incarnation is live; a crash kills its clock (no timer fires again), its
//   transport, its storage handle and its kernel (sim crash(): the in-memory md state is lost,
//   no superblock is written), and drops the Raft disk's unsynced writes. The shared disks stay.
// - A restart builds everything anew from the durable Raft state and the shared superblocks,
//   exactly like a rebooted machine running a fresh daemon.
// - A freeze stops the daemon's code (timers, frames, md events, control requests) but not its
//   kernel: an array the daemon left writable stays writable (see node-time.ts).
// - Settings come from the daemon's own derivation (daemon/src/node-settings.ts) of a config
//   with the world's timing and fencing settings (fence command: the simulated one of fence.ts).
// - Observation only: every applied entry and every Raft log write is reported to the run's
//   HostObserver (instance-level wrapper around the node's applyOne; it changes nothing).
import type { NodeId } from '../../../daemon/src/common/types.js';
import { makeHandler } from '../../../daemon/src/control/handlers.js';
import type { ControlConnection, Handler } from '../../../daemon/src/control/server.js';
import { SeededIds } from '../../../daemon/src/md/sim/deps.js';
import type { MemoryDisks } from '../../../daemon/src/md/sim/disk-store.js';
import { MemoryDiskStore } from '../../../daemon/src/md/sim/disk-store.js';
import { SimMdDriver } from '../../../daemon/src/md/sim/sim-driver.js';
import { ReadyLoop } from '../../../daemon/src/node/ready-loop.js';
import { ClusterNode, type NodeSettings } from '../../../daemon/src/node/node.js';
import { nodeSettingsFromConfig, type NodeConfig } from '../../../daemon/src/node-settings.js';
import { createPrng } from '../../../daemon/src/raft/prng.js';
import { Rand, streamSeed } from '../rand.js';
import { SimStorage } from '../storage.js';
import type { SnapshotChain } from '../storage.js';
import type { Entry, RaftFaults } from '../../../daemon/src/raft/types.js';
import type { Trace } from '../trace.js';
import { HostKernel } from './kernel.js';
import type { ClusterNet } from './net.js';
import { SimTransport } from './net.js';
import { NodeTime } from './node-time.js';
import { SimRaftStorage } from './raft-storage.js';
import { SIM_FENCE_COMMAND } from './fence.js';
import type { Scheduler } from './scheduler.js';
import { TraceLogger } from './trace-log.js';
import type { ClusterWorld } from './world.js';
import { DRIFT_BOUND_TICKS, ELECTION_TICKS, HEARTBEAT_TICKS, LEASE_TICKS, TICK_MS } from './world.js';

/** What every host shares: the run's scheduler, network, disks, trace and fault sink. */
export interface HostEnv {
  seed: number;
  world: ClusterWorld;
  sched: Scheduler;
  net: ClusterNet;
  disks: MemoryDisks;
  trace: Trace;
  /** A property broke inside a host (storage refused a write, the node tried to exit, ...). */
  fault: (property: string, message: string) => void;
  /** The kernel of some host changed: run the single-writer check now. */
  kernelChanged: () => void;
  /** The host went down (fault, or its own fence reboot); the run decides when it comes back. */
  crashed: (host: SimHost, why: string) => void;
  observer: HostObserver;
  /** TEST-ONLY broken Raft cores (RaftConfig.faults), to show the checkers have teeth. */
  raftFaults?: RaftFaults;
}

/** What the run's checkers see of each host's Raft log and applied entries. */
export interface HostObserver {
  /** The chain hash of the applied prefix a snapshot at this index covers (host disks use it). */
  snapshotChain: SnapshotChain;
  /** Entries from fromIndex on were just written to the host's Raft disk (not yet synced). */
  logWritten(host: SimHost, fromIndex: number): void;
  /** The live incarnation applied entry e (appliedBefore: its applied index just before). */
  applied(host: SimHost, e: Entry, appliedBefore: number): void;
}

/** The live parts of one daemon incarnation. */
export interface Incarnation {
  readonly number: number;
  readonly node: ClusterNode;
  readonly kernel: HostKernel;
  readonly time: NodeTime;
  /** The node's control-socket dispatcher (mdctl requests), over this incarnation. */
  readonly control: Handler;
}

const noConnection: ControlConnection = { push: () => false, onClose: () => {} };

export class SimHost {
  readonly disk: SimStorage;
  /** null while the host is down. */
  live: Incarnation | null = null;
  private incarnations = 0;
  private readonly crashRand: Rand;
  private requestId = 0;
  crashes = 0;
  /** Armed by the crash-fsync fault: the next fsync of this host never completes; the host crashes inside its window. */
  private fsyncCrashArmed = false;

  constructor(readonly id: NodeId, private readonly index: number, private readonly env: HostEnv) {
    this.crashRand = new Rand(createPrng(streamSeed(env.seed, `crash:${id}`)));
    this.disk = new SimStorage(env.observer.snapshotChain);
  }

  /** The next fsync on this host (this incarnation or a later one) is cut short by a crash. */
  armFsyncCrash(): void {
    this.fsyncCrashArmed = true;
  }

  get up(): boolean {
    return this.live !== null;
  }

  start(): void {
    if (this.live !== null) return;
    const env = this.env;
    const n = ++this.incarnations;
    const stream = (name: string): Rand => new Rand(createPrng(streamSeed(env.seed, `${name}:${this.id}:${n}`)));
    const time = new NodeTime(env.sched, env.world.driftRates[this.index], stream('mono').int(1_000, 1_000_000), this.index * 7);
    const logger = new TraceLogger(env.trace, () => env.sched.nowUs, this.id);
    const sim = new SimMdDriver({
      store: new MemoryDiskStore(env.disks), hostName: this.id,
      deps: { clock: time, timers: time.kernelTimers(), ids: new SeededIds(streamSeed(env.seed, `ids:${this.id}:${n}`)), logger },
      speed: { minKiBps: 1000, maxKiBps: env.world.syncSpeedKiBps },
    });
    const kernel = new HostKernel(sim, time, stream('md'), env.world.mdCallUs, env.kernelChanged);
    const storage = new SimRaftStorage(this.disk, time, stream('fsync'), env.world.fsyncUs, {
      fault: (m) => env.fault('storage', `${this.id}: ${m}`),
      written: (from) => env.observer.logWritten(this, from),
      fsyncStarting: (us) => this.fsyncStarting(us),
    });
    const node = new ClusterNode(this.settings(), {
      clock: time, timers: time, logger, transport: new SimTransport(env.net, this.id, time), storage, driver: kernel,
      prng: createPrng(streamSeed(env.seed, `raft:${this.id}:${n}`)),
    });
    this.observeApplies(node);
    const control = makeHandler({ node, seesDevice: async (p) => kernel.hasDevice(p) });
    this.live = { number: n, node, kernel, time, control };
    const hs = this.disk.hardState;
    env.trace.record(env.sched.nowUs, 'start', this.id,
      `incarnation ${n}: snapshot ${this.disk.snapshotIndex}, log to ${this.disk.lastIndex}, term ${hs?.term ?? 0}, commit ${hs?.commit ?? 0}`);
    node.start().catch((e: unknown) => env.fault('start', `${this.id}: node.start failed: ${String(e)}`));
  }

  /** Power loss: the daemon and the in-memory kernel vanish; unsynced Raft writes may be lost or torn. */
  crash(why: string): void {
    const inc = this.live;
    if (inc === null) return;
    this.live = null;
    this.crashes++;
    inc.time.kill();
    inc.kernel.sim.crash();
    void inc.kernel.sim.close();
    const r = this.disk.crash(this.crashRand);
    this.env.net.detach(this.id);
    this.env.trace.record(this.env.sched.nowUs, 'crash', this.id,
      `${why}: incarnation ${inc.number} gone (${r.keptOps}/${r.pendingOps} unsynced writes kept${r.tornEntries ? ', torn' : ''})`);
    this.env.kernelChanged();
    this.env.crashed(this, why);
  }

  /**
   * Reports every entry the node applies (instance-level wrapper: it looks the prototype's
   * applyOne up at each call, so a test's patch of the prototype still takes effect).
   */
  private observeApplies(node: ClusterNode): void {
    type ApplyOne = (e: Entry, ...rest: unknown[]) => boolean;
    // The node's Ready loop (node/ready-loop.ts) applies entries; the simulator wraps that
    // instance's applyOne (a private field reached on purpose: observing changes nothing).
    const loop = (node as unknown as { loop?: { applyOne: ApplyOne } }).loop;
    const proto = ReadyLoop.prototype as unknown as { applyOne?: ApplyOne };
    if (loop === undefined || typeof proto.applyOne !== 'function') {
      this.env.fault('harness', 'ReadyLoop.applyOne is gone: the simulator cannot observe applied entries');
      return;
    }
    loop.applyOne = (e: Entry, ...rest: unknown[]): boolean => {
      const before = node.state.appliedIndex;
      const out = proto.applyOne!.call(loop, e, ...rest);
      if (e.index > before) this.env.observer.applied(this, e, before);
      return out;
    };
  }

  /** An fsync starts on this host; true when it is to be cut short by a crash (armed fault). */
  private fsyncStarting(us: number): boolean {
    if (!this.fsyncCrashArmed) return false;
    this.fsyncCrashArmed = false;
    const inc = this.live;
    const atUs = this.crashRand.int(0, Math.max(0, Math.floor(us)));
    this.env.sched.after(atUs, () => {
      if (this.live === inc) this.crash(`crash ${atUs} us into a ${Math.floor(us)} us fsync window`);
    });
    return true;
  }

  /** Sends one control request (as mdctl would) to this host's daemon; rejects with its OpError. */
  request(req: Record<string, unknown> & { type: string }): Promise<unknown> {
    const inc = this.live;
    if (inc === null) return Promise.reject(new Error(`${this.id} is down`));
    const id = ++this.requestId;
    return new Promise((resolve, reject) => inc.time.runAsDaemon(() => inc.control({ ...req, id }, noConnection).then(resolve, reject)));
  }

  /** The daemon (not its kernel) freezes for `us` simulated microseconds: SIGSTOP, a GC pause. */
  freeze(us: number): void {
    this.live?.time.freeze(us);
  }

  /** The daemon's own derivation (daemon/src/node-settings.ts) from this host's configuration. */
  private settings(): NodeSettings {
    const w = this.env.world;
    const config: NodeConfig = {
      nodeId: this.id,
      peers: new Map(w.nodeIds.map((id, i) => [id, { host: `10.0.0.${i + 1}`, port: 7001 }])),
      cluster: { join: false },
      timing: {
        tickMs: TICK_MS, heartbeatTicks: HEARTBEAT_TICKS, electionTicks: ELECTION_TICKS, leaseTicks: LEASE_TICKS,
        driftBoundTicks: DRIFT_BOUND_TICKS, clockDriftPpm: null,
      },
      master: {
        fenceAction: 'stop-array', fenceCommand: w.fence.command ? [SIM_FENCE_COMMAND, this.id, '{node}'] : [],
        fenceTimeoutMs: 10_000, fenceRequired: w.fence.required, checkpointIntervalMs: 5000,
        unconfirmedGraceMs: w.fence.unconfirmedGraceMs,
      },
    };
    const settings = nodeSettingsFromConfig(config, {
      // The fence of last resort: the machine reboots at once (its kernel state is lost).
      reboot: () => this.crash('fence reboot'),
      writerLogFile: null,
      snapshotEveryEntries: w.snapshotEveryEntries,
    });
    const faults = this.env.raftFaults;
    return faults === undefined ? settings : { ...settings, raft: { ...settings.raft, faults: { ...faults } } };
  }
}
