// Unit tests of raft/election.ts on a hand-built node state: who may campaign and which kind
// of campaign starts, that a won pre-election is followed by a real election, which (pre)vote
// responses count, and when a (pre)vote is granted (§5.2, Ongaro §9.6).
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../daemon/src/common/types.js';
import { handleVoteRequest, handleVoteResp, hup } from '../../daemon/src/raft/election.js';
import type { RaftState } from '../../daemon/src/raft/state.js';
import type { Message, MsgVote, MsgVoteResp } from '../../daemon/src/raft/types.js';

type Stub = RaftState & { calls: string[]; sent: Message[] };
/** Follower a of voters (default a, b, c) at term 5; role changes are recorded, as etcd's do them. */
function node(over: Record<string, unknown> = {}): Stub {
  const s = {
    id: 'a', role: 'follower', term: 5, vote: null as string | null, lead: null as string | null, votes: new Map(), calls: [] as string[], sent: [] as Message[], electionElapsed: 3,
    cfg: { preVote: true }, voters: () => ['a', 'b', 'c'], promotable: () => true, inVoteLease: () => false, fault: () => false,
    log: { typedLastIndex: () => 9, typedLastTerm: () => 4, isUpToDate: (i: number, t: number) => t > 4 || (t === 4 && i >= 9) },
    send(m: Message) { this.sent.push(m); },
    becomePreCandidate() { this.calls.push('pre-candidate'); this.role = 'pre-candidate'; this.votes = new Map(); },
    becomeCandidate() { this.calls.push('candidate'); this.role = 'candidate'; this.term += 1; this.vote = this.id; this.votes = new Map(); },
    becomeLeader() { this.calls.push('leader'); this.role = 'leader'; },
    becomeFollower(t: number, lead: string | null) { this.calls.push(`follower ${t} ${lead}`); this.role = 'follower'; },
    ...over,
  };
  return s as unknown as Stub;
}
const resp = (type: MsgVoteResp['type'], from: string, term: number, reject = false): MsgVoteResp => ({ type, from, to: 'a', term, reject } as MsgVoteResp);
const req = (type: MsgVote['type'], from: string, term: number, index = 9, logTerm = 4): MsgVote => ({ type, from, to: 'a', term, index, logTerm, transfer: false } as MsgVote);

describe('starting a campaign', () => {
  it('a node that may not vote (a learner) refuses to campaign and names the leader it knows', () => {
    const r = node({ promotable: () => false, lead: 'b' });
    expect(hup(r, false)).toEqual({ ok: false, code: 'E_INVALID_STATE', leader: 'b' });
    expect(hup(r, true)).toEqual({ ok: false, code: 'E_INVALID_STATE', leader: 'b' });
    expect(r.calls).toEqual([]);
  });
  it('with pre-vote a campaign starts as a pre-election (term + 1, term unchanged); without, as an election', () => {
    const r = node();
    expect(hup(r, false)).toEqual({ ok: true });
    expect(r.calls).toEqual(['pre-candidate']);
    expect(r.sent.map((m) => [m.type, m.to, m.term, (m as MsgVote).transfer])).toEqual([['pre-vote', 'b', 6, false], ['pre-vote', 'c', 6, false]]);
    const e = node({ cfg: { preVote: false } });
    hup(e, false);
    expect(e.calls).toEqual(['candidate']);
    expect(e.sent.map((m) => [m.type, m.term, (m as MsgVote).transfer])).toEqual([['vote', 6, false], ['vote', 6, false]]);
  });
  it('a transfer campaign skips the pre-election and says it is a transfer', () => {
    const r = node();
    hup(r, true);
    expect(r.calls).toEqual(['candidate']);
    expect(r.sent.map((m) => [m.type, (m as MsgVote).transfer])).toEqual([['vote', true], ['vote', true]]);
  });
  it('a lone voter that wins its pre-election holds the real election before it leads', () => {
    const r = node({ voters: () => ['a'] });
    hup(r, false);
    expect(r.calls).toEqual(['pre-candidate', 'candidate', 'leader']);
    expect(r.sent).toEqual([]);
  });
});

