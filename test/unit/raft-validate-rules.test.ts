// Unit tests of raft/validate.ts rule by rule: every message type's valid form comes back as a
// fresh object with exactly the known fields, each bound (limits.ts, exact term arithmetic) is
// accepted at its value and refused one past it, and each field's rule refuses a bad value.
import { describe, expect, it } from 'vitest';
import {
  RAFT_MAX_APPEND_BYTES, RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_ENTRY_BYTES, RAFT_MAX_MEMBERS, RAFT_MAX_READ_CTX_CHARS,
  SNAPSHOT_CHUNK_BYTES, SNAPSHOT_MAX_BYTES,
} from '../../daemon/src/common/limits.js';
import { encodeConfChange } from '../../daemon/src/raft/codec-conf.js';
import { validateConf, validateEntry, validateMessage, validateSnapshotMeta } from '../../daemon/src/raft/validate.js';

const MAX = Number.MAX_SAFE_INTEGER;
const base = { from: 'b', to: 'a', term: 5 };
const entry = (index: number, term: number, data: Uint8Array = new Uint8Array(1), type = 'normal'): Record<string, unknown> => ({ index, term, type, data });
const app = { type: 'app', ...base, index: 6, logTerm: 1, entries: [] as unknown[], commit: 0, round: 1, roundTick: 2 };
const conf = { voters: ['a', 'b'], learners: ['c'] };
const snap = { type: 'snap', ...base, meta: { index: 9, term: 5, conf }, offsetBytes: 0, totalBytes: 2, chunk: new Uint8Array(2) };

/** Each message with one field replaced is refused. */
function refusesEach(msg: Record<string, unknown>, bad: Record<string, unknown[]>): void {
  for (const [k, values] of Object.entries(bad)) for (const v of values) expect([k, v, validateMessage({ ...msg, [k]: v })]).toEqual([k, v, null]);
}

describe('entries, memberships, snapshot metadata', () => {
  it('an entry is a fresh object of its four fields; index and term start at 1, proposals carry 0 and 0', () => {
    const e = { ...entry(3, 2), extra: 1 };
    const v = validateEntry(e);
    expect(v).toEqual(entry(3, 2));
    expect(v).not.toBe(e);
    expect(validateEntry(entry(1, 1))).toEqual(entry(1, 1));
    expect(validateEntry(entry(0, 1))).toBeNull();
    expect(validateEntry(entry(1, 0))).toBeNull();
    expect(validateEntry(entry(0, 0), true)).toEqual(entry(0, 0));
    expect(validateEntry(entry(0, 1), true)).toBeNull();
    expect(validateEntry(entry(1, 0), true)).toBeNull();
    expect(validateEntry(entry(MAX - 1, MAX - 1))).toEqual(entry(MAX - 1, MAX - 1));
    expect(validateEntry(entry(MAX, 1))).toBeNull();
    expect(validateEntry(entry(1, MAX))).toBeNull();
    expect(validateEntry(null)).toBeNull();
    expect(validateEntry([entry(1, 1)])).toBeNull();
  });
  it(`an entry is normal or conf (a decodable conf change), with at most ${RAFT_MAX_ENTRY_BYTES} bytes of data`, () => {
    expect(validateEntry(entry(1, 1, new Uint8Array(RAFT_MAX_ENTRY_BYTES)))).not.toBeNull();
    expect(validateEntry(entry(1, 1, new Uint8Array(RAFT_MAX_ENTRY_BYTES + 1)))).toBeNull();
    expect(validateEntry(entry(1, 1, new Uint8Array(0)))).toEqual(entry(1, 1, new Uint8Array(0)));
    expect(validateEntry({ ...entry(1, 1), data: [1] })).toBeNull();
    expect(validateEntry(entry(1, 1, new Uint8Array(1), 'other'))).toBeNull();
    const cc = encodeConfChange({ type: 'promote', node: 'n1' as never });
    expect(validateEntry(entry(1, 1, cc, 'conf'))).toEqual(entry(1, 1, cc, 'conf'));
    expect(validateEntry(entry(1, 1, new Uint8Array([1]), 'conf'))).toBeNull();
  });
  it('a membership lists node ids, each once, sorted, at most RAFT_MAX_MEMBERS in all', () => {
    expect(validateConf({ voters: ['b', 'a'], learners: ['c'], extra: 1 })).toEqual({ voters: ['a', 'b'], learners: ['c'] });
    expect(validateConf({ voters: ['a'], learners: ['a'] })).toBeNull();
    expect(validateConf({ voters: ['a'], learners: 'b' })).toBeNull();
    expect(validateConf({ voters: 'a', learners: [] })).toBeNull();
    expect(validateConf({ voters: ['a b'], learners: [] })).toBeNull();
    expect(validateConf({ voters: ['a', 'b c'], learners: [] })).toBeNull();
    expect(validateConf({ voters: ['a'], learners: [''] })).toBeNull();
    expect(validateConf(null)).toBeNull();
    expect(validateConf([])).toBeNull();
    const ids = Array.from({ length: RAFT_MAX_MEMBERS + 1 }, (_, i) => `n${i}`);
    expect(validateConf({ voters: ids.slice(0, RAFT_MAX_MEMBERS), learners: [] })).not.toBeNull();
    expect(validateConf({ voters: ids, learners: [] })).toBeNull();
  });
  it('snapshot metadata has index and term >= 1 and a valid membership', () => {
    expect(validateSnapshotMeta({ index: 1, term: 1, conf, extra: 1 })).toEqual({ index: 1, term: 1, conf: { voters: ['a', 'b'], learners: ['c'] } });
    expect(validateSnapshotMeta({ index: 0, term: 1, conf })).toBeNull();
    expect(validateSnapshotMeta({ index: 1, term: 0, conf })).toBeNull();
    expect(validateSnapshotMeta({ index: MAX, term: 1, conf })).toBeNull();
    expect(validateSnapshotMeta({ index: 1, term: MAX, conf })).toBeNull();
    expect(validateSnapshotMeta({ index: 1, term: 1, conf: { voters: [] } })).toBeNull();
    for (const notRecord of [null, undefined, 7, 'meta', true]) expect(validateSnapshotMeta(notRecord)).toBeNull();
    expect(validateSnapshotMeta('x')).toBeNull();
  });
});

