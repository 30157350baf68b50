// The node's one wake-up timer: armed for the earliest instant something is due (a Raft
// deadline, the writer's lease margin, a gossip refresh...), not every tick, so an idle node
// wakes a few times a second instead of once a tick. Owns: that timer.
// Invariants:
// - After arm(), a timer is pending that fires no later than the due instant dueMs() reported
//   then, and no later than maxSleepMs from then; at most one timer is pending.
// - Callers arm() after every pass and after every input that may have moved a deadline
//   earlier (node/node.ts); arming later than the pending timer changes nothing, so it is cheap.
// - Two passes are at least MIN_GAP_MS apart; each reports how late it ran after the instant
//   it was armed for (the tick-lag metric).
// - A pass that runs early is harmless: what is not yet due does nothing (Raft time follows the
//   clock, node/raft-time.ts), and the pass re-arms.
import type { Clock, Timers } from './deps.js';

/** A pass that left something due at once (a part that is stopped, or wrong) cannot spin the loop. */
const MIN_GAP_MS = 1;

export class Ticker {
  private timer: { cancel(): void } | null = null;
  /** Monotonic ms the pending timer fires at (meaningless when timer is null). */
  private armedAtMs = 0;
  /** Monotonic ms the pending timer was set to fire at (armedAtMs rounded up to a whole ms). */
  private firesAtMs = 0;
  /** Arming does nothing before start() and after stop(). */
  private running = false;
  /** A pass is running: arm() waits for its end (which arms anyway). */
  private inPass = false;

  constructor(private readonly clock: Clock, private readonly timers: Timers, private readonly maxSleepMs: number,
    private readonly pass: () => void, private readonly dueMs: () => number,
    private readonly late: (lateMs: number) => void = () => {}) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  /** Makes sure the timer fires by the earliest due instant (after a pass, no sooner than MIN_GAP_MS). */
  arm(afterPass = false): void {
    if (!this.running || this.inPass) return;
    const now = this.clock.monoMs();
    const at = Math.max(Math.min(this.dueMs(), now + this.maxSleepMs), afterPass ? now + MIN_GAP_MS : now);
    if (this.timer !== null && this.armedAtMs <= at) return;
    this.timer?.cancel();
    this.armedAtMs = at;
    const delayMs = Math.max(0, Math.ceil(at - now));
    this.firesAtMs = now + delayMs;
    this.timer = this.timers.setTimeout(() => this.fire(), delayMs);
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    if (!this.running) return;
    this.late(Math.max(0, this.clock.monoMs() - this.firesAtMs));
    this.inPass = true;
    try {
      this.pass();
    } finally {
      this.inPass = false;
    }
    this.arm(true);
  }
}
