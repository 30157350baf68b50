// A leader's view of one peer's replication. Owns: match/next indexes, the probe / replicate /
// snapshot state machine, the inflight window, snapshot chunk flow and lease/read round acks.
// Invariants:
// - 0 <= match < next; match only grows within a term.
// - probe: at most one append in flight (probeSent pauses until an answer or heartbeat reply);
//   replicate: next is optimistic (last sent + 1) and inflights bounds the window;
//   snapshot: appends are paused until the snapshot at snapIndex is installed.
// - ackedRound/ackedRoundTick: the highest round tag the peer echoed in this term (-1: none).
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface SnapshotSend {
  /** Identifies the snapshot being sent. */
  index: number;
  term: number;
  totalBytes: number;
  /** Invariant: ackedOffsetBytes <= sentOffsetBytes <= totalBytes. */
  sentOffsetBytes: number;
  ackedOffsetBytes: number;
  /** An ack arrived since the last heartbeat reply (else unacked chunks are resent). */
  ackedSinceHeartbeat: boolean;
  /** At least one chunk was sent (an empty snapshot is one empty chunk). */
  sentAny: boolean;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe state: an append is in flight; no more until an answer. */
  probeSent = false;
  /** Heard from the peer since the last CheckQuorum round. */
  recentActive = false;
  readonly inflights: Inflights;
  snap: SnapshotSend | null = null;
  ackedRound = -1;
  ackedRoundTick = -1;

  constructor(next: number, maxInflight: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot' && this.snap !== null) {
      this.next = Math.max(this.match + 1, this.snap.index + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.snap = null;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.snap = null;
    this.inflights.reset();
  }

  becomeSnapshot(s: SnapshotSend): void {
    this.state = 'snapshot';
    this.snap = s;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** Accepted append up to n. Returns whether match grew. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** An append of entries up to last was sent. */
  sentEntries(last: number): void {
    if (this.state === 'replicate') {
      this.next = last + 1;
      this.inflights.add(last);
    } else {
      this.probeSent = true;
    }
  }

  /**
   * A rejection of the append whose prevLogIndex was `rejected`; `nextHint` is where the
   * leader wants to probe next. Returns false for a stale rejection (ignored).
   */
  maybeDecrTo(rejected: number, nextHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, nextHint), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe': return this.probeSent;
      case 'replicate': return this.inflights.full();
      case 'snapshot': return true;
    }
  }

  ackRound(round: number, roundTick: number): void {
    if (round > this.ackedRound) this.ackedRound = round;
    if (roundTick > this.ackedRoundTick) this.ackedRoundTick = roundTick;
  }
}
