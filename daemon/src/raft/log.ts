// The in-memory Raft log since the last compaction point. Owns: entries, the persisted
// (stable) / unpersisted split, commit/apply cursors, the latest snapshot and the membership
// derived from the log (dissertation §4.1: the latest conf entry, committed or not, rules).
// Invariants:
// - entries[i].index === offsetIndex + 1 + i; terms are non-decreasing; offsetTerm is the term
//   at offsetIndex (0 only when offsetIndex is 0).
// - offsetIndex <= snapshotIndex() <= applied <= applying <= committed <= lastIndex().
// - stableIndex <= lastIndex(): entries above stableIndex are not yet persisted (the next
//   Ready hands them out); a truncation lowers stableIndex below the overwritten suffix.
// - conf() is baseConf (membership at offsetIndex) with every conf entry applied in order.
import { assert } from '../common/assert.js';
import { SNAPSHOT_KEEP_TRAILING_ENTRIES } from '../common/limits.js';
import { logIndex, term as mkTerm } from '../common/types.js';
import type { LogIndex, NodeId, Term } from '../common/types.js';
import { decodeConfChange } from './codec-conf.js';
import { applyConfChange, cloneConf, emptyConf, isMember } from './conf.js';
import { encodeConfChange } from './codec-conf.js';
import type { ConfState, Entry, RaftRestored, Snapshot } from './types.js';

/** Term of the founding membership entries. */
export const BOOTSTRAP_TERM = 1;

/**
 * The founding membership as log entries at term 1 (add-learner + promote per voter, then
 * add-learner per learner, in id order), committed from the start, as etcd's bootstrap does.
 * Every founding member derives the same entries from the same initialConf, so a node that
 * joins later learns the whole membership history from the log.
 */
export function bootstrapEntries(c: ConfState): Entry[] {
  const ccs = [
    ...[...c.voters].sort().flatMap((n) => [{ type: 'add-learner' as const, node: n }, { type: 'promote' as const, node: n }]),
    ...[...c.learners].sort().map((n) => ({ type: 'add-learner' as const, node: n })),
  ];
  return ccs.map((cc, i) => ({ term: mkTerm(BOOTSTRAP_TERM), index: logIndex(i + 1), type: 'conf' as const, data: encodeConfChange(cc) }));
}

export class RaftLog {
  private offsetIndex = 0;
  private offsetTerm = 0;
  /** Invariant: membership as of offsetIndex. */
  private baseConf: ConfState = emptyConf();
  private entries: Entry[] = [];
  /** Invariant: indexes of the conf entries in `entries`, increasing. */
  private confIndexes: number[] = [];
  /** Invariant: equals confAt(lastIndex()). */
  private confCache: ConfState = emptyConf();
  /** Incremented whenever confCache is recomputed (membership may have changed). */
  confVersion = 0;
  committed = 0;
  applied = 0;
  /** Highest index handed out for applying by ready(). */
  applying = 0;
  stableIndex = 0;
  /** The latest snapshot (made by compact() or received from a leader). */
  snapshot: Snapshot | null = null;
  /** A received snapshot not yet handed out through Ready. */
  pendingSnapshot: Snapshot | null = null;

  /** True when this log was seeded with the founding membership (see bootstrapEntries). */
  readonly bootstrapped: boolean;

  constructor(restored: RaftRestored, selfId: NodeId) {
    const snap = restored.snapshot;
    const fresh = restored.hardState === null && snap === null && restored.entries.length === 0;
    const initial = restored.initialConf;
    this.bootstrapped = fresh && initial !== undefined && isMember(initial, selfId);
    if (snap !== null) {
      this.offsetIndex = snap.meta.index;
      this.offsetTerm = snap.meta.term;
      this.baseConf = cloneConf(snap.meta.conf);
      this.snapshot = snap;
    } else if (!fresh && initial !== undefined && !restored.entries.some((e) => e.type === 'conf')) {
      this.baseConf = cloneConf(initial); // a log that predates conf entries: membership as configured
    }
    if (this.bootstrapped) {
      for (const e of bootstrapEntries(initial!)) this.pushEntry(e);
      this.recomputeConf();
      this.committed = this.lastIndex();
      return;
    }
    for (const e of restored.entries) {
      if (e.index <= this.offsetIndex) continue;
      assert(e.index === this.lastIndex() + 1, 'restored entries must be contiguous after the snapshot');
      assert(e.term >= this.lastTerm(), 'restored entry terms must not decrease');
      this.pushEntry(e);
    }
    this.recomputeConf();
    this.stableIndex = this.lastIndex();
    this.applied = this.applying = this.offsetIndex;
    // A torn Ready may leave a commit index above the durable log: every entry up to it was
    // committed, so its prefix that we do hold is committed too; the rest comes back from
    // the leader.
    const commit = restored.hardState?.commit ?? 0;
    this.committed = Math.max(this.offsetIndex, Math.min(commit, this.lastIndex()));
  }

