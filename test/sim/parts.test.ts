// Unit tests of the simulator's own parts (queue, network, storage, checkers, clock, CLI), so
// that a silent simulator bug cannot hide core bugs: each checker is shown to fire on a
// synthetic violation, and storage is shown to lose exactly what was not fsynced.
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import type { Entry, Snapshot } from '../../daemon/src/raft/types.js';
import { Checkers, SimViolation } from './checkers.js';
import { parseCli, UsageError } from './cli.js';
import { maxDriftRate, NodeClock } from './clock.js';
import { CHAIN_ORIGIN, chainHash } from './hash.js';
import { SimNetwork } from './network.js';
import type { Delivery, NetParams } from './network.js';
import { Nemesis } from './nemesis.js';
import type { NemesisPort } from './nemesis.js';
import { EventQueue } from './queue.js';
import { Rand } from './rand.js';
import { SimStorage } from './storage.js';

const ent = (index: number, t: number, byte = 0): Entry => ({ index: logIndex(index), term: term(t), type: 'normal', data: new Uint8Array([byte]) });
const rand = (seed: number): Rand => new Rand(createPrng(seed));
const noSnap = (): number => CHAIN_ORIGIN;

describe('event queue', () => {
  it('pops in time order, FIFO among equal times, and refuses beyond its bound', () => {
    const q = new EventQueue<{ name: string }>(4);
    expect(q.push(5, { name: 'a' })).toBe(true);
    expect(q.push(1, { name: 'b' })).toBe(true);
    expect(q.push(5, { name: 'c' })).toBe(true);
    expect(q.push(3, { name: 'd' })).toBe(true);
    expect(q.push(0, { name: 'e' })).toBe(false);
    expect([q.pop(), q.pop(), q.pop(), q.pop(), q.pop()].map((e) => e?.body.name)).toEqual(['b', 'd', 'a', 'c', undefined]);
  });
});

