// Cold start of the whole cluster on real kernels (issue #18): every node is shut down in order
// (the unit's stop: SIGTERM, hand-over, ExecStopPost), then all guests boot again in a random
// order with random delays; each boot installs the package and starts the unit like a host's
// boot starts mdclusterd.service. Owns: the boot plan (seeded, printed), the long polls that see
// the first writable array, the measurements (last boot -> writable, last and quorum-making unit
// start -> writable, on the host clock; negative when two nodes formed the cluster before the
// third booted) and the checks: one master, its kernel the only writer, the
// others read-only, every unit started exactly once (no restart loop), READY=1 from every node,
// the first node's READY=1 sent while it still waited for a leader (STATUS=).
// Invariants: the polls on every node run from its agent's readiness until the settle window
// after the first writable state ended, so a second writer during that window fails the test;
// every wait is bounded.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { sleep } from '../../integration/lib/wait.js';
import { busLayout, type UnitRecord, type WaitFileResult } from '../guest/protocol.js';
import type { LaneCluster, LaneGuest } from './cluster.js';
import { CONVERGE_MS, expectMdstatsEqualMaster, waitReadOnly } from './md-checks.js';
import { status, waitMaster, WRITABLE_PATTERN } from './node-ops.js';
import { writerOverlaps } from './clock.js';
import { LaneClocks, mergedWriterIntervals } from './writer-logs.js';

/** After the first writable state: how long every node keeps polling for a second writer, and the units for restarts. */
const SETTLE_MS = 30_000;
/** Bound on the cluster forming after the last guest booted (install + start on TCG + election). */
const FORM_TIMEOUT_MS = 540_000;

export interface BootPlan {
  seed: number;
  /** Node indexes in boot order. */
  order: number[];
  /** Delay of each boot after the first, ms, in boot order (the first is 0). */
  delaysMs: number[];
}

/** mulberry32: a small seeded generator, so a failing plan can be booted again (CLUSTER_COLDSTART_SEED). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random boot order; each later boot at a uniform random delay in [0, maxDelayMs] after the first. */
export function bootPlan(nodes: number[], maxDelayMs: number, seed: number): BootPlan {
  const r = rng(seed);
  const order = [...nodes];
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  const delaysMs = [0, ...order.slice(1).map(() => Math.round(r() * maxDelayMs)).sort((a, b) => a - b)];
  return { seed, order, delaysMs };
}

export interface ColdStartResult {
  plan: BootPlan;
  master: number;
  lastBootToWritableMs: number;
  lastUnitStartToWritableMs: number;
  /** From the unit start that made a quorum (the second of three) to writable. */
  quorumUnitStartToWritableMs: number;
  errMs: number;
  units: Record<string, UnitRecord>;
}

interface Poll { i: number; g: LaneGuest; id: string; result: Promise<WaitFileResult | Error> }

const hostMs = (g: LaneGuest, guestWallMs: number): number => guestWallMs - g.clock!.offsetMs;

/** Shuts every node down at once, in order (unit stop, ExecStopPost, md stop, power-off). */
export async function shutDownAll(c: LaneCluster): Promise<void> {
  const results = await Promise.all(c.indexes.map((i) => c.powerOff(i)));
  for (const r of results) expect(r.outcome, `${r.name}: ${r.stderr.slice(-1500)}`).toBe('exited');
  for (const i of c.indexes) {
    const log = readFileSync(join(c.busDir, busLayout.daemonLog(i)), 'utf8');
    expect(log, `node${i}: the daemon ended by itself on SIGTERM`).toMatch(/main process \d+ ended: code=0 signal=null result=success/);
    expect(log, `node${i}: ExecStopPost ran`).toMatch(/ExecStopPost=\+\/usr\/bin\/mdclusterd demote-all --config \/etc\/mdclusterd\/mdclusterd.toml exited 0/);
  }
}

