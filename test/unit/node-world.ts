// A small world of real ClusterNodes in simulated time, for the node-shell safety tests
// (test/unit/node-safety.test.ts). Owns: an in-memory network (with cut links and frozen
// daemons), each node's md driver seen from outside (when an array was writable on which node),
// and hooks on what leaves a node (transport frames) and what it persists (storage saves).
// It uses only the ClusterNode surface that stays (constructor, start, stop, propose, state)
// and its injected deps; nothing private of the node.
// Invariants:
// - A node's writable interval opens when setReadWrite/create is CALLED on its driver and closes
//   when setReadOnly/stop RETURNS: the recorded interval covers the real one (as writer-log.ts).
// - Everything runs on one Scheduler: same settings, same event order, same result.
// - A frozen daemon (NodeTime.freeze) runs no code: frames to it wait until the freeze ends;
//   its simulated kernel keeps its arrays as they were (writable stays writable).
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS } from '../../daemon/src/common/limits.js';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import { parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { silentLogger, type Logger } from '../../daemon/src/log/logger.js';
import { SeededIds } from '../../daemon/src/md/sim/deps.js';
import { MemoryDiskStore, MemoryDisks } from '../../daemon/src/md/sim/disk-store.js';
import { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';
import type { MdDriver } from '../../daemon/src/md/driver.js';
import type { CommandRunner, FatalHandler, PeerTransport, RaftStorage } from '../../daemon/src/node/deps.js';
import { ClusterNode, type NodeSettings } from '../../daemon/src/node/node.js';
import type { WriterSettings } from '../../daemon/src/node/writer.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import { NodeTime } from '../sim/cluster/node-time.js';
import { newRaftDisk, SimRaftStorage } from '../sim/cluster/raft-storage.js';
import { runUntil, Scheduler } from '../sim/cluster/scheduler.js';
import { Rand } from '../sim/rand.js';

export const TICK_MS = 10;
export const ELECTION_TICKS = 30;
export const LEASE_TICKS = 20;
/** One-way link delay in simulated microseconds. */
const LINK_DELAY_US = 500;
/** Bound of the scheduler's queue (a few nodes' timers and frames are far fewer). */
const MAX_EVENTS = 1_000_000;
export const DISKS = ['sda', 'sdb', 'sdc'] as const;
const DISK_SECTORS = 64 * 2048;

/** When an array was writable on a node, in simulated microseconds; endUs null while open. */
export interface Writable { node: string; device: string; startUs: number; endUs: number | null }

export class WorldTransport implements PeerTransport {
  msgHandler: (from: NodeId, p: Uint8Array) => void = () => {};
  peerHandler: (peer: NodeId, up: boolean) => void = () => {};
  /** Called for every frame this node hands to the transport (before delivery). */
  onSend: (to: NodeId, payload: Uint8Array) => void = () => {};
  cut = false;
  constructor(private readonly w: World, readonly id: NodeId, readonly time: NodeTime) {}
  async start(): Promise<void> { this.w.net.set(this.id, this); this.w.refresh(); }
  send(to: NodeId, payload: Uint8Array): void {
    this.onSend(to, payload);
    if (!this.w.linked(this.id, to)) return;
    const copy = payload.slice();
    this.w.sched.after(this.w.linkDelayUs, () => {
      const dst = this.w.net.get(to);
      if (dst && this.w.linked(this.id, to)) dst.time.runAsDaemon(() => dst.msgHandler(this.id, copy));
    });
  }
  onMessage(h: (from: NodeId, p: Uint8Array) => void): void { this.msgHandler = h; }
  onPeerState(h: (peer: NodeId, up: boolean) => void): void { this.peerHandler = h; }
  async close(): Promise<void> { this.w.net.delete(this.id); this.w.refresh(); }
}

export interface WorldNode {
  id: NodeId;
  node: ClusterNode;
  time: NodeTime;
  transport: WorldTransport;
  /** Extra simulated microseconds each setReadOnly call takes on this node (a slow STOP_ARRAY_RO). */
  readOnlyDelayUs: number;
  /** Extra simulated microseconds each assemble call takes on this node (a slow assemble). */
  assembleDelayUs: number;
  /** An assemble call is under way on this node's driver. */
  assembling: boolean;
  /** The node's simulated kernel, bypassing the daemon (as an admin's mdadm would). */
  kernel: SimMdDriver;
  /** Wraps every storage.save of this node: return the promise the node will await. */
  saveHook: ((batch: Parameters<RaftStorage['save']>[0], inner: () => Promise<void>) => Promise<void>) | null;
}

export interface NodeOptions {
  writer?: Partial<WriterSettings>;
  raft?: Partial<NodeSettings['raft']>;
  /** The node's fatal handler (default: the production one, which exits the process). */
  fatal?: FatalHandler;
  /** Runs the fence command (default: the production runner, execFile). */
  commands?: CommandRunner;
  /** The node's logger (default: silent). */
  logger?: Logger;
  /** The node's tick-lag hook (node.ts measureTickLag; the daemon feeds its metrics from it). */
  onTickLagMs?: (id: string, lagMs: number) => void;
  /** Runs on the constructed node before start(), as the daemon's metrics and status do. */
  beforeStart?: (node: ClusterNode) => void;
}

export class World {
  readonly sched = new Scheduler(MAX_EVENTS, (w) => { throw new Error(w); });
  readonly net = new Map<NodeId, WorldTransport>();
  readonly nodes = new Map<string, WorldNode>();
  readonly writable: Writable[] = [];
  /** One-way delay of every frame in simulated microseconds (0: delivered at the same instant, after what is queued). */
  linkDelayUs = LINK_DELAY_US;
  private readonly disks = new MemoryDisks();
  private readonly reported = new Map<string, boolean>();

  constructor() {
    const store = new MemoryDiskStore(this.disks);
    DISKS.forEach((d, i) => store.createDisk({ diskId: d, sizeSectors: DISK_SECTORS, major: 8, minor: 16 * i }));
  }

  linked(a: NodeId, b: NodeId): boolean {
    const x = this.net.get(a);
    const y = this.net.get(b);
    return x !== undefined && y !== undefined && !x.cut && !y.cut;
  }

  /** Tells both ends of every link whose state changed (the real transport's onPeerState). */
  refresh(): void {
    for (const [id, t] of this.net) {
      for (const peer of this.nodes.keys()) {
        if (peer === id) continue;
        const up = this.linked(id, nodeId(peer));
        const key = `${id}>${peer}`;
        if (this.reported.get(key) !== up) {
          this.reported.set(key, up);
          this.sched.after(0, () => t.time.runAsDaemon(() => t.peerHandler(nodeId(peer), up)));
        }
      }
    }
  }

  start(ids: readonly string[], opts: NodeOptions = {}): void {
    for (const id of ids) this.startOne(id, ids, opts);
  }

  private startOne(id: string, all: readonly string[], opts: NodeOptions): void {
    const nid = nodeId(id);
    const seed = [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), 7);
    const time = new NodeTime(this.sched, 0, 1000, 0);
    const transport = new WorldTransport(this, nid, time);
    const sim = new SimMdDriver({ store: new MemoryDiskStore(this.disks), hostName: id,
      deps: { clock: time, timers: time.kernelTimers(), ids: new SeededIds(seed), logger: silentLogger } });
    const inner = new SimRaftStorage(newRaftDisk(), time, new Rand(createPrng(seed)), { lo: 0, hi: 0 }, (m) => { throw new Error(m); });
    const wn: WorldNode = { id: nid, node: null as unknown as ClusterNode, time, transport, readOnlyDelayUs: 0, assembleDelayUs: 0, assembling: false, kernel: sim, saveHook: null };
    const storage: RaftStorage = {
      restored: () => inner.restored(),
      save: (batch) => (wn.saveHook ? wn.saveHook(batch, () => inner.save(batch)) : inner.save(batch)),
      saveSnapshot: (s) => inner.saveSnapshot(s),
      compact: (i) => inner.compact(i),
      close: () => inner.close(),
    };
    const writer: WriterSettings = { demoteMarginTicks: 4, fenceAction: 'none', fenceCommand: [], fenceTimeoutMs: 1000, fenceRequired: false,
      checkpointIntervalMs: 1000, unconfirmedGraceMs: 0, reboot: () => {}, ...opts.writer };
    wn.node = new ClusterNode({
      id: nid, peers: all.map((p) => ({ id: nodeId(p), address: `10.0.0.${p.slice(1)}:7001` })), tickMs: TICK_MS,
      raft: { electionTimeoutTicks: ELECTION_TICKS, heartbeatTicks: 2, leaseTicks: LEASE_TICKS, clockDriftBoundTicks: 2,
        maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS, maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND, checkQuorum: true, preVote: true, ...opts.raft },
      writer, writerLogFile: null, snapshotEveryEntries: 1000,
    }, { clock: time, timers: time, logger: opts.logger ?? silentLogger, transport, storage, driver: this.observe(wn, sim), prng: createPrng(seed),
      fatal: opts.fatal, commands: opts.commands, onTickLagMs: opts.onTickLagMs && ((ms) => opts.onTickLagMs!(id, ms)) });
    this.nodes.set(id, wn);
    opts.beforeStart?.(wn.node);
    void wn.node.start();
  }

  /** The node's driver, recording writable intervals and delaying setReadOnly as configured. */
  private observe(wn: WorldNode, sim: SimMdDriver): MdDriver {
    const openOn = (device: string): void => {
      if (!this.writable.some((x) => x.node === wn.id && x.device === device && x.endUs === null)) {
        this.writable.push({ node: wn.id, device, startUs: this.sched.nowUs, endUs: null });
      }
    };
    const closeOn = (device: string): void => {
      const open = this.writable.find((x) => x.node === wn.id && x.device === device && x.endUs === null);
      if (open) open.endUs = this.sched.nowUs;
    };
    const wrap: Partial<MdDriver> = {
      create: async (spec) => { openOn(spec.device); await sim.create(spec); },
      setReadWrite: async (device) => { openOn(device); await sim.setReadWrite(device); },
      setReadOnly: async (device) => {
        if (wn.readOnlyDelayUs > 0) await new Promise<void>((res) => { this.sched.after(wn.readOnlyDelayUs, res); });
        await sim.setReadOnly(device);
        closeOn(device);
      },
      stop: async (device) => { await sim.stop(device); closeOn(device); },
      assemble: async (spec) => {
        wn.assembling = true;
        try {
          if (wn.assembleDelayUs > 0) await new Promise<void>((res) => { this.sched.after(wn.assembleDelayUs, res); });
          await sim.assemble(spec);
        } finally {
          wn.assembling = false;
        }
      },
    };
    return new Proxy(sim, {
      get: (target, p) => {
        if (typeof p === 'string' && p in wrap) return wrap[p as keyof MdDriver];
        const v: unknown = Reflect.get(target, p, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as MdDriver;
  }

  get(id: string): WorldNode { return this.nodes.get(id)!; }

  /** Stops `device` in `id`'s kernel behind its daemon's back (its writable interval ends). */
  async kernelStop(id: string, device: string): Promise<void> {
    await this.get(id).kernel.stop(device);
    const open = this.writable.find((x) => x.node === id && x.device === device && x.endUs === null);
    if (open) open.endUs = this.sched.nowUs;
  }

  /** Runs simulated time until `cond` holds (checked after every event) or `ms` passed. */
  until(cond: () => boolean, ms: number): Promise<boolean> {
    return runUntil(this.sched, cond, ms);
  }

  /** The node whose master entry is the newest and who holds md0 writable, if any. */
  writerOf(device: string): WorldNode | null {
    const open = this.writable.filter((x) => x.device === device && x.endUs === null);
    return open.length === 1 ? this.get(open[0].node) : null;
  }

  /** The node the applied master entries agree on (the highest term any node applied). */
  masterId(): string | null {
    let best: { node: string; term: number } | null = null;
    for (const n of this.nodes.values()) {
      const m = n.node.state.master;
      if (m && (best === null || m.term > best.term)) best = { node: m.node, term: m.term };
    }
    return best?.node ?? null;
  }

  /** Proposes on `id` and runs the world until the outcome is known. */
  async propose(id: string, raw: Record<string, unknown>, ms = 5000): Promise<{ ok: boolean; code?: string }> {
    const parsed = parseCommand(raw);
    if (!parsed.ok) throw new Error(parsed.message);
    let out: { ok: boolean; code?: string } | null = null;
    this.get(id).node.propose(parsed.command as Command, { timeoutMs: ms }).then(
      (r) => { out = r.ok ? { ok: true } : { ok: false, code: r.code }; },
      (e: unknown) => { out = { ok: false, code: (e as { code?: string }).code ?? String(e) }; });
    await this.until(() => out !== null, ms + 100);
    if (out === null) throw new Error(`proposal ${String(raw.op)} on ${id} did not settle`);
    return out;
  }

  /** Elects a master, confirms the disks and creates md0 (raid1, clean); resolves with its writer. */
  async withArray(): Promise<WorldNode> {
    if (!(await this.until(() => { const m = this.masterId(); return m !== null && this.get(m).node.state.nodes.length === this.nodes.size; }, 10_000))) {
      throw new Error('no master with every node recorded in 10 s');
    }
    const master = this.masterId()!;
    for (const n of this.nodes.keys()) {
      for (const d of DISKS) {
        const r = await this.propose(master, { op: 'device-seen', node: n, path: `/dev/${d}` });
        if (!r.ok) throw new Error(`device-seen ${n} ${d}: ${r.code}`);
      }
    }
    const r = await this.propose(master, {
      op: 'create', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'w:0', level: 'raid1', raidDevices: 2,
      members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: true, sizeKiB: null,
    });
    if (!r.ok) throw new Error(`create: ${r.code}`);
    if (!(await this.until(() => this.writerOf('md0') !== null, 5000))) throw new Error('md0 never became writable');
    return this.writerOf('md0')!;
  }

  /** Pairs of writable intervals of one device on two different nodes that overlap in time. */
  overlaps(): [Writable, Writable][] {
    const out: [Writable, Writable][] = [];
    const end = (x: Writable): number => x.endUs ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.writable.length; i++) {
      for (let j = i + 1; j < this.writable.length; j++) {
        const a = this.writable[i];
        const b = this.writable[j];
        if (a.device === b.device && a.node !== b.node && a.startUs < end(b) && b.startUs < end(a)) out.push([a, b]);
      }
    }
    return out;
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes.values()) void n.node.stop();
    await this.until(() => false, 100);
  }
}
