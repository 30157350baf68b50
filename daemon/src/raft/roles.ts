// Role behaviour by function swap (as etcd's raft): one step function and one tick function
// per role, installed by Raft.become*(). Owns: which message each role handles and how, and
// what a tick means for each role.
// Invariants:
// - Followers and learners accept a leader's append/heartbeat/snapshot of the current term,
//   note the leader and the tick they heard it at (vote lease), and reset the election timer.
// - (Pre-)candidates give way to a leader of their term (§5.2).
// - A leader steps down when it has not heard from a quorum within an election timeout
//   (CheckQuorum) and aborts an overdue leadership transfer.
import { campaign, handleVoteResp, hup } from './election.js';
import { refreshLease } from './lease.js';
import { handleProp } from './proposals.js';
import { quorumActive } from './quorum.js';
import type { RaftState } from './state.js';
import { handleReadIndexResp, leaderReadIndex } from './readindex.js';
import { bcastHeartbeat, handleAppend, handleAppendResp, handleHeartbeat, handleHeartbeatResp, maybeCommit } from './replication.js';
import { handleSnapChunk, handleSnapResp } from './snapshot-transfer.js';
import { checkTransferTimeout, leaderTransfer, maybeSendTimeoutNow } from './transfer.js';
import type { Message } from './types.js';

export function stepFollower(r: RaftState, m: Message): void {
  switch (m.type) {
    case 'app':
    case 'heartbeat':
    case 'snap':
      r.electionElapsed = 0;
      r.lead = m.from;
      r.heardLeaderTick = r.nowTick;
      r.heardLeaderId = m.from;
      if (r.goneLeader === m.from) r.goneLeader = null; // it is running after all
      if (m.type === 'app') handleAppend(r, m);
      else if (m.type === 'heartbeat') handleHeartbeat(r, m);
      else handleSnapChunk(r, m);
      return;
    case 'prop':
    case 'transfer-leader':
      // Only the node a client asked forwards to the leader (no forwarding chains).
      return;
    case 'timeout-now':
      // Only our current leader may hand over: the transfer campaign is exempt from the
      // vote lease (lease.ts R4), so no one else may trigger it.
      if (m.from === r.lead && r.promotable()) campaign(r, 'transfer');
      return;
    case 'read-index-resp':
      handleReadIndexResp(r, m);
      return;
    default:
      return; // replies meant for a leader or candidate: stale, ignore
  }
}

export function stepCandidate(r: RaftState, m: Message): void {
  switch (m.type) {
    case 'app':
    case 'heartbeat':
    case 'snap':
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case 'vote-resp':
    case 'pre-vote-resp':
      handleVoteResp(r, m);
      return;
    default:
      return; // proposals are dropped: no leader is known
  }
}

export function stepLeader(r: RaftState, m: Message): void {
  switch (m.type) {
    case 'prop':
      handleProp(r, m);
      return;
    case 'read-index':
      leaderReadIndex(r, m.requestCtx, m.from);
      return;
    case 'transfer-leader':
      leaderTransfer(r, m.target);
      return;
    case 'app-resp':
      handleAppendResp(r, m);
      return;
    case 'heartbeat-resp':
      handleHeartbeatResp(r, m);
      return;
    case 'snap-resp':
      handleSnapResp(r, m);
      return;
    default:
      return;
  }
}

/**
 * Ticks until tick() next does more than count (>= 1), or Infinity when no tick can do more
 * before some input: a shell may sleep until then and replay the ticks when it wakes (the
 * counters end where they would have). Mirrors tickElection and tickHeartbeat below: the
 * election timeout of a promotable node; a leader's next heartbeat, CheckQuorum period,
 * transfer timeout and the end of its R5 quiet period. A leader's per-tick refreshLease counts
 * only itself at the current tick, which changes the lease of a single voter alone: a lease
 * read (leaseValid) must replay the ticks first, as every shell call does (node/raft-time.ts).
 */
export function ticksUntilDue(r: RaftState): number {
  if (r.role === 'leader') {
    let due = Math.min(r.cfg.heartbeatTicks - r.heartbeatElapsed, r.cfg.electionTimeoutTicks - r.electionElapsed);
    if (r.leadTransferee !== null) due = Math.min(due, r.transferStartTick + r.cfg.electionTimeoutTicks - r.nowTick);
    if (r.quietUntilTick > r.nowTick) due = Math.min(due, r.quietUntilTick - r.nowTick);
    return Math.max(1, due);
  }
  return r.promotable() ? Math.max(1, r.randomizedElectionTimeout - r.electionElapsed) : Infinity;
}

export function tickElection(r: RaftState): void {
  r.electionElapsed++;
  if (r.promotable() && r.electionElapsed >= r.randomizedElectionTimeout) {
    r.electionElapsed = 0;
    hup(r, false);
  }
}

export function tickHeartbeat(r: RaftState): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  r.heardLeaderTick = r.nowTick;
  if (r.electionElapsed >= r.cfg.electionTimeoutTicks) {
    r.electionElapsed = 0;
    if (!checkQuorum(r)) return;
  }
  if (!checkTransferTimeout(r)) return;
  // R5: the quiet period ends now; what a quorum already holds commits (maybeCommit waited),
  // and a transfer that waited for it may hand over (maybeSendTimeoutNow waited).
  if (r.nowTick === r.quietUntilTick) {
    maybeCommit(r);
    if (r.leadTransferee !== null) maybeSendTimeoutNow(r, r.leadTransferee);
  }
  if (r.heartbeatElapsed >= r.cfg.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r);
  }
  refreshLease(r);
}

/** CheckQuorum: steps down unless a quorum of voters was heard from in the last period. */
function checkQuorum(r: RaftState): boolean {
  const ok = quorumActive(r.voters(), (id) => id === r.id || r.prs.get(id as RaftState['id'])?.recentActive === true);
  for (const pr of r.prs.values()) pr.recentActive = false;
  if (!ok) r.becomeFollower(r.term, null);
  return ok;
}
