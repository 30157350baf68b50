// An in-process Raft cluster for benchmarks: N RawNodes, each persisting through its own
// DiskStorage (real files, fdatasync on) in a temp directory, messages passed in memory
// (through the wire codec unless disabled). Owns: the per-node ready loop, message routing,
// ticking, commit notification, optional application snapshots (RawNode.compact ->
// saveSnapshot -> storage.compact, as the node shell does) and optional partitions.
// The ready loop follows the contract: step queued messages and proposals, then for a Ready:
// save(snapshot, entries, hardState; one fdatasync when mustSync) BEFORE sending messages,
// apply committed entries in order, advance().
// Invariants: ticks, campaigns, proposals and messages reach a RawNode only from its own loop
// (never between ready() and advance()); stop() ends every loop and closes every storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeId, type NodeId } from '../daemon/src/common/types.js';
import { decodeMessage, encodeMessage } from '../daemon/src/raft/codec.js';
import { createPrng } from '../daemon/src/raft/prng.js';
import { RawNode } from '../daemon/src/raft/rawnode.js';
import type { Entry, Message, RaftConfig } from '../daemon/src/raft/types.js';
import { DiskStorage, type DiskStorageOptions } from '../daemon/src/storage/disk-storage.js';
import type { StorageLogger } from '../daemon/src/storage/logger.js';
import { BenchApp } from './bench-app.js';

export interface ClusterOptions {
  size: number;
  /** Pass every message through encodeMessage/decodeMessage, as the transport would. */
  useCodec: boolean;
  tickIntervalMs: number;
  raft: Omit<RaftConfig, 'id'>;
  /** Existing data directories, one per node, kept at stop(); default: fresh temp dirs, removed. */
  dataDirs?: string[];
  storage?: DiskStorageOptions;
  /** Take an application snapshot (and compact) every this many applied entries; default never. */
  snapshotEveryEntries?: number;
}

export interface NodeCounters {
  readies: number;
  entriesPersisted: number;
  maxEntriesPerReady: number;
  proposalsDropped: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  segmentsCompacted: number;
}

const ELECT_RETRY_MS = 250;
const ELECT_POLL_MS = 5;
const quietLogger: StorageLogger = { warn: () => undefined, info: () => undefined };

class BenchNode {
  readonly inbox: Message[] = [];
  readonly proposals: Uint8Array[] = [];
  /** Ticks and a campaign request waiting for this node's loop. */
  pendingTicks = 0;
  campaignRequested = false;
  transferTo: NodeId | null = null;
  readonly counters: NodeCounters = { readies: 0, entriesPersisted: 0, maxEntriesPerReady: 0, proposalsDropped: 0,
    snapshotsTaken: 0, snapshotsInstalled: 0, segmentsCompacted: 0 };
  private wake: (() => void) | null = null;
  /** Index of the last snapshot taken or installed. */
  private snapshotIndex: number;

  constructor(readonly id: NodeId, readonly raw: RawNode, readonly storage: DiskStorage, readonly app: BenchApp,
    private readonly cluster: BenchCluster, private readonly snapshotEveryEntries: number | undefined) {
    this.snapshotIndex = app.appliedIndex;
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private drainInputs(): void {
    for (; this.pendingTicks > 0; this.pendingTicks--) this.raw.tick();
    if (this.campaignRequested) {
      this.campaignRequested = false;
      this.raw.campaign();
    }
    if (this.transferTo !== null) {
      this.raw.transferLeadership(this.transferTo);
      this.transferTo = null;
    }
    const msgs = this.inbox.splice(0, this.inbox.length);
    for (const m of msgs) this.raw.step(m);
    const props = this.proposals.splice(0, this.proposals.length);
    for (const data of props) {
      if (!this.raw.propose(data).ok) {
        this.counters.proposalsDropped++;
        this.cluster.onDropped(data);
      }
    }
  }

  async loop(): Promise<void> {
    while (!this.cluster.stopped) {
      this.drainInputs();
      if (!this.raw.hasReady()) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        continue;
      }
      const rd = this.raw.ready();
      await this.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, mustSync: rd.mustSync });
      this.counters.readies++;
      this.counters.entriesPersisted += rd.entries.length;
      this.counters.maxEntriesPerReady = Math.max(this.counters.maxEntriesPerReady, rd.entries.length);
      for (const m of rd.messages) this.cluster.route(m);
      if (rd.snapshot !== null) {
        this.app.restore(rd.snapshot);
        this.snapshotIndex = rd.snapshot.meta.index;
        this.counters.snapshotsInstalled++;
      }
      this.app.apply(rd.committedEntries);
      this.cluster.onCommitted(this.id, rd.committedEntries);
      this.raw.advance(rd);
      await this.maybeSnapshot();
    }
  }

  /** The node shell's compaction step: snapshot the app, persist it, then drop old segments. */
  private async maybeSnapshot(): Promise<void> {
    const every = this.snapshotEveryEntries;
    if (every === undefined || this.app.appliedIndex - this.snapshotIndex < every) return;
    const snap = this.raw.compact(this.app.appliedIndex, this.app.encode());
    this.snapshotIndex = this.app.appliedIndex;
    if (snap === null) return;
    await this.storage.saveSnapshot(snap);
    this.counters.segmentsCompacted += await this.storage.compact(snap.meta.index);
    this.counters.snapshotsTaken++;
  }
}

