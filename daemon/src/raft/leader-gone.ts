// Lease rule R5 (lease.ts): an election that need not wait out the vote lease because the
// leader's process is known gone. Owns: the shell's evidence (leaderGone), the early campaign it
// starts, the bypass of this node's vote lease (R3) for that leader only, and the quiet period
// of a leader elected with a bypassed vote.
// Why it is safe: the evidence may be wrong (a firewall can reset connections to a live
// process), so nothing here relies on it for safety. A vote granted under the bypass is flagged
// (MsgVoteResp.leaseBypass) with h, the voter's ticks since it last heard that leader
// (leaseHeardAgoTicks); a leader elected with any such vote (its own included) counts no round
// for its lease and commits nothing until its quiet period ends: for each bypassed vote,
// leaseTicks + clockDriftBoundTicks + 1 - h ticks after the vote reached it (its own vote:
// leaseTicks + clockDriftBoundTicks ticks after its own last-heard tick), the latest of these.
// The old leader A's lease came from a round sent at real time T0 and acknowledged by a quorum
// Q, which intersects the new leader B's voters in some q; q acknowledged that round before it
// voted for B (after voting it is in a higher term, and its replies are no acks), so q last
// heard A at a real time >= T0, and q's h counts from there (the + 1 covers q's tick
// rounding: h ticks counted may be a little less than h ticks of real time). B's wait then
// spans, counted by q and B, at least L + D ticks from T0, while A counts at most L ticks to
// its lease end; the interval is at most E ticks (L + D + 1 <= E), so the drift bound applies:
// A's lease ended before B's quiet period does. A q that voted without the bypass (its vote
// lease over) has h >= E, so its vote adds no wait. Its reads (ReadIndex, lease) wait for a
// commit in its term, which waits for the same instant.
// Invariants: goneLeader is null or the leader this node last heard (heardLeaderId); the bypass
// holds only while this node follows no newer leader and has not heard goneLeader again.
import { randomBelow } from './prng.js';
import type { RaftState } from './state.js';
import type { NodeId } from '../common/types.js';

/**
 * Ticks between the early campaigns of the surviving voters, by rank (their ids in order): more
 * than a pre-vote and vote exchange with its fsyncs on one link, so two survivors seldom split
 * the vote; a random part of the same size breaks ties between equal views of the voter set.
 */
export const LEADER_GONE_SPACING_TICKS = 3;

/** R3 as written: the vote lease holds (a leader always holds it). */
export function strictVoteLease(r: RaftState): boolean {
  return r.role === 'leader' || r.nowTick - r.heardLeaderTick < r.cfg.electionTimeoutTicks;
}

/** The vote lease holds but is dropped: the leader it protects is known gone (R5). */
export function voteLeaseBypassed(r: RaftState): boolean {
  return r.role !== 'leader' && r.goneLeader !== null && r.goneLeader === r.heardLeaderId && strictVoteLease(r);
}

/**
 * The shell's evidence that `id`'s process is not running (its host refused a connection to
 * it). If `id` is the leader this node follows and its vote lease still holds, the lease is
 * dropped for that leader and this node campaigns after a short delay by rank, instead of an
 * election timeout after it last heard the leader. Anything else is ignored.
 */
export function leaderGone(r: RaftState, id: NodeId): void {
  if (r.role !== 'follower' || id === r.id || id !== r.heardLeaderId || id !== r.lead) return;
  if (!strictVoteLease(r) || !r.promotable()) return; // the lease ran out anyway: the normal path
  const survivors = r.voters().filter((v) => v !== id).sort();
  const rank = survivors.indexOf(r.id);
  if (rank < 0) return;
  r.goneLeader = id;
  const delayTicks = 1 + rank * LEADER_GONE_SPACING_TICKS + randomBelow(r.prng, LEADER_GONE_SPACING_TICKS);
  r.electionElapsed = Math.max(r.electionElapsed, r.randomizedElectionTimeout - delayTicks);
}

/** The quiet period's end for a campaign this node starts under its own bypass (same clock: no rounding tick). */
export function ownBypassQuietUntil(r: RaftState): number {
  return r.heardLeaderTick + r.cfg.leaseTicks + r.cfg.clockDriftBoundTicks;
}

/** The quiet period's end a vote granted under a voter's bypass imposes, the vote arriving now. */
export function voterBypassQuietUntil(r: RaftState, heardAgoTicks: number): number {
  return r.nowTick + r.cfg.leaseTicks + r.cfg.clockDriftBoundTicks + 1 - heardAgoTicks;
}

/** The first tick at which a leader elected now may count lease rounds and commit (R5). */
export function quietUntil(r: RaftState): number {
  return Math.max(r.nowTick, r.campaignQuietUntilTick);
}
