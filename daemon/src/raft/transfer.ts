// Leadership transfer (Ongaro §3.10). Owns: starting, completing and aborting a transfer.
// Invariants:
// - While a transfer is under way the leader refuses proposals and leaseValid() is false.
// - MsgTimeoutNow is sent only once the target's log matches the leader's and the leader's R5
//   quiet period is over (an older leader's lease may run until then, and the target's transfer
//   campaign is exempt from the vote lease); from that moment the leader's lease is forfeited
//   for the rest of its term (lease.ts R4).
// - A transfer not completed within electionTimeoutTicks is aborted; if MsgTimeoutNow was
//   already sent the leader steps down instead of resuming (it cannot know whether the
//   target's campaign, exempt from the vote lease, is still under way).
import type { NodeId } from '../common/types.js';
import { isLearner, isVoter } from './conf.js';
import type { RaftState } from './state.js';
import { sendAppend } from './replication.js';
import type { ProposeResult } from './types.js';

export function transferLeadership(r: RaftState, to: NodeId): ProposeResult {
  if (r.role !== 'leader') {
    if (r.lead === null) return { ok: false, code: 'E_NO_LEADER', leader: null };
    r.send({ type: 'transfer-leader', from: r.id, to: r.lead, term: r.term, target: to });
    return { ok: false, code: 'E_NOT_LEADER', leader: r.lead };
  }
  return leaderTransfer(r, to);
}

export function leaderTransfer(r: RaftState, to: NodeId): ProposeResult {
  const c = r.conf();
  if (!isVoter(c, to)) return { ok: false, code: isLearner(c, to) ? 'E_INVALID_STATE' : 'E_UNKNOWN_NODE', leader: r.id };
  if (to === r.id) {
    if (r.timeoutNowSent) return { ok: false, code: 'E_TRANSFER_FAILED', leader: r.id };
    r.leadTransferee = null; // transfer to self: cancel a transfer still catching up
    return { ok: true };
  }
  if (r.leadTransferee === to) return { ok: true };
  if (r.timeoutNowSent) return { ok: false, code: 'E_TRANSFER_FAILED', leader: r.id };
  r.leadTransferee = to;
  r.transferStartTick = r.nowTick;
  if (!maybeSendTimeoutNow(r, to)) sendAppend(r, to);
  return { ok: true };
}

/** Sends MsgTimeoutNow when `to` is the transfer target, fully caught up, and the quiet period is over. */
export function maybeSendTimeoutNow(r: RaftState, to: NodeId): boolean {
  if (r.leadTransferee !== to || r.timeoutNowSent) return false;
  if (r.nowTick < r.quietUntilTick) return false; // R5: tickHeartbeat retries when it ends
  const pr = r.prs.get(to);
  if (pr === undefined || pr.match !== r.log.lastIndex()) return false;
  r.timeoutNowSent = true;
  r.leaseEndTick = null;
  r.send({ type: 'timeout-now', from: r.id, to, term: r.term });
  return true;
}

/** Called on every leader tick. Returns false when the leader stepped down. */
export function checkTransferTimeout(r: RaftState): boolean {
  if (r.leadTransferee === null || r.nowTick - r.transferStartTick < r.cfg.electionTimeoutTicks) return true;
  if (r.timeoutNowSent) {
    r.becomeFollower(r.term, null);
    return false;
  }
  r.leadTransferee = null;
  return true;
}