export class BenchCluster {
  stopped = false;
  /** The first error a node loop hit (the cluster stops on it). */
  failure: unknown = null;
  readonly nodes = new Map<NodeId, BenchNode>();
  private loops: Promise<void>[] = [];
  private ticker: ReturnType<typeof setInterval> | null = null;
  /** Called with the leader's committed entries (in order). */
  onLeaderCommitted: (entries: Entry[]) => void = () => undefined;
  /** Called with the data of a proposal the RawNode refused. */
  onDropped: (data: Uint8Array) => void = () => undefined;
  /** Nodes cut off from every other node (messages to and from them are dropped). */
  readonly blocked = new Set<NodeId>();

  private constructor(private readonly opts: ClusterOptions, private readonly tempDirs: string[]) {}

  static async start(opts: ClusterOptions): Promise<BenchCluster> {
    const ids = Array.from({ length: opts.size }, (_, k) => nodeId(`n${k + 1}`));
    const tempDirs: string[] = [];
    const cluster = new BenchCluster(opts, tempDirs);
    for (const [k, id] of ids.entries()) {
      let dir = opts.dataDirs?.[k];
      if (dir === undefined) {
        dir = await mkdtemp(join(tmpdir(), `mdc-bench-${id}-`));
        tempDirs.push(dir);
      }
      const { storage, recovered } = await DiskStorage.open(dir, quietLogger, opts.storage);
      const raw = new RawNode({ ...opts.raft, id }, { ...recovered, initialConf: { voters: ids, learners: [] } }, createPrng(k + 1));
      const app = new BenchApp();
      if (recovered.snapshot !== null) app.restore(recovered.snapshot);
      cluster.nodes.set(id, new BenchNode(id, raw, storage, app, cluster, opts.snapshotEveryEntries));
    }
    cluster.loops = [...cluster.nodes.values()].map((n) => n.loop().catch((err: unknown) => {
      cluster.failure ??= err;
      cluster.stopped = true;
      for (const other of cluster.nodes.values()) other.notify();
    }));
    cluster.ticker = setInterval(() => cluster.tickAll(), opts.tickIntervalMs);
    return cluster;
  }

  private tickAll(): void {
    for (const n of this.nodes.values()) {
      n.pendingTicks++;
      n.notify();
    }
  }

  route(m: Message): void {
    const target = this.nodes.get(m.to);
    if (target === undefined || this.blocked.has(m.to) || this.blocked.has(m.from)) return;
    const delivered = this.opts.useCodec ? decodeMessage(encodeMessage(m)) : m;
    if (delivered === null) throw new Error(`codec round trip failed for a '${m.type}' message`);
    target.inbox.push(delivered);
    target.notify();
  }

  onCommitted(id: NodeId, entries: Entry[]): void {
    if (entries.length > 0 && this.leaderId() === id) this.onLeaderCommitted(entries);
  }

  leaderId(): NodeId | null {
    for (const n of this.nodes.values()) if (n.raw.status().role === 'leader') return n.id;
    return null;
  }

  /**
   * Makes `id` the leader: it campaigns (retried: refused while the startup vote lease holds),
   * or, when another node already leads, that leader is asked to transfer leadership to it.
   */
  async elect(id: NodeId, timeoutMs: number): Promise<void> {
    const node = this.nodes.get(id)!;
    const deadline = Date.now() + timeoutMs;
    let lastTry = 0;
    for (let lead = this.leaderId(); lead !== id; lead = this.leaderId()) {
      if (this.failure !== null) throw this.failure;
      if (Date.now() > deadline) throw new Error(`${id} did not become leader within ${timeoutMs} ms (leader: ${lead})`);
      if (Date.now() - lastTry >= ELECT_RETRY_MS) {
        lastTry = Date.now();
        const target = lead === null ? node : this.nodes.get(lead)!;
        if (lead === null) node.campaignRequested = true;
        else target.transferTo = id;
        target.notify();
      }
      await new Promise((r) => setTimeout(r, ELECT_POLL_MS));
    }
  }

  /** Queues a proposal on `id`; it is handed to the RawNode by that node's loop. */
  propose(id: NodeId, data: Uint8Array): void {
    const node = this.nodes.get(id)!;
    node.proposals.push(data);
    node.notify();
  }

  counters(): Record<string, NodeCounters & { fsyncs: number; bytesWritten: number }> {
    const out: Record<string, NodeCounters & { fsyncs: number; bytesWritten: number }> = {};
    for (const n of this.nodes.values()) {
      const s = n.storage.stats();
      out[n.id] = { ...n.counters, fsyncs: s.fsyncs, bytesWritten: s.bytesWritten };
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    for (const n of this.nodes.values()) n.notify();
    await Promise.all(this.loops);
    for (const n of this.nodes.values()) await n.storage.close();
    for (const d of this.tempDirs) await rm(d, { recursive: true, force: true });
  }
}
