// Model-based property test of the in-memory Raft log (raft/log.ts): random sequences of the
// operations the core performs (leader appends, follower AppendEntries with conflicts, commit,
// persistence acks, applying, compaction, snapshot installs) run on a RaftLog and on a naive
// model (every entry since the last snapshot in a plain array, membership by replaying every
// conf entry from the snapshot's), and every query must agree after every step. Rules checked:
// §5.3 log matching (consistency check, conflicts truncate, committed entries are never
// overwritten: 'unsafe'), commit only moves forward and only up to the last new entry,
// membership = latest conf entry committed or not (dissertation §4.1), compaction keeps
// SNAPSHOT_KEEP_TRAILING_ENTRIES entries behind the snapshot and never past what is persisted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_KEEP_TRAILING_ENTRIES } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term, type NodeId } from '../../daemon/src/common/types.js';
import { encodeConfChange, decodeConfChange } from '../../daemon/src/raft/codec-conf.js';
import { applyConfChange } from '../../daemon/src/raft/conf.js';
import { RaftLog, bootstrapEntries } from '../../daemon/src/raft/log.js';
import type { ConfChange, ConfState, Entry, Snapshot } from '../../daemon/src/raft/types.js';

const [a, b, c] = ['a', 'b', 'c'].map(nodeId) as [NodeId, NodeId, NodeId];
const CHANGES: (ConfChange | null)[] = [
  { type: 'add-learner', node: b }, { type: 'promote', node: b }, { type: 'add-learner', node: c }, { type: 'promote', node: c },
  { type: 'remove', node: b }, { type: 'remove', node: c }, null, // null: a conf entry that does not decode (skipped)
];

function entry(index: number, t: number, conf: number | null): Entry {
  if (conf === null) return { index: logIndex(index), term: term(t), type: 'normal', data: new Uint8Array((index * 7) % 5) };
  const cc = CHANGES[conf % CHANGES.length]!;
  return { index: logIndex(index), term: term(t), type: 'conf', data: cc === null ? new Uint8Array([9]) : encodeConfChange(cc) };
}

class Model {
  offset = 0;
  offsetTerm = 0;
  baseConf: ConfState;
  /** Entries offset+1 .. last. */
  tail: Entry[];
  committed: number;
  applying = 0;
  applied = 0;
  stable = 0;
  snapshot: Snapshot | null = null;
  pending: Snapshot | null = null;

  constructor(initial: ConfState) {
    this.baseConf = { voters: [], learners: [] };
    this.tail = bootstrapEntries(initial);
    this.committed = this.tail.length;
  }
  last(): number { return this.offset + this.tail.length; }
  lastTerm(): number { return this.tail.length > 0 ? this.tail[this.tail.length - 1]!.term : this.offsetTerm; }
  termAt(i: number): number | null {
    if (i === this.offset) return this.offsetTerm;
    return i < this.offset || i > this.last() ? null : this.tail[i - this.offset - 1]!.term;
  }
  entryAt(i: number): Entry | null { return i <= this.offset || i > this.last() ? null : this.tail[i - this.offset - 1]!; }
  confAt(i: number): ConfState {
    let conf = this.baseConf;
    for (const e of this.tail) {
      if (e.index > i) break;
      if (e.type !== 'conf') continue;
      const cc = decodeConfChange(e.data);
      if (cc !== null) conf = applyConfChange(conf, cc);
    }
    return conf;
  }
  truncateAppend(ents: Entry[]): void {
    const first = ents[0]!.index;
    this.tail.length = first - this.offset - 1;
    this.tail.push(...ents);
    this.stable = Math.min(this.stable, first - 1);
  }
  commitTo(i: number): boolean {
    if (i <= this.committed) return false;
    this.committed = i;
    return true;
  }
}

type Op = { kind: 'append' | 'appendMany' | 'maybeAppend' | 'commit' | 'stable' | 'take' | 'applied' | 'compact' | 'restore' | 'snapApplied' | 'catchUp';
  x: number; y: number; z: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op['kind']>('append', 'append', 'maybeAppend', 'maybeAppend', 'maybeAppend', 'commit', 'stable', 'stable', 'take', 'applied',
    'compact', 'compact', 'appendMany', 'restore', 'snapApplied', 'catchUp'),
  x: fc.nat({ max: 1 << 20 }), y: fc.nat({ max: 1 << 20 }), z: fc.nat({ max: 1 << 20 }),
});