describe('messages', () => {
  it('every message names a valid sender, receiver and a term that can still be incremented', () => {
    expect(validateMessage({ type: 'timeout-now', ...base, extra: 1 })).toEqual({ type: 'timeout-now', ...base });
    expect(validateMessage({ type: 'timeout-now', ...base, term: MAX - 1 })).toEqual({ type: 'timeout-now', ...base, term: MAX - 1 });
    refusesEach({ type: 'timeout-now', ...base }, { from: ['', 'a b', 3], to: [null, '-a'], term: [MAX, -1, 1.5, '1'], type: ['nope', undefined] });
    expect(validateMessage(null)).toBeNull();
    expect(validateMessage([base])).toBeNull();
    expect(validateMessage(new Proxy({}, { get() { throw new Error('hostile'); } }))).toBeNull();
  });
  it('app: previous index/term (both 0 or both set, term <= message term), entries consecutive with terms in [prev term, message term]', () => {
    expect(validateMessage({ ...app, extra: 1 })).toEqual(app);
    expect(validateMessage({ ...app, index: 0, logTerm: 0 })).toEqual({ ...app, index: 0, logTerm: 0 });
    expect(validateMessage({ ...app, logTerm: 5 })).toEqual({ ...app, logTerm: 5 });
    refusesEach(app, {
      index: [0, -1, MAX], logTerm: [0, 6, MAX, 'x'], commit: [-1, MAX], round: [-1, 0.5], roundTick: [-1, 'x'], entries: ['x', null],
    });
    const es = [entry(7, 1), entry(8, 3), entry(9, 5)];
    expect(validateMessage({ ...app, entries: es })).toEqual({ ...app, entries: es });
    refusesEach(app, { entries: [[entry(8, 1)], [entry(6, 1)], [entry(7, 6)], [entry(7, 3), entry(8, 2)], [entry(7, 1), null]] });
    expect(validateMessage({ ...app, logTerm: 3, entries: [entry(7, 2)] })).toBeNull(); // below the previous term
  });
  it(`app: at most ${RAFT_MAX_ENTRIES_PER_APPEND} entries and ${RAFT_MAX_APPEND_BYTES} bytes`, () => {
    const many = (n: number): unknown[] => Array.from({ length: n }, (_, i) => entry(7 + i, 1));
    expect(validateMessage({ ...app, entries: many(RAFT_MAX_ENTRIES_PER_APPEND) })).not.toBeNull();
    expect(validateMessage({ ...app, entries: many(RAFT_MAX_ENTRIES_PER_APPEND + 1) })).toBeNull();
    const big = (n: number, lastBytes: number): unknown[] => Array.from({ length: n }, (_, i) => entry(7 + i, 1, new Uint8Array(i === n - 1 ? lastBytes : RAFT_MAX_ENTRY_BYTES)));
    const count = RAFT_MAX_APPEND_BYTES / RAFT_MAX_ENTRY_BYTES;
    expect(validateMessage({ ...app, entries: big(count, RAFT_MAX_ENTRY_BYTES) })).not.toBeNull();
    expect(validateMessage({ ...app, entries: [...big(count, RAFT_MAX_ENTRY_BYTES), entry(7 + count, 1, new Uint8Array(1))] })).toBeNull();
  });
  it('app-resp, heartbeat, heartbeat-resp: counters and indexes', () => {
    const resp = { type: 'app-resp', ...base, index: 3, reject: false, rejectHint: 0, logTerm: 0, round: 0, roundTick: 0 };
    expect(validateMessage({ ...resp, extra: 1 })).toEqual(resp);
    refusesEach(resp, { index: [-1, MAX], reject: [0, 'no'], rejectHint: [-1, MAX], logTerm: [MAX], round: [-1], roundTick: [1.5] });
    const hb = { type: 'heartbeat', ...base, commit: 3, round: 1, roundTick: 4 };
    expect(validateMessage({ ...hb, extra: 1 })).toEqual(hb);
    refusesEach(hb, { commit: [MAX, -1], round: ['1'], roundTick: [-1] });
    const hbr = { type: 'heartbeat-resp', ...base, round: 1, roundTick: 4 };
    expect(validateMessage({ ...hbr, extra: 1 })).toEqual(hbr);
    refusesEach(hbr, { round: [-1], roundTick: [null] });
  });
  it('vote and pre-vote: the last log term is at most the message term; their answers carry a boolean, and a tick count exactly with a bypass', () => {
    for (const type of ['vote', 'pre-vote']) {
      const v = { type, ...base, index: 4, logTerm: 5, transfer: true };
      expect(validateMessage({ ...v, extra: 1 })).toEqual(v);
      refusesEach(v, { index: [MAX, -1], logTerm: [6, MAX], transfer: [1, undefined] });
    }
    for (const type of ['vote-resp', 'pre-vote-resp']) {
      expect(validateMessage({ type, ...base, reject: true, extra: 1 })).toEqual({ type, ...base, reject: true, leaseBypass: false });
      const bypass = { type, ...base, reject: false, leaseBypass: true, leaseHeardAgoTicks: 7 };
      expect(validateMessage({ ...bypass, extra: 1 })).toEqual(bypass);
      expect(validateMessage({ ...bypass, leaseHeardAgoTicks: 0 })).toEqual({ ...bypass, leaseHeardAgoTicks: 0 });
      refusesEach(bypass, { leaseHeardAgoTicks: [undefined, -1, 1.5, '7', 2 ** 53] });
      expect(validateMessage({ type, ...base, reject: false, leaseBypass: false, leaseHeardAgoTicks: 7 })).toBeNull();
      expect(validateMessage({ type, ...base, reject: false, leaseHeardAgoTicks: 7 })).toBeNull();
      expect(validateMessage({ type, ...base, reject: 'no' })).toBeNull();
      expect(validateMessage({ type, ...base, reject: false, leaseBypass: 1 })).toBeNull();
    }
  });
  it(`snap: metadata term <= message term, chunks of at most ${SNAPSHOT_CHUNK_BYTES} bytes within a total of at most ${SNAPSHOT_MAX_BYTES}`, () => {
    const want = { ...snap, meta: { index: 9, term: 5, conf: { voters: ['a', 'b'], learners: ['c'] } } };
    expect(validateMessage({ ...snap, extra: 1 })).toEqual(want);
    expect(validateMessage({ ...snap, offsetBytes: 1, chunk: new Uint8Array(1) })).toEqual({ ...want, offsetBytes: 1, chunk: new Uint8Array(1) });
    expect(validateMessage({ ...snap, totalBytes: 0, chunk: new Uint8Array(0) })).toEqual({ ...want, totalBytes: 0, chunk: new Uint8Array(0) });
    refusesEach(snap, {
      meta: [{ index: 9, term: 6, conf }, null], offsetBytes: [-1, 1], totalBytes: [-1, 1, SNAPSHOT_MAX_BYTES + 1], chunk: [[0, 0], new Uint8Array(0), new Uint8Array(3)],
    });
    expect(validateMessage({ ...snap, totalBytes: SNAPSHOT_MAX_BYTES, offsetBytes: SNAPSHOT_MAX_BYTES - SNAPSHOT_CHUNK_BYTES, chunk: new Uint8Array(SNAPSHOT_CHUNK_BYTES) })).not.toBeNull();
    expect(validateMessage({ ...snap, totalBytes: SNAPSHOT_MAX_BYTES, chunk: new Uint8Array(SNAPSHOT_CHUNK_BYTES + 1) })).toBeNull();
  });
  it(`snap-resp: the next offset is at most ${SNAPSHOT_MAX_BYTES}`, () => {
    const r = { type: 'snap-resp', ...base, index: 9, nextOffsetBytes: SNAPSHOT_MAX_BYTES, reject: false };
    expect(validateMessage({ ...r, extra: 1 })).toEqual(r);
    refusesEach(r, { index: [MAX, -1], nextOffsetBytes: [SNAPSHOT_MAX_BYTES + 1, -1], reject: [null] });
  });
  it(`prop: 1 to ${RAFT_MAX_ENTRIES_PER_APPEND} unassigned entries of at most ${RAFT_MAX_APPEND_BYTES} bytes`, () => {
    const p = { type: 'prop', ...base, entries: [entry(0, 0), entry(0, 0)] };
    expect(validateMessage({ ...p, extra: 1 })).toEqual(p);
    refusesEach(p, { entries: [[], 'x', [entry(1, 1)], [entry(0, 0), null]] });
    expect(validateMessage({ ...p, entries: Array.from({ length: RAFT_MAX_ENTRIES_PER_APPEND }, () => entry(0, 0)) })).not.toBeNull();
    expect(validateMessage({ ...p, entries: Array.from({ length: RAFT_MAX_ENTRIES_PER_APPEND + 1 }, () => entry(0, 0)) })).toBeNull();
    const count = RAFT_MAX_APPEND_BYTES / RAFT_MAX_ENTRY_BYTES;
    const full = Array.from({ length: count }, () => entry(0, 0, new Uint8Array(RAFT_MAX_ENTRY_BYTES)));
    expect(validateMessage({ ...p, entries: full })).not.toBeNull();
    expect(validateMessage({ ...p, entries: [...full, entry(0, 0)] })).toBeNull();
  });
  it(`read-index and its answer: a context of at most ${RAFT_MAX_READ_CTX_CHARS} characters`, () => {
    const ctx = 'x'.repeat(RAFT_MAX_READ_CTX_CHARS);
    expect(validateMessage({ type: 'read-index', ...base, requestCtx: ctx, extra: 1 })).toEqual({ type: 'read-index', ...base, requestCtx: ctx });
    refusesEach({ type: 'read-index', ...base, requestCtx: ctx }, { requestCtx: [`${ctx}x`, 5, ['x'], []] });
    const r = { type: 'read-index-resp', ...base, requestCtx: 'c', index: 4 };
    expect(validateMessage({ ...r, extra: 1 })).toEqual(r);
    refusesEach(r, { requestCtx: [`${ctx}x`, null], index: [MAX, -1] });
  });
  it('transfer-leader names a valid target', () => {
    expect(validateMessage({ type: 'transfer-leader', ...base, target: 'c', extra: 1 })).toEqual({ type: 'transfer-leader', ...base, target: 'c' });
    expect(validateMessage({ type: 'transfer-leader', ...base, target: 'c d' })).toBeNull();
  });
});
