// Promotion and failover durations as this node sees them, from successive samples of its read
// model (NodeView). Owns: when a promotion or failover starts and ends.
// Invariants:
// - Pure: fed (view facts, monotonic ms) by the caller; no clock or timer here.
// - promotion: from the first sample where this node is Raft leader in a term to the first
//   sample in that term where it holds the writer role; reported once per term.
// - failover: from the first sample where the master this node knew is gone (no leader known,
//   or the master's link down) to the first sample showing another node as master with a
//   leader known; reported once per loss. A loss that ends with the same master back is dropped.
// - Resolution is the sampling interval (STATUS_SAMPLE_INTERVAL_MS): these are operator
//   numbers, not the benchmark's (bench/ measures failover from outside).

export interface TimingSample {
  role: string;
  term: number;
  lead: string | null;
  writer: boolean;
  /** The applied master record's node (null: none). */
  master: string | null;
  /** Link state of the applied master, as this node sees it (true for itself). */
  masterUp: boolean;
}

export interface TimingObservations {
  promotionMs?: number;
  failoverMs?: number;
}

export class Timings {
  private leaderSince: { term: number; atMs: number } | null = null;
  private promotedTerm = -1;
  private lost: { master: string; atMs: number } | null = null;

  sample(s: TimingSample, nowMs: number): TimingObservations {
    const out: TimingObservations = {};
    if (s.role === 'leader') {
      if (this.leaderSince?.term !== s.term) this.leaderSince = { term: s.term, atMs: nowMs };
      if (s.writer && this.promotedTerm !== s.term) {
        this.promotedTerm = s.term;
        out.promotionMs = nowMs - this.leaderSince.atMs;
      }
    } else {
      this.leaderSince = null;
    }
    const healthy = s.master !== null && s.lead !== null && s.masterUp;
    if (this.lost === null) {
      if (s.master !== null && !healthy) this.lost = { master: s.master, atMs: nowMs };
    } else if (healthy) {
      if (s.master !== this.lost.master) out.failoverMs = nowMs - this.lost.atMs;
      this.lost = null;
    }
    return out;
  }
}