function check(log: RaftLog, m: Model, probe: number): void {
  const last = m.last();
  expect([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.committed, log.applying, log.applied, log.stableIndex, log.snapshotIndex()])
    .toEqual([m.offset + 1, last, m.lastTerm(), m.committed, m.applying, m.applied, m.stable, m.snapshot?.meta.index ?? 0]);
  expect([log.typedLastIndex(), log.typedLastTerm()]).toEqual([last, m.lastTerm()]);
  expect(log.snapshot).toBe(m.snapshot);
  expect(log.pendingSnapshot).toBe(m.pending);
  expect(log.conf()).toEqual(m.confAt(last));
  const confs = m.tail.filter((e) => e.type === 'conf');
  expect(log.lastConfIndex()).toBe(confs.length > 0 ? confs[confs.length - 1]!.index : 0);
  expect(log.hasNextCommitted()).toBe(m.committed > m.applying);
  expect(log.unstableEntries()).toEqual(m.tail.filter((e) => e.index > m.stable));
  const span = last - m.offset + 4;
  const pick = (k: number): number => m.offset - 2 + ((probe * (k + 3)) % span);
  for (const i of [m.offset - 1, m.offset, m.offset + 1, last, last + 1, pick(0), pick(1)]) {
    expect([i, log.termAt(i)]).toEqual([i, m.termAt(i)]);
    expect([i, log.entryAt(i)]).toEqual([i, m.entryAt(i)]);
    expect(log.matchTerm(i, m.lastTerm())).toBe(m.termAt(i) === m.lastTerm());
    if (i >= m.offset && i <= last) expect([i, log.confAt(i)]).toEqual([i, m.confAt(i)]);
    if (i > m.offset && i <= last) {
      const lo = m.offset + 1 + (probe % (i - m.offset));
      let j = i;
      while (j - 1 >= Math.max(lo, m.offset + 1) && m.termAt(j - 1) === m.termAt(i)) j--;
      expect([i, lo, log.firstIndexOfTermRun(i, lo)]).toEqual([i, lo, j]);
    }
    for (const t of [m.lastTerm(), m.lastTerm() - 1, m.lastTerm() + 1]) {
      let want: number | null = null;
      for (let k = Math.min(i, last); k >= m.offset; k--) if (m.termAt(k)! <= t) { want = k; break; }
      expect([i, t, log.lastIndexWithTermAtMost(i, t)]).toEqual([i, t, want]);
    }
  }
  for (const [idx, t] of [[last, m.lastTerm()], [last - 1, m.lastTerm()], [last + 1, m.lastTerm()], [0, m.lastTerm() + 1], [last + 5, m.lastTerm() - 1]] as const) {
    expect([idx, t, log.isUpToDate(idx, t)]).toEqual([idx, t, t > m.lastTerm() || (t === m.lastTerm() && idx >= last)]);
  }
  const lo = pick(2);
  const maxCount = 1 + (probe % 4);
  const maxBytes = probe % 9;
  let want: Entry[] | null = null;
  if (lo > m.offset) {
    want = [];
    let bytes = 0;
    for (let i = lo; i <= last && want.length < maxCount; i++) {
      const e = m.entryAt(i)!;
      if (want.length > 0 && bytes + e.data.length > maxBytes) break;
      bytes += e.data.length;
      want.push(e);
    }
  }
  expect([lo, maxCount, maxBytes, log.entriesFrom(lo, maxCount, maxBytes)]).toEqual([lo, maxCount, maxBytes, want]);
}

