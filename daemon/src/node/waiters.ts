// Callers waiting on the replicated log: proposals waiting for their apply result, reads
// waiting for a read index, and "applied up to index N" waits. Owns: their bookkeeping,
// bounds and timeouts. Invariant: every waiter is settled exactly once (result, error or
// timeout), and the maps never exceed their named bounds.
import { OpError } from '../common/errors.js';
import { RAFT_MAX_PENDING_PROPOSALS, RAFT_MAX_PENDING_READS } from '../common/limits.js';
import type { ApplyResult } from '../cluster/apply.js';
import type { Timers } from './deps.js';

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: Error): void;
  timer: { cancel(): void };
}

export class WaiterMap<T> {
  /** Invariant: size <= bound. */
  private readonly waiters = new Map<string, Waiter<T>>();
  constructor(private readonly timers: Timers, private readonly bound: number, private readonly what: string) {}

  get size(): number {
    return this.waiters.size;
  }
  has(key: string): boolean {
    return this.waiters.has(key);
  }
  keys(): string[] {
    return [...this.waiters.keys()];
  }
  /** Registers a waiter; rejects at once when the bound is reached. */
  wait(key: string, timeoutMs: number): Promise<T> {
    if (this.waiters.size >= this.bound) return Promise.reject(new OpError('E_TOO_LARGE', `too many pending ${this.what}s (${this.bound})`));
    return new Promise<T>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.waiters.delete(key);
        reject(new OpError('E_TIMEOUT', `${this.what} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, { resolve, reject, timer });
    });
  }
  settle(key: string, value: T): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    w.timer.cancel();
    w.resolve(value);
  }
  fail(key: string, err: Error): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    w.timer.cancel();
    w.reject(err);
  }
  failAll(err: Error): void {
    for (const key of [...this.waiters.keys()]) this.fail(key, err);
  }
}

/** Waits for the local applied index to reach a target. */
export class AppliedWaiters {
  /** Invariant: sorted insertion is not required; size <= RAFT_MAX_PENDING_READS. */
  private readonly list: { index: number; resolve(): void; reject(e: Error): void; timer: { cancel(): void } }[] = [];
  constructor(private readonly timers: Timers) {}

  waitFor(index: number, applied: number, timeoutMs: number): Promise<void> {
    if (applied >= index) return Promise.resolve();
    if (this.list.length >= RAFT_MAX_PENDING_READS) return Promise.reject(new OpError('E_TOO_LARGE', 'too many pending reads'));
    return new Promise((resolve, reject) => {
      const entry = {
        index, resolve, reject,
        timer: this.timers.setTimeout(() => {
          const i = this.list.indexOf(entry);
          if (i >= 0) this.list.splice(i, 1);
          reject(new OpError('E_TIMEOUT', `not applied up to ${index} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.list.push(entry);
    });
  }
  applied(index: number): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const w = this.list[i];
      if (w.index <= index) {
        this.list.splice(i, 1);
        w.timer.cancel();
        w.resolve();
      }
    }
  }
  failAll(err: Error): void {
    for (const w of this.list.splice(0)) {
      w.timer.cancel();
      w.reject(err);
    }
  }
}

export const proposalBound = RAFT_MAX_PENDING_PROPOSALS;
export type ProposalOutcome = ApplyResult & { index: number };
