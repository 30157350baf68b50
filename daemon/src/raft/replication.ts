// Log replication (§5.3) and commitment (§5.4.2). Owns: building appends and heartbeats
// (pipelined up to maxInflightAppends per follower, batched up to maxEntriesPerAppend and
// RAFT_MAX_APPEND_BYTES), the follower's consistency check and fast back-off hint, the
// leader's handling of replies, and the commit rule.
// Invariants:
// - The leader never overwrites or deletes its own entries; a follower never truncates a
//   committed entry (a message that would is dropped and counted).
// - The leader commits only an index whose entry carries its current term, counting replicas
//   of the voters (quorum.ts); earlier entries commit indirectly (§5.4.2, Figure 8), unless
//   the TEST-ONLY fault commitPreviousTermByCounting is set.
// - Every append/heartbeat carries the leader's round tag; replies echo it (lease.ts).
import { RAFT_MAX_APPEND_BYTES } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import { logIndex, term as mkTerm } from '../common/types.js';
import { committedIndex } from './quorum.js';
import type { RaftState } from './state.js';
import { continueSnapshot, sendSnapshot } from './snapshot-transfer.js';
import type { Entry, MsgApp, MsgAppResp, MsgHeartbeat, MsgHeartbeatResp } from './types.js';

/** Sends the next append to `to` unless its window is paused. Returns whether one was sent. */
export function sendAppend(r: RaftState, to: NodeId, sendIfEmpty = true): boolean {
  const pr = r.prs.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.termAt(prevIndex);
  const ents = r.log.entriesFrom(pr.next, r.cfg.maxEntriesPerAppend, RAFT_MAX_APPEND_BYTES);
  if (prevTerm === null || ents === null) return sendSnapshot(r, to, pr);
  if (ents.length === 0 && !sendIfEmpty) return false;
  r.send({ type: 'app', from: r.id, to, term: r.term, index: logIndex(prevIndex), logTerm: mkTerm(prevTerm),
    entries: ents, commit: logIndex(r.log.committed), round: r.round, roundTick: r.nowTick });
  if (ents.length > 0) pr.sentEntries(ents[ents.length - 1]!.index);
  else if (pr.state === 'probe') pr.probeSent = true;
  return true;
}

/** Fills the follower's window (replicate state) or sends one probe. */
function sendAppends(r: RaftState, to: NodeId): void {
  if (!sendAppend(r, to)) return;
  while (sendAppend(r, to, false)) { /* pipeline until the window is full or the log is sent */ }
}

export function bcastAppend(r: RaftState): void {
  for (const id of r.prs.keys()) sendAppends(r, id);
}

/** A new round: heartbeats to every peer (commit capped by what each is known to hold). */
export function bcastHeartbeat(r: RaftState): void {
  r.round++;
  for (const [to, pr] of r.prs) {
    r.send({ type: 'heartbeat', from: r.id, to, term: r.term, commit: logIndex(Math.min(pr.match, r.log.committed)),
      round: r.round, roundTick: r.nowTick });
  }
}

/** Leader: appends entries of the current term to its own log and replicates them. */
export function appendAndReplicate(r: RaftState, ents: Entry[]): void {
  r.log.append(ents);
  r.onConfChanged();
  if (!maybeCommit(r)) bcastAppend(r);
}

/** The commit rule. Returns true when the commit index advanced (and was broadcast). */
export function maybeCommit(r: RaftState): boolean {
  if (r.nowTick < r.quietUntilTick) return false; // lease.ts R5: an older leader's lease may still hold
  const matches = r.voters().map((v) => (v === r.id ? r.log.lastIndex() : r.prs.get(v)?.match ?? 0));
  const mci = committedIndex(matches);
  if (mci <= r.log.committed) return false;
  if (r.log.termAt(mci) !== r.term && !r.fault('commitPreviousTermByCounting')) return false;
  r.log.commitTo(mci);
  bcastAppend(r);
  r.afterCommit();
  return true;
}

