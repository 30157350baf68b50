// Deterministic in-test network for driving RawNodes (step / ready / advance) in the paper
// tests. Owns: in-memory durable storage per node (obeying the Ready rules), a message queue
// with per-link drops and partitions, crash/restart, and small helpers.
// Invariants: nothing here uses clocks or real randomness; delivery order is FIFO; messages
// of a Ready are queued only after that Ready's state was "persisted" to MemStorage; every tick
// checks RawNode.ticksUntilDue() (tickChecked below).
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { NodeId } from '../../daemon/src/common/types.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import type {
  ConfState, Entry, HardState, Message, Prng, RaftConfig, RaftFaults, ReadState, Snapshot,
} from '../../daemon/src/raft/types.js';

export const E = 10; // election timeout (min) in ticks
export const HB = 1; // heartbeat interval in ticks
export const LEASE = 6; // < E - DRIFT
export const DRIFT = 2;
/** Bootstrap conf entries of a 3-voter founding cluster (add-learner + promote each), at term 1. */
export const BOOT3 = 6;

/** A Prng that always returns v: the randomized election timeout is E + (v mod E). */
export function constPrng(v: number): Prng {
  return { nextU32: () => v };
}

export class MemStorage {
  hardState: HardState | null = null;
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  syncs = 0;

  persist(snapshot: Snapshot | null, entries: Entry[], hs: HardState | null, mustSync: boolean): void {
    if (snapshot !== null) {
      this.snapshot = snapshot;
      this.entries = this.entries.filter((e) => e.index > snapshot.meta.index);
      if (this.entries.length > 0 && this.entries[0]!.index !== snapshot.meta.index + 1) this.entries = [];
    }
    if (entries.length > 0) {
      const first = entries[0]!.index;
      const base = this.entries.length > 0 ? this.entries[0]!.index : first;
      this.entries.length = Math.max(0, Math.min(this.entries.length, first - base));
      for (const e of entries) this.entries.push(e);
    }
    if (hs !== null) this.hardState = hs;
    if (mustSync) this.syncs++;
  }
}

export interface TestNode {
  id: NodeId;
  rn: RawNode;
  storage: MemStorage;
  /** Data of applied normal entries, in order (the test state machine). */
  applied: Entry[];
  readStates: ReadState[];
  up: boolean;
  prng: Prng;
  cfg: RaftConfig;
  initialConf: ConfState;
  /** Data of the last installed snapshot. */
  snapshotData: Uint8Array | null;
}

export interface NetOptions {
  voters: string[];
  learners?: string[];
  /** Ids started with an empty conf (to join later). */
  joiners?: string[];
  prng?: (id: string) => Prng;
  faults?: RaftFaults;
  config?: Partial<RaftConfig>;
  /** Pre-existing durable state per node (as if restarted from it). */
  logs?: Record<string, { term: number; entries: [index: number, term: number][] }>;
}

export function config(id: NodeId, over: Partial<RaftConfig> = {}, faults?: RaftFaults): RaftConfig {
  return { id, electionTimeoutTicks: E, heartbeatTicks: HB, leaseTicks: LEASE, clockDriftBoundTicks: DRIFT,
    maxInflightAppends: 8, maxEntriesPerAppend: 16, checkQuorum: true, preVote: true, faults, ...over };
}

export class Net {
  readonly nodes = new Map<string, TestNode>();
  queue: Message[] = [];
  /** Links "a->b" that drop every message. */
  readonly cut = new Set<string>();
  /** Every message ever sent, for assertions. */
  readonly sent: Message[] = [];
  /** Optional filter: return false to drop a message in flight. */
  filter: ((m: Message) => boolean) | null = null;

  constructor(readonly opts: NetOptions) {
    const conf: ConfState = { voters: opts.voters.map(nodeId), learners: (opts.learners ?? []).map(nodeId) };
    for (const id of [...opts.voters, ...(opts.learners ?? [])]) this.add(id, conf);
    for (const id of opts.joiners ?? []) this.add(id, { voters: [], learners: [] });
  }

  add(idStr: string, initialConf: ConfState): TestNode {
    const id = nodeId(idStr);
    // Default: distinct election timeouts 2E-1, 2E-2, ... (all > E, so warmUp() campaigns nobody).
    const prng = this.opts.prng?.(idStr) ?? constPrng(E - 1 - (this.nodes.size % (E - 1)));
    const cfg = config(id, this.opts.config, this.opts.faults);
    const storage = new MemStorage();
    const preset = this.opts.logs?.[idStr];
    if (preset !== undefined) {
      storage.hardState = { term: term(preset.term), vote: null, commit: logIndex(0) };
      storage.entries = preset.entries.map(([i, t]) => ({ index: logIndex(i), term: term(t), type: 'normal' as const,
        data: bytes(`${i}@${t}`) }));
    }
    const rn = new RawNode(cfg, { hardState: storage.hardState, snapshot: null, entries: storage.entries.slice(), initialConf }, prng);
    const n: TestNode = { id, rn, storage, applied: [], readStates: [], up: true, prng, cfg, initialConf, snapshotData: null };
    this.nodes.set(idStr, n);
    return n;
  }