function run(ops: Op[]): void {
  const initial = { voters: [a], learners: [] };
  const log = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: initial }, a);
  const m = new Model(initial);
  check(log, m, 0);
  for (const op of ops) {
    const last = m.last();
    switch (op.kind) {
      case 'append': { // leader-style append, possibly replacing an uncommitted suffix
        const first = m.committed + 1 + (op.x % (last + 1 - m.committed));
        let t = m.termAt(first - 1)! + (op.z % 2);
        const ents: Entry[] = [];
        for (let k = 0; k < 1 + (op.y % 4); k++) {
          t += (op.z >> (k + 1)) & 1 & (op.y >> 3);
          ents.push(entry(first + k, t, (op.z >> (k + 5)) % 3 === 0 ? op.y + k : null));
        }
        log.append(ents);
        m.truncateAppend(ents);
        break;
      }
      case 'appendMany': { // long enough for compaction to discard entries
        const n = Math.ceil(SNAPSHOT_KEEP_TRAILING_ENTRIES / 2) + (op.x % 50);
        const ents = Array.from({ length: n }, (_, k) => entry(last + 1 + k, m.lastTerm() + (k >= n / 2 && op.y % 2 === 1 ? 1 : 0), null));
        log.append(ents);
        m.truncateAppend(ents);
        break;
      }
      case 'maybeAppend': { // a follower receives AppendEntries
        const prev = m.offset + (op.x % (last - m.offset + 2));
        const prevTerm = (m.termAt(prev) ?? m.lastTerm()) + (op.y % 5 === 0 ? 1 : 0);
        const n = op.y % 5;
        const bumped = Math.max(m.lastTerm(), prevTerm) + 1;
        let deviated = false;
        const ents: Entry[] = [];
        for (let k = 0; k < n; k++) {
          const idx = prev + 1 + k;
          const existing = m.entryAt(idx);
          if (!deviated && existing !== null && ((op.z >> k) & 1) === 1) ents.push(existing);
          else {
            deviated = true;
            ents.push(entry(idx, bumped, (op.z >> (k + 8)) % 4 === 0 ? op.x + k : null));
          }
        }
        const commit = op.z % (last + n + 3);
        let want: number | 'mismatch' | 'unsafe';
        if (m.termAt(prev) !== prevTerm) want = 'mismatch';
        else {
          const ci = ents.find((e) => e.index > m.offset && m.termAt(e.index) !== e.term)?.index ?? 0;
          if (ci !== 0 && ci <= m.committed) want = 'unsafe';
          else {
            if (ci !== 0) m.truncateAppend(ents.slice(ci - ents[0]!.index));
            m.commitTo(Math.min(commit, prev + n));
            want = prev + n;
          }
        }
        expect(log.maybeAppend(prev, prevTerm, commit, ents)).toEqual(want);
        break;
      }
      case 'catchUp': { // everything committed, persisted, handed out and applied
        const hi = m.last();
        log.commitTo(hi);
        m.commitTo(hi);
        log.stableTo(hi, m.lastTerm());
        m.stable = Math.max(m.stable, hi);
        expect(log.takeNextCommitted(hi)).toEqual(m.tail.slice(m.applying - m.offset));
        m.applying = hi;
        log.appliedTo(hi);
        m.applied = Math.max(m.applied, hi);
        break;
      }
      case 'commit': {
        const i = op.x % (last + 1);
        expect(log.commitTo(i)).toBe(m.commitTo(i));
        break;
      }
      case 'stable': {
        const i = op.x % (last + 2);
        const t = (m.termAt(i) ?? 0) + (op.y % 4 === 0 ? 1 : 0);
        log.stableTo(i, t);
        if (m.termAt(i) === t && i > m.stable) m.stable = i;
        break;
      }
      case 'take': {
        const max = 1 + (op.x % 6);
        let want: Entry[] = [];
        if (m.committed > m.applying) {
          const hi = Math.min(m.committed, m.applying + max);
          want = m.tail.slice(m.applying - m.offset, hi - m.offset);
          m.applying = hi;
        }
        expect(log.takeNextCommitted(max)).toEqual(want);
        break;
      }
      case 'applied': {
        const i = op.x % (Math.min(m.committed, m.applying) + 1);
        log.appliedTo(i);
        m.applied = Math.max(m.applied, i);
        break;
      }
      case 'compact': {
        const i = op.x % 2 === 0 ? op.x % (m.applied + 1) : Math.max(0, m.applied - (op.y % 20));
        const data = new Uint8Array([op.y & 0xff]);
        const got = log.compact(i, data);
        if (i <= (m.snapshot?.meta.index ?? 0) || i <= m.offset) {
          expect(got).toBeNull();
          break;
        }
        expect(got).toEqual({ meta: { index: i, term: m.termAt(i), conf: m.confAt(i) }, data });
        m.snapshot = got;
        const newOffset = Math.min(m.stable, Math.max(m.offset, i - SNAPSHOT_KEEP_TRAILING_ENTRIES));
        if (newOffset > m.offset) {
          m.baseConf = m.confAt(newOffset);
          m.offsetTerm = m.termAt(newOffset)!;
          m.tail = m.tail.slice(newOffset - m.offset);
          m.offset = newOffset;
        }
        break;
      }
      case 'restore': { // a snapshot from the leader, past our commit index
        const idx = m.committed + 1 + (op.x % (last - m.committed + 3));
        const s: Snapshot = { meta: { index: logIndex(idx), term: term(m.lastTerm() + (op.y % 2)),
          conf: op.z % 2 === 0 ? { voters: [a, b], learners: [] } : { voters: [a], learners: [c] } }, data: new Uint8Array([1]) };
        log.restore(s);
        Object.assign(m, { offset: idx, offsetTerm: s.meta.term, baseConf: s.meta.conf, tail: [], committed: idx, applying: idx, stable: idx,
          snapshot: s, pending: s });
        break;
      }
      case 'snapApplied': {
        const s = op.x % 2 === 0 ? m.pending : m.snapshot;
        if (s === null) break;
        log.snapshotApplied(s);
        if (m.pending === s) m.pending = null;
        if (s.meta.index > m.applied) m.applied = s.meta.index;
        break;
      }
    }
    check(log, m, op.z);
  }
}

