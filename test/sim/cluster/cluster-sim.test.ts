// The deterministic cluster simulator as a test lane: a sweep of seeds must find no violation
// (the sweep rotates through every world profile of world.ts: fencing + stalls, unconfirmed
// grace + stalls, slow md calls, drift at the bound, crashes inside fsync windows), a seed must
// replay identically, and each checker must catch a deliberately broken variant (so a green
// sweep means something). Owns nothing but these assertions; the simulator is
// test/sim/cluster/sim.ts, its CLI test/sim/cluster/main.ts.
// Invariant: every monkey-patch is undone in afterEach, so no other test sees it.
import { afterEach, describe, expect, it } from 'vitest';
import { CLUSTER_SIM_TRACE_PRINT_EVENTS } from '../../lib/limits.js';
import { ReadyLoop } from '../../../daemon/src/node/ready-loop.js';
import { Reconciler } from '../../../daemon/src/node/reconcile.js';
import { WriterRole, type WriterHooks } from '../../../daemon/src/node/writer.js';
import { formatEvent } from '../trace.js';
import { DEFAULT_CLIENTS, parseClusterCli, UsageError } from './cli.js';
import { SimRaftStorage } from './raft-storage.js';
import { runClusterSeed, type ClusterRunOptions, type ClusterRunResult } from './sim.js';
import { WORLD_PROFILES, type FaultKind, type WorldProfile } from './world.js';

/** Seeds of the sweep (about 0.2-1.5 s of CPU each): 4 of each world profile (seed % 6). */
const SWEEP_SEEDS = 24;
/**
 * Sweep seeds that hit a daemon bug reported to the lead (not fixed here: the simulator only
 * finds them). Each must still show exactly that violation; once the bug is fixed the test says
 * so, and the seed goes back to the plain sweep.
 */
const KNOWN_DAEMON_BUGS: Readonly<Record<number, { property: string; message: RegExp; bug: string }>> = {};
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
    `reproduce: npm run sim:cluster -- --seed=${r.seed} --without=${SWEEP_WITHOUT.join(',')} --clients=${DEFAULT_CLIENTS ? 'on' : 'off'}\n${tail}`;
}

/** Runs seeds 1..n until one violates `property`; returns that run, or null. */
async function firstViolation(property: string | readonly string[], n: number, opts: ClusterRunOptions = {}): Promise<ClusterRunResult | null> {
  const wanted = typeof property === 'string' ? [property] : property;
  for (let seed = 1; seed <= n; seed++) {
    const r = await runClusterSeed(seed, { clients: DEFAULT_CLIENTS, ...opts });
    if (r.violation !== null && wanted.includes(r.violation.property)) return r;
  }
  return null;
}

