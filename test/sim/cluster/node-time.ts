// One simulated host's clocks and timers, for one incarnation of its daemon. Owns: turning the
// scheduler's real time into this host's drifting local time, local timer delays into real
// delays, and the daemon's freezes (a stall: SIGSTOP, a long GC pause, a hung syscall).
// It is the node shell's Clock and Timers; kernelTimers() are the SimMdDriver's SimTimers (the
// kernel keeps running while the daemon is frozen); both share the host's clock.
// Invariants:
// - local ms = real ms / (1 + driftRate): a host with drift r counts a 10 ms tick every
//   10 * (1 + r) real ms (the convention of test/sim/clock.ts).
// - monoMs() never goes back within an incarnation; wallMs() (and nowMs()) never goes back
//   across incarnations (the host's clock survives a daemon crash).
// - After kill() no timer of this incarnation fires again: a crashed daemon does nothing.
// - While the daemon is frozen none of its code runs: its timers, and everything handed to
//   runAsDaemon() (frames, peer notices, md events, control requests), run at the end of the
//   freeze, in the order they were due. Kernel timers are not frozen.
import type { Clock, Timers } from '../../../daemon/src/node/deps.js';
import type { SimClock, SimTimers } from '../../../daemon/src/md/sim/deps.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

/** Wall-clock epoch of simulated time 0 (November 2026). */
const EPOCH_MS = 1_795_000_000_000;

export class NodeTime implements Clock, Timers, SimClock {
  private dead = false;
  /** The daemon is frozen until this simulated instant (no freeze when in the past). */
  private frozenUntilUs = 0;
  /** The daemon's timers fire no earlier than this instant; frames still run (holdTimers). */
  private timersHeldUntilUs = 0;
  private readonly startUs: number;
  /** Real microseconds per local millisecond. Invariant: positive. */
  private readonly usPerLocalMs: number;

  constructor(private readonly sched: Scheduler, driftRate: number, private readonly monoBaseMs: number, private readonly wallSkewMs: number) {
    this.startUs = sched.nowUs;
    this.usPerLocalMs = 1000 * (1 + driftRate);
  }

  get alive(): boolean {
    return !this.dead;
  }

  get frozen(): boolean {
    return this.sched.nowUs < this.frozenUntilUs;
  }

  kill(): void {
    this.dead = true;
  }

  /** Freezes the daemon (not the kernel) for `us` simulated microseconds from now. */
  freeze(us: number): void {
    this.frozenUntilUs = Math.max(this.frozenUntilUs, this.sched.nowUs + us);
  }

  /**
   * Holds the daemon's timers (not its frames) for `us` simulated microseconds from now: after
   * an event-loop stall Node.js may run the I/O callbacks that piled up before the timers that
   * fell due, so a frame is handled while the tick timer is still late.
   */
  holdTimers(us: number): void {
    this.timersHeldUntilUs = Math.max(this.timersHeldUntilUs, this.sched.nowUs + us);
  }

  /** Runs a timer callback as daemon code, after any hold of the timers. */
  private runTimer(fn: () => void): void {
    if (this.dead) return;
    if (this.sched.nowUs < this.timersHeldUntilUs) {
      this.sched.at(this.timersHeldUntilUs, () => this.runTimer(fn));
      return;
    }
    this.runAsDaemon(fn);
  }

  /** Runs fn as daemon code: now, or at the end of a freeze; never once the incarnation is dead. */
  runAsDaemon(fn: () => void): void {
    if (this.dead) return;
    if (!this.frozen) {
      fn();
      return;
    }
    this.sched.at(this.frozenUntilUs, () => this.runAsDaemon(fn));
  }

  monoMs(): number {
    return this.monoBaseMs + (this.sched.nowUs - this.startUs) / this.usPerLocalMs;
  }

  wallMs(): number {
    return EPOCH_MS + this.wallSkewMs + this.sched.nowUs / this.usPerLocalMs;
  }

  nowMs(): number {
    return this.wallMs();
  }

  private realUs(ms: number): number {
    return Math.ceil(Math.max(0, Number.isFinite(ms) ? ms : 0) * this.usPerLocalMs);
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.sched.after(this.realUs(ms), () => this.runTimer(fn));
  }

  /**
   * Fires every `ms` local milliseconds, without accumulating rounding: the k-th firing is at the
   * first microsecond at or after start + k * period, so monoMs() there has reached k * ms.
   * Firings that fall in a freeze all run when it ends (the node shell replays due ticks anyway).
   */
  setInterval(fn: () => void, ms: number): TimerHandle {
    const periodUs = Math.max(1, Math.max(0, ms) * this.usPerLocalMs);
    const firstUs = this.sched.nowUs;
    let k = 0;
    let cancelled = false;
    let current: TimerHandle | null = null;
    const arm = (): void => {
      k++;
      current = this.sched.at(firstUs + Math.ceil(k * periodUs), () => {
        if (cancelled || this.dead) return;
        arm();
        this.runTimer(() => { if (!cancelled) fn(); });
      });
    };
    arm();
    return { cancel: () => { cancelled = true; current?.cancel(); } };
  }

  /** The simulated kernel's timers: the host's clock, never frozen, dead with the incarnation. */
  kernelTimers(): SimTimers {
    return {
      setTimeout: (fn, ms) => this.sched.after(this.realUs(ms), () => { if (!this.dead) fn(); }),
    };
  }
}