  node(id: string): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  rn(id: string): RawNode {
    return this.node(id).rn;
  }

  /** Crash: the node loses all volatile state; its MemStorage survives. */
  crash(id: string): void {
    this.node(id).up = false;
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  /** Restart from MemStorage (a fresh RawNode, as after a process restart). */
  restart(id: string): void {
    const n = this.node(id);
    const s = n.storage;
    n.rn = new RawNode(n.cfg, { hardState: s.hardState, snapshot: s.snapshot, entries: s.entries.slice(),
      initialConf: n.initialConf }, n.prng);
    n.applied = [];
    n.snapshotData = s.snapshot?.data ?? null;
    n.up = true;
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Handles every pending Ready of every up node (persist, queue messages, apply, advance). */
  drainReadies(): boolean {
    let any = false;
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      while (n.rn.hasReady()) {
        any = true;
        const rd = n.rn.ready();
        n.storage.persist(rd.snapshot, rd.entries, rd.hardState, rd.mustSync);
        for (const m of rd.messages) {
          this.sent.push(m);
          this.queue.push(m);
        }
        if (rd.snapshot !== null) {
          n.snapshotData = rd.snapshot.data;
          n.applied = [];
        }
        for (const e of rd.committedEntries) n.applied.push(e);
        n.readStates.push(...rd.readStates);
        n.rn.advance(rd);
      }
    }
    return any;
  }

  /** Delivers one message (honouring cuts, crashes and the filter). */
  deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (to === undefined || !to.up || this.cut.has(`${m.from}->${m.to}`)) return;
    if (this.filter !== null && !this.filter(m)) return;
    to.rn.step(m);
  }

  /** Runs until no node has a Ready and no message is in flight. */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      const readies = this.drainReadies();
      if (this.queue.length === 0 && !readies) return;
      const q = this.queue;
      this.queue = [];
      for (const m of q) this.deliver(m);
    }
    throw new Error('network did not stabilize');
  }

  /** Persists/queues Readies without delivering anything. */
  flush(): Message[] {
    this.drainReadies();
    const q = this.queue;
    this.queue = [];
    return q;
  }

  tick(id: string, n = 1): void {
    for (let i = 0; i < n; i++) tickChecked(this.node(id).rn);
  }

  /** Ticks every up node once, then stabilizes; n times. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const node of this.nodes.values()) if (node.up) tickChecked(node.rn);
      this.stabilize();
    }
  }

  /** Passes the startup vote lease on every node without anyone campaigning (timeouts 2E-1). */
  warmUp(): void {
    for (let i = 0; i < E; i++) for (const node of this.nodes.values()) if (node.up) tickChecked(node.rn);
    this.stabilize();
  }

  /** Makes the node's compaction durable too (the application persists its snapshot). */
  compact(id: string, data: Uint8Array): Snapshot | null {
    const n = this.node(id);
    const snap = n.rn.compact(n.rn.status().applied, data);
    if (snap !== null) {
      n.storage.snapshot = snap;
      n.storage.entries = n.storage.entries.filter((e) => e.index > snap.meta.index);
    }
    return snap;
  }

  /** The durable log of a node as "index@term" strings. */
  log(id: string): string[] {
    return this.node(id).storage.entries.map((e) => `${e.index}@${e.term}`);
  }

  /** Warms up and makes `id` leader through a normal campaign. */
  elect(id: string): void {
    this.warmUp();
    const res = this.rn(id).campaign();
    if (!res.ok) throw new Error(`campaign failed: ${res.code}`);
    this.stabilize();
    if (this.rn(id).status().role !== 'leader') throw new Error(`${id} did not become leader`);
  }

  leaders(): string[] {
    return [...this.nodes.values()].filter((n) => n.up && n.rn.status().role === 'leader').map((n) => n.id);
  }

  /** Data of applied normal entries with a payload, decoded as UTF-8. */
  appliedData(id: string): string[] {
    return this.node(id).applied.filter((e) => e.type === 'normal' && e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * One tick, checking RawNode.ticksUntilDue() on every tick of every test that uses this network:
 * a tick before the due one changes nothing but counters (no role, term or leader change, no new
 * Ready), since the daemon sleeps until the due tick and replays the ones between (node/ticker.ts).
 */
export function tickChecked(rn: RawNode): void {
  const due = rn.ticksUntilDue();
  const before = rn.status();
  const hadReady = rn.hasReady();
  rn.tick();
  if (due <= 1) return;
  const after = rn.status();
  if (after.role !== before.role || after.term !== before.term || after.lead !== before.lead || (!hadReady && rn.hasReady())) {
    throw new Error(`ticksUntilDue() said ${due} ticks, but the next tick changed ${before.id}: ${before.role}/${before.term}/${before.lead} -> ${after.role}/${after.term}/${after.lead}, ready ${hadReady} -> ${rn.hasReady()}`);
  }
}
