// The request path: the ONE way anything is proposed to the replicated log. Control requests,
// forwarded requests, the node's own observations, master claims, checkpoints and md results
// all come through submit(). Owns: request identities (sessions), the single re-submission rule,
// waiting for the request's application and, by default, for md's verdict on it.
// Invariants:
// - every proposal carries a session (client, seq); a re-submission re-sends the very same bytes,
//   so it can never be applied twice (cluster/sessions.ts answers a second copy from the table);
// - a request is answered from the session table (its stored result), never from a guess: a
//   caller that is not answered in time gets E_TIMEOUT, an unknown outcome it may resolve by
//   asking again with the same session;
// - waiters <= RAFT_MAX_PENDING_PROPOSALS (WaiterMap refuses more with E_TOO_LARGE).
import { OpError, type ErrorCode } from '../common/errors.js';
import type { LogIndex } from '../common/types.js';
import { encodeCommand, type Command } from '../cluster/commands.js';
import { findResult, type SessionRef, type StoredResult } from '../cluster/sessions.js';
import { sessionsOf, type ClusterState } from '../cluster/types.js';
import { SESSION_MAX_RESULTS_PER_CLIENT } from '../common/limits.js';
import type { ProposeResult } from '../raft/types.js';
import type { Clock, Logger, Timers } from './deps.js';
import { WaiterMap, proposalBound, type ProposalOutcome } from './waiters.js';

export interface SubmitOptions {
  timeoutMs: number;
  /** The caller's session; without one the node's own session gives the request its identity. */
  session?: SessionRef;
  /** Also wait until every live voter applied it (gossip). */
  waitAll?: boolean;
  /** Wait for the master's md result when the command needs md (default true). */
  waitMd?: boolean;
}

/** What the request path needs from the rest of the node: narrow, one way. */
export interface RequestHooks {
  state(): ClusterState;
  /** Hands a payload to Raft (the Ready loop persists and sends it). */
  propose(data: Uint8Array): ProposeResult;
  /** Resolves once every live voter applied `index`, or throws E_TIMEOUT at `deadlineMs`. */
  waitAllApplied(index: number, deadlineMs: number): Promise<void>;
  resubmitMs(): number;
  retryNoLeaderMs(): number;
  stopped(): boolean;
}

const keyOf = (s: SessionRef): string => `${s.client}#${s.seq}`;

export class RequestPath {
  /** Waiting for the first application of a request. */
  private readonly applied: WaiterMap<StoredResult>;
  /** Waiting for md's verdict on an applied request (its stored md status leaves 'pending'). */
  private readonly mdVerdicts: WaiterMap<StoredResult>;
  /** Keys of mdVerdicts, to look them up after each applied batch. Invariant: same keys as mdVerdicts. */
  private readonly mdKeys = new Map<string, SessionRef>();
  private seq = 0;
  /** Seqs of the node's own session not yet answered. Invariant: size <= SESSION_MAX_RESULTS_PER_CLIENT. */
  private readonly outstanding = new Set<number>();
  /** Re-submission loops asleep between attempts. Invariant: size <= pending proposals (each removes itself). */
  private readonly sleepers = new Set<() => void>();
  /** Lower bound of min(outstanding): the ack sent with the next request. */
  private lowest = 1;
  /**
   * This node's own client id for its fire-and-forget entries: incarnation first (wall-clock ms
   * and a random number: a restarted daemon never meets its old session), then the node id.
   */
  readonly clientId: string;

  constructor(nodeId: string, incarnation: string, private readonly hooks: RequestHooks, private readonly clock: Clock, private readonly timers: Timers, private readonly logger: Logger) {
    this.clientId = `${incarnation.slice(0, 16)}.${nodeId.slice(0, 32)}`;
    this.applied = new WaiterMap(timers, proposalBound, 'proposal');
    this.mdVerdicts = new WaiterMap(timers, proposalBound, 'md result');
  }

