// Comparing times taken by different guests. Each guest's wall clock starts from the emulated
// RTC, which has 1 s resolution, so two guests can disagree by up to a second: writer logs
// (guest wall times) are only comparable after mapping each guest's clock onto the host's.
// Owns: the NTP-style offset estimate per guest incarnation (min-RTT sample of clock
// requests), converting writer logs to host time, and the conservative overlap check.
// Invariants: an estimate's uncertaintyMs bounds |true offset - offsetMs| (half the RTT of the
// sample it came from); overlap checks widen every interval by its node's uncertainty, so
// "no overlap" is only reported when it holds for every offset within the bounds.
import { CLUSTER_LANE_MAX_CLOCK_SAMPLES } from '../../lib/limits.js';
import { parseWriterLog } from '../../../daemon/src/node/writer-log.js';
import type { AgentClient } from './rpc.js';

export interface ClockOffset {
  /** Guest wall clock minus host wall clock, in ms. */
  offsetMs: number;
  uncertaintyMs: number;
}

export async function estimateOffset(rpc: AgentClient, samples = 7): Promise<ClockOffset> {
  const n = Math.max(1, Math.min(samples, CLUSTER_LANE_MAX_CLOCK_SAMPLES));
  let best: ClockOffset | null = null;
  for (let k = 0; k < n; k++) {
    const h0 = Date.now();
    const { guestWallMs } = await rpc.clock();
    const h1 = Date.now();
    const est = { offsetMs: guestWallMs - (h0 + h1) / 2, uncertaintyMs: (h1 - h0) / 2 + 1 };
    if (best === null || est.uncertaintyMs < best.uncertaintyMs) best = est;
  }
  return best!;
}

/** A writer interval on the host's clock; errMs is the uncertainty of both ends. */
export interface HostInterval {
  node: string;
  device: string;
  startMs: number;
  endMs: number;
  errMs: number;
  /** The log had no read-only event for it: it ran until the guest stopped or now. */
  open: boolean;
}

/**
 * One incarnation's writer log on the host clock. An interval still open at the end of the
 * log ends at `endHostMs` (the guest's crash time, or now for a live guest).
 */
export function hostIntervals(text: string, node: string, clock: ClockOffset, endHostMs: number): HostInterval[] {
  const endGuest = endHostMs + clock.offsetMs;
  return parseWriterLog(text, node, endGuest).map((iv) => ({
    node, device: iv.device, startMs: iv.startWallMs - clock.offsetMs, endMs: iv.endWallMs - clock.offsetMs,
    errMs: clock.uncertaintyMs, open: iv.endWallMs === endGuest,
  }));
}

export interface Overlap {
  a: HostInterval;
  b: HostInterval;
  /** How much the widened intervals overlap, in ms. */
  byMs: number;
}

/** Pairs of intervals of the same device on different nodes that may have overlapped. */
export function writerOverlaps(intervals: readonly HostInterval[]): Overlap[] {
  const out: Overlap[] = [];
  for (let x = 0; x < intervals.length; x++) {
    for (let y = x + 1; y < intervals.length; y++) {
      const a = intervals[x]!;
      const b = intervals[y]!;
      if (a.device !== b.device || a.node === b.node) continue;
      const err = a.errMs + b.errMs;
      const byMs = Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs) + err;
      if (byMs > 0) out.push({ a, b, byMs });
    }
  }
  return out;
}

/** The smallest gap between consecutive writers of `device` (negative when they overlap). */
export function minWriterGapMs(intervals: readonly HostInterval[], device: string): number | null {
  const sorted = intervals.filter((i) => i.device === device).sort((p, q) => p.startMs - q.startMs);
  let gap: number | null = null;
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.node === sorted[k - 1]!.node) continue;
    const g = sorted[k]!.startMs - sorted[k - 1]!.endMs - sorted[k]!.errMs - sorted[k - 1]!.errMs;
    gap = gap === null ? g : Math.min(gap, g);
  }
  return gap;
}