describe('which responses count', () => {
  it('a candidate ignores pre-vote responses, a pre-candidate vote responses', () => {
    const c = node({ role: 'candidate', term: 6 });
    handleVoteResp(c, resp('pre-vote-resp', 'b', 7));
    handleVoteResp(c, resp('pre-vote-resp', 'b', 6));
    expect([...c.votes]).toEqual([]);
    const p = node({ role: 'pre-candidate' });
    handleVoteResp(p, resp('vote-resp', 'b', 5));
    expect([...p.votes]).toEqual([]);
  });
  it('a granted pre-vote counts only for this pre-election (term + 1); a refusal counts whatever its term', () => {
    const p = node({ role: 'pre-candidate' });
    handleVoteResp(p, resp('pre-vote-resp', 'b', 5));
    expect([...p.votes]).toEqual([]);
    handleVoteResp(p, resp('pre-vote-resp', 'b', 6));
    expect([...p.votes]).toEqual([['b', true]]);
    handleVoteResp(p, resp('pre-vote-resp', 'c', 5, true));
    expect([...p.votes]).toEqual([['b', true], ['c', false]]);
  });
  it('a vote counts only in the candidate\'s term', () => {
    const c = node({ role: 'candidate', term: 6 });
    handleVoteResp(c, resp('vote-resp', 'b', 5));
    expect([...c.votes]).toEqual([]);
    handleVoteResp(c, resp('vote-resp', 'b', 6, true));
    expect([...c.votes]).toEqual([['b', false]]);
  });
  it('a candidate that a majority refuses steps down with no leader', () => {
    const c = node({ role: 'candidate', term: 6 });
    c.votes.set('a' as NodeId, true);
    handleVoteResp(c, resp('vote-resp', 'b', 6, true));
    handleVoteResp(c, resp('vote-resp', 'c', 6, true));
    expect(c.calls).toEqual(['follower 6 null']);
  });
});

describe('granting a (pre)vote', () => {
  const granted = (r: Stub): boolean | undefined => (r.sent.at(-1) as MsgVoteResp | undefined)?.reject === false;
  it('a vote goes to the first up-to-date candidate of a term, with no leader known; it resets the election timer', () => {
    const r = node();
    handleVoteRequest(r, req('vote', 'b', 5));
    expect(r.sent).toEqual([{ type: 'vote-resp', from: 'a', to: 'b', term: 5, reject: false, leaseBypass: false }]);
    expect([r.vote, r.electionElapsed]).toEqual(['b', 0]);
    handleVoteRequest(r, req('vote', 'c', 5));
    expect(r.sent.at(-1)).toEqual({ type: 'vote-resp', from: 'a', to: 'c', term: 5, reject: true });
    handleVoteRequest(r, req('vote', 'b', 5));
    expect(granted(r)).toBe(true);
  });
  it('no vote while a leader is known, nor for a higher term once voted in this one (pre-votes excepted)', () => {
    const led = node({ lead: 'c' });
    handleVoteRequest(led, req('vote', 'b', 5));
    expect(granted(led)).toBe(false);
    const voted = node({ vote: 'c' });
    handleVoteRequest(voted, req('vote', 'b', 6));
    expect(granted(voted)).toBe(false);
    handleVoteRequest(voted, req('pre-vote', 'b', 5));
    expect(granted(voted)).toBe(false);
    handleVoteRequest(voted, req('pre-vote', 'b', 6));
    expect(voted.sent.at(-1)).toEqual({ type: 'pre-vote-resp', from: 'a', to: 'b', term: 6, reject: false, leaseBypass: false });
    expect(voted.vote).toBe('c');
  });
  it('no vote for a log behind ours', () => {
    const r = node();
    handleVoteRequest(r, req('vote', 'b', 5, 8, 4));
    expect(r.sent.at(-1)).toEqual({ type: 'vote-resp', from: 'a', to: 'b', term: 5, reject: true });
    expect(r.vote).toBeNull();
  });
});
