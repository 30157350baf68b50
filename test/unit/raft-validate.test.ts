// Unit/property tests: peer input never throws out of the Raft core; malformed or
// out-of-range messages are dropped and counted (raft/validate.ts, Raft.step).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_ENTRY_BYTES } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import { Net, config, constPrng, E } from '../paper/harness.js';

const a = nodeId('a');
const b = nodeId('b');

function node(): RawNode {
  const rn = new RawNode(config(a), { hardState: null, snapshot: null, entries: [], initialConf: { voters: [a, b, nodeId('c')], learners: [] } },
    constPrng(E - 1));
  for (let i = 0; i < E; i++) rn.tick();
  rn.advance(rn.ready());
  return rn;
}

const goodApp = { type: 'app', from: b, to: a, term: term(5), index: logIndex(6), logTerm: term(1), entries: [], commit: logIndex(0), round: 1, roundTick: 1 };

describe('step() validation', () => {
  it('never throws on arbitrary values and counts what it drops', () => {
    fc.assert(fc.property(fc.anything({ withTypedArray: true, withNullPrototype: true, withBigInt: true }), (junk) => {
      const rn = node();
      const before = rn.status();
      expect(() => rn.step(junk)).not.toThrow();
      expect(rn.status().droppedMessages).toBe(before.droppedMessages + 1);
      expect(rn.status().term).toBe(before.term);
    }), { numRuns: 1000 });
  });

  it('never throws on mutated valid messages', () => {
    const keys = Object.keys(goodApp);
    fc.assert(fc.property(fc.constantFrom(...keys), fc.anything({ withTypedArray: true }), (k, v) => {
      const rn = node();
      expect(() => rn.step({ ...goodApp, [k]: v })).not.toThrow();
    }), { numRuns: 1000 });
  });

  it('drops specific malformed or out-of-range messages', () => {
    const entry = (i: number, t: number, d = new Uint8Array(1)) => ({ index: logIndex(i), term: term(t), type: 'normal' as const, data: d });
    const bad: unknown[] = [
      { ...goodApp, to: nodeId('zz') }, // not for us
      { ...goodApp, from: a }, // from ourselves
      { type: 'vote', from: nodeId('stranger'), to: a, term: term(9), index: logIndex(99), logTerm: term(9), transfer: false }, // non-member
      { ...goodApp, from: 'bad id' },
      { ...goodApp, term: Number.MAX_SAFE_INTEGER }, // term overflow
      { ...goodApp, term: -1 },
      { ...goodApp, term: 1.5 },
      { ...goodApp, type: 'nope' },
      { ...goodApp, entries: [entry(8, 5)] }, // not consecutive after index 6
      { ...goodApp, entries: [entry(7, 6)] }, // entry term above the message term
      { ...goodApp, entries: [entry(7, 5), entry(8, 4)] }, // decreasing terms
      { ...goodApp, entries: [entry(7, 5, new Uint8Array(RAFT_MAX_ENTRY_BYTES + 1))] },
      { ...goodApp, entries: Array.from({ length: RAFT_MAX_ENTRIES_PER_APPEND + 1 }, (_, i) => entry(7 + i, 5)) },
      { ...goodApp, entries: [{ ...entry(7, 5), type: 'conf', data: new Uint8Array([7]) }] }, // undecodable conf change
      { ...goodApp, entries: 'x' },
      { ...goodApp, index: logIndex(0) }, // prev index 0 with a non-zero prev term
      { ...goodApp, round: -1 },
      { type: 'vote', from: b, to: a, term: term(3), index: logIndex(1), logTerm: term(4), transfer: false }, // last term > term
      { type: 'read-index', from: b, to: a, term: term(1), requestCtx: 'x'.repeat(10_000) },
      { type: 'prop', from: b, to: a, term: term(1), entries: [] },
      { type: 'prop', from: b, to: a, term: term(1), entries: [entry(1, 1)] }, // proposals carry index/term 0
      { type: 'snap', from: b, to: a, term: term(2), meta: { index: logIndex(9), term: term(3), conf: { voters: [a], learners: [] } },
        offsetBytes: 0, totalBytes: 1, chunk: new Uint8Array(1) }, // snapshot term above the message term
      { type: 'snap', from: b, to: a, term: term(3), meta: { index: logIndex(9), term: term(3), conf: { voters: [a], learners: [a] } },
        offsetBytes: 0, totalBytes: 1, chunk: new Uint8Array(1) }, // invalid conf
      { type: 'snap', from: b, to: a, term: term(3), meta: { index: logIndex(9), term: term(3), conf: { voters: [a], learners: [] } },
        offsetBytes: 1, totalBytes: 1, chunk: new Uint8Array(1) }, // chunk beyond the total
      new Proxy({}, { get() { throw new Error('hostile'); } }),
    ];
    const rn = node();
    for (const [i, m] of bad.entries()) {
      const before = rn.status().droppedMessages;
      rn.step(m);
      expect([i, rn.status().droppedMessages]).toEqual([i, before + 1]);
    }
    expect(rn.status().droppedMessages).toBe(bad.length);
    expect(rn.status().term).toBe(1);
    expect(rn.ready().messages).toEqual([]);
    rn.step(goodApp);
    expect(rn.status()).toMatchObject({ droppedMessages: bad.length, term: 5, lead: 'b' });
  });

  it('a leader drops an acknowledgement of entries it never sent (it would corrupt the commit count)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const st = net.rn('a').status();
    net.rn('a').step({ type: 'app-resp', from: b, to: a, term: st.term, index: logIndex(st.lastIndex + 100), reject: false,
      rejectHint: logIndex(0), logTerm: term(0), round: 1, roundTick: st.nowTick });
    expect(net.rn('a').status()).toMatchObject({ droppedMessages: 1, commit: st.commit });
  });
});
