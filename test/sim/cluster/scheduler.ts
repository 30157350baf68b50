// The discrete-event scheduler of the cluster simulator. Owns: simulated real time (integer
// microseconds), the single queue of everything that will happen (node timers, message
// deliveries, faults, probes), and the microtask pump that lets the node shell's async code run
// to completion between two events.
// Invariants:
// - Events run in (atUs, insertion) order; nowUs never goes backwards; an event is never
//   scheduled before nowUs (earlier requests run at nowUs, after those already queued).
// - Between two events, pump() drains the microtask queue completely (a setImmediate callback
//   runs only once no promise job is left), and no simulated time passes while it runs: every
//   await of the node shell on an already-settled promise completes at the same instant.
// - Nothing here reads a real clock: same seed, same event order, same trace.
import { EventQueue } from '../queue.js';

export interface TimerHandle {
  cancel(): void;
}

interface Scheduled {
  fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  /** Invariant: the atUs of the event running now (or of the last one). */
  nowUs = 0;
  /** Events executed so far. */
  steps = 0;
  private readonly queue: EventQueue<Scheduled>;

  /** onOverflow is told when the queue is full (the event is dropped). */
  constructor(maxEvents: number, private readonly onOverflow: (what: string) => void) {
    this.queue = new EventQueue<Scheduled>(maxEvents);
  }

  get pending(): number {
    return this.queue.size;
  }

  at(atUs: number, fn: () => void): TimerHandle {
    const ev: Scheduled = { fn, cancelled: false };
    if (!this.queue.push(Math.max(Math.round(atUs), this.nowUs), ev)) {
      this.onOverflow(`more than ${this.queue.size} pending events`);
      ev.cancelled = true;
    }
    return { cancel: () => { ev.cancelled = true; } };
  }

  after(delayUs: number, fn: () => void): TimerHandle {
    return this.at(this.nowUs + Math.max(0, delayUs), fn);
  }

  /** The time of the next live event, or null when none is queued. */
  nextAtUs(): number | null {
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined) return null;
      if (!top.body.cancelled) return top.atUs;
      this.queue.pop();
    }
  }

  /** Runs the next live event (synchronously); false when the queue is empty. */
  runNext(): boolean {
    for (;;) {
      const q = this.queue.pop();
      if (q === undefined) return false;
      if (q.body.cancelled) continue;
      this.nowUs = q.atUs;
      this.steps++;
      q.body.fn();
      return true;
    }
  }
}

/** Resolves once every pending microtask (promise job) has run. */
export function pump(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Runs `sched` event by event, pumping microtasks after each, until `cond` holds or `ms` of
 * simulated time passed (false then). For tests that drive real node code in simulated time.
 */
export async function runUntil(sched: Scheduler, cond: () => boolean, ms: number): Promise<boolean> {
  const end = sched.nowUs + ms * 1000;
  while (!cond()) {
    const next = sched.nextAtUs();
    if (next === null || next > end) return false;
    sched.runNext();
    await pump();
  }
  return true;
}
