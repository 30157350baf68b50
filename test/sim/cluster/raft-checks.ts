// The core simulator's log-level checkers (test/sim/checkers.ts) over the cluster simulator's
// real nodes: log matching on every Raft disk write, commit agreement, state machine safety on
// every applied entry, leader completeness on every new leader and every new commit, and
// durability (every acknowledged proposal is applied, at the index it was acknowledged at, by
// every node by the end of the run). Plus the global applied log: index -> the entry applied
// there, which the history checker (history.ts) reads.
// Owns: the chain hashes of each incarnation's applied prefix, the chain of every applied index
// (what a snapshot at that index covers, for the host disks' chains), and the applied log.
// Invariants:
// - Observation only: never changes a node, a disk or a kernel.
// - A broken property is reported once through `fail` (the run's first violation ends it).
// - The applied log holds one entry per index, the first one applied there (a different entry
//   at the same index anywhere is an applied-divergence violation); it grows with the run's log,
//   bounded by CLUSTER_SIM_MAX_APPLIED_ENTRIES.
import type { Entry, Snapshot } from '../../../daemon/src/raft/types.js';
import { Checkers, SimViolation } from '../checkers.js';
import { CHAIN_ORIGIN, chainHash } from '../hash.js';
import { StorageFault } from '../storage.js';
import type { HostObserver, SimHost } from './host.js';

/** Applied indexes kept in the global applied log (a run applies a few thousand). */
export const CLUSTER_SIM_MAX_APPLIED_ENTRIES = 1_000_000;

export interface AppliedEntry {
  index: number;
  term: number;
  type: Entry['type'];
  data: Uint8Array;
}

export class RaftChecks implements HostObserver {
  readonly core = new Checkers();
  /** index -> entry first applied there. Invariant: indexes 1..log.length, contiguous. */
  readonly log: AppliedEntry[] = [];
  /** index -> simulated time of its first application anywhere. */
  readonly appliedAtUs: number[] = [0];
  /** index -> chain hash of the applied prefix ending there (index 0: the empty prefix). */
  private readonly chains: number[] = [CHAIN_ORIGIN];
  /** "host#incarnation" -> the applied index and chain hash of that incarnation's state. */
  private readonly running = new Map<string, { index: number; chain: number }>();
  acks = 0;

  constructor(private readonly fail: (property: string, message: string) => void, private readonly nowUs: () => number) {}

  readonly snapshotChain = (s: Snapshot): number => {
    const c = this.chains[s.meta.index];
    if (c === undefined) throw new StorageFault(`a snapshot at ${s.meta.index} covers an index no node ever applied`);
    return c;
  };

  logWritten(host: SimHost, fromIndex: number): void {
    this.guard(() => this.core.onLogWrite(host.id, host.disk, fromIndex));
  }

  applied(host: SimHost, e: Entry, appliedBefore: number): void {
    const inc = host.live;
    if (inc === null) return;
    const key = `${host.id}#${inc.number}`;
    let run = this.running.get(key);
    if (run === undefined || run.index !== appliedBefore) {
      // First apply of this incarnation, or a snapshot was restored since: the state covers appliedBefore.
      const chain = this.chains[appliedBefore];
      if (chain === undefined) {
        this.fail('snapshot', `${host.id} holds a state at applied index ${appliedBefore}, which no node ever applied`);
        return;
      }
      run = { index: appliedBefore, chain };
      this.running.set(key, run);
    }
    if (e.index !== run.index + 1) {
      this.fail('applied-order', `${host.id} applied index ${e.index} right after ${run.index}`);
      return;
    }
    run.chain = chainHash(run.chain, e);
    run.index = e.index;
    if (this.chains[e.index] === undefined && this.log.length < CLUSTER_SIM_MAX_APPLIED_ENTRIES) {
      this.chains[e.index] = run.chain;
      this.log.push({ index: e.index, term: e.term, type: e.type, data: e.data.slice() });
      this.appliedAtUs[e.index] = this.nowUs();
    }
    this.guard(() => this.core.onApply(host.id, e.index, run.chain));
  }

  /** After every event: roles (leader completeness) and written commit indexes of the live hosts. */
  afterEvent(hosts: readonly SimHost[]): void {
    for (const h of hosts) {
      if (h.live === null) continue;
      const st = h.live.node.raft.status();
      const commit = h.disk.hardState?.commit ?? 0;
      try {
        this.core.onRole(h.id, st.role, st.term, h.disk);
        this.core.onCommit(h.id, st.role === 'leader' ? st.term : null, commit, h.disk);
      } catch (e) {
        this.report(e);
      }
    }
  }

  /** The host crashed: it leads nothing any more. */
  stopped(host: SimHost): void {
    this.core.onStop(host.id);
  }

  /** A client was told its proposal was applied at index. */
  acked(index: number, what: string): void {
    this.acks++;
    this.guard(() => this.core.onAck(index, what));
  }

  /** End of run: every host applied every acknowledged entry. */
  checkDurable(hosts: readonly SimHost[]): void {
    for (const h of hosts) {
      if (h.live === null) this.fail('durability', `${h.id} is down at the end of the run`);
      else this.guard(() => this.core.checkAcksApplied(h.id, h.live!.node.state.appliedIndex));
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    if (!(e instanceof SimViolation)) throw e;
    this.fail(e.property, e.message.slice(e.property.length + 2));
  }
}