  /**
   * The next identity of the node's own session, for every request that came without one (an
   * old client, the node's own entries). Many may be in flight, committed in any order: the ack
   * (the lowest seq still unanswered here) tells the state machine which results it may drop.
   */
  private nextSession(): SessionRef {
    if (this.outstanding.size >= SESSION_MAX_RESULTS_PER_CLIENT) {
      throw new OpError('E_SESSIONS_FULL', `${SESSION_MAX_RESULTS_PER_CLIENT} requests of this node are in flight; retry later`);
    }
    const seq = ++this.seq;
    this.outstanding.add(seq);
    while (this.lowest < seq && !this.outstanding.has(this.lowest)) this.lowest++;
    return { client: this.clientId, seq, ack: this.lowest };
  }

  /** The node's own request `seq` is answered or abandoned: it no longer holds the ack back. */
  private finished(session: SessionRef): void {
    if (session.client === this.clientId) this.outstanding.delete(session.seq);
  }

  /** Proposes `cmd` and resolves with its outcome as the replicated log recorded it. */
  async submit(cmd: Command, opts: SubmitOptions): Promise<ProposalOutcome> {
    if (this.hooks.stopped()) throw new OpError('E_SHUTTING_DOWN');
    const session = opts.session ?? this.nextSession();
    try {
      return await this.answer(cmd, session, opts);
    } finally {
      this.finished(session);
    }
  }

  private async answer(cmd: Command, session: SessionRef, opts: SubmitOptions): Promise<ProposalOutcome> {
    const deadline = this.clock.monoMs() + opts.timeoutMs;
    let result = findResult(sessionsOf(this.hooks.state()), session.client, session.seq);
    if (!result) {
      const key = keyOf(session);
      if (this.applied.has(key)) throw new OpError('E_BAD_REQUEST', `request ${session.seq} of client ${session.client} is already in progress here`);
      const waiting = this.applied.wait(key, opts.timeoutMs);
      // Not awaited: the loop sleeps between re-submissions, and the caller must be answered as
      // soon as the entry is applied.
      void this.resubmitLoop(encodeCommand(cmd, session), deadline, key, resubmittable(cmd)).catch((e: unknown) => this.applied.fail(key, e instanceof Error ? e : new Error(String(e))));
      result = await waiting;
    }
    if (result.md === 'pending' && opts.waitMd !== false) result = await this.awaitMd(session, deadline);
    const outcome = outcomeOf(result);
    if (outcome.ok && opts.waitAll) await this.hooks.waitAllApplied(outcome.index, deadline);
    return outcome;
  }

  /** Fire and forget, through the same path (the node's own session): observations, claims, checkpoints. */
  submitInternal(cmd: Command, timeoutMs: number): void {
    if (this.hooks.stopped()) return;
    this.submit(cmd, { timeoutMs, waitMd: false }).then(
      (o) => { if (!o.ok && o.code !== 'E_NOT_WRITABLE') this.logger.debug({ op: cmd.op, code: o.code, msg: o.message }, 'internal proposal refused'); },
      (e: unknown) => this.logger.debug({ op: cmd.op, err: (e as Error).message }, 'internal proposal not applied'),
    );
  }

  /**
   * The one re-submission rule: the same bytes again after an election timeout while unanswered
   * (a proposal forwarded to, or appended by, a leader that lost leadership can be lost), every
   * two ticks while no leader is known. Safe because the bytes carry the session. A snapshot of
   * the kernel (observe, checkpoint) is sent once: a late copy would carry older facts than the
   * fresh one its source sends next.
   */
  private async resubmitLoop(data: Uint8Array, deadline: number, key: string, again: boolean): Promise<void> {
    for (let first = true; (first || again) && this.applied.has(key) && !this.hooks.stopped(); first = false) {
      const r = this.hooks.propose(data);
      const accepted = r.ok || r.code === 'E_NOT_LEADER';
      if (!accepted && r.code !== 'E_NO_LEADER' && r.code !== 'E_PROPOSAL_DROPPED') {
        this.applied.fail(key, new OpError(r.code as ErrorCode, undefined, { leader: r.leader }));
        return;
      }
      const waitMs = accepted ? this.hooks.resubmitMs() : this.hooks.retryNoLeaderMs();
      if (this.clock.monoMs() + waitMs > deadline) return; // the waiter's own timeout answers
      await this.pause(waitMs);
    }
  }