// ---- follower side ----

function appResp(r: RaftState, m: MsgApp | MsgHeartbeat, fields: Pick<MsgAppResp, 'index' | 'reject' | 'rejectHint' | 'logTerm'>): void {
  r.send({ type: 'app-resp', from: r.id, to: m.from, term: r.term, ...fields, round: m.round, roundTick: m.roundTick });
}

export function handleAppend(r: RaftState, m: MsgApp): void {
  const committed = r.log.committed;
  if (m.index < committed) {
    appResp(r, m, { index: logIndex(committed), reject: false, rejectHint: logIndex(0), logTerm: mkTerm(0) });
    return;
  }
  const res = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (res === 'unsafe') {
    r.droppedMessages++;
    return;
  }
  if (res !== 'mismatch') {
    r.onConfChanged();
    appResp(r, m, { index: logIndex(res), reject: false, rejectHint: logIndex(0), logTerm: mkTerm(0) });
    return;
  }
  // Fast back-off hint: the conflicting term and its first index (not below commit + 1), or
  // our last index + 1 with term 0 when our log is too short.
  const last = r.log.lastIndex();
  if (m.index > last) {
    appResp(r, m, { index: m.index, reject: true, rejectHint: logIndex(last + 1), logTerm: mkTerm(0) });
    return;
  }
  const ct = r.log.termAt(m.index)!;
  const hint = r.log.firstIndexOfTermRun(m.index, committed + 1);
  appResp(r, m, { index: m.index, reject: true, rejectHint: logIndex(hint), logTerm: mkTerm(ct) });
}

export function handleHeartbeat(r: RaftState, m: MsgHeartbeat): void {
  r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send({ type: 'heartbeat-resp', from: r.id, to: m.from, term: r.term, round: m.round, roundTick: m.roundTick });
}

// ---- leader side ----

/** Where to probe next after a rejection, from the follower's hint (see MsgAppResp). */
function nextProbeIndex(r: RaftState, m: MsgAppResp): number {
  if (m.logTerm === 0) return m.rejectHint;
  const k = r.log.lastIndexWithTermAtMost(m.index, m.logTerm);
  if (k !== null && k >= m.rejectHint && r.log.termAt(k) === m.logTerm) return k + 1;
  return m.rejectHint;
}

export function handleAppendResp(r: RaftState, m: MsgAppResp): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  if (!m.reject && m.index > r.log.lastIndex()) {
    r.droppedMessages++; // claims entries we never sent: out of range
    return;
  }
  pr.recentActive = true;
  r.ackRound(pr, m.round, m.roundTick);
  if (r.role !== 'leader') return; // an ack may have ended a removed leader's term of office
  if (m.reject) {
    if (pr.maybeDecrTo(m.index, nextProbeIndex(r, m))) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppends(r, m.from);
    }
    return;
  }
  const updated = pr.maybeUpdate(m.index);
  const probeAnswered = pr.state === 'probe' && pr.match === m.index;
  const snapshotDone = pr.state === 'snapshot' && r.log.termAt(pr.match) !== null;
  if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
  if (!updated && !probeAnswered && !snapshotDone) return;
  if (pr.state === 'probe' || snapshotDone) pr.becomeReplicate();
  if (!maybeCommit(r)) sendAppends(r, m.from);
  if (r.role === 'leader') r.maybeSendTimeoutNow(m.from);
}

export function handleHeartbeatResp(r: RaftState, m: MsgHeartbeatResp): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  r.ackRound(pr, m.round, m.roundTick);
  if (r.role !== 'leader') return;
  if (pr.state === 'snapshot') {
    continueSnapshot(r, m.from, pr, true);
    return;
  }
  pr.probeSent = false;
  // A full window whose appends were lost would never drain: free one slot so an append goes
  // out; if earlier ones were lost, the follower's rejection sends us back to probing.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppends(r, m.from);
}