export async function coldStart(c: LaneCluster, md: string, plan: BootPlan): Promise<ColdStartResult> {
  console.log(`[cold-start] plan: seed ${plan.seed}, boot order ${plan.order.map((i) => `node${i}`).join(' ')}, delays ${plan.delaysMs.map((d) => `${(d / 1000).toFixed(1)}s`).join(' ')}`);
  const polls: Poll[] = [];
  const t0 = Date.now();
  await Promise.all(plan.order.map(async (i, k) => {
    await sleep(Math.max(0, t0 + plan.delaysMs[k]! - Date.now()));
    const g = await c.reboot(i);
    const p = g.rpc.beginWaitFile(`/sys/block/${md}/md/array_state`, WRITABLE_PATTERN, FORM_TIMEOUT_MS + SETTLE_MS, 20);
    polls.push({ i, g, id: p.id, result: p.result.catch((e: unknown) => e as Error) });
  }));
  const lastBootHostMs = Math.max(...c.indexes.map((i) => c.guest(i).bootWallMs));
  const first = await Promise.race(polls.map(async (p) => {
    const r = await p.result;
    if (r instanceof Error) throw new Error(`node${p.i}: ${r.message}`);
    return { p, r };
  }));
  const writableHostMs = hostMs(first.p.g, first.r.matchedGuestWallMs);
  await sleep(SETTLE_MS);
  for (const p of polls) if (p !== first.p) await p.g.rpc.cancel(p.id).catch(() => false);
  for (const p of polls) {
    if (p === first.p) continue;
    const r = await p.result;
    expect(r instanceof Error ? 'not writable' : `writable (${r.value}) at guest ${r.matchedGuestWallMs}`, `node${p.i}: a second writable ${md} next to node${first.p.i}'s`).toBe('not writable');
  }
  const m = await waitMaster(c, { timeoutMs: CONVERGE_MS });
  expect(m.index, 'the writable kernel is the master\'s').toBe(first.p.i);
  for (const i of c.indexes.filter((x) => x !== m.index)) {
    await waitReadOnly(c, i, md);
    expect((await status(c, i)).writer, `node${i} is not a writer`).toBe(false);
  }
  await expectMdstatsEqualMaster(c, m.index);
  const units: Record<string, UnitRecord> = {};
  for (const i of c.indexes) units[`node${i}`] = await c.guest(i).rpc.unit();
  const unitStartsHostMs = c.indexes.map((i) => hostMs(c.guest(i), units[`node${i}`]!.starts[0]!.guestWallMs)).sort((a, b) => a - b);
  const lastUnitStartHostMs = unitStartsHostMs[unitStartsHostMs.length - 1]!;
  const quorumUnitStartHostMs = unitStartsHostMs[Math.floor(c.indexes.length / 2)]!;
  const errMs = Math.max(...c.indexes.map((i) => c.guest(i).clock!.uncertaintyMs)) * 2;
  for (const i of c.indexes) {
    const u = units[`node${i}`]!;
    expect({ starts: u.startCount, state: u.state, exited: u.starts[0]!.end }, `node${i}: one start, running (no restart loop)`).toEqual({ starts: 1, state: 'active', exited: null });
    expect(u.starts[0]!.readyGuestWallMs, `node${i}: READY=1`).not.toBeNull();
  }
  // The first node to start cannot have had a leader at its local start-up: READY=1 must not wait for one.
  const firstStarted = [...c.indexes].sort((a, b) => hostMs(c.guest(a), units[`node${a}`]!.starts[0]!.guestWallMs) - hostMs(c.guest(b), units[`node${b}`]!.starts[0]!.guestWallMs))[0]!;
  expect(units[`node${firstStarted}`]!.starts[0]!.readyStatus, `node${firstStarted} (first unit started): STATUS= with READY=1`).toMatch(/waiting for a leader/);
  const clocks = new LaneClocks();
  await clocks.estimateAll(c);
  expect(writerOverlaps(mergedWriterIntervals(c, clocks)), 'merged writer logs: never two writers at once').toEqual([]);
  return {
    plan, master: m.index, units, errMs: Math.round(errMs),
    lastBootToWritableMs: Math.round(writableHostMs - lastBootHostMs),
    lastUnitStartToWritableMs: Math.round(writableHostMs - lastUnitStartHostMs),
    quorumUnitStartToWritableMs: Math.round(writableHostMs - quorumUnitStartHostMs),
  };
}
