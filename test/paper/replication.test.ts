// Paper tests: log replication (§5.3), commitment (§5.4.2, Figure 8), state machine safety
// (§5.4.3) and follower/candidate crashes (§5.5).
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import type { Message, MsgApp } from '../../daemon/src/raft/types.js';
import { BOOT3, E, Net, bytes, config, constPrng } from './harness.js';

const a = nodeId('a');
const b = nodeId('b');
const c = nodeId('c');

function follower(logTerms: number[], commit = 0): RawNode {
  const entries = logTerms.map((t, i) => ({ index: logIndex(i + 1), term: term(t), type: 'normal' as const, data: bytes(`${i + 1}@${t}`) }));
  return new RawNode(config(b), { hardState: { term: term(Math.max(0, ...logTerms)), vote: null, commit: logIndex(commit) }, snapshot: null,
    entries, initialConf: { voters: [a, b, c], learners: [] } }, constPrng(E - 1));
}

function app(t: number, prevIndex: number, prevTerm: number, ents: [number, number][], commit = 0): MsgApp {
  return { type: 'app', from: a, to: b, term: term(t), index: logIndex(prevIndex), logTerm: term(prevTerm),
    entries: ents.map(([i, et]) => ({ index: logIndex(i), term: term(et), type: 'normal' as const, data: bytes(`${i}@${et}`) })),
    commit: logIndex(commit), round: 1, roundTick: 0 };
}

function out(rn: RawNode): { msgs: Message[]; entries: string[] } {
  const rd = rn.ready();
  rn.advance(rd);
  return { msgs: rd.messages, entries: rd.entries.map((e) => `${e.index}@${e.term}`) };
}