describe('network', () => {
  const params: NetParams = { minDelayUs: 10, maxDelayUs: 1000, lossRate: 0, dupRate: 0, reorderRate: 0, reorderExtraUs: 0, partitionMode: 'drop' };
  function harness(p: NetParams): { net: SimNetwork<number>; arrivals: [number, Delivery<number>][] } {
    const arrivals: [number, Delivery<number>][] = [];
    const net = new SimNetwork<number>(p, rand(1), (at, d) => (arrivals.push([at, d]), true));
    return { net, arrivals };
  }
  it('keeps a link FIFO without reordering', () => {
    const { net, arrivals } = harness(params);
    for (let i = 0; i < 200; i++) net.send(i, 'a', 'b', i);
    const times = arrivals.map(([t]) => t);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(arrivals.map(([, d]) => d.payload)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
  it('drops on a blocked link in drop mode and holds then releases in hold mode', () => {
    const drop = harness(params);
    drop.net.block('a', 'b');
    drop.net.send(0, 'a', 'b', 1);
    drop.net.send(0, 'b', 'a', 2);
    expect(drop.arrivals.map(([, d]) => d.payload)).toEqual([2]);
    const hold = harness({ ...params, partitionMode: 'hold' });
    hold.net.block('a', 'b');
    hold.net.send(0, 'a', 'b', 1);
    expect(hold.arrivals).toHaveLength(0);
    hold.net.healAll(500);
    expect(hold.arrivals.map(([t, d]) => [t >= 500, d.payload])).toEqual([[true, 1]]);
  });
  it('a message in flight when its link is cut does not arrive (drop mode)', () => {
    const { net, arrivals } = harness(params);
    net.send(0, 'a', 'b', 7);
    net.block('a', 'b');
    expect(net.arrive(arrivals[0][1])).toBe(false);
  });
  it('loses, duplicates and stops doing so when faults are disabled', () => {
    const { net, arrivals } = harness({ ...params, lossRate: 0.5, dupRate: 0.5 });
    for (let i = 0; i < 1000; i++) net.send(i, 'a', 'b', i);
    expect(net.stats.lost).toBeGreaterThan(300);
    expect(net.stats.duplicated).toBeGreaterThan(150);
    net.setFaultsEnabled(false);
    const before = arrivals.length;
    for (let i = 0; i < 100; i++) net.send(2000 + i, 'a', 'b', i);
    expect(arrivals.length - before).toBe(100);
  });
});

describe('storage', () => {
  it('keeps synced writes across a crash and at most a prefix of unsynced ones', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const s = new SimStorage(noSnap);
      s.writeEntries([ent(1, 1), ent(2, 1)]);
      s.writeHardState({ term: term(1), vote: nodeId('n1'), commit: logIndex(1) });
      s.sync();
      s.writeEntries([ent(3, 1), ent(4, 1), ent(5, 1)]);
      s.writeHardState({ term: term(1), vote: nodeId('n1'), commit: logIndex(4) });
      s.crash(rand(seed));
      const r = s.recovered();
      expect(r.entries.length).toBeGreaterThanOrEqual(2);
      expect(r.entries.map((e) => e.index)).toEqual(Array.from({ length: r.entries.length }, (_, i) => i + 1));
      // The hard state (written after the entries) survives only if all entries did.
      if (r.hardState!.commit === 4) expect(r.entries.length).toBe(5);
      else expect(r.hardState!.commit).toBe(1);
    }
  });
  it('truncates a conflicting suffix and tracks prefix hashes', () => {
    const s = new SimStorage(noSnap);
    s.writeEntries([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.writeEntries([ent(2, 2, 9)]);
    expect(s.lastIndex).toBe(2);
    expect(s.chainAt(2)).toBe(chainHash(chainHash(CHAIN_ORIGIN, ent(1, 1)), ent(2, 2, 9)));
  });
  it('refuses writes only a broken core would make', () => {
    const s = new SimStorage(noSnap);
    s.writeEntries([ent(1, 2)]);
    expect(() => s.writeEntries([ent(3, 2)])).toThrow(/gap/);
    expect(() => s.writeEntries([ent(2, 1)])).toThrow(/term decreases/);
    s.writeHardState({ term: term(2), vote: nodeId('n1'), commit: logIndex(1) });
    expect(() => s.writeHardState({ term: term(2), vote: nodeId('n2'), commit: logIndex(1) })).toThrow(/vote changed/);
    expect(() => s.writeHardState({ term: term(1), vote: null, commit: logIndex(1) })).toThrow(/went back/);
    expect(() => s.writeEntries([ent(1, 3)])).toThrow(/committed entry 1/);
  });
  it('compaction keeps the entries after the snapshot and survives a crash', () => {
    const snap = (i: number, t: number): Snapshot => ({ meta: { index: logIndex(i), term: term(t), conf: { voters: [], learners: [] } }, data: new Uint8Array(0) });
    const s = new SimStorage(() => 42);
    s.writeEntries([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.compact(snap(2, 1));
    s.crash(rand(3));
    expect(s.snapshotIndex).toBe(2);
    expect(s.recovered().entries.map((e) => e.index)).toEqual([3]);
    expect(s.chainAt(2)).toBe(42);
  });
});

describe('checkers', () => {
  const log = (entries: Entry[]) => {
    const s = new SimStorage(noSnap);
    if (entries.length > 0) s.writeEntries(entries);
    return s;
  };
  it('flag two leaders in one term', () => {
    const c = new Checkers();
    c.onRole('n1', 'leader', 3, log([]));
    expect(() => c.onRole('n2', 'leader', 3, log([]))).toThrow(SimViolation);
  });
  it('flag a log-matching break', () => {
    const c = new Checkers();
    c.onLogWrite('n1', log([ent(1, 1, 1), ent(2, 2)]), 1);
    expect(() => c.onLogWrite('n2', log([ent(1, 1, 2), ent(2, 2)]), 1)).toThrow(/log-matching/);
  });
  it('flag divergent applies and a leader missing a committed entry', () => {
    const c = new Checkers();
    const l1 = log([ent(1, 1), ent(2, 1)]);
    c.onRole('n1', 'leader', 1, l1);
    c.onCommit('n1', 1, 2, l1);
    c.onApply('n1', 1, l1.chainAt(1)!);
    expect(() => c.onApply('n2', 1, 12345)).toThrow(/applied-divergence/);
    expect(() => c.onRole('n2', 'leader', 2, log([ent(1, 1)]))).toThrow(/leader-completeness/);
  });
  it('flag two simultaneous lease holders, not successive ones', () => {
    const c = new Checkers();
    c.onLease('n1', true, 0);
    c.onLease('n1', false, 1);
    c.onLease('n2', true, 2);
    expect(() => c.onLease('n3', true, 3)).toThrow(/lease/);
  });
  it('flag an acknowledged entry a live voter never applied', () => {
    const c = new Checkers();
    c.onApply('n1', 1, 7);
    c.onAck(1, 'p1');
    expect(() => c.checkAcksApplied('n2', 0)).toThrow(/durability/);
  });
});

describe('clock', () => {
  it('keeps two extreme clocks within the drift bound over one election timeout', () => {
    for (const [e, d] of [[10, 1], [10, 3], [16, 2], [8, 0]]) {
      const r = maxDriftRate(e, d);
      const fast = new NodeClock(-r, 0, 0);
      const slow = new NodeClock(r, 0, 0);
      const slowTicksDuringFastE = (e * fast.periodUs) / slow.periodUs;
      expect(e - slowTicksDuringFastE).toBeLessThanOrEqual(d + 1e-9);
    }
  });
});

describe('cli', () => {
  it('parses seeds, ranges and rejects bad flags', () => {
    expect(parseCli(['--seeds', '3']).seeds).toEqual([1, 2, 3]);
    expect(parseCli(['--seeds', '2', '--from', '10']).seeds).toEqual([10, 11]);
    expect(parseCli(['--seed=7', '--verbose'])).toMatchObject({ seeds: [7], verbose: true });
    expect(parseCli(['--seeds', '1', '--steps', '50']).steps).toBe(50);
    expect(parseCli(['--seed=1', '--profile=churn', '--fault=ignoreLease'])).toMatchObject({ profile: 'churn', faults: { ignoreLease: true } });
    for (const bad of [['--seeds', 'x'], ['--seeds', '0'], ['--bogus'], ['--seed', '1', '--seeds', '2'], ['pos'], ['--profile=x'], ['--fault=none']]) {
      expect(() => parseCli(bad)).toThrow(UsageError);
    }
  });
});

describe('nemesis', () => {
  function port(): NemesisPort & { log: string[] } {
    const log: string[] = [];
    return { log, crash: (id, torn, k) => void log.push(`crash ${id} ${torn} ${k}`), cutOff: (id) => void log.push(`cut ${id}`), note: () => undefined };
  }
  it('cuts an armed leader off at its first commit of a term, once', () => {
    const n = new Nemesis(rand(1), 0);
    const p = port();
    n.armCutOnCommit();
    n.onLeader(p, 'n1', 2, 5); // first sight of n1 leading term 2: the base
    n.onLeader(p, 'n1', 2, 5);
    expect(p.log).toEqual([]);
    n.onLeader(p, 'n1', 2, 6);
    n.onLeader(p, 'n1', 2, 7);
    expect(p.log).toEqual(['cut n1']);
  });
  it('kills the next leader seen, and nothing once disarmed', () => {
    const n = new Nemesis(rand(1), 1);
    const p = port();
    n.armLeaderCrash(2, null);
    n.onLeader(p, 'n3', 4, 1);
    n.onLeader(p, 'n3', 4, 2);
    expect(p.log).toEqual(['crash n3 true 2', 'cut n3']);
    n.disarm();
    n.armLeaderCrash(0, null);
    n.onLeader(p, 'n2', 5, 1);
    n.onLeader(p, 'n2', 5, 3);
    expect(p.log).toHaveLength(2);
  });
});
