// Bounded window of unacknowledged appends to one follower. Owns: the ring of the last index
// carried by each in-flight append message.
// Invariants: 0 <= count <= capacity <= RAFT_MAX_INFLIGHT_APPENDS; the stored indexes are
// strictly increasing in send order (oldest first).
import { assert } from '../common/assert.js';
import { RAFT_MAX_INFLIGHT_APPENDS } from '../common/limits.js';

export class Inflights {
  private readonly buf: number[];
  /** Invariant: position of the oldest in-flight append in buf. */
  private start = 0;
  /** Invariant: number of in-flight appends. */
  private count = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1 && capacity <= RAFT_MAX_INFLIGHT_APPENDS,
      'inflights capacity out of range');
    this.buf = new Array<number>(capacity).fill(0);
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  size(): number {
    return this.count;
  }

  /** Records an append whose last entry is lastIndex. */
  add(lastIndex: number): void {
    assert(!this.full(), 'inflights overflow');
    if (this.count > 0) {
      const newest = this.buf[(this.start + this.count - 1) % this.capacity]!;
      assert(lastIndex > newest, 'inflight indexes must increase');
    }
    this.buf[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** Frees every in-flight append whose last index is <= index (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.buf[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
  }

  /** Frees the oldest in-flight append (used to unstick a window whose messages were lost). */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}
