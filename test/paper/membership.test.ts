// Paper tests: cluster membership changes (§6; single-server changes as in Ongaro ch. 4):
// learners, promotion once caught up, one change at a time, removal, removed leader.
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { encodeConfChange } from '../../daemon/src/raft/codec.js';
import { RAFT_PROMOTE_MAX_LAG_ENTRIES } from '../../daemon/src/common/limits.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import { E, Net, bytes, config, constPrng } from './harness.js';

const d = nodeId('d');

function joinD(net: Net): void {
  expect(net.rn('a').proposeConfChange({ type: 'add-learner', node: d })).toEqual({ ok: true });
  net.stabilize();
  net.tickAll(3);
}

describe('§6 cluster membership changes', () => {
  it('§6 a new node joins as a learner: it receives the log but neither votes nor counts for commit', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d'] });
    net.elect('a');
    net.rn('a').propose(bytes('before'));
    net.stabilize();
    joinD(net);
    expect(net.rn('d').status().role).toBe('learner');
    expect(net.rn('d').status().conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(net.appliedData('d')).toEqual(['before']);
    net.crash('b');
    net.crash('c');
    net.rn('a').propose(bytes('needs-a-voter-majority'));
    net.stabilize();
    expect(net.log('d')).toEqual(net.log('a')); // replicated to the learner ...
    expect(net.appliedData('a')).toEqual(['before']); // ... yet not committed: learners do not count
    net.tickAll(3 * E);
    expect(net.rn('d').status().role).toBe('learner'); // and a learner never campaigns
  });

  it('§6 a learner is promoted only once it has caught up', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d'] });
    net.elect('a');
    joinD(net);
    net.crash('d');
    for (let i = 0; i < RAFT_PROMOTE_MAX_LAG_ENTRIES + 5; i++) net.rn('a').propose(bytes(`v${i}`));
    net.stabilize();
    expect(net.rn('a').proposeConfChange({ type: 'promote', node: d })).toMatchObject({ ok: false, code: 'E_LEARNER_BEHIND', leader: 'a' });
    net.restart('d');
    net.tickAll(3);
    expect(net.rn('a').proposeConfChange({ type: 'promote', node: d })).toEqual({ ok: true });
    net.stabilize();
    expect(net.rn('d').status().role).toBe('follower');
    expect(net.rn('a').status().conf.voters).toEqual(['a', 'b', 'c', 'd']);
    // d now counts: with b and c down, a and d are not a majority of 4 ...
    net.crash('b');
    net.crash('c');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    expect(net.appliedData('a')).not.toContain('x');
    // ... and with c back, a, c and d are.
    net.restart('c');
    net.tickAll(3);
    expect(net.appliedData('a')).toContain('x');
  });

  it('§6 at most one membership change is pending (uncommitted) at a time', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d', 'e'] });
    net.elect('a');
    expect(net.rn('a').proposeConfChange({ type: 'add-learner', node: d }).ok).toBe(true);
    expect(net.rn('a').proposeConfChange({ type: 'add-learner', node: nodeId('e') }))
      .toMatchObject({ ok: false, code: 'E_CONF_CHANGE_PENDING' });
    net.stabilize();
    expect(net.rn('a').proposeConfChange({ type: 'add-learner', node: nodeId('e') }).ok).toBe(true);
  });

  it('§6 a change takes effect on each node when appended, before it commits, and reverts if truncated', () => {
    const b = nodeId('b');
    const rn = new RawNode(config(b), { hardState: { term: term(0), vote: null, commit: logIndex(0) }, snapshot: null, entries: [], initialConf: { voters: [nodeId('a'), b, nodeId('c')], learners: [] } },
      constPrng(E - 1));
    const cc = { index: logIndex(2), term: term(1), type: 'conf' as const, data: encodeConfChange({ type: 'add-learner', node: d }) };
    rn.step({ type: 'app', from: nodeId('a'), to: b, term: term(1), index: logIndex(0), logTerm: term(0),
      entries: [{ index: logIndex(1), term: term(1), type: 'normal', data: new Uint8Array(0) }, cc], commit: logIndex(1), round: 1, roundTick: 0 });
    expect(rn.status().conf.learners).toEqual(['d']);
    expect(rn.status().commit).toBe(1);
    // A new leader of term 2 overwrites index 2: the uncommitted change is gone.
    rn.step({ type: 'app', from: nodeId('c'), to: b, term: term(2), index: logIndex(1), logTerm: term(1),
      entries: [{ index: logIndex(2), term: term(2), type: 'normal', data: new Uint8Array(0) }], commit: logIndex(1), round: 1, roundTick: 0 });
    expect(rn.status().conf.learners).toEqual([]);
  });

  it('§6 a removed follower stops counting; the rest commit without it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    expect(net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('c') }).ok).toBe(true);
    net.stabilize();
    net.crash('c');
    expect(net.rn('a').status().conf.voters).toEqual(['a', 'b']);
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    expect(net.appliedData('b')).toContain('x');
  });

  it('§6 a removed node is ignored and never disrupts the cluster', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('c') });
    net.stabilize();
    net.isolate('c'); // c may never learn it was removed
    net.tickAll(5 * E);
    net.heal();
    const dropped = net.rn('a').status().droppedMessages;
    net.rn('a').step({ type: 'vote', from: nodeId('c'), to: nodeId('a'), term: term(9), index: logIndex(99), logTerm: term(9), transfer: true });
    expect(net.rn('a').status()).toMatchObject({ role: 'leader', term: 2, droppedMessages: dropped + 1 });
    net.tickAll(3 * E);
    expect(net.leaders()).toContain('a');
    expect(net.rn('a').status().term).toBe(2);
  });

  it('§6 a removed leader steps down after committing its removal and leadership moves on', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    expect(net.rn('a').proposeConfChange({ type: 'remove', node: nodeId('a') }).ok).toBe(true);
    net.stabilize();
    expect(net.rn('a').status().role).toBe('follower');
    expect(net.rn('a').leaseValid()).toBe(false);
    expect(net.leaders()).toHaveLength(1); // MsgTimeoutNow: no election timeout needed
    const l = net.leaders()[0]!;
    expect(['b', 'c']).toContain(l);
    expect(net.rn(l).status().conf.voters).toEqual(['b', 'c']);
    net.rn(l).propose(bytes('after'));
    net.stabilize();
    expect(net.appliedData(l === 'b' ? 'c' : 'b')).toContain('after');
  });

  it('§6 invalid changes are refused with stable error codes', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const rn = net.rn('a');
    expect(rn.proposeConfChange({ type: 'promote', node: nodeId('zz') })).toMatchObject({ ok: false, code: 'E_UNKNOWN_NODE' });
    expect(rn.proposeConfChange({ type: 'remove', node: nodeId('zz') })).toMatchObject({ ok: false, code: 'E_UNKNOWN_NODE' });
    expect(rn.proposeConfChange({ type: 'add-learner', node: nodeId('b') })).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(rn.proposeConfChange({ type: 'promote', node: nodeId('b') })).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(rn.proposeConfChange({ type: 'add-learner', node: 'bad id' as never })).toMatchObject({ ok: false, code: 'E_INVALID_ARGUMENT' });
    const single = new Net({ voters: ['a'] });
    single.elect('a');
    expect(single.rn('a').proposeConfChange({ type: 'remove', node: nodeId('a') })).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
  });

  it('§6 a follower forwards a membership change to the leader', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d'] });
    net.elect('a');
    expect(net.rn('b').proposeConfChange({ type: 'add-learner', node: d })).toMatchObject({ ok: false, code: 'E_NOT_LEADER', leader: 'a' });
    net.stabilize();
    expect(net.rn('a').status().conf.learners).toEqual(['d']);
  });
});
