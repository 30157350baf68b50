// The planned hand-over of the master role: the 'step-down' control request and the master's
// SIGTERM both come here. Owns: choosing the standby, the order of the steps and their wait.
// Invariants:
// - Only the Raft leader hands over (E_NOT_LEADER otherwise), and only to another voter whose
//   link is up (E_UNKNOWN_NODE / E_TRANSFER_FAILED); the default target is the most caught-up
//   healthy voter (highest gossiped applied index).
// - The writer role is given up (arrays read-only) BEFORE leadership is transferred: the old
//   and the new master never hold an array writable at once, whatever the new one does.
// - The wait ends when the target's master entry of a later term is applied here, or at
//   timeoutMs; then, if this node still leads and the caller asked for it, it resumes writing.
import { OpError } from '../common/errors.js';
import type { NodeId } from '../common/types.js';
import type { ClusterState } from '../cluster/types.js';
import type { ProposeResult, RaftStatus } from '../raft/types.js';
import type { Clock, Timers } from './deps.js';

/** What a hand-over needs from the rest of the node: narrow, one way. */
export interface HandoverHooks {
  raftStatus(): RaftStatus;
  state(): ClusterState;
  peerUp(id: NodeId): boolean;
  peerApplied(id: NodeId): number | undefined;
  suspendWriter(): Promise<void>;
  resumeWriter(): void;
  /** Raft's leadership transfer (and a kick of the Ready loop). */
  transferLeadership(to: NodeId): ProposeResult;
}

export interface HandoverOptions {
  /** The standby to hand over to; default: the most caught-up healthy voter. */
  to?: NodeId;
  timeoutMs: number;
  /** After a failed hand-over, may this node (still the leader) write again? */
  resumeOnFailure: boolean;
}

export interface HandoverResult {
  master: NodeId;
  term: number;
  elapsedMs: number;
}

/** The most caught-up voter (other than this node) whose link is up, or null. */
export function pickStandby(h: HandoverHooks): NodeId | null {
  const st = h.raftStatus();
  const candidates = st.conf.voters.filter((v) => v !== st.id && h.peerUp(v));
  candidates.sort((a, b) => (h.peerApplied(b) ?? 0) - (h.peerApplied(a) ?? 0));
  return candidates[0] ?? null;
}

export async function handOver(h: HandoverHooks, deps: { clock: Clock; timers: Timers; tickMs: number }, opts: HandoverOptions): Promise<HandoverResult> {
  const st = h.raftStatus();
  if (st.role !== 'leader') throw new OpError('E_NOT_LEADER', `node ${st.id} is not the master (the master is ${h.state().master?.node ?? 'unknown'})`, { leader: st.lead });
  const target = opts.to ?? pickStandby(h);
  if (!target) throw new OpError('E_TRANSFER_FAILED', 'no healthy standby to hand the master role to', { noStandby: true });
  if (!st.conf.voters.includes(target) || target === st.id) throw new OpError('E_UNKNOWN_NODE', `${target} is not another voting node`);
  if (!h.peerUp(target)) throw new OpError('E_TRANSFER_FAILED', `${target} is not reachable from the master; hand over to a healthy standby`);
  const startMs = deps.clock.monoMs();
  await h.suspendWriter();
  h.transferLeadership(target);
  for (;;) {
    const m = h.state().master;
    if (m && m.node === target && m.term > st.term) return { master: target, term: m.term, elapsedMs: Math.round(deps.clock.monoMs() - startMs) };
    if (deps.clock.monoMs() - startMs > opts.timeoutMs) {
      if (opts.resumeOnFailure && h.raftStatus().role === 'leader') h.resumeWriter();
      throw new OpError('E_TRANSFER_FAILED', `${target} did not take over within ${opts.timeoutMs} ms`, { target });
    }
    await new Promise<void>((res) => deps.timers.setTimeout(res, deps.tickMs));
  }
}
