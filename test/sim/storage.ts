// Simulated Raft storage with fsync semantics. Owns: one node's log, hard state and snapshot,
// as written (the view a running node reads back) and as durable (what survives a crash).
// Invariants:
// - Writes are applied to the view at once and queued as pending ops; sync() makes every
//   pending op durable; a crash keeps the durable state plus a random PREFIX of the pending
//   ops (the WAL is ordered and checksummed), the last kept entries op possibly torn to a prefix
//   of its entries; so what was written but not fsynced may be lost or torn, hard state too.
// - Snapshots (installed or made by compaction) are always written durably (file + fsync +
//   rename), after syncing what was pending.
// - The view's log is contiguous after its snapshot, terms never decrease along it, a hard
//   state's term never decreases, a vote never changes within a term, commit never decreases,
//   and no entry at or below the written commit is ever replaced by a different one. A write
//   breaking one of these throws StorageFault: it is a core bug, reported as a violation.
import type { Entry, HardState, Snapshot } from '../../daemon/src/raft/types.js';
import { CHAIN_ORIGIN, chainHash } from './hash.js';
import type { Rand } from './rand.js';

export class StorageFault extends Error {
  override name = 'StorageFault';
}

export interface StoreState {
  snapshot: Snapshot | null;
  hardState: HardState | null;
  /** Invariant: contiguous, entries[0].index === snapshotIndex + 1 when non-empty. */
  entries: Entry[];
}

type PendingOp = { kind: 'entries'; entries: Entry[] } | { kind: 'hardState'; hardState: HardState };

/** Maps a snapshot to the chain hash of the log prefix it covers (app-specific). */
export type SnapshotChain = (s: Snapshot) => number;

export interface CrashReport {
  /** Pending ops when the crash hit, and how many survived (the last maybe torn). */
  pendingOps: number;
  keptOps: number;
  tornEntries: boolean;
}

function cloneState(s: StoreState): StoreState {
  return { snapshot: s.snapshot, hardState: s.hardState, entries: s.entries.slice() };
}

export class SimStorage {
  private view: StoreState = { snapshot: null, hardState: null, entries: [] };
  private durable: StoreState = { snapshot: null, hardState: null, entries: [] };
  private pending: PendingOp[] = [];
  /** Invariant: chain[k] is the chain hash of view.entries[k]'s prefix. */
  private chain: number[] = [];
  private baseChain = CHAIN_ORIGIN;
  syncCount = 0;

  constructor(private readonly snapshotChain: SnapshotChain) {}

