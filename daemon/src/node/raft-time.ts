// Raft time of one node. Owns: when tick 0 was and how many ticks Raft has been given.
// Invariants:
// - No tick before start(): a sync() before it (e.g. from a view() taken while the daemon starts)
//   must not count the process's uptime as ticks done, which would hold Raft time still for that
//   long after start (votes dropped under a stale vote lease, a lease not running out in real time).
// - Ticks follow the monotonic clock, not the number of timer callbacks: after the event loop
//   stalled (GC, a slow synchronous call, SIGSTOP) the missed ticks are replayed at once (at most
//   RAFT_MAX_CATCHUP_TICKS), so the lease (counted in ticks) expires in real time. Callers sync
//   on every wake-up of the node's timer (node/ticker.ts: it sleeps until something is due, not
//   every tick), before every writer decision, every peer frame and every call into Raft.
import { RAFT_MAX_CATCHUP_TICKS } from '../common/limits.js';
import type { Clock } from './deps.js';

export class RaftTime {
  /** Monotonic ms of tick 0; null until start(). */
  private baseMs: number | null = null;
  private ticksDone = 0;

  constructor(private readonly clock: Clock, private readonly tickMs: number, private readonly tick: () => void) {}

  /** Raft time starts now. */
  start(): void {
    this.baseMs = this.clock.monoMs();
  }

  /** Monotonic ms at which the tick `ticksAhead` after the last one handed to Raft is due (null before start()). */
  tickDueMs(ticksAhead: number): number | null {
    return this.baseMs === null ? null : this.baseMs + (this.ticksDone + ticksAhead) * this.tickMs;
  }

  /** Hands Raft every tick due by now. */
  sync(): void {
    if (this.baseMs === null) return;
    const due = Math.floor((this.clock.monoMs() - this.baseMs) / this.tickMs);
    const missed = Math.min(due - this.ticksDone, RAFT_MAX_CATCHUP_TICKS);
    for (let i = 0; i < missed; i++) this.tick();
    if (due > this.ticksDone) this.ticksDone = due;
  }
}

/**
 * How late a periodic timer ran: the time since its previous run beyond its interval, never
 * negative (a timer that ran early, or a clock read taken before the previous one, is 0 late).
 * This is the event-loop lag the tick path saw: 0 when the loop was free when the tick was due.
 */
export function tickLagMs(previousRunMs: number, nowMs: number, intervalMs: number): number {
  return Math.max(0, nowMs - previousRunMs - intervalMs);
}