  // ---- queries ----
  firstIndex(): number { return this.offsetIndex + 1; }
  lastIndex(): number { return this.offsetIndex + this.entries.length; }
  lastTerm(): number { return this.entries.length > 0 ? this.entries[this.entries.length - 1]!.term : this.offsetTerm; }
  snapshotIndex(): number { return this.snapshot?.meta.index ?? 0; }

  /** The term at index i, or null when i is compacted away or beyond the log. */
  termAt(i: number): number | null {
    if (i === this.offsetIndex) return this.offsetTerm;
    if (i < this.offsetIndex || i > this.lastIndex()) return null;
    return this.entries[i - this.offsetIndex - 1]!.term;
  }

  matchTerm(i: number, t: number): boolean {
    return this.termAt(i) === t;
  }

  entryAt(i: number): Entry | null {
    if (i <= this.offsetIndex || i > this.lastIndex()) return null;
    return this.entries[i - this.offsetIndex - 1]!;
  }

  /** §5.4.1: is a log ending at (lastIdx, lastT) at least as up-to-date as ours? */
  isUpToDate(lastIdx: number, lastT: number): boolean {
    return lastT > this.lastTerm() || (lastT === this.lastTerm() && lastIdx >= this.lastIndex());
  }

  /** Entries from lo on, at most maxCount and maxBytes (at least one); null when lo is compacted. */
  entriesFrom(lo: number, maxCount: number, maxBytes: number): Entry[] | null {
    if (lo <= this.offsetIndex) return null;
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i <= this.lastIndex() && out.length < maxCount; i++) {
      const e = this.entries[i - this.offsetIndex - 1]!;
      if (out.length > 0 && bytes + e.data.length > maxBytes) break;
      bytes += e.data.length;
      out.push(e);
    }
    return out;
  }

  conf(): ConfState { return this.confCache; }

  /** Membership as of index i (offsetIndex <= i <= lastIndex). */
  confAt(i: number): ConfState {
    let c = this.baseConf;
    for (const ci of this.confIndexes) {
      if (ci > i) break;
      c = this.applyConfEntry(c, ci);
    }
    return c;
  }

  /** Index of the latest conf entry in the log, or 0. */
  lastConfIndex(): number {
    return this.confIndexes.length > 0 ? this.confIndexes[this.confIndexes.length - 1]! : 0;
  }

  // ---- follower appends ----
  /** The index of the first entry of ents that conflicts with (or extends) the log; 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (e.index <= this.offsetIndex) continue;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * AppendEntries consistency check and append (§5.3). Returns the last index known to match
   * the leader, 'mismatch' when (prevIndex, prevTerm) does not match, or 'unsafe' when the
   * message would overwrite committed entries (a broken or hostile leader).
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, ents: readonly Entry[]): number | 'mismatch' | 'unsafe' {
    if (!this.matchTerm(prevIndex, prevTerm)) return 'mismatch';
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) return 'unsafe';
      this.append(ents.slice(ci - ents[0]!.index));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends ents, overwriting any suffix from ents[0].index on (never committed entries). */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const first = ents[0]!.index;
    assert(first > this.committed, 'append would overwrite committed entries');
    assert(first <= this.lastIndex() + 1, 'append leaves a gap');
    const confsBefore = this.confIndexes.length;
    if (first <= this.lastIndex()) this.truncateFrom(first);
    let confTouched = this.confIndexes.length !== confsBefore;
    for (const e of ents) {
      assert(e.index === this.lastIndex() + 1 && e.term >= this.lastTerm(), 'appended entries out of order');
      this.pushEntry(e);
      if (e.type === 'conf') confTouched = true;
    }
    if (confTouched) this.recomputeConf();
  }

  private truncateFrom(first: number): void {
    this.entries.length = first - this.offsetIndex - 1;
    while (this.confIndexes.length > 0 && this.confIndexes[this.confIndexes.length - 1]! >= first) this.confIndexes.pop();
    this.stableIndex = Math.min(this.stableIndex, first - 1);
  }

  private pushEntry(e: Entry): void {
    this.entries.push(e);
    if (e.type === 'conf') this.confIndexes.push(e.index);
  }

  private applyConfEntry(c: ConfState, index: number): ConfState {
    const cc = decodeConfChange(this.entryAt(index)!.data);
    return cc === null ? c : applyConfChange(c, cc);
  }

  private recomputeConf(): void {
    this.confCache = this.confAt(this.lastIndex());
    this.confVersion++;
  }

  commitTo(i: number): boolean {
    if (i <= this.committed) return false;
    assert(i <= this.lastIndex(), `commit ${i} beyond last index ${this.lastIndex()}`);
    this.committed = i;
    return true;
  }

  // ---- persistence / apply cursors ----
  unstableEntries(): Entry[] {
    return this.entries.slice(Math.max(0, this.stableIndex - this.offsetIndex));
  }

  /** Entries up to (index, term) were persisted; ignored when the log changed since. */
  stableTo(index: number, t: number): void {
    if (this.matchTerm(index, t) && index > this.stableIndex) this.stableIndex = index;
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applying;
  }

  /** Committed entries not yet handed out, at most maxCount; advances `applying`. */
  takeNextCommitted(maxCount: number): Entry[] {
    if (!this.hasNextCommitted()) return [];
    const hi = Math.min(this.committed, this.applying + maxCount);
    const out = this.entries.slice(this.applying - this.offsetIndex, hi - this.offsetIndex);
    this.applying = hi;
    return out;
  }

  appliedTo(i: number): void {
    assert(i <= this.committed && i <= this.applying, 'applied beyond committed');
    if (i > this.applied) this.applied = i;
  }

  // ---- snapshots ----
  /** Replaces the whole log with a snapshot received from the leader (follower side). */
  restore(s: Snapshot): void {
    this.offsetIndex = s.meta.index;
    this.offsetTerm = s.meta.term;
    this.baseConf = cloneConf(s.meta.conf);
    this.entries = [];
    this.confIndexes = [];
    this.recomputeConf();
    this.committed = this.applying = this.stableIndex = s.meta.index;
    this.snapshot = s;
    this.pendingSnapshot = s;
  }

  /** The pending snapshot was persisted and restored by the application. */
  snapshotApplied(s: Snapshot): void {
    if (this.pendingSnapshot === s) this.pendingSnapshot = null;
    if (s.meta.index > this.applied) this.applied = s.meta.index;
  }

  /**
   * Records the application's snapshot at index (<= applied) and discards entries before
   * index - SNAPSHOT_KEEP_TRAILING_ENTRIES. Returns the snapshot, or null when index is not
   * newer than the current snapshot.
   */
  compact(index: number, data: Uint8Array): Snapshot | null {
    assert(index <= this.applied, `compact(${index}) beyond applied ${this.applied}`);
    if (index <= this.snapshotIndex() || index <= this.offsetIndex) return null;
    const t = this.termAt(index)!;
    const snap: Snapshot = { meta: { index: logIndex(index), term: mkTerm(t), conf: cloneConf(this.confAt(index)) }, data };
    this.snapshot = snap;
    const newOffset = Math.min(this.stableIndex, Math.max(this.offsetIndex, index - SNAPSHOT_KEEP_TRAILING_ENTRIES));
    if (newOffset > this.offsetIndex) this.discardThrough(newOffset);
    return snap;
  }

  private discardThrough(newOffset: number): void {
    this.baseConf = this.confAt(newOffset);
    this.offsetTerm = this.termAt(newOffset)!;
    this.entries = this.entries.slice(newOffset - this.offsetIndex);
    this.confIndexes = this.confIndexes.filter((ci) => ci > newOffset);
    this.offsetIndex = newOffset;
  }

  /** Largest index <= hi whose term is <= t (fast back-off), or null when compacted. */
  lastIndexWithTermAtMost(hi: number, t: number): number | null {
    for (let i = Math.min(hi, this.lastIndex()); i >= this.offsetIndex; i--) {
      const ti = this.termAt(i)!;
      if (ti <= t) return i;
    }
    return null;
  }

  /** First index of the run of term termAt(i) that ends at i, not below lo. */
  firstIndexOfTermRun(i: number, lo: number): number {
    const t = this.termAt(i);
    let j = i;
    while (j - 1 >= Math.max(lo, this.offsetIndex + 1) && this.termAt(j - 1) === t) j--;
    return j;
  }

  typedLastIndex(): LogIndex { return logIndex(this.lastIndex()); }
  typedLastTerm(): Term { return mkTerm(this.lastTerm()); }
}
