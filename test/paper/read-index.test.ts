// Paper tests: ReadIndex (§8, Ongaro §6.4) beyond the basics in client.test.ts: which round
// confirms a read, who may answer a forwarded read, and the bound on queued reads.
import { describe, expect, it } from 'vitest';
import { RAFT_MAX_PENDING_READS } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { Net, bytes } from './harness.js';

describe('§8 ReadIndex', () => {
  it('§8 a read registered while a round is in flight waits for the next round: acks of an older round never confirm it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').readIndex('r1');
    const round1 = net.flush(); // heartbeats of the round that confirms r1
    expect(round1.filter((m) => m.type === 'heartbeat')).toHaveLength(2);
    net.rn('a').readIndex('r2'); // registered after round1 was sent
    for (const m of round1) net.deliver(m);
    const out = net.flush(); // the acks of round1, and a's next round (for r2)
    for (const m of out) if (m.type === 'heartbeat-resp') net.deliver(m);
    net.drainReadies();
    expect(net.node('a').readStates.map((s) => s.requestCtx)).toEqual(['r1']);
    // the next round (sent for r2) confirms r2
    net.queue.push(...out.filter((m) => m.type !== 'heartbeat-resp'));
    net.stabilize();
    expect(net.node('a').readStates.map((s) => s.requestCtx)).toEqual(['r1', 'r2']);
  });

  it('§8 one follower\'s ack is not a quorum of five', () => {
    const net = new Net({ voters: ['a', 'b', 'c', 'd', 'e'] });
    net.elect('a');
    net.rn('a').readIndex('r');
    const round = net.flush();
    for (const m of round) if (m.to === 'b') net.deliver(m);
    for (const m of net.flush()) if (m.to === 'a') net.deliver(m);
    net.drainReadies();
    expect(net.node('a').readStates).toEqual([]);
    for (const m of round) if (m.to === 'c') net.deliver(m);
    for (const m of net.flush()) if (m.to === 'a') net.deliver(m);
    net.drainReadies();
    expect(net.node('a').readStates.map((s) => s.requestCtx)).toEqual(['r']);
  });

  it('§8 a follower takes a read answer only from its current leader in its current term', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const t = net.rn('c').status().term;
    const answer = (from: string, tm: number, ctx: string) => net.rn('c').step({ type: 'read-index-resp', from: nodeId(from), to: nodeId('c'),
      term: term(tm), requestCtx: ctx, index: logIndex(1) });
    answer('b', t, 'from-a-follower'); // b is no leader: a forged or confused answer
    net.drainReadies();
    expect(net.node('c').readStates).toEqual([]);
    answer('a', t, 'ok');
    net.drainReadies();
    expect(net.node('c').readStates.map((s) => s.requestCtx)).toEqual(['ok']);
  });

  it('§8 a leader queues at most RAFT_MAX_PENDING_READS reads, counting those waiting for its first commit', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.filter = (m) => !(m.type === 'app' && m.from === 'a'); // the no-op stays uncommitted
    net.elect('a');
    const rn = net.rn('a');
    for (let i = 0; i < RAFT_MAX_PENDING_READS; i++) expect(rn.readIndex(`r${i}`)).toEqual({ ok: true });
    expect(rn.readIndex('one-too-many')).toMatchObject({ ok: false, code: 'E_PROPOSAL_DROPPED' });
    net.filter = null;
    net.tickAll(2);
    expect(net.node('a').readStates).toHaveLength(RAFT_MAX_PENDING_READS);
    expect(rn.readIndex('room-again')).toEqual({ ok: true });
  });

  it('§8 a leader that loses leadership drops its queued reads: they are never answered by it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('w'));
    net.stabilize();
    net.rn('a').readIndex('doomed');
    const round = net.flush();
    // a higher term reaches a before the round's acks: a steps down
    const t = net.rn('a').status().term;
    net.rn('a').step({ type: 'app', from: nodeId('b'), to: nodeId('a'), term: term(t + 1), index: logIndex(0), logTerm: term(0),
      entries: [], commit: logIndex(0), round: 1, roundTick: 0 });
    for (const m of round) net.deliver(m);
    net.stabilize();
    expect(net.rn('a').status().role).toBe('follower');
    expect(net.node('a').readStates).toEqual([]);
    // leading again in a later term, its rounds confirm only reads of that term
    net.elect('a');
    net.rn('a').readIndex('fresh');
    net.tickAll(5);
    expect(net.node('a').readStates.map((s) => s.requestCtx)).toEqual(['fresh']);
  });

  it('§8 after its first commit a leader answers only the reads it was asked: later commits produce no answers', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.filter = (m) => !(m.type === 'app' && m.from === 'a'); // the no-op stays uncommitted
    net.elect('a');
    net.rn('a').readIndex('early'); // waits for the first commit
    net.filter = null;
    net.tickAll(2);
    expect(net.node('a').readStates.map((s) => s.requestCtx)).toEqual(['early']);
    for (let i = 0; i < 3; i++) {
      net.rn('a').propose(bytes(`w${i}`));
      net.stabilize();
    }
    net.tickAll(2);
    expect(net.node('a').readStates.map((s) => s.requestCtx)).toEqual(['early']);
    expect(net.sent.filter((m) => m.type === 'read-index-resp')).toEqual([]);
  });

  it('§8 a follower holds at most RAFT_MAX_PENDING_READS unread answers', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const t = net.rn('c').status().term;
    const rn = net.rn('c');
    for (let i = 0; i <= RAFT_MAX_PENDING_READS; i++) {
      rn.step({ type: 'read-index-resp', from: nodeId('a'), to: nodeId('c'), term: term(t), requestCtx: `r${i}`, index: logIndex(1) });
    }
    expect(rn.ready().readStates).toHaveLength(RAFT_MAX_PENDING_READS);
  });
});
