// The in-memory log model rebuilt from WAL records at recovery. Owns: the replay rules that
// give the on-disk records their meaning:
// - entry record with index i: if i <= last index, the suffix from i is discarded first
//   ("rewrite" semantics: an overwrite needs no separate truncation record); i must be
//   <= last + 1 (a gap is corruption); terms never decrease along the log.
// - snapshot-reset record (index, term): every entry is discarded and the log restarts right
//   after (index, term).
// - hard-state record: replaces the hard state (the last one wins).
// Invariants: entries[k].index === baseIndex + 1 + k (contiguous); baseTerm is known only when
// the base came from a reset (after compaction the first surviving entry sets the base).
import type { Entry, HardState } from '../raft/types.js';
import type { SnapshotResetPoint } from './payloads.js';

export class LogReplay {
  /** The log, contiguous. */
  entries: Entry[] = [];
  /** Index just before entries[0]; null until the first entry or reset is replayed. */
  baseIndex: number | null = null;
  /** Term at baseIndex when known (from a reset), else null. */
  baseTerm: number | null = null;
  /** The last hard state replayed, or null. */
  hardState: HardState | null = null;

  /** Index of the last entry (or the base when empty); 0 when nothing was replayed. */
  lastIndex(): number {
    return (this.baseIndex ?? 0) + this.entries.length;
  }

  /** Applies an entry record; returns a reason when it cannot follow the log. */
  applyEntry(e: Entry): string | null {
    if (this.baseIndex === null || e.index <= this.baseIndex) {
      this.entries = [e];
      this.baseIndex = e.index - 1;
      this.baseTerm = null;
      return null;
    }
    const last = this.lastIndex();
    if (e.index > last + 1) return `log gap: entry ${e.index} follows last index ${last}`;
    this.entries.length = e.index - 1 - this.baseIndex;
    const prevTerm = this.entries.length > 0 ? this.entries[this.entries.length - 1].term : this.baseTerm;
    if (prevTerm !== null && e.term < prevTerm) return `entry ${e.index} has term ${e.term} below the previous term ${prevTerm}`;
    this.entries.push(e);
    return null;
  }

  applyReset(p: SnapshotResetPoint): void {
    this.entries = [];
    this.baseIndex = p.index;
    this.baseTerm = p.term;
  }

  applyHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** The term at `index` if the log knows it, else null. */
  termAt(index: number): number | null {
    if (this.baseIndex === null) return null;
    if (index === this.baseIndex) return this.baseTerm;
    const k = index - this.baseIndex - 1;
    return k >= 0 && k < this.entries.length ? this.entries[k].term : null;
  }
}