/** The core simulator's log-level properties (raft-checks.ts): a broken log rule must trip one of them. */
const LOG_SAFETY = ['leader-completeness', 'durability', 'applied-divergence', 'log-matching', 'commit', 'applied-order', 'snapshot', 'ack'];

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
  const totals = {
    seeds: 0, faults: 0, masters: 0, writerChecks: 0, handovers: 0, crashes: 0, fenceKills: 0, fsyncCrashes: 0, acks: 0,
    clientOps: 0, answered: 0, reproposals: 0,
  };
  const profiles = new Map<WorldProfile, number>();
  const seeds = Array.from({ length: SWEEP_SEEDS }, (_, i) => i + 1).filter((s) => KNOWN_DAEMON_BUGS[s] === undefined);

  it.each(seeds)('seed %i: no violation', async (seed) => {
    const r = await runClusterSeed(seed, { without: SWEEP_WITHOUT, clients: DEFAULT_CLIENTS });
    expect(r.violation, explain(r)).toBeNull();
    totals.seeds++;
    profiles.set(r.world.profile, (profiles.get(r.world.profile) ?? 0) + 1);
    totals.faults += r.stats.faults;
    totals.masters += r.stats.masterTerms;
    totals.writerChecks += r.stats.writerChecks;
    totals.handovers += r.stats.handovers;
    totals.crashes += r.stats.crashes;
    totals.fenceKills += r.stats.fenceKills;
    totals.fsyncCrashes += r.stats.fsyncCrashes;
    totals.acks += r.stats.acks;
    totals.clientOps += r.stats.clientOps;
    totals.answered += r.stats.history?.answered ?? 0;
    totals.reproposals += r.stats.history?.reproposalsAnswered ?? 0;
  });

  it.each(Object.entries(KNOWN_DAEMON_BUGS))('seed %s: still shows the daemon bug reported to the lead', async (seed, known) => {
    const r = await runClusterSeed(Number(seed), { without: SWEEP_WITHOUT, clients: DEFAULT_CLIENTS });
    profiles.set(r.world.profile, (profiles.get(r.world.profile) ?? 0) + 1); // its world ran up to the violation
    const why = `${known.bug}: ${r.violation === null ? 'no violation any more: fixed? move the seed back to the sweep' : explain(r)}`;
    expect(r.violation?.property, why).toBe(known.property);
    expect(r.violation!.message, why).toMatch(known.message);
  });

  it('the sweep exercised what it claims to check', () => {
    expect(totals.seeds).toBe(seeds.length);
    expect(seeds.length, 'most of the sweep runs to its end').toBeGreaterThanOrEqual(SWEEP_SEEDS * 3 / 4);
    for (const p of WORLD_PROFILES) expect(profiles.get(p) ?? 0, `seeds in world profile ${p}`).toBeGreaterThanOrEqual(3);
    expect(totals.faults).toBeGreaterThan(SWEEP_SEEDS * 5);
    expect(totals.crashes).toBeGreaterThan(SWEEP_SEEDS);
    expect(totals.handovers).toBeGreaterThan(SWEEP_SEEDS * 2);
    expect(totals.masters).toBeGreaterThan(SWEEP_SEEDS * 2);
    expect(totals.writerChecks).toBeGreaterThan(SWEEP_SEEDS * 1000);
    expect(totals.fenceKills, 'old masters powered off by the simulated fence').toBeGreaterThan(0);
    expect(totals.fsyncCrashes, 'crashes inside an fsync window').toBeGreaterThan(SWEEP_SEEDS / 6);
    expect(totals.acks, 'acknowledged proposals the durability checker followed').toBeGreaterThan(SWEEP_SEEDS);
    if (DEFAULT_CLIENTS) {
      expect(totals.answered, 'client ops answered').toBeGreaterThan(SWEEP_SEEDS * 10);
      expect(totals.reproposals, 'answered re-proposals').toBeGreaterThan(SWEEP_SEEDS);
    }
  });

  // Found by the 1000-seed CLI sweep (`npm run sim:cluster -- --seed=711 --clients=on` at the
  // time): a round planned as writer ran read-write after the lease lapsed during slower md
  // calls, overlapping the next master (reconcile.ts now re-checks the role before each action).
  // A later change of the simulator's random draws turns this into just another seed.
  it('seed 711 (clients on, CLI defaults): no two writable kernels', async () => {
    const r = await runClusterSeed(711, { clients: true });
    expect(r.violation, explain(r)).toBeNull();
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

describe('the cluster simulator\'s new worlds and checkers have teeth', () => {
  it('catches a leader that lacks committed entries (votes granted without the log check)', async () => {
    const r = await firstViolation(LOG_SAFETY, BROKEN_SEEDS, { raftFaults: { grantVoteWithoutLogCheck: true }, profile: 'fsync-crash' });
    expect(r, 'a broken vote rule went undetected').not.toBeNull();
  });

  it('catches acknowledged entries lost by a node that never fsyncs (crashes in fsync windows, power loss)', async () => {
    // Broken variant: the node's Raft batches are written but never made durable before it answers.
    const save = SimRaftStorage.prototype.save;
    patch(SimRaftStorage.prototype, 'save', function (this: unknown, ...args: unknown[]) {
      const batch = args[0] as Parameters<typeof save>[0];
      return save.call(this as SimRaftStorage, { ...batch, mustSync: false });
    });
    const r = await firstViolation(LOG_SAFETY, BROKEN_SEEDS, { profile: 'fsync-crash' });
    expect(r, 'lost acknowledged entries went undetected').not.toBeNull();
  });

  it.each(['fenced', 'grace'] as const)('%s world: catches a new master that promotes without the old one\'s confirmation', async (profile) => {
    // Broken variant: the earlier masters count as clear at once (no confirmation, fence or grace).
    patch(WriterRole.prototype, 'previousMastersClear', () => true);
    const r = await firstViolation('single-writer', BROKEN_SEEDS, { profile });
    expect(r, `a frozen old master never overlapped with the new one in the ${profile} world`).not.toBeNull();
  });
});

describe('cluster simulator CLI flags', () => {
  it('parses seeds and world flags', () => {
    expect(parseClusterCli(['--seed=9', '--with=stall', '--without=admin-re-add', '--nodes=5'])).toEqual({
      seeds: [9], verbose: false, nodes: 5, chaosMs: undefined, without: ['admin-re-add'], with: ['stall'], profile: undefined,
      clients: DEFAULT_CLIENTS,
    });
    expect(parseClusterCli(['--seed=9', '--profile=slow-md', '--clients=on'])).toMatchObject({ profile: 'slow-md', clients: true });
    expect(parseClusterCli(['--seeds', '3', '--from', '10']).seeds).toEqual([10, 11, 12]);
  });

  it.each([
    [['--seeds=abc']], [['--seed=1', '--seeds=2']], [['--nodes=4']], [['--without=nope']], [['--with=crash']], [['--bogus']],
    [['--profile=nope']], [['--clients=maybe']],
  ])('refuses %j with a usage error', (argv) => {
    expect(() => parseClusterCli(argv)).toThrow(UsageError);
  });
});
