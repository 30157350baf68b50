// The simulator's event queue: a binary min-heap of timed events.
// Owns: the total order of everything that happens in one simulated run.
// Invariants: events pop in (atUs, seq) order; seq is the insertion counter, so two events at
// the same simulated microsecond run in the order they were scheduled (deterministic); the
// queue never holds more than its bound (the caller turns overflow into a violation).

/** Something scheduled at a simulated instant. */
export interface Timed {
  /** Invariant: simulated real time in microseconds, a non-negative safe integer. */
  atUs: number;
  /** Invariant: assigned by push(), unique and increasing. */
  seq: number;
}

/** A queued event: the caller's body B with its time and sequence number. */
export interface Queued<B> extends Timed {
  body: B;
}

export class EventQueue<B> {
  private readonly heap: Queued<B>[] = [];
  private nextSeq = 0;

  /** Invariant: maxEvents >= 1. */
  constructor(private readonly maxEvents: number) {}

  get size(): number {
    return this.heap.length;
  }

  /** Schedules body at atUs; false (and nothing queued) when the queue is at its bound. */
  push(atUs: number, body: B): boolean {
    if (this.heap.length >= this.maxEvents) return false;
    const e: Queued<B> = { atUs, seq: this.nextSeq++, body };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
    return true;
  }

  peek(): Queued<B> | undefined {
    return this.heap[0];
  }

  pop(): Queued<B> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      siftDown(h, 0);
    }
    return top;
  }
}

function less(a: Timed, b: Timed): boolean {
  return a.atUs < b.atUs || (a.atUs === b.atUs && a.seq < b.seq);
}

function siftDown(h: Timed[], start: number): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && less(h[l], h[m])) m = l;
    if (r < h.length && less(h[r], h[m])) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m], h[i]];
    i = m;
  }
}
