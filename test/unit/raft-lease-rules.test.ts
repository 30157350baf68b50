// Unit tests of the lease rules (raft/lease.ts R1, R2) on a hand-built leader state: which
// acknowledgements count, how the quorum's acknowledged tick becomes leaseEndTick (never
// lowered, a tick of 0 counts, none without a quorum), and when leaseValid() holds.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../daemon/src/common/types.js';
import { ackRound, leaseValid, refreshLease } from '../../daemon/src/raft/lease.js';
import type { RaftState } from '../../daemon/src/raft/state.js';

const LEASE_TICKS = 8;
type Peer = { ackedRound: number; ackedRoundTick: number; ackRound(round: number, roundTick: number): void };
function peer(ackedRoundTick = -1): Peer {
  return {
    ackedRound: -1, ackedRoundTick,
    ackRound(round, roundTick) { this.ackedRound = Math.max(this.ackedRound, round); this.ackedRoundTick = Math.max(this.ackedRoundTick, roundTick); },
  };
}
/** Leader a of voters a, b, c at tick 10, leading since tick 2, round 5; peers have acked nothing. */
function leader(over: Record<string, unknown> = {}, faults: string[] = []): RaftState & { prs: Map<NodeId, Peer> } {
  const prs = new Map<string, Peer>([['b', peer()], ['c', peer()]]);
  return {
    id: 'a', role: 'leader', nowTick: 10, leaderStartTick: 2, round: 5, leaseEndTick: null, leadTransferee: null, timeoutNowSent: false,
    cfg: { leaseTicks: LEASE_TICKS }, prs, reads: { pending: [], beforeCommit: [], broadcastNeeded: false },
    voters: () => ['a', 'b', 'c'], fault: (name: string) => faults.includes(name),
    ...over,
  } as unknown as RaftState & { prs: Map<NodeId, Peer> };
}

describe('R2: the lease from the quorum-acknowledged tick', () => {
  it('is the tick a quorum (the leader counting itself now) acknowledged, plus the lease length', () => {
    const r = leader();
    r.prs.get('b' as NodeId)!.ackedRoundTick = 4;
    refreshLease(r);
    expect(r.leaseEndTick).toBe(4 + LEASE_TICKS);
  });
  it('a round sent at tick 0 counts', () => {
    const r = leader({ nowTick: 0, leaderStartTick: 0 });
    r.prs.get('b' as NodeId)!.ackedRoundTick = 0;
    refreshLease(r);
    expect(r.leaseEndTick).toBe(LEASE_TICKS);
  });
  it('without a quorum of acknowledgements there is no lease', () => {
    const r = leader();
    refreshLease(r);
    expect(r.leaseEndTick).toBeNull();
  });
  it('is never shortened by an older quorum tick', () => {
    const r = leader({ leaseEndTick: 100 });
    r.prs.get('b' as NodeId)!.ackedRoundTick = 4;
    refreshLease(r);
    expect(r.leaseEndTick).toBe(100);
  });
  it('is not extended by a node that is not leader, nor after MsgTimeoutNow was sent (R4)', () => {
    for (const over of [{ role: 'follower' }, { timeoutNowSent: true }]) {
      const r = leader(over);
      r.prs.get('b' as NodeId)!.ackedRoundTick = 4;
      refreshLease(r);
      expect([over, r.leaseEndTick]).toEqual([over, null]);
    }
  });
});

describe('R1: which acknowledgements count', () => {
  const ack = (r: RaftState, round: number, roundTick: number): void => ackRound(r, r.prs.get('b' as NodeId)!, round, roundTick);
  it('a round of this leadership, sent between its start and now, extends the lease', () => {
    const r = leader();
    ack(r, 1, 2);
    expect(r.leaseEndTick).toBe(2 + LEASE_TICKS);
    ack(r, 5, 10);
    expect(r.leaseEndTick).toBe(10 + LEASE_TICKS);
  });
  it('round 0, a round not yet sent, a tick before this leadership or after now does not count', () => {
    for (const [round, roundTick] of [[0, 5], [6, 5], [3, 1], [3, 11]]) {
      const r = leader();
      ack(r, round, roundTick);
      expect([round, roundTick, r.prs.get('b' as NodeId)!.ackedRoundTick, r.leaseEndTick]).toEqual([round, roundTick, -1, null]);
    }
  });
  it('a node that is not leader records no acknowledgement', () => {
    const r = leader({ role: 'candidate' });
    ack(r, 1, 5);
    expect(r.prs.get('b' as NodeId)!.ackedRoundTick).toBe(-1);
  });
});

describe('leaseValid', () => {
  it('holds for the leader before leaseEndTick only', () => {
    expect(leaseValid(leader({ leaseEndTick: 11 }))).toBe(true);
    expect(leaseValid(leader({ leaseEndTick: 10 }))).toBe(false);
    expect(leaseValid(leader())).toBe(false);
  });
  it('never for a non-leader, during a transfer, or after MsgTimeoutNow', () => {
    for (const over of [{ role: 'follower' }, { leadTransferee: 'b' }, { timeoutNowSent: true }]) {
      expect([over, leaseValid(leader({ leaseEndTick: 11, ...over }))]).toEqual([over, false]);
    }
  });
  it('the test-only ignoreLease fault keeps an expired lease valid, but never gives one that was not acquired', () => {
    expect(leaseValid(leader({ leaseEndTick: 3 }, ['ignoreLease']))).toBe(true);
    expect(leaseValid(leader({}, ['ignoreLease']))).toBe(false);
    expect(leaseValid(leader({ leaseEndTick: 3, role: 'follower' }, ['ignoreLease']))).toBe(false);
  });
});
