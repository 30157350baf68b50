// Membership (ConfState) operations. Owns: the pure rules for applying a single-server change
// and for checking whether a change is allowed. Used by the log (conf = latest conf entry in
// the log, dissertation §4.1) and by the leader when a change is proposed.
// Invariants: every ConfState produced here has disjoint, duplicate-free voters and learners,
// sorted, with at most RAFT_MAX_MEMBERS members; applyConfChange is total (an inapplicable
// change is a no-op) so that every node derives the same membership from the same log.
import { RAFT_MAX_MEMBERS } from '../common/limits.js';
import type { ErrorCode } from '../common/errors.js';
import type { NodeId } from '../common/types.js';
import type { ConfChange, ConfState } from './types.js';

const sortIds = (ids: NodeId[]): NodeId[] => ids.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export function emptyConf(): ConfState {
  return { voters: [], learners: [] };
}

export function cloneConf(c: ConfState): ConfState {
  return { voters: c.voters.slice(), learners: c.learners.slice() };
}

export function isVoter(c: ConfState, id: NodeId): boolean {
  return c.voters.includes(id);
}

export function isLearner(c: ConfState, id: NodeId): boolean {
  return c.learners.includes(id);
}

export function isMember(c: ConfState, id: NodeId): boolean {
  return isVoter(c, id) || isLearner(c, id);
}

export function members(c: ConfState): NodeId[] {
  return [...c.voters, ...c.learners];
}

export function confEquals(a: ConfState, b: ConfState): boolean {
  const eq = (x: NodeId[], y: NodeId[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(sortIds(a.voters), sortIds(b.voters)) && eq(sortIds(a.learners), sortIds(b.learners));
}

/** Why a change cannot be applied to c, or null when it can. */
export function confChangeError(c: ConfState, cc: ConfChange): ErrorCode | null {
  switch (cc.type) {
    case 'add-learner':
      if (isMember(c, cc.node)) return 'E_INVALID_STATE';
      if (c.voters.length + c.learners.length >= RAFT_MAX_MEMBERS) return 'E_TOO_LARGE';
      return null;
    case 'promote':
      return isLearner(c, cc.node) ? null : isVoter(c, cc.node) ? 'E_INVALID_STATE' : 'E_UNKNOWN_NODE';
    case 'remove':
      if (!isMember(c, cc.node)) return 'E_UNKNOWN_NODE';
      if (isVoter(c, cc.node) && c.voters.length === 1) return 'E_INVALID_STATE';
      return null;
  }
}

/** The membership after cc; c itself when cc is not applicable (see the file invariant). */
export function applyConfChange(c: ConfState, cc: ConfChange): ConfState {
  if (confChangeError(c, cc) !== null) return c;
  switch (cc.type) {
    case 'add-learner':
      return { voters: c.voters.slice(), learners: sortIds([...c.learners, cc.node]) };
    case 'promote':
      return { voters: sortIds([...c.voters, cc.node]), learners: c.learners.filter((n) => n !== cc.node) };
    case 'remove':
      return { voters: c.voters.filter((n) => n !== cc.node), learners: c.learners.filter((n) => n !== cc.node) };
  }
}

/** A normalized copy (sorted); null when c breaks the ConfState invariants. */
export function normalizeConf(c: ConfState): ConfState | null {
  const voters = sortIds(c.voters);
  const learners = sortIds(c.learners);
  const all = new Set<NodeId>([...voters, ...learners]);
  if (all.size !== voters.length + learners.length) return null;
  if (all.size > RAFT_MAX_MEMBERS) return null;
  return { voters, learners };
}
