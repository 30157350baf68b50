// The Raft state machine of one node. Owns: term/vote/lead/role, the role transitions
// (becomeFollower/PreCandidate/Candidate/Leader swap the step and tick functions), the term
// rules applied to every incoming message (§5.1), and message validation at the door.
// The behaviour of each concern lives in its own file: election.ts, replication.ts,
// snapshot-transfer.ts, readindex.ts, transfer.ts, membership.ts, lease.ts, roles.ts; they see
// this object as RaftState (state.ts), so none of them imports this file (no import cycles).
// Invariants:
// - Pure: no clock, no I/O, no randomness except the injected Prng.
// - step() never throws for peer input: invalid messages are dropped and counted.
// - term never decreases; vote is only set once per term; lead is null or a known leader of
//   `term`; prs holds a Progress for every member but self, and only while leader.
// - nowTick counts tick() calls since this node started; heardLeaderTick is the tick at which
//   a leader (or this node as leader) was last known alive, 0 at start (startup vote lease).
import { assert } from '../common/assert.js';
import type { NodeId, Term } from '../common/types.js';
import { logIndex, term as mkTerm } from '../common/types.js';
import { isLearner, isMember, isVoter } from './conf.js';
import { BOOTSTRAP_TERM, RaftLog } from './log.js';
import { randomBelow } from './prng.js';
import type { Progress } from './progress.js';
import { newReadQueue } from './readindex.js';
import { handleVoteRequest } from './election.js';
import { stepCandidate, stepFollower, stepLeader, tickElection, tickHeartbeat } from './roles.js';
import { afterCommit, initLeaderState, resetLeaderState, syncProgress } from './leader-state.js';
import { ackRound } from './lease.js';
import { quietUntil, strictVoteLease, voteLeaseBypassed } from './leader-gone.js';
import type { RaftState, ReadQueue, SnapshotReceiver, StepFn, TickFn } from './state.js';
import { maybeSendTimeoutNow } from './transfer.js';
import { assertRaftConfig } from './types.js';
import type { ConfState, HardState, Message, Prng, RaftConfig, RaftRestored, ReadState, Role } from './types.js';
import { validateMessage } from './validate.js';

const CLIENT_TYPES = new Set<Message['type']>(['prop', 'read-index', 'transfer-leader']);
const LEADER_TYPES = new Set<Message['type']>(['app', 'heartbeat', 'snap']);

export class Raft implements RaftState {
  readonly id: NodeId;
  readonly cfg: RaftConfig;
  readonly prng: Prng;
  term: Term;
  vote: NodeId | null;
  lead: NodeId | null = null;
  role: Role = 'follower';
  readonly log: RaftLog;
  /** Leader only: replication progress of every member except self. */
  prs = new Map<NodeId, Progress>();
  /** (Pre-)candidate only: votes received in the current campaign. */
  votes = new Map<NodeId, boolean>();
  /** Outgoing messages, handed out by the next Ready. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  nowTick = 0;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Invariant: in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  randomizedElectionTimeout = 0;
  heardLeaderTick = 0;
  heardLeaderId: NodeId | null = null;
  goneLeader: NodeId | null = null;
  campaignQuietUntilTick = 0;
  quietUntilTick = 0;
  /** Leader only: lease end in local ticks (null: no lease established in this term). */
  leaseEndTick: number | null = null;
  /** Leader only: the first tick of this leadership; older round ticks never count. */
  leaderStartTick = 0;
  /** Leader only: the last round number sent; rounds start at 1 in each leadership. */
  round = 0;
  leadTransferee: NodeId | null = null;
  transferStartTick = 0;
  /** Leader only: MsgTimeoutNow was sent in this term; the lease is forfeited for the term. */
  timeoutNowSent = false;
  /** Leader only: index of the latest conf entry; a new change waits until it commits. */
  pendingConfIndex = 0;
  reads: ReadQueue = newReadQueue();
  snapRecv: SnapshotReceiver | null = null;
  droppedMessages = 0;
  stepFn: StepFn = stepFollower;
  tickFn: TickFn = tickElection;

  constructor(cfg: RaftConfig, restored: RaftRestored, prng: Prng) {
    assertRaftConfig(cfg);
    this.id = cfg.id;
    this.cfg = cfg;
    this.prng = prng;
    this.log = new RaftLog(restored, cfg.id);
    this.term = restored.hardState?.term ?? mkTerm(this.log.bootstrapped ? BOOTSTRAP_TERM : 0);
    this.vote = restored.hardState?.vote ?? null;
    if (this.log.lastTerm() > this.term) {
      // A torn Ready: its entries reached the disk, its hard state did not. Nothing of that
      // Ready was sent (the fsync never returned), so adopting the entries' term without a
      // vote is safe (a vote is only ever sent after its hard state was synced).
      this.term = mkTerm(this.log.lastTerm());
      this.vote = null;
    }
    this.becomeFollower(this.term, null);
  }

  // ---- membership helpers ----
  conf(): ConfState { return this.log.conf(); }
  voters(): readonly NodeId[] { return this.log.conf().voters; }
  /** A voter that may campaign (learners and removed nodes never do). */
  promotable(): boolean { return isVoter(this.conf(), this.id) && this.log.pendingSnapshot === null; }
  hardState(): HardState { return { term: this.term, vote: this.vote, commit: logIndex(this.log.committed) }; }
  fault(name: keyof NonNullable<RaftConfig['faults']>): boolean { return this.cfg.faults?.[name] === true; }

