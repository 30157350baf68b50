// Client proposals and single-server membership changes (§6, Ongaro ch. 4). Owns: the
// admission checks for new entries on the leader, forwarding by followers, and the leader's
// handling of proposals forwarded to it (MsgProp).
// Invariants:
// - Only the leader appends proposals, with its current term, and never during a transfer.
// - At most one conf change is pending (appended but not committed) at a time; a change must
//   be valid for the current conf (conf.ts) and a learner is promoted only when its match is
//   within RAFT_PROMOTE_MAX_LAG_ENTRIES of the leader's last index.
// - Uncommitted entries on the leader never exceed RAFT_MAX_PENDING_PROPOSALS.
import { RAFT_MAX_ENTRY_BYTES, RAFT_MAX_PENDING_PROPOSALS, RAFT_PROMOTE_MAX_LAG_ENTRIES } from '../common/limits.js';
import { isNodeId, logIndex, term as mkTerm } from '../common/types.js';
import { decodeConfChange, encodeConfChange } from './codec-conf.js';
import { confChangeError } from './conf.js';
import type { RaftState } from './state.js';
import { appendAndReplicate } from './replication.js';
import type { ConfChange, Entry, EntryType, MsgProp, ProposeResult } from './types.js';

/** Why the leader cannot accept a new entry now, or null. */
function leaderRefusal(r: RaftState): ProposeResult | null {
  if (r.leadTransferee !== null) return { ok: false, code: 'E_PROPOSAL_DROPPED', leader: r.id };
  if (r.log.lastIndex() - r.log.committed >= RAFT_MAX_PENDING_PROPOSALS) {
    return { ok: false, code: 'E_PROPOSAL_DROPPED', leader: r.id };
  }
  return null;
}

function confRefusal(r: RaftState, cc: ConfChange): ProposeResult | null {
  if (r.pendingConfIndex > r.log.committed) return { ok: false, code: 'E_CONF_CHANGE_PENDING', leader: r.id };
  const err = confChangeError(r.conf(), cc);
  if (err !== null) return { ok: false, code: err, leader: r.id };
  if (cc.type === 'promote') {
    const pr = r.prs.get(cc.node);
    if (pr === undefined || pr.match + RAFT_PROMOTE_MAX_LAG_ENTRIES < r.log.lastIndex()) {
      return { ok: false, code: 'E_LEARNER_BEHIND', leader: r.id };
    }
  }
  return null;
}

function appendOne(r: RaftState, type: EntryType, data: Uint8Array): void {
  const e: Entry = { term: r.term, index: logIndex(r.log.lastIndex() + 1), type, data };
  if (type === 'conf') r.pendingConfIndex = e.index;
  appendAndReplicate(r, [e]);
}

/** Non-leaders forward to a known leader and report it. */
function forward(r: RaftState, type: EntryType, data: Uint8Array): ProposeResult {
  if (r.lead === null || r.role === 'candidate' || r.role === 'pre-candidate') {
    return { ok: false, code: 'E_NO_LEADER', leader: null };
  }
  r.send({ type: 'prop', from: r.id, to: r.lead, term: r.term,
    entries: [{ term: mkTerm(0), index: logIndex(0), type, data }] });
  return { ok: false, code: 'E_NOT_LEADER', leader: r.lead };
}

export function propose(r: RaftState, data: Uint8Array): ProposeResult {
  if (!(data instanceof Uint8Array) || data.length > RAFT_MAX_ENTRY_BYTES) {
    return { ok: false, code: 'E_TOO_LARGE', leader: r.lead };
  }
  if (r.role !== 'leader') return forward(r, 'normal', data);
  const refusal = leaderRefusal(r);
  if (refusal !== null) return refusal;
  appendOne(r, 'normal', data);
  return { ok: true };
}

const CC_TYPES: readonly unknown[] = ['add-learner', 'promote', 'remove'];

export function proposeConfChange(r: RaftState, cc: ConfChange): ProposeResult {
  if (!isNodeId(cc.node) || !CC_TYPES.includes(cc.type)) return { ok: false, code: 'E_INVALID_ARGUMENT', leader: r.lead };
  const data = encodeConfChange(cc);
  if (r.role !== 'leader') return forward(r, 'conf', data);
  const refusal = leaderRefusal(r) ?? confRefusal(r, cc);
  if (refusal !== null) return refusal;
  appendOne(r, 'conf', data);
  return { ok: true };
}

/** Leader: proposals forwarded by a follower; refused ones are dropped silently. */
export function handleProp(r: RaftState, m: MsgProp): void {
  for (const e of m.entries) {
    if (r.role !== 'leader' || leaderRefusal(r) !== null) return;
    if (e.type === 'conf') {
      const cc = decodeConfChange(e.data);
      if (cc === null || confRefusal(r, cc) !== null) continue;
    }
    appendOne(r, e.type, e.data);
  }
}
