// The deterministic cluster simulator as a test lane: a sweep of seeds must find no violation,
// a seed must replay identically, and each checker must catch a deliberately broken variant
// (so a green sweep means something). Owns nothing but these assertions; the simulator is
// test/sim/cluster/sim.ts, its CLI test/sim/cluster/main.ts.
// Invariant: every monkey-patch is undone in a finally block, so no other test sees it.
import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER_SIM_TRACE_PRINT_EVENTS } from '../../lib/limits.js';
import { ReadyLoop } from '../../../daemon/src/node/ready-loop.js';
import { Reconciler } from '../../../daemon/src/node/reconcile.js';
import { WriterRole, type WriterHooks } from '../../../daemon/src/node/writer.js';
import { formatEvent } from '../trace.js';
import { parseClusterCli, UsageError } from './cli.js';
import { runClusterSeed, type ClusterRunOptions, type ClusterRunResult } from './sim.js';
import type { FaultKind } from './world.js';

/** Seeds of the sweep (about 0.1-1 s of CPU each). */
const SWEEP_SEEDS = 20;
/** Seeds a broken variant may need before its checker fires. */
const BROKEN_SEEDS = 30;
/**
 * Fault kinds left out of the sweep: none. (A re-add the kernel refuses used to stay pending
 * forever; the reconciler now falls back to a plain add, removes a faulty device before adding it
 * again, and withdraws an add that fails for good - seeds 6, 28 and 29 of the CLI showed it.)
 */
const SWEEP_WITHOUT: readonly FaultKind[] = [];

function explain(r: ClusterRunResult): string {
  const v = r.violation;
  if (v === null) return `seed ${r.seed}: ok`;
  const tail = r.trace.slice(-CLUSTER_SIM_TRACE_PRINT_EVENTS).map((e) => `  ${formatEvent(e)}`).join('\n');
  return `seed ${r.seed}: ${v.property}: ${v.message} (${v.phase}, ${(v.atUs / 1000).toFixed(3)} ms)\n` +
    `reproduce: node dist/test/sim/cluster/main.js --seed=${r.seed} --without=${SWEEP_WITHOUT.join(',')}\n${tail}`;
}

/** Runs seeds 1..n until one violates `property`; returns that run, or null. */
async function firstViolation(property: string, n: number, opts: ClusterRunOptions = {}): Promise<ClusterRunResult | null> {
  for (let seed = 1; seed <= n; seed++) {
    const r = await runClusterSeed(seed, opts);
    if (r.violation?.property === property) return r;
  }
  return null;
}

const restores: (() => void)[] = [];
afterEach(() => {
  for (const undo of restores.splice(0)) undo();
});

/** Replaces a (possibly private) prototype method for the current test. */
function patch<T extends object>(proto: T, name: string, fn: (this: unknown, ...args: unknown[]) => unknown): void {
  const target = proto as Record<string, unknown>;
  const original = target[name];
  expect(typeof original).toBe('function');
  target[name] = fn;
  restores.push(() => { target[name] = original; });
}

describe('cluster simulator', () => {
  const totals = { seeds: 0, faults: 0, masters: 0, writerChecks: 0, handovers: 0, crashes: 0 };
  const seeds = Array.from({ length: SWEEP_SEEDS }, (_, i) => i + 1);

  it.each(seeds)('seed %i: no violation (every fault kind but the known-bug re-add)', async (seed) => {
    const r = await runClusterSeed(seed, { without: SWEEP_WITHOUT });
    expect(r.violation, explain(r)).toBeNull();
    totals.seeds++;
    totals.faults += r.stats.faults;
    totals.masters += r.stats.masterTerms;
    totals.writerChecks += r.stats.writerChecks;
    totals.handovers += r.stats.handovers;
    totals.crashes += r.stats.crashes;
  });

  it('the sweep exercised what it claims to check', () => {
    expect(totals.seeds).toBe(SWEEP_SEEDS);
    expect(totals.faults).toBeGreaterThan(SWEEP_SEEDS * 5);
    expect(totals.crashes).toBeGreaterThan(SWEEP_SEEDS);
    expect(totals.handovers).toBeGreaterThan(SWEEP_SEEDS * 2);
    expect(totals.masters).toBeGreaterThan(SWEEP_SEEDS * 2);
    expect(totals.writerChecks).toBeGreaterThan(SWEEP_SEEDS * 1000);
  });

  it('replays a seed identically', async () => {
    const a = await runClusterSeed(7);
    const b = await runClusterSeed(7);
    const lines = (r: ClusterRunResult): string[] => r.trace.map(formatEvent);
    expect(lines(b)).toEqual(lines(a));
    expect({ ...b.stats, wallMs: 0 }).toEqual({ ...a.stats, wallMs: 0 });
  });

  it('catches two writable kernels when the writer role ignores the lease', async () => {
    // Broken variant: any leader whose master entry is applied writes, lease or not.
    patch(WriterRole.prototype, 'isWriter', function (this: unknown) {
      const hooks = (this as { hooks: WriterHooks }).hooks;
      const st = hooks.raftStatus();
      const m = hooks.state().master;
      return st.role === 'leader' && m !== null && m.node === st.id && m.term === st.term;
    });
    const r = await firstViolation('single-writer', BROKEN_SEEDS);
    expect(r, 'no seed produced an overlap with the lease ignored').not.toBeNull();
    expect(r!.violation!.message).toMatch(/writable on 2 nodes at once/);
  });

  it('catches standbys that never catch up with the record', async () => {
    // Broken variant: a standby never re-assembles to pick up member changes.
    patch(Reconciler.prototype, 'mayReassemble', () => false);
    const r = await firstViolation('liveness', BROKEN_SEEDS, { without: SWEEP_WITHOUT });
    expect(r, 'no seed left a standby stale').not.toBeNull();
    expect(r!.violation!.message).toMatch(/differ from the record/);
  });

  it('catches a node whose applied state diverges', async () => {
    // Broken variant: n2 applies every cluster command, then flips adminReadOnly of md0.
    const applyOne = (ReadyLoop.prototype as unknown as { applyOne: (...args: unknown[]) => boolean }).applyOne;
    patch(ReadyLoop.prototype, 'applyOne', function (this: unknown, ...args: unknown[]) {
      const loop = this as ReadyLoop;
      const out = applyOne.apply(loop, args);
      const md0 = loop.state.arrays.find((a) => a.device === 'md0');
      if (loop.id === 'n2' && md0 !== undefined) md0.adminReadOnly = !md0.adminReadOnly;
      return out;
    });
    const r = await firstViolation('applied-prefix', 3);
    expect(r, 'the divergence was not caught').not.toBeNull();
    expect(r!.violation!.message).toMatch(/different cluster states at applied index/);
  });
});

describe('cluster simulator CLI flags', () => {
  it('parses seeds and world flags', () => {
    expect(parseClusterCli(['--seed=9', '--with=stall', '--without=admin-re-add', '--nodes=5'])).toEqual({
      seeds: [9], verbose: false, nodes: 5, chaosMs: undefined, without: ['admin-re-add'], with: ['stall'],
    });
    expect(parseClusterCli(['--seeds', '3', '--from', '10']).seeds).toEqual([10, 11, 12]);
  });

  it.each([
    [['--seeds=abc']], [['--seed=1', '--seeds=2']], [['--nodes=4']], [['--without=nope']], [['--with=crash']], [['--bogus']],
  ])('refuses %j with a usage error', (argv) => {
    expect(() => parseClusterCli(argv)).toThrow(UsageError);
  });
});
