// Injected dependencies of the simulated md driver: clock, timers, id source, logger, plus the
// production implementations and a manual (test/simulator) time source.
// Owns: the only way the simulated kernel learns the time, schedules work and draws UUIDs, so
// that the deterministic cluster simulator can drive it exactly.
// Invariants:
// - The driver never reads Date, performance or Math.random itself; it uses these seams.
// - ManualTime fires timers in (due time, creation order) order, never a timer whose due
//   time is later than the current time; nowMs() never goes backwards.
import { randomBytes } from 'node:crypto';
import { assert } from '../../common/assert.js';
import { SIM_MD_MAX_TIMERS_PER_ADVANCE } from '../../common/limits.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';

/** Milliseconds since the Unix epoch; must never go backwards (sync progress is computed from it). */
export interface SimClock {
  nowMs(): number;
}

export interface SimTimerHandle {
  cancel(): void;
}

/** Structurally the node shell's Timers.setTimeout, so it can be passed straight in. */
export interface SimTimers {
  setTimeout(fn: () => void, ms: number): SimTimerHandle;
}

/** A source of 32-bit values for set and device UUIDs (the raft Prng shape {nextU32()}). */
export interface SimIdSource {
  nextU32(): number;
}

export interface SimDeps {
  clock: SimClock;
  timers: SimTimers;
  ids: SimIdSource;
  logger: Logger;
}

/** The real wall clock, made monotonic (performance.now from the time origin). */
export const realClock: SimClock = {
  nowMs: () => performance.timeOrigin + performance.now(),
};

export const realTimers: SimTimers = {
  setTimeout(fn, ms) {
    const h = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(h) };
  },
};

/** UUID bits from the operating system's CSPRNG. */
export const realIds: SimIdSource = {
  nextU32: () => randomBytes(4).readUInt32BE(0),
};

export function realSimDeps(logger: Logger = silentLogger): SimDeps {
  return { clock: realClock, timers: realTimers, ids: realIds, logger };
}

/** A deterministic id source (xorshift32) for tests and the simulator. Invariant: state != 0. */
export class SeededIds implements SimIdSource {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }
  nextU32(): number {
    let x = this.state;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.state = x;
    return x;
  }
}

interface ManualTimer {
  dueMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A manually advanced clock with its timers, for tests and the deterministic simulator.
 * Invariant: pending holds only uncancelled timers not yet fired.
 */
export class ManualTime implements SimClock, SimTimers {
  private nowValueMs: number;
  private seq = 0;
  private pending: ManualTimer[] = [];

  constructor(startMs = 1_795_000_000_000) {
    this.nowValueMs = startMs;
  }

  nowMs(): number {
    return this.nowValueMs;
  }

  setTimeout(fn: () => void, ms: number): SimTimerHandle {
    const t: ManualTimer = { dueMs: this.nowValueMs + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(t);
    return { cancel: () => { t.cancelled = true; this.pending = this.pending.filter((p) => p !== t); } };
  }

  /** Number of timers waiting. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    assert(Number.isFinite(ms) && ms >= 0, `advance by ${ms}`);
    const endMs = this.nowValueMs + ms;
    for (let fired = 0; ; fired++) {
      assert(fired < SIM_MD_MAX_TIMERS_PER_ADVANCE, 'ManualTime.advance: timer storm (a timer re-arms itself at 0 ms?)');
      const next = this.earliest();
      if (next === null || next.dueMs > endMs) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.nowValueMs = Math.max(this.nowValueMs, next.dueMs);
      next.fn();
    }
    this.nowValueMs = endMs;
  }

  /** Fires timers already due (delay 0) without moving time. */
  flush(): void {
    this.advance(0);
  }

  private earliest(): ManualTimer | null {
    let best: ManualTimer | null = null;
    for (const t of this.pending) {
      if (best === null || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Deps over a ManualTime (clock and timers), seeded ids and a given logger. */
export function manualSimDeps(time: ManualTime, seed = 1, logger: Logger = silentLogger): SimDeps {
  return { clock: time, timers: time, ids: new SeededIds(seed), logger };
}