  get snapshotIndex(): number {
    return this.view.snapshot === null ? 0 : this.view.snapshot.meta.index;
  }
  get lastIndex(): number {
    return this.snapshotIndex + this.view.entries.length;
  }
  get hardState(): HardState | null {
    return this.view.hardState;
  }
  get snapshot(): Snapshot | null {
    return this.view.snapshot;
  }
  /** The written entry at index, if held (not compacted, not beyond the end). */
  entryAt(index: number): Entry | undefined {
    return this.view.entries[index - this.snapshotIndex - 1];
  }
  /** The term at index (snapshot term at the snapshot index; 0 at index 0). */
  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    if (index === this.snapshotIndex) return this.view.snapshot!.meta.term;
    return this.entryAt(index)?.term;
  }
  /** The chain hash of the written log prefix ending at index, if known. */
  chainAt(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.baseChain;
    const k = index - this.snapshotIndex - 1;
    return k >= 0 && k < this.chain.length ? this.chain[k] : undefined;
  }

  /** Appends entries (Ready.entries), first overwriting the suffix from entries[0].index on. */
  writeEntries(entries: Entry[]): void {
    if (entries.length === 0) return;
    this.applyEntries(entries);
    this.pending.push({ kind: 'entries', entries });
  }

  writeHardState(hs: HardState): void {
    const old = this.view.hardState;
    if (old !== null) {
      if (hs.term < old.term) throw new StorageFault(`hard state term went back ${old.term} -> ${hs.term}`);
      if (hs.term === old.term && old.vote !== null && hs.vote !== old.vote) {
        throw new StorageFault(`vote changed within term ${hs.term}: ${old.vote} -> ${hs.vote}`);
      }
      if (hs.commit < old.commit) throw new StorageFault(`commit went back ${old.commit} -> ${hs.commit}`);
    }
    if (hs.commit > this.lastIndex) {
      throw new StorageFault(`hard state commit ${hs.commit} beyond the written log end ${this.lastIndex}`);
    }
    this.view.hardState = { ...hs };
    this.pending.push({ kind: 'hardState', hardState: this.view.hardState });
  }

  sync(): void {
    for (const op of this.pending) applyOp(this.durable, op);
    this.pending = [];
    this.syncCount++;
  }

  /** Installs a snapshot received from the leader (Ready.snapshot), durably. */
  installSnapshot(s: Snapshot): void {
    this.sync();
    const keep = this.termAt(s.meta.index) === s.meta.term ? this.view.entries.slice(s.meta.index - this.snapshotIndex) : [];
    if (s.meta.index < this.snapshotIndex) throw new StorageFault(`snapshot ${s.meta.index} older than stored ${this.snapshotIndex}`);
    this.setSnapshot(s, keep);
  }

  /** Saves the application's own snapshot and drops the entries it covers, durably. */
  compact(s: Snapshot): void {
    if (s.meta.index <= this.snapshotIndex) return;
    if (s.meta.index > this.lastIndex) throw new StorageFault(`compaction to ${s.meta.index} beyond log end ${this.lastIndex}`);
    if (this.termAt(s.meta.index) !== s.meta.term) throw new StorageFault(`compaction snapshot term mismatch at ${s.meta.index}`);
    this.sync();
    this.setSnapshot(s, this.view.entries.slice(s.meta.index - this.snapshotIndex));
  }

  /** Simulates a power loss: keeps durable + a prefix of pending (maybe torn). */
  crash(rand: Rand): CrashReport {
    const pendingOps = this.pending.length;
    const keptOps = rand.int(0, pendingOps);
    let tornEntries = false;
    for (let i = 0; i < keptOps; i++) applyOp(this.durable, this.pending[i]);
    const next = this.pending[keptOps];
    if (next !== undefined && next.kind === 'entries' && next.entries.length > 1 && rand.chance(0.5)) {
      applyOp(this.durable, { kind: 'entries', entries: next.entries.slice(0, rand.int(1, next.entries.length - 1)) });
      tornEntries = true;
    }
    this.pending = [];
    this.view = cloneState(this.durable);
    this.rebuildChain();
    return { pendingOps, keptOps, tornEntries };
  }

  /** What a restarting node reads back (a copy: the node may not alias storage arrays). */
  recovered(): StoreState {
    return cloneState(this.durable);
  }

  private setSnapshot(s: Snapshot, keep: Entry[]): void {
    this.view.snapshot = s;
    this.view.entries = keep;
    this.durable = cloneState(this.view);
    this.rebuildChain();
  }

  private applyEntries(entries: Entry[]): void {
    const first = entries[0].index;
    const snapIdx = this.snapshotIndex;
    if (first <= snapIdx) throw new StorageFault(`entries start at ${first}, inside the snapshot (${snapIdx})`);
    if (first > this.lastIndex + 1) throw new StorageFault(`gap: entries start at ${first}, log ends at ${this.lastIndex}`);
    const commit = this.view.hardState?.commit ?? 0;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k];
      if (e.index !== first + k) throw new StorageFault(`non-contiguous entries at ${e.index}`);
      const old = this.entryAt(e.index);
      if (e.index <= commit && old !== undefined && old.term !== e.term) {
        throw new StorageFault(`committed entry ${e.index} (term ${old.term}) overwritten with term ${e.term}`);
      }
    }
    const prevTerm = this.termAt(first - 1) ?? 0;
    if (entries[0].term < prevTerm) throw new StorageFault(`term decreases at ${first}: ${prevTerm} -> ${entries[0].term}`);
    for (let k = 1; k < entries.length; k++) {
      if (entries[k].term < entries[k - 1].term) throw new StorageFault(`term decreases at ${entries[k].index}`);
    }
    const keepLen = first - snapIdx - 1;
    this.view.entries.length = keepLen;
    this.chain.length = keepLen;
    let h = keepLen === 0 ? this.baseChain : this.chain[keepLen - 1];
    for (const e of entries) {
      this.view.entries.push(e);
      h = chainHash(h, e);
      this.chain.push(h);
    }
  }

  private rebuildChain(): void {
    this.baseChain = this.view.snapshot === null ? CHAIN_ORIGIN : this.snapshotChain(this.view.snapshot);
    this.chain = [];
    let h = this.baseChain;
    for (const e of this.view.entries) {
      h = chainHash(h, e);
      this.chain.push(h);
    }
  }
}

/** Applies one pending op to a (durable) state, with the same truncate-then-append rule. */
function applyOp(s: StoreState, op: PendingOp): void {
  if (op.kind === 'hardState') {
    s.hardState = op.hardState;
    return;
  }
  const snapIdx = s.snapshot === null ? 0 : s.snapshot.meta.index;
  const first = op.entries[0].index;
  s.entries.length = Math.max(0, Math.min(s.entries.length, first - snapIdx - 1));
  for (const e of op.entries) if (e.index > snapIdx) s.entries.push(e);
}
