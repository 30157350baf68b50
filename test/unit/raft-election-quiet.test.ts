// Unit tests of the R5 quiet period a campaign carries into leadership (raft/election.ts,
// lease.ts R5): a campaign inside its own bypassed vote lease keeps that lease's quiet period; a
// transfer campaign keeps none (the old leader gave up its lease when it sent MsgTimeoutNow, R4);
// only a granted vote imposes the voter's quiet period, never a refusal.
import { describe, expect, it } from 'vitest';
import { campaign, handleVoteResp } from '../../daemon/src/raft/election.js';
import type { RaftState } from '../../daemon/src/raft/state.js';
import type { Message, MsgVoteResp } from '../../daemon/src/raft/types.js';

type Stub = RaftState & { calls: string[]; sent: Message[] };
/** Follower a of voters a, b, c at tick 100; it heard leader l at tick 95 and l is known gone (R5 bypass). */
function node(over: Record<string, unknown> = {}): Stub {
  const s = {
    id: 'a', role: 'follower', term: 5, vote: null as string | null, lead: 'l', votes: new Map(), calls: [] as string[], sent: [] as Message[],
    cfg: { preVote: true, leaseTicks: 10, clockDriftBoundTicks: 2, electionTimeoutTicks: 20 },
    nowTick: 100, heardLeaderTick: 95, heardLeaderId: 'l', goneLeader: 'l', campaignQuietUntilTick: 0,
    voters: () => ['a', 'b', 'c'],
    log: { typedLastIndex: () => 9, typedLastTerm: () => 4 },
    send(m: Message) { this.sent.push(m); },
    becomePreCandidate() { this.calls.push('pre-candidate'); this.role = 'pre-candidate'; this.votes = new Map(); },
    becomeCandidate() { this.calls.push('candidate'); this.role = 'candidate'; this.term += 1; this.vote = this.id; this.votes = new Map(); this.campaignQuietUntilTick = 0; },
    becomeLeader() { this.calls.push(`leader quiet until ${this.campaignQuietUntilTick}`); this.role = 'leader'; },
    becomeFollower(t: number, lead: string | null) { this.calls.push(`follower ${t} ${lead}`); this.role = 'follower'; },
    ...over,
  };
  return s as unknown as Stub;
}
const vote = (from: string, reject: boolean, leaseBypass: boolean): MsgVoteResp =>
  ({ type: 'vote-resp', from, to: 'a', term: 6, reject, leaseBypass, ...(leaseBypass ? { leaseHeardAgoTicks: 0 } : {}) } as MsgVoteResp);

describe('the quiet period a campaign carries', () => {
  it('an election inside our own bypassed lease keeps it until heard + lease + drift', () => {
    const r = node();
    campaign(r, 'election');
    expect(r.campaignQuietUntilTick).toBe(95 + 10 + 2);
  });
  it('a transfer campaign keeps no quiet period of its own, even with the lease bypassed (R4)', () => {
    const r = node();
    campaign(r, 'transfer');
    expect(r.calls).toEqual(['candidate']);
    expect(r.campaignQuietUntilTick).toBe(0);
  });
  it('a refusal claiming a bypass imposes no quiet period; a granted bypassed vote does', () => {
    const r = node({ goneLeader: null });
    campaign(r, 'election');
    expect(r.campaignQuietUntilTick).toBe(0);
    handleVoteResp(r, vote('b', true, true));
    handleVoteResp(r, vote('c', false, false));
    expect(r.calls).toEqual(['candidate', 'leader quiet until 0']);
    const g = node({ goneLeader: null });
    campaign(g, 'election');
    handleVoteResp(g, vote('b', false, true));
    expect(g.calls).toEqual(['candidate', `leader quiet until ${100 + 10 + 2 + 1}`]);
  });
});