  /**
   * The vote lease (see lease.ts): while it holds, this node grants no (pre)vote except to a
   * leadership-transfer campaign and does not campaign on its own.
   */
  inVoteLease(): boolean {
    if (this.fault('ignoreLease')) return false;
    return strictVoteLease(this) && !voteLeaseBypassed(this);
  }

  send(m: Message): void {
    this.msgs.push(m);
  }

  // ---- dispatch out of replication.ts (state.ts: replication imports none of these concerns) ----
  afterCommit(): void { afterCommit(this); }
  ackRound(pr: Progress, round: number, roundTick: number): void { ackRound(this, pr, round, roundTick); }
  maybeSendTimeoutNow(to: NodeId): void { maybeSendTimeoutNow(this, to); }

  // ---- role transitions ----
  private reset(t: Term): void {
    if (t !== this.term) {
      this.term = t;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTimeoutTicks + randomBelow(this.prng, this.cfg.electionTimeoutTicks);
    this.votes.clear();
    this.campaignQuietUntilTick = 0;
    resetLeaderState(this);
  }

  becomeFollower(t: Term, lead: NodeId | null): void {
    this.reset(t);
    this.lead = lead;
    this.role = isLearner(this.conf(), this.id) ? 'learner' : 'follower';
    this.stepFn = stepFollower;
    this.tickFn = tickElection;
  }

  becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become pre-candidate');
    // Term and vote stay: a pre-vote changes nothing durable (Ongaro §9.6).
    this.votes.clear();
    this.lead = null;
    this.role = 'pre-candidate';
    this.stepFn = stepCandidate;
    this.tickFn = tickElection;
  }

  becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become candidate');
    this.reset(mkTerm(this.term + 1));
    this.vote = this.id;
    this.role = 'candidate';
    this.stepFn = stepCandidate;
    this.tickFn = tickElection;
  }

  becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    const quietUntilTick = quietUntil(this);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.stepFn = stepLeader;
    this.tickFn = tickHeartbeat;
    this.heardLeaderTick = this.nowTick;
    this.heardLeaderId = this.id;
    this.goneLeader = null;
    this.quietUntilTick = quietUntilTick;
    initLeaderState(this);
  }

  /** Invariant: the log's confVersion last acted upon by onConfChanged. */
  private seenConfVersion = -1;

  /** Called whenever the log's membership may have changed (cheap when it did not). */
  onConfChanged(): void {
    if (this.log.confVersion === this.seenConfVersion) return;
    this.seenConfVersion = this.log.confVersion;
    const c = this.conf();
    if (this.role === 'leader') syncProgress(this);
    else if (this.role === 'learner' && isVoter(c, this.id)) this.role = 'follower';
    else if (this.role === 'follower' && isLearner(c, this.id)) this.role = 'learner';
    else if ((this.role === 'candidate' || this.role === 'pre-candidate') && !isVoter(c, this.id)) {
      this.becomeFollower(this.term, null);
    }
  }

  // ---- input ----
  tick(): void {
    this.nowTick++;
    this.tickFn(this);
  }

  /** Untrusted input: validated, then stepped. Never throws for bad input. */
  step(raw: unknown): void {
    const m = validateMessage(raw);
    if (m === null || m.to !== this.id || m.from === this.id || !this.knows(m)) {
      this.droppedMessages++;
      return;
    }
    this.stepValidated(m);
  }

  /**
   * Messages from nodes outside the membership of our log are dropped (a removed node cannot
   * disrupt us with votes), except: when we are not a member ourselves (joining or removed);
   * leader messages (append, heartbeat, snapshot), since our log may lag behind the change that
   * added the sender or still hold an uncommitted change that removes it, and the term rules
   * decide whether a leader is current (peers are authenticated by the transport); and the
   * MsgTimeoutNow of our current leader handing over after its own removal.
   */
  private knows(m: Message): boolean {
    const c = this.conf();
    if (isMember(c, m.from) || !isMember(c, this.id) || LEADER_TYPES.has(m.type)) return true;
    return m.type === 'timeout-now' && m.from === this.lead && m.term === this.term;
  }

  private stepValidated(m: Message): void {
    if (CLIENT_TYPES.has(m.type)) {
      this.stepFn(this, m);
      return;
    }
    const isVoteReq = m.type === 'vote' || m.type === 'pre-vote';
    if (isVoteReq && m.term >= this.term && !m.transfer && this.inVoteLease()
      && !(m.type === 'vote' && m.term === this.term && this.vote === m.from)) {
      return; // lease check (CheckQuorum/PreVote): ignore, do not even adopt the term
    }
    if (m.term > this.term) {
      this.onHigherTerm(m);
    } else if (m.term < this.term) {
      this.onLowerTerm(m);
      return;
    }
    if (isVoteReq) handleVoteRequest(this, m);
    else this.stepFn(this, m);
  }

  private onHigherTerm(m: Message): void {
    if (m.type === 'pre-vote') return; // a pre-vote never changes our term
    if (m.type === 'pre-vote-resp' && !m.reject) return; // a granted pre-vote echoes the future term
    this.becomeFollower(m.term, LEADER_TYPES.has(m.type) ? m.from : null);
  }

  private onLowerTerm(m: Message): void {
    if (m.type === 'app' || m.type === 'heartbeat') {
      // A stale leader (e.g. partitioned then healed): tell it our term so it steps down.
      this.send({ type: 'app-resp', from: this.id, to: m.from, term: this.term, index: logIndex(0), reject: true,
        rejectHint: logIndex(0), logTerm: mkTerm(0), round: 0, roundTick: 0 });
    } else if (m.type === 'pre-vote') {
      this.send({ type: 'pre-vote-resp', from: this.id, to: m.from, term: this.term, reject: true });
    }
  }
}