describe('raft log against a naive model', () => {
  it('every query agrees with the model after every operation (append, AppendEntries, commit, persist, apply, compact, install)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), run), { numRuns: 100 });
  });

  it('the same after a log longer than SNAPSHOT_KEEP_TRAILING_ENTRIES was applied and compacted (entries and membership discarded behind the snapshot)', () => {
    const op = (kind: Op['kind'], x: number, y = 0, z = 0): Op => ({ kind, x, y, z });
    // Two long appends with conf entries around them, all applied, then a compaction near applied.
    const prefix = [op('append', 0, 3, 0), op('appendMany', 7, 1), op('catchUp', 0), op('append', 0, 2, 0), op('appendMany', 3), op('catchUp', 0),
      op('compact', 1, 5)];
    fc.assert(fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => run([...prefix, ...ops])), { numRuns: 10 });
  });

  it('compaction past SNAPSHOT_KEEP_TRAILING_ENTRIES: the new first index keeps its term and the membership as of it, a conf entry there included', () => {
    const x = 40; // the discard point: a conf entry that starts term 2
    const ents: Entry[] = [];
    for (let i = 3; i < x; i++) ents.push(entry(i, 1, null));
    ents.push(entry(x, 2, 0)); // add-learner b
    for (let i = x + 1; i <= x + SNAPSHOT_KEEP_TRAILING_ENTRIES + 3; i++) ents.push(entry(i, 2, null));
    const log = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: { voters: [a], learners: [] } }, a);
    log.append(ents);
    log.stableTo(log.lastIndex(), 2);
    log.commitTo(log.lastIndex());
    log.takeNextCommitted(log.lastIndex());
    log.appliedTo(log.lastIndex());
    const snap = log.compact(x + SNAPSHOT_KEEP_TRAILING_ENTRIES, new Uint8Array())!;
    expect(snap.meta).toEqual({ index: x + SNAPSHOT_KEEP_TRAILING_ENTRIES, term: 2, conf: { voters: [a], learners: [b] } });
    expect([log.firstIndex(), log.termAt(x), log.termAt(x - 1), log.entryAt(x), log.lastConfIndex()]).toEqual([x + 1, 2, null, null, 0]);
    expect(log.confAt(x)).toEqual({ voters: [a], learners: [b] });
    log.append([entry(log.lastIndex() + 1, 2, 1)]); // promote b: membership recomputed from the new base
    expect(log.conf()).toEqual({ voters: [a, b], learners: [] });
    expect(log.lastIndexWithTermAtMost(x + 10, 1)).toBeNull();
    expect(log.firstIndexOfTermRun(x + 10, 0)).toBe(x + 1);
  });

  it('refuses what would break an invariant: overwriting committed entries, a gap, decreasing terms, commit beyond the log, apply beyond commit, compact beyond applied', () => {
    const log = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: { voters: [a], learners: [] } }, a);
    expect(log.committed).toBe(2);
    expect(() => log.append([entry(2, 1, null)])).toThrow(/committed/);
    expect(() => log.append([entry(4, 1, null)])).toThrow(/gap/);
    log.append([entry(3, 2, null)]);
    expect(() => log.append([entry(4, 1, null)])).toThrow(/out of order/);
    expect(() => log.append([entry(4, 2, null), entry(6, 2, null)])).toThrow(/out of order/);
    expect(() => log.commitTo(9)).toThrow(/beyond last index/);
    log.append([]);
    expect(log.lastIndex()).toBe(4);
    log.takeNextCommitted(10);
    expect(() => log.appliedTo(3)).toThrow(/applied beyond committed/);
    expect(() => log.compact(1, new Uint8Array())).toThrow(/beyond applied/);
  });

  it('a restart restores entries after the snapshot (older ones skipped), commit clamped to the log, stable and applied at the snapshot', () => {
    const snap: Snapshot = { meta: { index: logIndex(4), term: term(2), conf: { voters: [a, b], learners: [] } }, data: new Uint8Array([7]) };
    const entries = [entry(3, 2, null), entry(4, 2, null), entry(5, 2, 1), entry(6, 3, null)];
    const log = new RaftLog({ hardState: { term: term(3), vote: null, commit: logIndex(9) }, snapshot: snap, entries, initialConf: { voters: [c], learners: [] } }, a);
    expect([log.firstIndex(), log.lastIndex(), log.committed, log.stableIndex, log.applied, log.applying, log.snapshotIndex()]).toEqual([5, 6, 6, 6, 4, 4, 4]);
    expect(log.bootstrapped).toBe(false);
    expect(log.termAt(4)).toBe(2);
    expect(log.conf()).toEqual({ voters: [a, b], learners: [] }); // promote of b: already a voter, a no-op
    const low = new RaftLog({ hardState: { term: term(3), vote: null, commit: logIndex(1) }, snapshot: snap, entries: [], initialConf: { voters: [c], learners: [] } }, a);
    expect(low.committed).toBe(4);
    expect(() => new RaftLog({ hardState: null, snapshot: null, entries: [entry(1, 1, null), entry(3, 1, null)] }, a)).toThrow(/contiguous/);
    expect(() => new RaftLog({ hardState: null, snapshot: null, entries: [entry(1, 2, null), entry(2, 1, null)] }, a)).toThrow(/decrease/);
  });

  it('membership of a restored log: the configured one when the log has no conf entry and no snapshot; otherwise the log\'s', () => {
    const hs = { term: term(1), vote: null, commit: logIndex(0) };
    const plain = new RaftLog({ hardState: hs, snapshot: null, entries: [entry(1, 1, null)], initialConf: { voters: [a, b], learners: [] } }, a);
    expect(plain.conf()).toEqual({ voters: [a, b], learners: [] });
    const withConf = new RaftLog({ hardState: hs, snapshot: null, entries: [entry(1, 1, 0)], initialConf: { voters: [a, c], learners: [] } }, a);
    expect(withConf.conf()).toEqual({ voters: [], learners: [b] });
    const none = new RaftLog({ hardState: hs, snapshot: null, entries: [entry(1, 1, null)] }, a);
    expect(none.conf()).toEqual({ voters: [], learners: [] });
    // A fresh node that is not in the founding membership is not bootstrapped and keeps an empty log.
    const joiner = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: { voters: [b], learners: [] } }, a);
    expect([joiner.bootstrapped, joiner.lastIndex(), joiner.committed]).toEqual([false, 0, 0]);
    // A fresh learner in the founding membership is bootstrapped too.
    const learner = new RaftLog({ hardState: null, snapshot: null, entries: [], initialConf: { voters: [b], learners: [a] } }, a);
    expect([learner.bootstrapped, learner.lastIndex(), learner.conf()]).toEqual([true, 3, { voters: [b], learners: [a] }]);
    // Not fresh (a hard state exists): never bootstrapped, even with no entries.
    const restarted = new RaftLog({ hardState: hs, snapshot: null, entries: [], initialConf: { voters: [a], learners: [] } }, a);
    expect([restarted.bootstrapped, restarted.lastIndex(), restarted.conf()]).toEqual([false, 0, { voters: [a], learners: [] }]);
  });
});