  /** Sleeps `ms`, or less if a new leader becomes known (leaderChanged wakes every sleeper). */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((res) => {
      const wake = (): void => { t.cancel(); this.sleepers.delete(wake); res(); };
      const t = this.timers.setTimeout(() => { this.sleepers.delete(wake); res(); }, ms);
      this.sleepers.add(wake);
    });
  }

  /**
   * A new leader is known: every unanswered request is re-sent to it now instead of after an
   * election timeout (one it already holds is answered from the session table when applied), so
   * a request caught by a failover completes right after it.
   */
  leaderChanged(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private awaitMd(session: SessionRef, deadline: number): Promise<StoredResult> {
    const key = keyOf(session);
    const remaining = Math.max(1, deadline - this.clock.monoMs());
    if (this.mdVerdicts.has(key)) return Promise.reject(new OpError('E_BAD_REQUEST', `request ${session.seq} of client ${session.client} is already waiting here`));
    const p = this.mdVerdicts.wait(key, remaining).catch((e: unknown) => {
      this.mdKeys.delete(key);
      if (e instanceof OpError && e.code === 'E_TIMEOUT') throw new OpError('E_TIMEOUT', 'committed, but the master has not reported md\'s result yet (the outcome in md is unknown; ask again with the same request to learn it)');
      throw e;
    });
    this.mdKeys.set(key, session);
    this.check(key, session);
    return p;
  }

  /**
   * After applied entries (or an installed snapshot): answers every waiter whose request the
   * session table now holds. `sessions`: the requests applied in this batch, or undefined to scan
   * every waiter (after a snapshot, whose entries were never seen one by one).
   */
  afterApply(sessions: SessionRef[] | undefined): void {
    if (sessions === undefined) {
      for (const key of this.applied.keys()) {
        const [client, seq] = splitKey(key);
        this.checkApplied(key, { client, seq });
      }
    } else {
      for (const s of sessions) this.checkApplied(keyOf(s), s);
    }
    for (const [key, s] of [...this.mdKeys]) this.check(key, s);
  }

  private checkApplied(key: string, s: SessionRef): void {
    if (!this.applied.has(key)) return;
    const r = findResult(sessionsOf(this.hooks.state()), s.client, s.seq);
    if (r) this.applied.settle(key, { ...r });
  }

  private check(key: string, s: SessionRef): void {
    const r = findResult(sessionsOf(this.hooks.state()), s.client, s.seq);
    if (r && r.md === 'pending') return;
    this.mdKeys.delete(key);
    if (r) this.mdVerdicts.settle(key, { ...r });
    else this.mdVerdicts.fail(key, new OpError('E_SESSION_EXPIRED', 'the request\'s session no longer holds its md result; the outcome is unknown'));
  }

  failAll(err: Error): void {
    this.applied.failAll(err);
    this.mdVerdicts.failAll(err);
    this.mdKeys.clear();
  }

  get pending(): number {
    return this.applied.size + this.mdVerdicts.size;
  }
}

function resubmittable(cmd: Command): boolean {
  return cmd.op !== 'observe' && cmd.op !== 'checkpoint';
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('#');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

function outcomeOf(r: StoredResult): ProposalOutcome {
  const index = r.index as LogIndex;
  if (r.ok) return { ok: true, index, md: r.md };
  return { ok: false, code: r.code ?? 'E_INTERNAL', message: r.message ?? '', index, md: r.md };
}
