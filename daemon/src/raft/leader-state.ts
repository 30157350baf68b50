// Entering and leaving leadership. Owns: the leader-only state set up on election (progress
// per peer, the election no-op, round counter, pending conf index) and torn down on any role
// change, and what a leader does after its commit index advances.
// Invariants: after resetLeaderState no leader-only state survives (no progress, no lease, no
// pending reads, no transfer); a leader appends exactly one empty entry on election (§8).
import { isVoter } from './conf.js';
import { Progress } from './progress.js';
import type { RaftState } from './state.js';
import { clearReads, releaseReadsAfterFirstCommit } from './readindex.js';
import { appendAndReplicate } from './replication.js';
import { logIndex } from '../common/types.js';

export function resetLeaderState(r: RaftState): void {
  r.prs.clear();
  r.leaseEndTick = null;
  r.round = 0;
  r.leadTransferee = null;
  r.timeoutNowSent = false;
  r.pendingConfIndex = 0;
  clearReads(r);
}

/** Builds a Progress for every member but self (probing from our last index + 1). */
export function syncProgress(r: RaftState): void {
  const c = r.conf();
  const want = new Set([...c.voters, ...c.learners].filter((id) => id !== r.id));
  for (const id of r.prs.keys()) if (!want.has(id)) r.prs.delete(id);
  for (const id of want) {
    if (!r.prs.has(id)) r.prs.set(id, new Progress(r.log.lastIndex() + 1, r.cfg.maxInflightAppends));
  }
}

export function initLeaderState(r: RaftState): void {
  r.leaderStartTick = Math.max(r.nowTick, r.quietUntilTick); // R5: no lease before the quiet period ends
  r.round = 1; // round 0 is never sent by a leader: replies tagged 0 never count
  r.pendingConfIndex = r.log.lastConfIndex();
  syncProgress(r);
  appendAndReplicate(r, [{ term: r.term, index: logIndex(r.log.lastIndex() + 1), type: 'normal', data: new Uint8Array(0) }]);
}

/** A leader's commit index advanced (already broadcast). */
export function afterCommit(r: RaftState): void {
  if (r.log.termAt(r.log.committed) === r.term) releaseReadsAfterFirstCommit(r);
  if (!isVoter(r.conf(), r.id) && r.log.lastConfIndex() <= r.log.committed) stepDownAfterRemoval(r);
}

/**
 * A leader whose removal is committed steps down. It hands leadership to the most up-to-date
 * voter with MsgTimeoutNow (its own lease ends with its leadership), so the cluster does not
 * wait an election timeout.
 */
function stepDownAfterRemoval(r: RaftState): void {
  let best: RaftState['id'] | null = null;
  for (const v of r.voters()) {
    const pr = r.prs.get(v);
    if (pr !== undefined && pr.match === r.log.lastIndex() && (best === null || v < best)) best = v;
  }
  if (best !== null) r.send({ type: 'timeout-now', from: r.id, to: best, term: r.term });
  r.becomeFollower(r.term, null);
}
