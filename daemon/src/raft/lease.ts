// The leader lease. Owns: turning acknowledged rounds into leaseEndTick, and leaseValid().
// The lease decides which node may write md superblocks on the shared disks, so two nodes
// must never both hold it at the same real time.
//
// Rules (implemented here and in raft.ts/election.ts/transfer.ts):
//  R1 The leader tags every append/heartbeat with (round, roundTick = its nowTick at sending);
//     replies echo the tag. Only replies of the leader's current term, with round >= 1 and
//     leaderStartTick <= roundTick <= nowTick, count.
//  R2 When a quorum of voters (the leader counts itself at nowTick) acknowledged rounds sent
//     at tick >= t: leaseEndTick = max(leaseEndTick, t + leaseTicks). leaseValid() is
//     role leader && nowTick < leaseEndTick && no leadership transfer under way or done in
//     this term.
//  R3 (vote lease) A node that received an append/heartbeat/snapshot from a leader at its tick
//     h grants no (pre)vote and starts no campaign while nowTick - h < electionTimeoutTicks;
//     a leader refuses while it leads; a node that starts or restarts behaves as if h = 0
//     (it has forgotten when it last heard a leader). Only a transfer campaign is exempt.
//  R4 A leader that sends MsgTimeoutNow forfeits its lease for the rest of its term (the
//     target's transfer campaign is exempt from R3); an aborted transfer after MsgTimeoutNow
//     makes it step down.
//  R5 (leader-gone.ts) A node with evidence that the leader it last heard is gone (its host
//     refused a connection) drops R3 for that leader only; a vote granted so is flagged, and
//     with the voter's ticks since it last heard that leader, and a leader elected with a
//     flagged vote (or its own campaign so started) counts no round and commits nothing until
//     leaseTicks + clockDriftBoundTicks ticks after that voter last heard the old leader (+ 1
//     tick for the voter's rounding; leaderStartTick, quietUntilTick): the argument below then
//     holds with that wait in place of q's E ticks.
//
// Why leaseTicks < electionTimeoutTicks - clockDriftBoundTicks gives non-overlap in real time.
// Let E = electionTimeoutTicks, L = leaseTicks, D = clockDriftBoundTicks, and assume (the
// drift bound) that while any node counts E ticks, any other node counts at least E - D.
// Let leader A of term T hold leaseEndTick = t + L from a round sent at its tick t (real time
// T0), acknowledged by a quorum Q. Every q in Q other than A received that round at real
// time >= T0, while still in term T (a node in a higher term replies with its term, which is
// not an ack), so q had granted no vote for a term > T before, and by R3 grants none until
// it has counted E more ticks (a crash and restart only restarts that count, by R3 again).
// A new leader B of a term > T needs votes from a quorum, which intersects Q in some q; if q
// is B itself, B's own campaign is held back by R3 in the same way. So B is elected only
// after q counted E ticks from a real time >= T0; by the drift bound A has meanwhile counted
// at least E - D > L ticks since t, so A's nowTick >= t + L and A's lease ended first. A
// leader also refuses votes (R3), so Q may include A without harm. The one exemption, a
// transfer campaign, starts only from a MsgTimeoutNow of the current term's leader, which
// by R4 has no lease from that moment, and which sends none during its R5 quiet period (an
// older leader's lease may still run then: `npm run sim -- --seed=946` before this rule); a stale MsgTimeoutNow of an older term T' < T
// cannot win either: its campaign term T' + 1 <= T is refused by every q in Q (q is at term
// >= T and, if at T, already follows A with lead set). Hence at most one node has
// leaseValid() true at any real time. Committing entries is independent of the lease.
import type { Progress } from './progress.js';
import { quorumValue } from './quorum.js';
import type { RaftState } from './state.js';
import { confirmReads } from './readindex.js';

/** R1: records a reply's round tag, then refreshes the lease and pending reads. */
export function ackRound(r: RaftState, pr: Progress, round: number, roundTick: number): void {
  if (r.role !== 'leader' || round < 1 || round > r.round) return;
  if (roundTick < r.leaderStartTick || roundTick > r.nowTick) return;
  pr.ackRound(round, roundTick);
  refreshLease(r);
  confirmReads(r);
}

/** R2: extends leaseEndTick from the quorum-acknowledged round tick. */
export function refreshLease(r: RaftState): void {
  if (r.role !== 'leader' || r.timeoutNowSent) return;
  const ticks = r.voters().map((v) => (v === r.id ? r.nowTick : r.prs.get(v)?.ackedRoundTick ?? -1));
  const t = quorumValue(ticks);
  if (t === null || t < 0) return;
  const end = t + r.cfg.leaseTicks;
  if (r.leaseEndTick === null || end > r.leaseEndTick) r.leaseEndTick = end;
}

export function leaseValid(r: RaftState): boolean {
  if (r.role !== 'leader' || r.leadTransferee !== null || r.timeoutNowSent || r.leaseEndTick === null) return false;
  if (r.fault('ignoreLease')) return true; // TEST-ONLY broken variant: the lease never expires
  return r.nowTick < r.leaseEndTick;
}