describe('§5.3 log replication', () => {
  it('§5.3 the leader replicates a command and commits it once a majority stores it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['x']);
    expect(net.appliedData('b')).toEqual(['x']);
    net.crash('b');
    net.rn('a').propose(bytes('y'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['x']); // only the leader holds y: not committed
    expect(net.rn('a').status().commit).toBe(BOOT3 + 2); // bootstrap conf entries, no-op, x
  });

  it('§5.3 log matching: after replication every log equals the leader\'s (same index and term)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    for (let i = 0; i < 30; i++) net.rn('a').propose(bytes(`v${i}`));
    net.stabilize();
    net.tickAll(2);
    expect(net.log('b')).toEqual(net.log('a'));
    expect(net.log('c')).toEqual(net.log('a'));
    expect(net.appliedData('c')).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`));
  });

  it('§5.3 consistency check: a follower rejects an append whose previous entry does not match', () => {
    const rn = follower([1, 1, 2]);
    rn.step(app(3, 3, 3, [[4, 3]]));
    const r = out(rn);
    expect(r.msgs[0]).toMatchObject({ type: 'app-resp', reject: true, index: 3, logTerm: 2, rejectHint: 3 });
    expect(r.entries).toEqual([]);
    expect(rn.status().lastIndex).toBe(3);
    rn.step(app(3, 5, 3, [[6, 3]])); // beyond our log: hint is our last index + 1
    expect(out(rn).msgs[0]).toMatchObject({ reject: true, index: 5, logTerm: 0, rejectHint: 4 });
  });

  it('§5.3 conflicting entries are deleted and replaced by the leader\'s, earlier ones kept', () => {
    const rn = follower([1, 1, 2, 2, 2]);
    rn.step(app(3, 2, 1, [[3, 3], [4, 3]], 4));
    const r = out(rn);
    expect(r.msgs[0]).toMatchObject({ type: 'app-resp', reject: false, index: 4 });
    expect(r.entries).toEqual(['3@3', '4@3']); // the overwritten suffix is handed out again
    expect(rn.status()).toMatchObject({ lastIndex: 4, commit: 4 });
  });

  it('§5.3 an append that matches existing entries is idempotent and never truncates them', () => {
    const rn = follower([1, 1, 2, 2]);
    rn.step(app(2, 1, 1, [[2, 1], [3, 2]], 0));
    const r = out(rn);
    expect(r.msgs[0]).toMatchObject({ reject: false, index: 3 });
    expect(r.entries).toEqual([]);
    expect(rn.status().lastIndex).toBe(4);
  });

  it('§5.3 a follower never truncates committed entries: a stale append below its commit is answered with its commit', () => {
    const rn = follower([1, 1, 2], 3);
    rn.step(app(3, 1, 1, [[2, 3]]));
    const r = out(rn);
    expect(r.msgs[0]).toMatchObject({ type: 'app-resp', reject: false, index: 3 });
    expect(r.entries).toEqual([]);
    expect(rn.status()).toMatchObject({ lastIndex: 3, commit: 3 });
  });

  it('§5.3 the leader never overwrites or deletes its own entries (leader append-only)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], logs: {
      a: { term: 3, entries: [[1, 1], [2, 3]] },
      b: { term: 3, entries: [[1, 1], [2, 2], [3, 2], [4, 2]] },
      c: { term: 3, entries: [[1, 1]] },
    } });
    net.elect('a');
    const before = net.log('a');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    const after = net.log('a');
    expect(after.slice(0, before.length)).toEqual(before);
    expect(net.log('b')).toEqual(after);
  });

  it('§5.3 nextIndex backs off by conflicting term, not one entry per round trip', () => {
    const divergent: [number, number][] = [[1, 1]];
    for (let i = 2; i <= 60; i++) divergent.push([i, 2]);
    const net = new Net({ voters: ['a', 'b', 'c'], logs: {
      a: { term: 3, entries: [[1, 1], [2, 3]] },
      b: { term: 3, entries: divergent },
      c: { term: 3, entries: [[1, 1], [2, 3]] },
    } });
    net.elect('a');
    net.tickAll(2);
    const rejects = net.sent.filter((m) => m.type === 'app-resp' && m.from === 'b' && m.reject);
    expect(rejects.length).toBeGreaterThan(0);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(net.log('b')).toEqual(net.log('a'));
  });

  it('§5.3 pipelining: at most maxInflightAppends unacknowledged appends to a follower', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], config: { maxInflightAppends: 4, maxEntriesPerAppend: 1 } });
    net.elect('a');
    net.filter = (m) => !(m.type === 'app-resp' && m.from === 'b');
    for (let i = 0; i < 20; i++) net.rn('a').propose(bytes(`p${i}`));
    net.stabilize();
    const toB = net.sent.filter((m): m is MsgApp => m.type === 'app' && m.to === 'b' && m.entries.length > 0 && m.entries[0]!.index > BOOT3 + 1);
    expect(toB.length).toBe(4);
    expect(net.appliedData('a')).toHaveLength(20); // c acks: commit goes on
  });

  it('§5.3 batching: one append carries many entries, at most maxEntriesPerAppend', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('b');
    for (let i = 0; i < 40; i++) net.rn('a').propose(bytes(`p${i}`));
    net.stabilize();
    net.restart('b');
    const sentBefore = net.sent.length;
    net.tickAll(3);
    const toB = net.sent.slice(sentBefore).filter((m): m is MsgApp => m.type === 'app' && m.to === 'b' && m.entries.length > 0);
    expect(Math.max(...toB.map((m) => m.entries.length))).toBe(16);
    expect(toB.length).toBeLessThanOrEqual(4);
    expect(net.log('b')).toEqual(net.log('a'));
  });
});

describe('§5.4.2 committing entries from previous terms', () => {
  // Figure 8: s1 leads term 4 with 2@2 on a majority {s1,s2,s3}; s5 holds 2@3.
  const figure8 = (faults = {}): Net => new Net({ voters: ['s1', 's2', 's3', 's4', 's5'], faults, logs: {
    s1: { term: 3, entries: [[1, 1], [2, 2]] }, s2: { term: 3, entries: [[1, 1], [2, 2]] },
    s3: { term: 3, entries: [[1, 1], [2, 2]] }, s4: { term: 3, entries: [[1, 1]] }, s5: { term: 3, entries: [[1, 1], [2, 3]] },
  } });
  const ack = (from: string, index: number): Message => ({ type: 'app-resp', from: nodeId(from), to: nodeId('s1'), term: term(4),
    index: logIndex(index), reject: false, rejectHint: logIndex(0), logTerm: term(0), round: 1, roundTick: 0 });

  function electS1WithoutReplication(net: Net): void {
    net.filter = (m) => !(m.type === 'app' && m.from === 's1');
    net.elect('s1');
    expect(net.rn('s1').status().term).toBe(4);
  }

  it('§5.4.2 Figure 8: a leader does not commit a previous-term entry by counting replicas', () => {
    const net = figure8();
    electS1WithoutReplication(net);
    net.rn('s1').step(ack('s2', 2));
    net.rn('s1').step(ack('s3', 2));
    net.stabilize();
    expect(net.rn('s1').status().commit).toBe(0);
    // Now s1 crashes; s5 (last term 3) can win and overwrite 2@2 -- harmless, it was never committed.
    net.filter = null;
    net.crash('s1');
    for (let i = 0; i < 4 * E; i++) net.tickAll(1);
    const leader = net.leaders()[0]!;
    expect(leader).toBe('s5');
    expect(net.log('s2')).toContain('2@3');
  });

  it('§5.4.2 Figure 8: the TEST-ONLY fault commitPreviousTermByCounting commits it (and loses it)', () => {
    const net = figure8({ commitPreviousTermByCounting: true });
    electS1WithoutReplication(net);
    net.rn('s1').step(ack('s2', 2));
    net.rn('s1').step(ack('s3', 2));
    net.stabilize();
    expect(net.rn('s1').status().commit).toBe(2); // the broken rule commits 2@2
    expect(net.node('s1').applied.map((e) => `${e.index}@${e.term}`)).toContain('2@2');
  });

  it('§5.4.2 a previous-term entry commits indirectly with the first entry of the current term', () => {
    const net = figure8();
    electS1WithoutReplication(net);
    net.filter = null;
    net.tickAll(2);
    const st = net.rn('s1').status();
    expect(st.commit).toBe(3);
    expect(net.node('s2').applied.map((e) => `${e.index}@${e.term}`)).toEqual(['1@1', '2@2', '3@4']);
  });
});

describe('§5.4.3 state machine safety and §5.5 crashes', () => {
  it('§5.4.3 every node applies the same entries in the same order across leader changes', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], prng: (id) => constPrng(id === 'b' ? 2 : 7) });
    net.elect('a');
    for (let i = 0; i < 5; i++) net.rn('a').propose(bytes(`a${i}`));
    net.stabilize();
    net.crash('a');
    net.tickAll(3 * E);
    const l2 = net.leaders()[0]!;
    for (let i = 0; i < 5; i++) net.rn(l2).propose(bytes(`b${i}`));
    net.stabilize();
    net.restart('a');
    net.tickAll(3 * E);
    const expected = [...Array.from({ length: 5 }, (_, i) => `a${i}`), ...Array.from({ length: 5 }, (_, i) => `b${i}`)];
    for (const id of ['a', 'b', 'c']) expect(net.appliedData(id)).toEqual(expected);
  });

  it('§5.5 a crashed follower catches up after restart; retried appends are harmless', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    for (let i = 0; i < 10; i++) net.rn('a').propose(bytes(`v${i}`));
    net.stabilize();
    net.restart('c');
    // duplicate every append to c: idempotent
    const duplicated = new Set<Message>();
    const dup = (m: Message): boolean => {
      if (m.type === 'app' && m.to === 'c' && !duplicated.has(m)) {
        duplicated.add(m);
        net.queue.push(m);
      }
      return true;
    };
    net.filter = dup;
    net.tickAll(3);
    net.filter = null;
    expect(net.log('c')).toEqual(net.log('a'));
    expect(net.appliedData('c')).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });

  it('§5.5 a vote is durable before it is sent: after a crash the node does not vote twice in a term', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.warmUp();
    const rc = net.rn('c');
    rc.step({ type: 'vote', from: a, to: c, term: term(2), index: logIndex(BOOT3), logTerm: term(1), transfer: false });
    const rd = rc.ready();
    expect(rd.messages[0]).toMatchObject({ type: 'vote-resp', reject: false });
    expect(rd.hardState).toMatchObject({ term: 2, vote: 'a' });
    expect(rd.mustSync).toBe(true);
    net.node('c').storage.persist(rd.snapshot, rd.entries, rd.hardState, rd.mustSync);
    net.crash('c');
    net.restart('c');
    const r2 = net.rn('c');
    for (let i = 0; i < E; i++) r2.tick();
    r2.step({ type: 'vote', from: b, to: c, term: term(2), index: logIndex(BOOT3 + 5), logTerm: term(1), transfer: false });
    const rd2 = r2.ready();
    expect(rd2.messages[0]).toMatchObject({ type: 'vote-resp', reject: true });
  });

  it('§5.5 a restarted node keeps its log and term and rejoins without losing committed entries', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    for (let i = 0; i < 5; i++) net.rn('a').propose(bytes(`v${i}`));
    net.stabilize();
    for (const id of ['a', 'b', 'c']) net.crash(id);
    for (const id of ['a', 'b', 'c']) net.restart(id);
    expect(net.rn('b').status()).toMatchObject({ term: 2, lastIndex: BOOT3 + 6 });
    net.tickAll(4 * E);
    expect(net.leaders()).toHaveLength(1);
    for (const id of ['a', 'b', 'c']) expect(net.appliedData(id)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });
});
