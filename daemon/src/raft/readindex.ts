// Linearizable reads by ReadIndex (§8, Ongaro §6.4). Owns: the leader's queue of reads
// waiting for a heartbeat round to confirm its leadership, and the reads that wait for the
// leader's first commit in its term.
// Invariants:
// - A read is answered with the commit index it was registered at, only after a quorum of
//   voters acknowledged a round sent after it was registered (round >= read.round), and only
//   if the leader had committed an entry of its term when it registered it.
// - pending reads are in registration order with non-decreasing rounds; both queues together
//   hold at most RAFT_MAX_PENDING_READS reads; a role change drops them all (callers retry).
import { RAFT_MAX_PENDING_READS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import { logIndex } from '../common/types.js';
import { quorumValue } from './quorum.js';
import type { PendingRead, RaftState, ReadQueue } from './state.js';
import { bcastHeartbeat } from './replication.js';
import type { MsgReadIndexResp, ProposeResult } from './types.js';

export function newReadQueue(): ReadQueue {
  return { pending: [], beforeCommit: [], broadcastNeeded: false };
}

export function clearReads(r: RaftState): void {
  r.reads = newReadQueue();
}

function committedInTerm(r: RaftState): boolean {
  return r.log.termAt(r.log.committed) === r.term;
}

/** Leader: a read from `from` (self for a local request). */
export function leaderReadIndex(r: RaftState, requestCtx: string, from: NodeId): ProposeResult {
  const q = r.reads;
  if (q.pending.length + q.beforeCommit.length >= RAFT_MAX_PENDING_READS) {
    return { ok: false, code: 'E_PROPOSAL_DROPPED', leader: r.id };
  }
  if (!committedInTerm(r)) q.beforeCommit.push({ requestCtx, from });
  else register(r, requestCtx, from);
  return { ok: true };
}

function register(r: RaftState, requestCtx: string, from: NodeId): void {
  const soleVoter = r.voters().length === 1 && r.voters()[0] === r.id;
  if (soleVoter) {
    answer(r, { index: r.log.committed, requestCtx, from, round: r.round });
    return;
  }
  r.reads.pending.push({ index: r.log.committed, requestCtx, from, round: r.round + 1 });
  r.reads.broadcastNeeded = true;
}

export function releaseReadsAfterFirstCommit(r: RaftState): void {
  const waiting = r.reads.beforeCommit;
  if (waiting.length === 0) return;
  r.reads.beforeCommit = [];
  for (const w of waiting) register(r, w.requestCtx, w.from);
}

/** Sends the heartbeat round that confirms the newest reads (called when building a Ready). */
export function flushReadBroadcast(r: RaftState): void {
  if (r.role !== 'leader' || !r.reads.broadcastNeeded) return;
  r.reads.broadcastNeeded = false;
  bcastHeartbeat(r);
}

/** Answers every read whose round a quorum has acknowledged. */
export function confirmReads(r: RaftState): void {
  const q = r.reads.pending;
  if (q.length === 0) return;
  const rounds = r.voters().map((v) => (v === r.id ? Number.MAX_SAFE_INTEGER : r.prs.get(v)?.ackedRound ?? -1));
  const acked = quorumValue(rounds) ?? -1;
  let n = 0;
  while (n < q.length && q[n]!.round <= acked) answer(r, q[n++]!);
  if (n > 0) q.splice(0, n);
}

function answer(r: RaftState, read: PendingRead): void {
  if (read.from === r.id) {
    r.readStates.push({ index: logIndex(read.index), requestCtx: read.requestCtx });
  } else {
    r.send({ type: 'read-index-resp', from: r.id, to: read.from, term: r.term, requestCtx: read.requestCtx,
      index: logIndex(read.index) });
  }
}

/** Follower: the leader answered a forwarded read. */
export function handleReadIndexResp(r: RaftState, m: MsgReadIndexResp): void {
  if (m.from !== r.lead || m.term !== r.term) return;
  if (r.readStates.length >= RAFT_MAX_PENDING_READS) return;
  r.readStates.push({ index: m.index, requestCtx: m.requestCtx });
}
