// A bounded FIFO of outgoing frames for one peer, dropping the oldest when full.
// Owns: the per-peer memory bound while a link is down or slow.
// Invariants: length <= capacity (PEER_MAX_QUEUED_FRAMES in production); push on a full queue
// drops exactly the oldest item and returns it; all operations are O(1) (ring buffer).
import { assert } from '../common/assert.js';

export class BoundedQueue<T> {
  /** Invariant: slots.length === capacity; live items are slots[head .. head+length) mod capacity. */
  private readonly slots: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity > 0, 'queue capacity is a positive integer');
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Appends; returns the oldest item if it was dropped to make room, else undefined. */
  push(item: T): T | undefined {
    if (this.count === this.capacity) {
      const dropped = this.slots[this.head];
      this.slots[this.head] = item;
      this.head = (this.head + 1) % this.capacity;
      return dropped;
    }
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return undefined;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Empties the queue; returns how many items were discarded. */
  clear(): number {
    const n = this.count;
    this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
    return n;
  }
}
