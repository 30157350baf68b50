// Unit tests for the in-memory Raft log (raft/log.ts), membership replay (raft/conf.ts) and
// the seeded PRNG (raft/prng.ts).
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_KEEP_TRAILING_ENTRIES } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { encodeConfChange } from '../../daemon/src/raft/codec.js';
import { applyConfChange, confChangeError } from '../../daemon/src/raft/conf.js';
import { RaftLog, bootstrapEntries } from '../../daemon/src/raft/log.js';
import { createPrng, randomBelow } from '../../daemon/src/raft/prng.js';
import type { ConfChange, Entry } from '../../daemon/src/raft/types.js';

const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(nodeId) as [ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>, ReturnType<typeof nodeId>];
const ent = (i: number, t: number): Entry => ({ index: logIndex(i), term: term(t), type: 'normal', data: new Uint8Array([i & 0xff]) });
const confEnt = (i: number, t: number, cc: ConfChange): Entry => ({ index: logIndex(i), term: term(t), type: 'conf', data: encodeConfChange(cc) });

describe('RaftLog', () => {
  it('bootstraps founding members as committed conf entries; joiners start empty', () => {
    const founding = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: { voters: [b, a], learners: [c] } }, a);
    expect(founding.bootstrapped).toBe(true);
    expect(founding.lastIndex()).toBe(5);
    expect(founding.committed).toBe(5);
    expect(founding.stableIndex).toBe(0); // to be persisted by the first Ready
    expect(founding.conf()).toEqual({ voters: ['a', 'b'], learners: ['c'] });
    expect(bootstrapEntries({ voters: [b, a], learners: [c] })).toEqual(founding.unstableEntries());
    const joiner = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: { voters: [a, b], learners: [] } }, d);
    expect(joiner.bootstrapped).toBe(false);
    expect(joiner.lastIndex()).toBe(0);
    expect(joiner.conf()).toEqual({ voters: [], learners: [] });
  });

  it('membership is the latest conf entry in the log, committed or not, and follows truncation', () => {
    const log = new RaftLog({ hardState: { term: term(1), vote: null, commit: logIndex(0) }, snapshot: null, entries: [],
      initialConf: { voters: [a, b, c], learners: [] } }, a);
    log.append([ent(1, 1), confEnt(2, 1, { type: 'add-learner', node: d }), confEnt(3, 1, { type: 'promote', node: d })]);
    expect(log.conf().voters).toEqual(['a', 'b', 'c', 'd']);
    expect(log.confAt(2)).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    log.append([ent(3, 2)]);
    expect(log.conf()).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(log.stableIndex).toBe(0);
    expect(log.lastConfIndex()).toBe(2);
  });

  it('maybeAppend checks consistency, skips matching entries and reports the match', () => {
    const log = new RaftLog({ hardState: { term: term(2), vote: null, commit: logIndex(0) }, snapshot: null,
      entries: [ent(1, 1), ent(2, 1), ent(3, 2)], initialConf: { voters: [a], learners: [] } }, a);
    expect(log.maybeAppend(3, 1, 0, [ent(4, 3)])).toBe('mismatch');
    expect(log.maybeAppend(1, 1, 2, [ent(2, 1)])).toBe(2);
    expect(log.lastIndex()).toBe(3); // nothing truncated
    expect(log.committed).toBe(2);
    expect(log.maybeAppend(2, 1, 9, [ent(3, 3), ent(4, 3)])).toBe(4);
    expect(log.termAt(3)).toBe(3);
    expect(log.committed).toBe(4);
    expect(log.firstIndexOfTermRun(4, 1)).toBe(3);
    expect(log.lastIndexWithTermAtMost(4, 2)).toBe(2);
  });

  it('compact keeps SNAPSHOT_KEEP_TRAILING_ENTRIES behind the snapshot and the membership of the snapshot index', () => {
    const n = SNAPSHOT_KEEP_TRAILING_ENTRIES + 300;
    const entries = [...bootstrapEntries({ voters: [a], learners: [] }), confEnt(3, 1, { type: 'add-learner', node: d }),
      ...Array.from({ length: n - 3 }, (_, i) => ent(i + 4, 1))];
    const log = new RaftLog({ hardState: { term: term(1), vote: null, commit: logIndex(n) }, snapshot: null, entries,
      initialConf: { voters: [a], learners: [] } }, a);
    log.takeNextCommitted(n);
    log.appliedTo(n - 10);
    expect(() => log.compact(n, new Uint8Array())).toThrow();
    const snap = log.compact(n - 10, new Uint8Array([1]))!;
    expect(snap.meta).toEqual({ index: n - 10, term: 1, conf: { voters: ['a'], learners: ['d'] } });
    expect(log.firstIndex()).toBe(n - 10 - SNAPSHOT_KEEP_TRAILING_ENTRIES + 1);
    expect(log.termAt(log.firstIndex() - 2)).toBeNull();
    expect(log.conf()).toEqual({ voters: ['a'], learners: ['d'] });
    expect(log.entriesFrom(log.firstIndex() - 1, 10, 1000)).toBeNull();
    expect(log.entriesFrom(log.firstIndex(), 10, 1000)).toHaveLength(10);
    expect(log.entriesFrom(log.firstIndex(), 10, 2)).toHaveLength(2); // bounded by bytes
  });
});

describe('conf changes', () => {
  it('are total: inapplicable changes are no-ops, and errors are reported with stable codes', () => {
    const c0 = { voters: [a], learners: [] };
    expect(applyConfChange(c0, { type: 'promote', node: b })).toBe(c0);
    expect(confChangeError(c0, { type: 'remove', node: a })).toBe('E_INVALID_STATE');
    expect(confChangeError(c0, { type: 'promote', node: b })).toBe('E_UNKNOWN_NODE');
    expect(applyConfChange(applyConfChange(c0, { type: 'add-learner', node: b }), { type: 'promote', node: b })).toEqual({ voters: ['a', 'b'], learners: [] });
  });
});

describe('prng', () => {
  it('is deterministic per seed, differs across seeds and is roughly uniform', () => {
    const seq = (s: number): number[] => { const p = createPrng(s); return Array.from({ length: 8 }, () => p.nextU32()); };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    const p = createPrng(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[randomBelow(p, 10)]!++;
    for (const n of buckets) expect(Math.abs(n - 10_000)).toBeLessThan(500);
    expect(seq(0).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });
});
