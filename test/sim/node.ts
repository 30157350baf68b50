// One simulated node: the Raft core (RawNode) driven exactly as a real node shell must drive
// it, over simulated storage, plus a tiny state machine. Owns: the Ready loop, the state
// machine (a hash chain over every applied entry + the membership), compaction, crash/restart.
// Ready order (the contract): persist snapshot, then entries and hard state, fsync once if
// mustSync, THEN send messages, apply committed entries in order (restoring the snapshot
// first), hand out read states, then advance().
// Invariants: while crashed, raw is null and nothing of the node runs; a restarted node sees
// only what its storage kept durably; the state machine's applied index only moves by
// applying the next entry or restoring a snapshot.
import { SIM_MAX_READIES_PER_STEP } from '../lib/limits.js';
import { decodeConfChange } from '../../daemon/src/raft/codec.js';
import { applyConfChange, cloneConf } from '../../daemon/src/raft/conf.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import { logIndex, term as mkTerm } from '../../daemon/src/common/types.js';
import type { ConfState, Entry, HardState, Message, RaftConfig, ReadState, Snapshot } from '../../daemon/src/raft/types.js';
import type { Checkers } from './checkers.js';
import { SimViolation } from './checkers.js';
import type { NodeClock } from './clock.js';
import { chainHash, CHAIN_ORIGIN } from './hash.js';
import type { Rand } from './rand.js';
import { streamSeed } from './rand.js';
import type { CrashReport } from './storage.js';
import { SimStorage, StorageFault } from './storage.js';

/** What a node needs from the simulator around it. */
export interface NodeHooks {
  send(from: SimNode, msg: Message): void;
  applied(node: SimNode, e: Entry): void;
  readState(node: SimNode, rs: ReadState): void;
  trace(kind: string, node: string, detail: string | (() => string)): void;
}

/** The state machine: a fingerprint of the applied prefix and the membership it implies. */
interface AppState {
  appliedIndex: number;
  appliedTerm: number;
  /** Invariant: chain hash of entries 1..appliedIndex. */
  chain: number;
  conf: ConfState;
  appliedSinceCompact: number;
}

const SNAPSHOT_DATA_BYTES = 16;

/** The state machine's snapshot: [applied index f64][chain f64]. */
export function encodeAppSnapshot(index: number, chain: number): Uint8Array {
  const b = new Uint8Array(SNAPSHOT_DATA_BYTES);
  const v = new DataView(b.buffer);
  v.setFloat64(0, index);
  v.setFloat64(8, chain);
  return b;
}

export function decodeAppSnapshot(s: Snapshot): { index: number; chain: number } {
  if (s.data.length !== SNAPSHOT_DATA_BYTES) throw new SimViolation('snapshot', `snapshot data of ${s.data.length} bytes is not the application's`);
  const v = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  return { index: v.getFloat64(0), chain: v.getFloat64(8) };
}

export class SimNode {
  raw: RawNode | null = null;
  readonly storage = new SimStorage((s) => decodeAppSnapshot(s).chain);
  app: AppState;
  /** Set by the fault schedule: after this many more complete Ready cycles, the next Ready is
   * written but the node dies before its fsync (null: not armed). */
  crashInReadies: number | null = null;
  /** Downtime after the next crash, then a restart (null: down until the liveness phase). */
  restartAfterCrashUs: number | null = null;
  incarnation = 0;
  /** Last observed role (for the trace). */
  lastRole = 'follower';

  constructor(
    readonly id: string,
    private readonly config: RaftConfig,
    private readonly initialConf: ConfState,
    readonly clock: NodeClock,
    private readonly seed: number,
    private readonly checkers: Checkers,
    private readonly hooks: NodeHooks,
    private readonly compactEveryEntries: number,
  ) {
    this.app = this.freshApp();
  }

  get running(): boolean {
    return this.raw !== null;
  }

  /** (Re)starts the core from what storage kept durably. */
  start(): void {
    const rec = this.storage.recovered();
    this.incarnation++;
    const prng = createPrng(streamSeed(this.seed, `raft:${this.id}:${this.incarnation}`));
    this.raw = new RawNode(this.config, {
      hardState: rec.hardState === null ? null : { ...rec.hardState },
      snapshot: rec.snapshot,
      entries: rec.entries.map((e) => ({ ...e })),
      initialConf: cloneConf(this.initialConf),
    }, prng);
    this.app = this.freshApp();
    if (rec.snapshot !== null) this.restoreApp(rec.snapshot);
    this.lastRole = 'follower';
  }

  /** Power loss: the core's memory is gone, storage keeps durable + a prefix of pending. */
  crash(rand: Rand): CrashReport {
    this.raw = null;
    this.crashInReadies = null;
    return this.storage.crash(rand);
  }

