// Paper tests: the bounds on what a leader accepts (raft/proposals.ts), and where a removed
// leader hands its leadership (raft/leader-state.ts). A leader that cannot
// commit (cut off from its quorum) must not grow its log without bound (common/limits.ts
// RAFT_MAX_PENDING_PROPOSALS), and a learner is promoted only when its log lags the leader's by
// at most RAFT_PROMOTE_MAX_LAG_ENTRIES (so the new voter does not stall commits while it
// catches up; dissertation §4.2.1). Both are checked at their exact boundary.
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { RAFT_MAX_PENDING_PROPOSALS, RAFT_PROMOTE_MAX_LAG_ENTRIES } from '../../daemon/src/common/limits.js';
import { encodeConfChange } from '../../daemon/src/raft/codec-conf.js';
import type { ConfChange, MsgProp } from '../../daemon/src/raft/types.js';
import { Net, bytes } from './harness.js';

const d = nodeId('d');

describe('§8 proposal bounds', () => {
  it('§8 a leader that cannot commit holds at most RAFT_MAX_PENDING_PROPOSALS uncommitted entries; then it drops proposals, forwarded or its own', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    const a = net.rn('a');
    const committed = a.status().commit;
    expect(a.status().lastIndex).toBe(committed);
    for (let i = 0; i < RAFT_MAX_PENDING_PROPOSALS; i++) {
      const res = a.propose(bytes('x'));
      if (!res.ok) throw new Error(`proposal ${i} refused: ${res.code}`);
    }
    expect(a.status().lastIndex).toBe(committed + RAFT_MAX_PENDING_PROPOSALS);
    expect(a.propose(bytes('one-too-many'))).toEqual({ ok: false, code: 'E_PROPOSAL_DROPPED', leader: 'a' });
    expect(a.proposeConfChange({ type: 'remove', node: nodeId('c') })).toEqual({ ok: false, code: 'E_PROPOSAL_DROPPED', leader: 'a' });
    // A proposal a follower forwarded is dropped silently: nothing is appended.
    a.step({ type: 'prop', from: nodeId('b'), to: nodeId('a'), term: term(a.status().term),
      entries: [{ term: term(0), index: logIndex(0), type: 'normal', data: bytes('forwarded') }] });
    expect(a.status().lastIndex).toBe(committed + RAFT_MAX_PENDING_PROPOSALS);
  });

  it('§8 a forwarded proposal is appended by a leader with room (several entries of one message, in order)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const a = net.rn('a');
    const before = a.status().lastIndex;
    a.step({ type: 'prop', from: nodeId('b'), to: nodeId('a'), term: term(a.status().term), entries: [
      { term: term(0), index: logIndex(0), type: 'normal', data: bytes('f1') },
      { term: term(0), index: logIndex(0), type: 'normal', data: bytes('f2') }] });
    net.stabilize();
    expect(a.status().lastIndex).toBe(before + 2);
    expect(net.appliedData('b').slice(-2)).toEqual(['f1', 'f2']);
  });

  for (const lag of [RAFT_PROMOTE_MAX_LAG_ENTRIES, RAFT_PROMOTE_MAX_LAG_ENTRIES + 1]) {
    it(`§6 a learner lagging ${lag} entries behind the leader's last index is ${lag > RAFT_PROMOTE_MAX_LAG_ENTRIES ? 'not ' : ''}promoted`, () => {
      const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d'] });
      net.elect('a');
      expect(net.rn('a').proposeConfChange({ type: 'add-learner', node: d })).toEqual({ ok: true });
      net.stabilize();
      net.tickAll(3);
      expect(net.rn('d').status().lastIndex).toBe(net.rn('a').status().lastIndex);
      net.crash('d');
      for (let i = 0; i < lag; i++) net.rn('a').propose(bytes(`v${i}`));
      net.stabilize();
      const res = net.rn('a').proposeConfChange({ type: 'promote', node: d });
      if (lag > RAFT_PROMOTE_MAX_LAG_ENTRIES) expect(res).toEqual({ ok: false, code: 'E_LEARNER_BEHIND', leader: 'a' });
      else expect(res).toEqual({ ok: true });
    });
  }
});

