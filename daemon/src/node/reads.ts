// Linearizable reads (ReadIndex) and waits for the local applied index. Owns: read request
// contexts, their re-sending, and the waiters for an applied index.
// Invariants:
// - A read returns the state only once this node applied at least the index the leader
//   confirmed for it (a linearizable read), unless the caller asked for a local one.
// - Read contexts are unique per node incarnation (prefix node:incarnation:); a duplicate
//   answer is harmless (the first settles the waiter).
// - Pending reads <= proposalBound and applied waiters <= RAFT_MAX_PENDING_READS (waiters.ts).
import { OpError, type ErrorCode } from '../common/errors.js';
import type { ClusterState } from '../cluster/types.js';
import type { ProposeResult } from '../raft/types.js';
import type { Clock, Timers } from './deps.js';
import { AppliedWaiters, WaiterMap, proposalBound } from './waiters.js';

/** What reads need from the rest of the node: narrow, one way. */
export interface ReadHooks {
  state(): ClusterState;
  /** Asks Raft for a read index for `ctx` (and kicks the Ready loop). */
  readIndex(ctx: string): ProposeResult;
  /** Re-send period of an answered-but-lost request, and the retry without a leader. */
  resendMs(): number;
  retryNoLeaderMs(): number;
}

export class Reads {
  private readonly reads: WaiterMap<number>;
  private readonly appliedWaiters: AppliedWaiters;
  private readSeq = 0;

  constructor(private readonly prefix: string, private readonly hooks: ReadHooks, private readonly clock: Clock, private readonly timers: Timers) {
    this.reads = new WaiterMap(timers, proposalBound, 'read');
    this.appliedWaiters = new AppliedWaiters(timers);
  }

  /** A linearizable read of the state (ReadIndex), or a local one. */
  async readState(opts: { local: boolean; timeoutMs: number }): Promise<ClusterState> {
    if (opts.local) return this.hooks.state();
    const ctx = this.prefix + 'r' + (++this.readSeq).toString(36);
    const waiting = this.reads.wait(ctx, opts.timeoutMs);
    void this.submitRead(ctx, this.clock.monoMs() + opts.timeoutMs).catch((e: unknown) => this.reads.fail(ctx, e instanceof Error ? e : new Error(String(e))));
    const index = await waiting;
    await this.waitApplied(index, opts.timeoutMs);
    return this.hooks.state();
  }

  /** The Ready loop saw the answer to `ctx`. */
  answered(ctx: string, index: number): void {
    this.reads.settle(ctx, index);
  }

  /** Resolves once this node applied `index` (E_TIMEOUT after timeoutMs). */
  waitApplied(index: number, timeoutMs: number): Promise<void> {
    return this.appliedWaiters.waitFor(index, this.hooks.state().appliedIndex, timeoutMs);
  }

  appliedUpTo(index: number): void {
    this.appliedWaiters.applied(index);
  }

  failAll(err: Error): void {
    this.reads.failAll(err);
    this.appliedWaiters.failAll(err);
  }

  /**
   * Sends a ReadIndex request until it is answered (its waiter settled) or the deadline passes:
   * without a leader it is retried every retryNoLeaderMs, and a request a follower forwarded to
   * a leader that then lost leadership is lost, so it is re-sent after resendMs.
   */
  private async submitRead(ctx: string, deadline: number): Promise<void> {
    const resendMs = this.hooks.resendMs();
    while (this.reads.has(ctx)) {
      const r = this.hooks.readIndex(ctx);
      if (!r.ok && r.code !== 'E_NO_LEADER') {
        this.reads.fail(ctx, new OpError(r.code as ErrorCode, undefined, { leader: r.leader }));
        return;
      }
      const waitMs = r.ok ? resendMs : this.hooks.retryNoLeaderMs();
      if (this.clock.monoMs() + waitMs > deadline) return; // the waiter's own timeout settles it
      await new Promise<void>((res) => this.timers.setTimeout(res, waitMs));
    }
  }
}
