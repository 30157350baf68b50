// The application-facing handle on the Raft core, in the style of etcd's RawNode: tick() and
// step() in, Ready out, advance() back. Owns: the Ready protocol (what changed since the last
// Ready) and the public API; all behaviour lives in raft.ts and the files it names.
// Invariants:
// - Ready rules (see types.ts): persist ready.snapshot, then ready.entries and ready.hardState
//   (one fsync when mustSync) BEFORE sending ready.messages; apply committedEntries in order;
//   then advance(ready). Messages and read states are handed out exactly once.
// - step() never throws for any input; bad messages are dropped and counted.
// - A follower's propose() forwards the proposal to the known leader (MsgProp) and answers
//   {ok: false, code: 'E_NOT_LEADER', leader}: the caller must NOT re-submit it elsewhere
//   unless it accepts a possible duplicate. readIndex() on a follower forwards and answers
//   {ok: true}; the answer arrives as a ReadState.
import { leaderGone } from './leader-gone.js';
import { assert } from '../common/assert.js';
import { RAFT_MAX_COMMITTED_PER_READY, RAFT_MAX_READ_CTX_CHARS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import { logIndex, term } from '../common/types.js';
import { cloneConf } from './conf.js';
import { hup } from './election.js';
import { leaseValid } from './lease.js';
import { propose, proposeConfChange } from './proposals.js';
import { Raft } from './raft.js';
import { flushReadBroadcast, leaderReadIndex } from './readindex.js';
import { transferLeadership } from './transfer.js';
import { ticksUntilDue } from './roles.js';
import type {
  ConfChange, HardState, Prng, ProposeResult, RaftConfig, RaftRestored, RaftStatus, Ready, Snapshot, SoftState,
} from './types.js';

export class RawNode {
  private readonly r: Raft;
  /** Invariant: the soft state handed out by the last ready(). */
  private prevSoft: SoftState;
  /** Invariant: the hard state last acknowledged by advance() (or restored). */
  private prevHard: HardState;

  constructor(config: RaftConfig, restored: RaftRestored, prng: Prng) {
    this.r = new Raft(config, restored, prng);
    this.prevSoft = { lead: this.r.lead, role: this.r.role };
    this.prevHard = restored.hardState ?? { term: term(0), vote: null, commit: logIndex(0) };
  }

  tick(): void {
    this.r.tick();
  }

  /** Ticks until tick() next does more than count (roles.ts ticksUntilDue; Infinity: not before an input). */
  ticksUntilDue(): number {
    return ticksUntilDue(this.r);
  }

  /** Untrusted peer input. Malformed or out-of-range messages are dropped and counted. */
  step(msg: unknown): void {
    this.r.step(msg);
  }

  propose(data: Uint8Array): ProposeResult {
    return propose(this.r, data);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return proposeConfChange(this.r, cc);
  }

  /** Starts an election now (subject to the vote lease: E_LEASE_HELD while it holds). */
  campaign(): ProposeResult {
    return hup(this.r, false);
  }

  transferLeadership(to: NodeId): ProposeResult {
    return transferLeadership(this.r, to);
  }

  readIndex(requestCtx: string): ProposeResult {
    if (typeof requestCtx !== 'string' || requestCtx.length > RAFT_MAX_READ_CTX_CHARS) {
      return { ok: false, code: 'E_TOO_LARGE', leader: this.r.lead };
    }
    const r = this.r;
    if (r.role === 'leader') return leaderReadIndex(r, requestCtx, r.id);
    if (r.lead === null || r.role === 'candidate' || r.role === 'pre-candidate') {
      return { ok: false, code: 'E_NO_LEADER', leader: null };
    }
    r.send({ type: 'read-index', from: r.id, to: r.lead, term: r.term, requestCtx });
    return { ok: true };
  }

  hasReady(): boolean {
    const r = this.r;
    if (r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role) return true;
    if (!hardStateEqual(r.hardState(), this.prevHard)) return true;
    if (r.log.pendingSnapshot !== null || r.log.stableIndex < r.log.lastIndex()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0 || r.reads.broadcastNeeded) return true;
    return r.log.hasNextCommitted();
  }

  ready(): Ready {
    const r = this.r;
    flushReadBroadcast(r);
    const soft: SoftState = { lead: r.lead, role: r.role };
    const softChanged = soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role;
    this.prevSoft = soft;
    const hs = r.hardState();
    const hardState = hardStateEqual(hs, this.prevHard) ? null : hs;
    const snapshot = r.log.pendingSnapshot;
    const entries = r.log.unstableEntries();
    const committedEntries = r.log.takeNextCommitted(RAFT_MAX_COMMITTED_PER_READY);
    const messages = r.msgs;
    r.msgs = [];
    const readStates = r.readStates;
    r.readStates = [];
    const mustSync = entries.length > 0 || snapshot !== null
      || (hardState !== null && (hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote));
    return { softState: softChanged ? soft : null, hardState, snapshot, entries, mustSync, messages,
      committedEntries, readStates };
  }

  /** The Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    const log = this.r.log;
    if (rd.hardState !== null) this.prevHard = rd.hardState;
    if (rd.snapshot !== null) log.snapshotApplied(rd.snapshot);
    const lastEnt = rd.entries[rd.entries.length - 1];
    if (lastEnt !== undefined) log.stableTo(lastEnt.index, lastEnt.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) log.appliedTo(lastApplied.index);
  }

  /**
   * The application persisted a snapshot of its state at appliedIndex (an index it has
   * applied). The core keeps it for lagging followers and discards log entries older than
   * appliedIndex - SNAPSHOT_KEEP_TRAILING_ENTRIES. Returns the snapshot, or null when it is
   * not newer than the current one.
   */
  compact(appliedIndex: number, snapshotData: Uint8Array): Snapshot | null {
    assert(Number.isSafeInteger(appliedIndex) && appliedIndex <= this.r.log.applying,
      `compact(${appliedIndex}) beyond the entries handed out for applying`);
    const log = this.r.log;
    if (appliedIndex > log.applied) log.appliedTo(appliedIndex);
    return log.compact(appliedIndex, snapshotData);
  }

  /** The transport could not deliver to `id`: stop pipelining to it (probe again). */
  reportUnreachable(id: NodeId): void {
    const pr = this.r.prs.get(id);
    if (pr === undefined || this.r.role !== 'leader') return;
    if (pr.state !== 'probe') pr.becomeProbe();
    pr.next = pr.match + 1;
  }

  /**
   * Evidence that `id`'s process is not running (its host refused a connection): if it is our
   * leader, campaign soon instead of after an election timeout (leader-gone.ts, lease.ts R5).
   */
  leaderGone(id: NodeId): void {
    leaderGone(this.r, id);
  }

  leaseValid(): boolean {
    return leaseValid(this.r);
  }

  /** Peer messages dropped by validation or the protocol rules (cheap: no status copy). */
  get droppedMessages(): number {
    return this.r.droppedMessages;
  }

  /** The current term (cheap: no status copy). */
  get currentTerm(): number {
    return this.r.term;
  }

  status(): RaftStatus {
    const r = this.r;
    return {
      id: r.id, term: r.term, vote: r.vote, lead: r.lead, role: r.role,
      commit: logIndex(r.log.committed), applied: logIndex(r.log.applied), lastIndex: logIndex(r.log.lastIndex()),
      conf: cloneConf(r.conf()), nowTick: r.nowTick,
      leaseEndTick: r.role === 'leader' ? r.leaseEndTick : null, droppedMessages: r.droppedMessages,
    };
  }
}

function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
