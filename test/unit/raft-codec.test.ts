// Unit/property tests for the Raft wire/storage codec (raft/codec.ts): round trips, and
// decoding of arbitrary or corrupted bytes never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import {
  decodeConfChange, decodeEntry, decodeMessage, decodeSnapshotMeta, encodeConfChange, encodeEntry, encodeMessage, encodeSnapshotMeta,
} from '../../daemon/src/raft/codec.js';
import type { Entry, Message } from '../../daemon/src/raft/types.js';

const id = fc.constantFrom('a', 'b', 'node-3', 'n.4_x').map(nodeId);
const small = fc.nat({ max: 1_000_000 });
const big = fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER - 1);
const num = fc.oneof(small, big);
const data = fc.uint8Array({ maxLength: 64 });

function entries(prevIndex: number, prevTerm: number, maxTerm: number): fc.Arbitrary<Entry[]> {
  // terms never decrease: they jump to maxTerm from the first 'bump' on
  return fc.array(fc.tuple(fc.boolean(), data), { maxLength: 5 }).map((xs) => {
    let bumped = false;
    return xs.map(([bump, d], i) => {
      bumped ||= bump;
      return { index: logIndex(prevIndex + 1 + i), term: term(bumped ? maxTerm : Math.max(prevTerm, 1)), type: 'normal' as const, data: d };
    });
  });
}

const messageArb: fc.Arbitrary<Message> = fc.tuple(id, id, fc.integer({ min: 2, max: 1_000_000 }), fc.nat({ max: 14 }), small, num, fc.boolean(), fc.string({ maxLength: 40 }))
  .chain(([from, to, t, kind, idx, n, flag, ctx]) => {
    const base = { from, to, term: term(t) };
    switch (kind) {
      case 0: return entries(idx + 1, 1, t).map((es): Message => ({ type: 'app', ...base, index: logIndex(idx + 1), logTerm: term(1), entries: es,
        commit: logIndex(n), round: n, roundTick: idx }));
      case 1: return fc.constant<Message>({ type: 'app-resp', ...base, index: logIndex(idx), reject: flag, rejectHint: logIndex(n), logTerm: term(t - 1), round: idx, roundTick: n });
      case 2: return fc.constant<Message>({ type: 'heartbeat', ...base, commit: logIndex(n), round: idx, roundTick: idx });
      case 3: return fc.constant<Message>({ type: 'heartbeat-resp', ...base, round: n, roundTick: idx });
      case 4: return fc.constant<Message>({ type: flag ? 'vote' : 'pre-vote', ...base, index: logIndex(n), logTerm: term(t - 1), transfer: !flag });
      case 5: return fc.constant<Message>({ type: flag ? 'vote-resp' : 'pre-vote-resp', ...base, reject: flag,
        ...(idx % 2 === 0 ? { leaseBypass: true, leaseHeardAgoTicks: n } : { leaseBypass: false }) });
      case 6: return fc.uint8Array({ minLength: 1, maxLength: 64 }).map((chunk): Message => ({ type: 'snap', ...base, meta: { index: logIndex(idx + 1), term: term(1),
        conf: { voters: [nodeId('a'), nodeId('b')], learners: [nodeId('c')] } }, offsetBytes: 5, totalBytes: chunk.length + 5 + (flag ? 3 : 0), chunk }));
      case 7: return fc.constant<Message>({ type: 'snap-resp', ...base, index: logIndex(idx), nextOffsetBytes: idx, reject: flag });
      case 8: return fc.array(data, { minLength: 1, maxLength: 3 }).map((ds): Message => ({ type: 'prop', ...base,
        entries: ds.map((d) => ({ index: logIndex(0), term: term(0), type: 'normal' as const, data: d })) }));
      case 9: return fc.constant<Message>({ type: 'read-index', ...base, requestCtx: ctx });
      case 10: return fc.constant<Message>({ type: 'read-index-resp', ...base, requestCtx: ctx, index: logIndex(n) });
      case 11: return fc.constant<Message>({ type: 'timeout-now', ...base });
      default: return id.map((target): Message => ({ type: 'transfer-leader', ...base, target }));
    }
  });

describe('raft codec', () => {
  it('every valid message round-trips', () => {
    fc.assert(fc.property(messageArb, (m) => {
      expect(decodeMessage(encodeMessage(m))).toEqual(m);
    }), { numRuns: 3000 });
  });

  it('decoding arbitrary bytes never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const m = decodeMessage(b);
      if (m !== null) expect(decodeMessage(encodeMessage(m))).toEqual(m);
      decodeEntry(b);
      decodeConfChange(b);
      decodeSnapshotMeta(b);
    }), { numRuns: 5000 });
  });

  it('truncated, extended or corrupted encodings never throw and are mostly rejected', () => {
    fc.assert(fc.property(messageArb, fc.nat(), fc.nat({ max: 255 }), (m, pos, byte) => {
      const b = encodeMessage(m);
      expect(decodeMessage(b.subarray(0, pos % b.length))).toBeNull();
      const ext = new Uint8Array(b.length + 1);
      ext.set(b);
      expect(decodeMessage(ext)).toBeNull();
      const flipped = b.slice();
      flipped[pos % b.length] = byte;
      decodeMessage(flipped); // may or may not be valid, must not throw
    }), { numRuns: 2000 });
  });

  it('rejects a wrong version, an unknown type and unsafe integers', () => {
    const m: Message = { type: 'timeout-now', from: nodeId('a'), to: nodeId('b'), term: term(3) };
    const b = encodeMessage(m);
    expect(decodeMessage(b)).toEqual(m);
    const v = b.slice(); v[0] = 1; // version 1 (before leaseBypass) is no longer spoken
    expect(decodeMessage(v)).toBeNull();
    const t = b.slice(); t[1] = 99;
    expect(decodeMessage(t)).toBeNull();
    const hb = encodeMessage({ type: 'heartbeat', from: nodeId('a'), to: nodeId('b'), term: term(3), commit: logIndex(1), round: 1, roundTick: 1 });
    const termOffset = 2 + 2 + 1 + 2 + 1; // version, type, "a", "b"
    const bad = hb.slice(); bad[termOffset] = 0xff; // high word beyond 2^53
    expect(decodeMessage(bad)).toBeNull();
  });

  it('entries, conf changes and snapshot metadata round-trip; invalid ones decode to null', () => {
    const e: Entry = { index: logIndex(7), term: term(3), type: 'conf', data: encodeConfChange({ type: 'promote', node: nodeId('d') }) };
    expect(decodeEntry(encodeEntry(e))).toEqual(e);
    expect(decodeConfChange(e.data)).toEqual({ type: 'promote', node: 'd' });
    expect(decodeEntry(encodeEntry({ ...e, data: new Uint8Array([1, 2]) }))).toBeNull(); // conf entry with bad data
    expect(decodeEntry(encodeEntry({ ...e, index: logIndex(0) }))).toBeNull();
    expect(decodeConfChange(new Uint8Array([1, 9, 0, 1, 97]))).toBeNull();
    const meta = { index: logIndex(9), term: term(2), conf: { voters: [nodeId('a')], learners: [nodeId('b')] } };
    expect(decodeSnapshotMeta(encodeSnapshotMeta(meta))).toEqual(meta);
    expect(decodeSnapshotMeta(encodeSnapshotMeta({ ...meta, conf: { voters: [nodeId('a')], learners: [nodeId('a')] } }))).toBeNull();
  });
});