describe('§4.1 one membership change at a time, forwarded or not', () => {
  const forwardConf = (net: Net, cc: ConfChange): void => {
    const m: MsgProp = { type: 'prop', from: nodeId('b'), to: nodeId('a'), term: term(net.rn('a').status().term),
      entries: [{ term: term(0), index: logIndex(0), type: 'conf', data: encodeConfChange(cc) }] };
    net.rn('a').step(m);
  };

  it('§4.1 only an uncommitted conf entry blocks a new change; uncommitted normal entries do not', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    const a = net.rn('a');
    expect(a.propose(bytes('x'))).toEqual({ ok: true });
    expect(a.status().commit).toBeLessThan(a.status().lastIndex);
    expect(a.proposeConfChange({ type: 'add-learner', node: d })).toEqual({ ok: true });
    expect(a.proposeConfChange({ type: 'remove', node: nodeId('c') })).toEqual({ ok: false, code: 'E_CONF_CHANGE_PENDING', leader: 'a' });
  });

  it('§4.1 a forwarded conf change the leader would refuse itself is dropped: invalid for the conf, or while another is pending', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const a = net.rn('a');
    const before = a.status().lastIndex;
    forwardConf(net, { type: 'remove', node: nodeId('z') }); // not a member
    forwardConf(net, { type: 'promote', node: nodeId('c') }); // already a voter
    net.stabilize();
    expect(a.status().lastIndex).toBe(before);
    // A change of its own is pending (cut off from its quorum): a valid forwarded one waits too.
    net.isolate('a');
    expect(a.proposeConfChange({ type: 'add-learner', node: d })).toEqual({ ok: true });
    const pending = a.status().lastIndex;
    forwardConf(net, { type: 'remove', node: nodeId('c') });
    expect(a.status().lastIndex).toBe(pending);
    // Once that change commits, the same forwarded change is appended.
    net.heal();
    net.stabilize();
    expect(a.status().commit).toBe(pending);
    forwardConf(net, { type: 'remove', node: nodeId('c') });
    net.stabilize();
    expect(a.status().lastIndex).toBe(pending + 1);
    expect(a.status().conf.voters).toEqual(['a', 'b']);
  });
});

describe('§6 a removed leader hands over leadership', () => {
  const timeoutNows = (net: Net) => net.sent.filter((m) => m.type === 'timeout-now').map((m) => `${m.from}->${m.to}`);

  it('§6 to the lowest-id voter whose log holds its whole log (MsgTimeoutNow), then steps down', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('a') });
    net.stabilize();
    expect(timeoutNows(net)).toEqual(['a->b']);
    expect(net.leaders()).toEqual(['b']);
  });

  it('§6 never to a voter that lags its last index (its campaign could not win), even one with a lower id', () => {
    const net = new Net({ voters: ['a', 'b', 'c', 'd'] });
    net.elect('a');
    net.cut.add('a->b');
    net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('a') });
    net.stabilize();
    expect(net.rn('a').status().role).toBe('follower');
    expect(timeoutNows(net)).toEqual(['a->c']);
  });

  it('§6 with no voter holding its last entry it steps down without a MsgTimeoutNow (an election follows)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    // The removal entry reaches b and c (it commits); the entry after it never does.
    const isX = (e: { data: Uint8Array }) => new TextDecoder().decode(e.data) === 'x';
    net.filter = (m) => !(m.type === 'app' && m.entries.some(isX));
    net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('a') });
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    expect(net.rn('a').status().role).toBe('follower');
    expect(timeoutNows(net)).toEqual([]);
    expect(net.leaders()).toEqual([]);
  });
});

describe('§6 the leader\'s followers follow the membership', () => {
  it('§6 once a node is removed the leader sends it nothing more (no appends, no heartbeats)', () => {
    const net = new Net({ voters: ['a', 'b', 'c', 'd'] });
    net.elect('a');
    expect(net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('d') }).ok).toBe(true);
    net.stabilize();
    expect(net.rn('a').status().conf.voters).toEqual(['a', 'b', 'c']);
    const before = net.sent.length;
    net.rn('a').propose(bytes('after-removal'));
    net.tickAll(5);
    const toD = net.sent.slice(before).filter((m) => m.to === 'd');
    expect(toD).toEqual([]);
    expect(net.sent.slice(before).some((m) => m.to === 'b' && m.type === 'heartbeat')).toBe(true);
    expect(net.appliedData('c')).toContain('after-removal');
  });
});
