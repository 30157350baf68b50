// Paper tests: client interaction (§8): the election no-op, forwarding to the leader, and
// linearizable reads by ReadIndex.
import { describe, expect, it } from 'vitest';
import { RAFT_MAX_ENTRY_BYTES, RAFT_MAX_READ_CTX_CHARS } from '../../daemon/src/common/limits.js';
import type { MsgApp } from '../../daemon/src/raft/types.js';
import { E, Net, bytes } from './harness.js';

describe('§8 client interaction', () => {
  it('§8 a new leader appends an empty no-op entry of its term and commits it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const st = net.rn('a').status();
    const last = net.node('a').storage.entries.at(-1)!;
    expect(last).toMatchObject({ index: st.lastIndex, term: st.term, type: 'normal' });
    expect(last.data.length).toBe(0);
    expect(st.commit).toBe(st.lastIndex);
  });

  it('§8 a follower answers propose() with the leader id and forwards the proposal (MsgProp)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    expect(net.rn('b').propose(bytes('via-b'))).toEqual({ ok: false, code: 'E_NOT_LEADER', leader: 'a' });
    const out = net.flush();
    expect(out.filter((m) => m.type === 'prop' && m.to === 'a')).toHaveLength(1);
    net.queue.push(...out);
    net.stabilize();
    for (const id of ['a', 'b', 'c']) expect(net.appliedData(id)).toEqual(['via-b']);
  });

  it('§8 without a known leader propose() fails with E_NO_LEADER; oversized data with E_TOO_LARGE', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    expect(net.rn('a').propose(bytes('x'))).toEqual({ ok: false, code: 'E_NO_LEADER', leader: null });
    net.elect('a');
    expect(net.rn('a').propose(new Uint8Array(RAFT_MAX_ENTRY_BYTES + 1))).toMatchObject({ ok: false, code: 'E_TOO_LARGE' });
    expect(net.rn('a').readIndex('x'.repeat(RAFT_MAX_READ_CTX_CHARS + 1))).toMatchObject({ ok: false, code: 'E_TOO_LARGE' });
  });

  it('§8 an entry of exactly RAFT_MAX_ENTRY_BYTES is accepted and committed (the limit is inclusive)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    expect(net.rn('a').propose(new Uint8Array(RAFT_MAX_ENTRY_BYTES).fill(7))).toEqual({ ok: true });
    net.stabilize();
    const last = net.node('b').applied.at(-1)!;
    expect([last.type, last.data.length]).toEqual(['normal', RAFT_MAX_ENTRY_BYTES]);
  });

  it('§8 ReadIndex: the leader answers with its commit index only after a quorum acknowledges a new round', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('w'));
    net.stabilize();
    const commit = net.rn('a').status().commit;
    expect(net.rn('a').readIndex('r1')).toEqual({ ok: true });
    const out = net.flush();
    expect(net.node('a').readStates).toEqual([]); // not before the heartbeat round is acknowledged
    expect(out.filter((m) => m.type === 'heartbeat').length).toBe(2);
    net.queue.push(...out);
    net.stabilize();
    expect(net.node('a').readStates).toEqual([{ index: commit, requestCtx: 'r1' }]);
  });

  it('§8 ReadIndex: a leader cut off from its quorum never answers (a newer leader may exist)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    net.rn('a').readIndex('stale');
    net.tickAll(3 * E);
    expect(net.node('a').readStates).toEqual([]);
    // the majority side moved on, and a's read was dropped when it stepped down
    expect(net.leaders().filter((l) => l !== 'a')).toHaveLength(1);
    net.heal();
    net.tickAll(2 * E);
    expect(net.node('a').readStates).toEqual([]);
  });

  it('§8 ReadIndex waits until the leader has committed an entry of its own term', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.filter = (m) => !(m.type === 'app' && m.from === 'a');
    net.elect('a');
    expect(net.rn('a').status().commit).toBeLessThan(net.rn('a').status().lastIndex);
    net.rn('a').readIndex('early');
    net.tickAll(2);
    expect(net.node('a').readStates).toEqual([]);
    net.filter = null;
    net.tickAll(2);
    const noop = net.rn('a').status().lastIndex;
    expect(net.node('a').readStates).toEqual([{ index: noop, requestCtx: 'early' }]);
  });

  it('§8 ReadIndex on a follower is forwarded to the leader and answered as a ReadState', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('w'));
    net.stabilize();
    expect(net.rn('c').readIndex('from-c')).toEqual({ ok: true });
    net.stabilize();
    expect(net.node('c').readStates).toEqual([{ index: net.rn('a').status().commit, requestCtx: 'from-c' }]);
    expect(net.node('a').readStates).toEqual([]);
  });

  it('§8 a single-voter leader answers ReadIndex at once', () => {
    const net = new Net({ voters: ['a'] });
    net.elect('a');
    net.rn('a').readIndex('solo');
    net.stabilize();
    expect(net.node('a').readStates).toEqual([{ index: net.rn('a').status().commit, requestCtx: 'solo' }]);
  });

  it('§8 a single-voter cluster commits proposals without peers', () => {
    const net = new Net({ voters: ['a'] });
    net.elect('a');
    net.rn('a').propose(bytes('solo'));
    net.stabilize();
    expect(net.appliedData('a')).toEqual(['solo']);
    expect(net.sent.filter((m): m is MsgApp => m.type === 'app')).toHaveLength(0);
  });
});