  /** Runs Ready cycles until the core has nothing more; false if the node crashed meanwhile. */
  drain(rand: Rand): boolean {
    const raw = this.raw;
    if (raw === null) return false;
    for (let cycles = 0; raw.hasReady(); cycles++) {
      if (cycles >= SIM_MAX_READIES_PER_STEP) throw new SimViolation('ready-loop', `${this.id} still has a Ready after ${cycles} cycles in one step`);
      const rd = raw.ready();
      if (rd.softState !== null && rd.softState.role !== this.lastRole) {
        const ss = rd.softState;
        this.lastRole = ss.role;
        const t = raw.status().term;
        this.hooks.trace('role', this.id, () => `${ss.role} lead=${ss.lead ?? '-'} term=${t}`);
      }
      this.persist(rd.snapshot, rd.entries, rd.hardState);
      if (this.crashInReadies !== null && this.crashInReadies-- <= 0) {
        const rep = this.crash(rand);
        this.hooks.trace('crash', this.id, `mid-ready before fsync: kept ${rep.keptOps}/${rep.pendingOps} ops${rep.tornEntries ? ', torn' : ''}`);
        return false;
      }
      if (rd.mustSync) this.storage.sync();
      for (const m of rd.messages) this.hooks.send(this, m);
      if (rd.snapshot !== null) this.restoreApp(rd.snapshot);
      for (const e of rd.committedEntries) this.apply(e);
      for (const rs of rd.readStates) this.hooks.readState(this, rs);
      raw.advance(rd);
      this.maybeCompact(raw);
    }
    return true;
  }

  private persist(snapshot: Snapshot | null, entries: Entry[], hs: HardState | null): void {
    try {
      if (snapshot !== null) this.storage.installSnapshot(snapshot);
      if (entries.length > 0) {
        this.storage.writeEntries(entries);
        this.checkers.onLogWrite(this.id, this.storage, entries[0].index);
      }
      if (hs !== null) this.storage.writeHardState(hs);
    } catch (e) {
      if (e instanceof StorageFault) throw new SimViolation('storage', `${this.id}: ${e.message}`);
      throw e;
    }
  }

  private apply(e: Entry): void {
    const a = this.app;
    if (e.index !== a.appliedIndex + 1) {
      throw new SimViolation('applied-order', `${this.id} was handed entry ${e.index} to apply after ${a.appliedIndex}`);
    }
    a.chain = chainHash(a.chain, e);
    a.appliedIndex = e.index;
    a.appliedTerm = e.term;
    a.appliedSinceCompact++;
    this.checkers.onApply(this.id, e.index, a.chain);
    if (e.type === 'conf') {
      const cc = decodeConfChange(e.data);
      if (cc === null) throw new SimViolation('conf', `${this.id} applied an undecodable conf entry at ${e.index}`);
      a.conf = applyConfChange(a.conf, cc);
    }
    this.hooks.applied(this, e);
  }

  private restoreApp(s: Snapshot): void {
    const { index, chain } = decodeAppSnapshot(s);
    if (index !== s.meta.index) throw new SimViolation('snapshot', `${this.id}: snapshot meta index ${s.meta.index} but state at ${index}`);
    this.checkers.onSnapshotRestore(this.id, index, chain);
    this.app = { appliedIndex: index, appliedTerm: s.meta.term, chain, conf: cloneConf(s.meta.conf), appliedSinceCompact: 0 };
  }

  /** The application snapshots its state every compactEveryEntries applied entries. */
  private maybeCompact(raw: RawNode): void {
    const a = this.app;
    if (a.appliedSinceCompact < this.compactEveryEntries) return;
    if (a.appliedIndex <= this.storage.snapshotIndex) return;
    const data = encodeAppSnapshot(a.appliedIndex, a.chain);
    const snap: Snapshot = {
      meta: { index: logIndex(a.appliedIndex), term: mkTerm(a.appliedTerm), conf: cloneConf(a.conf) },
      data,
    };
    try {
      this.storage.compact(snap);
    } catch (e) {
      if (e instanceof StorageFault) throw new SimViolation('storage', `${this.id}: ${e.message}`);
      throw e;
    }
    const core = raw.compact(a.appliedIndex, data);
    if (core !== null && !sameMeta(core, snap)) {
      throw new SimViolation('snapshot', `${this.id}: the core's snapshot meta ${JSON.stringify(core.meta)} differs from the applied state's ${JSON.stringify(snap.meta)}`);
    }
    a.appliedSinceCompact = 0;
    this.hooks.trace('compact', this.id, `snapshot at ${a.appliedIndex}`);
  }

  /** The empty state: membership too starts empty (founding members apply the core's
   * bootstrap conf entries, joiners learn them from the leader's log). */
  private freshApp(): AppState {
    return { appliedIndex: 0, appliedTerm: 0, chain: CHAIN_ORIGIN, conf: { voters: [], learners: [] }, appliedSinceCompact: 0 };
  }
}

function sameMeta(a: Snapshot, b: Snapshot): boolean {
  const ids = (xs: readonly string[]): string => [...xs].sort().join(',');
  return a.meta.index === b.meta.index && a.meta.term === b.meta.term
    && ids(a.meta.conf.voters) === ids(b.meta.conf.voters) && ids(a.meta.conf.learners) === ids(b.meta.conf.learners);
}
