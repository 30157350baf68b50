// Per-node simulated clocks. Owns: when each node's tick() fires in simulated real time.
// Each node ticks with its own period NOMINAL_TICK_US * (1 + driftRate), driftRate constant for
// the node's life, with a random phase.
// Invariant: |driftRate| <= maxDriftRate(config), where maxDriftRate is the largest rate at
// which two clocks drifting in opposite directions diverge by at most clockDriftBoundTicks
// over one minimum election timeout - the meaning RaftConfig gives clockDriftBoundTicks:
//   E * (1 + r) / (1 - r) - E <= D   <=>   r <= D / (2E + D).
import type { Rand } from './rand.js';

/** The nominal tick period (10 ms), in microseconds. */
export const NOMINAL_TICK_US = 10_000;

/** The largest per-node drift rate allowed by the configured bound (see the file comment). */
export function maxDriftRate(electionTimeoutTicks: number, clockDriftBoundTicks: number): number {
  return clockDriftBoundTicks / (2 * electionTimeoutTicks + clockDriftBoundTicks);
}

export class NodeClock {
  /** Invariant: a positive integer number of microseconds. */
  readonly periodUs: number;
  /** Simulated instant of this clock's next tick. */
  nextTickUs: number;

  constructor(readonly driftRate: number, startUs: number, phaseUs: number) {
    // Rounded toward the nominal period, so rounding never pushes the drift past the bound.
    const exact = NOMINAL_TICK_US * (1 + driftRate);
    this.periodUs = Math.max(1, driftRate >= 0 ? Math.floor(exact) : Math.ceil(exact));
    this.nextTickUs = startUs + (phaseUs % this.periodUs);
  }

  /** Moves to the following tick; returns the instant of the tick just taken. */
  advance(): number {
    const t = this.nextTickUs;
    this.nextTickUs += this.periodUs;
    return t;
  }
}

/** Draws a node's drift rate: often an extreme of the allowed range, to stress the lease. */
export function drawDriftRate(rand: Rand, maxRate: number): number {
  const mode = rand.int(0, 3);
  if (mode === 0) return maxRate;
  if (mode === 1) return -maxRate;
  if (mode === 2) return 0;
  return rand.range(-maxRate, maxRate);
}
