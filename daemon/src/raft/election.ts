// Leader election (§5.2, §5.4.1) with PreVote (Ongaro §9.6). Owns: starting a campaign,
// answering (pre)vote requests and tallying (pre)vote responses.
// Invariants:
// - A node votes at most once per term (vote is persisted through Ready before the reply is
//   sent); a pre-vote changes neither term nor vote.
// - A vote is granted only to a candidate whose log is at least as up-to-date (§5.4.1),
//   unless the TEST-ONLY fault grantVoteWithoutLogCheck is set.
// - Outside a leadership transfer, no campaign starts and no vote is granted while the vote
//   lease holds (raft.ts inVoteLease, argued in lease.ts); the caller filters requests.
import type { ProposeResult } from './types.js';
import { term as mkTerm } from '../common/types.js';
import { voteResult } from './quorum.js';
import { ownBypassQuietUntil, voteLeaseBypassed, voterBypassQuietUntil } from './leader-gone.js';
import type { RaftState } from './state.js';
import type { MsgVote, MsgVoteResp } from './types.js';

export type CampaignKind = 'pre-election' | 'election' | 'transfer';

/** An election timeout or an explicit campaign request (etcd's MsgHup). */
export function hup(r: RaftState, transfer: boolean): ProposeResult {
  if (r.role === 'leader') return { ok: true };
  if (!r.promotable()) return { ok: false, code: 'E_INVALID_STATE', leader: r.lead };
  if (!transfer && r.inVoteLease()) return { ok: false, code: 'E_LEASE_HELD', leader: r.lead };
  campaign(r, transfer ? 'transfer' : r.cfg.preVote ? 'pre-election' : 'election');
  return { ok: true };
}

export function campaign(r: RaftState, kind: CampaignKind): void {
  let voteTerm: number;
  if (kind === 'pre-election') {
    r.becomePreCandidate();
    voteTerm = r.term + 1;
  } else {
    // Campaigning inside our own vote lease is possible only through R5 (hup checked the lease).
    const ownQuietUntilTick = kind === 'election' && voteLeaseBypassed(r) ? ownBypassQuietUntil(r) : 0;
    r.becomeCandidate();
    r.campaignQuietUntilTick = ownQuietUntilTick;
    voteTerm = r.term;
  }
  const type = kind === 'pre-election' ? 'pre-vote' : 'vote';
  if (poll(r, r.id, type === 'pre-vote' ? 'pre-vote-resp' : 'vote-resp', true, 0)) return;
  for (const v of r.voters()) {
    if (v === r.id) continue;
    r.send({ type, from: r.id, to: v, term: mkTerm(voteTerm), index: r.log.typedLastIndex(),
      logTerm: r.log.typedLastTerm(), transfer: kind === 'transfer' });
  }
}

/**
 * Records a vote and acts on the tally. Returns true when the campaign ended. quietUntilTick:
 * the end of the quiet period a granted vote under R5 imposes on the winner (0: none).
 */
function poll(r: RaftState, from: RaftState['id'], type: MsgVoteResp['type'], granted: boolean, quietUntilTick: number): boolean {
  r.votes.set(from, granted);
  if (type === 'vote-resp' && granted) r.campaignQuietUntilTick = Math.max(r.campaignQuietUntilTick, quietUntilTick);
  const res = voteResult(r.voters(), r.votes);
  if (res === 'won') {
    if (type === 'pre-vote-resp') {
      campaign(r, 'election');
    } else {
      r.becomeLeader();
    }
    return true;
  }
  if (res === 'lost') {
    r.becomeFollower(r.term, null);
    return true;
  }
  return false;
}

/** A (pre-)candidate receives a (pre)vote response (term rules already applied). */
export function handleVoteResp(r: RaftState, m: MsgVoteResp): void {
  const expected = r.role === 'pre-candidate' ? 'pre-vote-resp' : 'vote-resp';
  if (m.type !== expected) return;
  // A granted pre-vote must be for this pre-campaign (term + 1); stale grants are ignored.
  if (m.type === 'pre-vote-resp' && !m.reject && m.term !== r.term + 1) return;
  if (m.type === 'vote-resp' && m.term !== r.term) return;
  poll(r, m.from, m.type, !m.reject, m.leaseBypass === true ? voterBypassQuietUntil(r, m.leaseHeardAgoTicks ?? 0) : 0);
}

/** Answers a (pre)vote request whose term is >= ours (term rules and lease check done). */
export function handleVoteRequest(r: RaftState, m: MsgVote): void {
  const isPre = m.type === 'pre-vote';
  const canVote = r.vote === m.from || (r.vote === null && r.lead === null) || (isPre && m.term > r.term);
  const upToDate = r.fault('grantVoteWithoutLogCheck') || r.log.isUpToDate(m.index, m.logTerm);
  const respType = isPre ? 'pre-vote-resp' : 'vote-resp';
  if (canVote && upToDate) {
    // Granted inside our vote lease (R5 bypass): the winner must keep the quiet period.
    const leaseBypass = !m.transfer && voteLeaseBypassed(r);
    r.send({ type: respType, from: r.id, to: m.from, term: m.term, reject: false, leaseBypass,
      ...(leaseBypass ? { leaseHeardAgoTicks: r.nowTick - r.heardLeaderTick } : {}) });
    if (!isPre) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
  }
}

