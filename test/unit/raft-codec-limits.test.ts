// Unit tests of the Raft codec (raft/codec.ts) at its limits: the largest message of each kind
// the validator accepts also survives the wire (entry count and size, chunk size, node id and
// read context lengths in UTF-8 bytes, membership size, the largest u64 in the variable vote
// response and the snapshot reply), and unknown codes decode to null.
import { describe, expect, it } from 'vitest';
import {
  RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_ENTRY_BYTES, RAFT_MAX_MEMBERS, RAFT_MAX_READ_CTX_CHARS, SNAPSHOT_CHUNK_BYTES,
} from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term, type NodeId } from '../../daemon/src/common/types.js';
import { decodeEntry, decodeMessage, decodeSnapshotMeta, encodeEntry, encodeMessage, encodeSnapshotMeta } from '../../daemon/src/raft/codec.js';
import type { Entry, Message } from '../../daemon/src/raft/types.js';

const longId = nodeId(`n${'x'.repeat(62)}`);
const base = { from: longId, to: nodeId('b'), term: term(5) };
const roundTrip = (m: Message): void => expect(decodeMessage(encodeMessage(m))).toEqual(m);

describe('codec limits', () => {
  it(`an append of ${RAFT_MAX_ENTRIES_PER_APPEND} entries round-trips`, () => {
    const entries: Entry[] = Array.from({ length: RAFT_MAX_ENTRIES_PER_APPEND }, (_, i) => ({ index: logIndex(7 + i), term: term(5), type: 'normal', data: new Uint8Array([i & 0xff]) }));
    roundTrip({ type: 'app', ...base, index: logIndex(6), logTerm: term(1), entries, commit: logIndex(3), round: 2, roundTick: 9 });
    roundTrip({ type: 'prop', ...base, entries: entries.map((e) => ({ ...e, index: logIndex(0), term: term(0) })) });
  });
  it('an entry of the largest size round-trips, on its own and in a message', () => {
    const e: Entry = { index: logIndex(7), term: term(5), type: 'normal', data: new Uint8Array(RAFT_MAX_ENTRY_BYTES).fill(7) };
    expect(decodeEntry(encodeEntry(e))).toEqual(e);
    roundTrip({ type: 'app', ...base, index: logIndex(6), logTerm: term(1), entries: [e], commit: logIndex(0), round: 0, roundTick: 0 });
  });
  it('a snapshot chunk of the largest size and the largest membership round-trip', () => {
    const voters = Array.from({ length: RAFT_MAX_MEMBERS - 1 }, (_, i) => nodeId(`v${i}`)).sort();
    const conf = { voters, learners: [longId] };
    const meta = { index: logIndex(9), term: term(5), conf };
    expect(decodeSnapshotMeta(encodeSnapshotMeta(meta))).toEqual(meta);
    roundTrip({ type: 'snap', ...base, meta, offsetBytes: 0, totalBytes: SNAPSHOT_CHUNK_BYTES, chunk: new Uint8Array(SNAPSHOT_CHUNK_BYTES).fill(1) });
  });
  it(`a read context of ${RAFT_MAX_READ_CTX_CHARS} three-byte characters and the longest node id round-trip`, () => {
    const ctx = '\u20ac'.repeat(RAFT_MAX_READ_CTX_CHARS);
    roundTrip({ type: 'read-index', ...base, requestCtx: ctx });
    roundTrip({ type: 'read-index-resp', ...base, requestCtx: ctx, index: logIndex(4) });
    roundTrip({ type: 'transfer-leader', ...base, target: longId as NodeId });
  });
  it('an entry with an unknown type code decodes to null', () => {
    const b = encodeEntry({ index: logIndex(1), term: term(1), type: 'normal', data: new Uint8Array(0) });
    const bad = b.slice();
    bad[16] = 2; // after term u64 and index u64
    expect(decodeEntry(b)).not.toBeNull();
    expect(decodeEntry(bad)).toBeNull();
  });
  it('a vote response flagged with the R5 bypass carries its heard-ago ticks (largest u64 too); snap-resp and timeout-now round-trip', () => {
    const big = Number.MAX_SAFE_INTEGER;
    for (const type of ['vote-resp', 'pre-vote-resp'] as const) {
      roundTrip({ type, ...base, reject: false, leaseBypass: true, leaseHeardAgoTicks: 7 });
      roundTrip({ type, ...base, reject: false, leaseBypass: true, leaseHeardAgoTicks: big });
      roundTrip({ type, ...base, reject: true, leaseBypass: false });
    }
    roundTrip({ type: 'snap-resp', ...base, index: logIndex(2 ** 40 + 7), nextOffsetBytes: SNAPSHOT_CHUNK_BYTES * 3, reject: true });
    roundTrip({ type: 'snap-resp', ...base, index: logIndex(9), nextOffsetBytes: 0, reject: false });
    roundTrip({ type: 'timeout-now', ...base });
  });
});
