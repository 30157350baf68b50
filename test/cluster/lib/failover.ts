// Crashing the master guest and timing the failover on real kernels. Owns: the crash (sysrq b
// through the agent, which first reports its wall clock), the long polls armed on every
// standby before the crash, and the failover sample: crash -> another guest's kernel shows the
// array writable, both ends on the host clock (clock.ts).
// Invariants: the polls are armed before the crash (so the first writable state is seen within
// the poll interval, not a status round trip later); the standby that did not win has its poll
// cancelled; a sample carries its own uncertainty (both clock estimates).
import type { ClockOffset } from './clock.js';
import { estimateOffset } from './clock.js';
import type { LaneCluster } from './cluster.js';
import { WRITABLE_PATTERN } from './node-ops.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { sleep, withTimeout } from '../../integration/lib/wait.js';
import { busLayout } from '../guest/protocol.js';
import { failoverTargetMs, laneTiming } from './setup.js';

/** Bound on qemu ending after sysrq b (an emulated reset is quick). */
const CRASH_EXIT_TIMEOUT_MS = 30_000;
/** How often each standby's agent reads array_state during a failover (ms). */
const FAILOVER_POLL_MS = 5;

export interface CrashInfo {
  index: number;
  /** Host wall time of the crash (the guest's last clock reading, mapped to the host). */
  crashHostMs: number;
  /** The crashed guest's own wall clock at the crash (its last reading). */
  crashGuestWallMs: number;
  errMs: number;
}

/** Crashes node i (echo b > /proc/sysrq-trigger) and waits for its qemu to end. */
export async function crashNode(c: LaneCluster, i: number, clock?: ClockOffset): Promise<CrashInfo> {
  const g = c.guest(i);
  const clk = clock ?? await estimateOffset(g.rpc);
  const { guestWallMs } = await g.rpc.crash();
  await withTimeout(g.done, CRASH_EXIT_TIMEOUT_MS, `node${i} to go down after sysrq b`);
  return { index: i, crashHostMs: guestWallMs - clk.offsetMs, crashGuestWallMs: guestWallMs, errMs: clk.uncertaintyMs };
}

export interface FailoverSample {
  crashed: number;
  /** The crashed guest's own wall clock at the crash (to compare with its earlier readings). */
  crashGuestWallMs: number;
  newMaster: number;
  /** Crash -> the new master's kernel array_state writable, on the host clock. */
  failoverMs: number;
  /**
   * Crash -> the new master's daemon logged becoming Raft leader (detection + election: set
   * by the election timeout), and leader -> its kernel writable (lease wait, promotion, md
   * switched read-write); null when its log line was not found in time.
   */
  electedMs: number | null;
  promoteMs: number | null;
  /** Bound on the error of failoverMs from the clock estimates. */
  errMs: number;
  /** The writable state the new master's kernel reported. */
  arrayState: string;
}

/** Bound on the new master's "raft role changed" log line reaching the bus dir (9p). */
const LEADER_LOG_WAIT_MS = 5_000;

/**
 * Host time at which node i's daemon logged becoming Raft leader after `afterHostMs` (its
 * log's guest wall times mapped with `clk`), or null if no such line appears in time.
 */
async function leaderSinceHostMs(c: LaneCluster, i: number, clk: ClockOffset, afterHostMs: number): Promise<number | null> {
  const path = join(c.busDir, busLayout.daemonLog(i));
  for (const deadline = Date.now() + LEADER_LOG_WAIT_MS; Date.now() < deadline; await sleep(200)) {
    let text = '';
    try { text = readFileSync(path, 'utf8'); } catch { continue; }
    for (const line of text.split('\n')) {
      if (!line.includes('"raft role changed"') || !line.includes('"role":"leader"')) continue;
      let rec: { time?: string };
      try { rec = JSON.parse(line) as { time?: string }; } catch { continue; }
      const hostMs = rec.time === undefined ? NaN : Date.parse(rec.time) - clk.offsetMs;
      if (hostMs > afterHostMs) return hostMs;
    }
  }
  return null;
}

/** Crashes node `victim` and times until another live node's `md` is writable. */
export async function crashAndTimeFailover(c: LaneCluster, victim: number, md: string, timeoutMs: number): Promise<FailoverSample> {
  const standbys = c.indexes.filter((i) => i !== victim && c.alive(i));
  const clocks = new Map<number, ClockOffset>();
  for (const i of [victim, ...standbys]) clocks.set(i, await estimateOffset(c.guest(i).rpc));
  const polls = standbys.map((i) => {
    const p = c.guest(i).rpc.beginWaitFile(`/sys/block/${md}/md/array_state`, WRITABLE_PATTERN, timeoutMs, FAILOVER_POLL_MS);
    return { i, id: p.id, result: p.result.then((r) => ({ i, r })) };
  });
  polls.forEach((p) => p.result.catch(() => undefined));
  const crash = await crashNode(c, victim, clocks.get(victim));
  const first = await Promise.any(polls.map((p) => p.result));
  for (const p of polls) if (p.i !== first.i) await c.guest(p.i).rpc.cancel(p.id).catch(() => false);
  const clk = clocks.get(first.i)!;
  const failoverMs = first.r.matchedGuestWallMs - clk.offsetMs - crash.crashHostMs;
  const targetMs = failoverTargetMs(laneTiming());
  expect(failoverMs, `failover within the lane's target (${targetMs} ms for CLUSTER_TIMING=${process.env.CLUSTER_TIMING ?? 'tcg'})`).toBeLessThanOrEqual(targetMs);
  const electedHostMs = await leaderSinceHostMs(c, first.i, clk, crash.crashHostMs);
  const writableHostMs = first.r.matchedGuestWallMs - clk.offsetMs;
  return {
    crashed: victim, crashGuestWallMs: crash.crashGuestWallMs, newMaster: first.i, arrayState: first.r.value,
    electedMs: electedHostMs === null ? null : electedHostMs - crash.crashHostMs,
    promoteMs: electedHostMs === null ? null : writableHostMs - electedHostMs,
    failoverMs, errMs: clk.uncertaintyMs + crash.errMs,
  };
}
