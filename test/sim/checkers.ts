// Safety checkers of the simulator. Owns: the global history every property is judged
// against (leader of each term, the committed/applied prefix, persisted (index, term) prefixes,
// acknowledged entries, current lease holders) and the verdict when a property breaks.
// Properties (checked as the events that could break them happen, i.e. after every step):
// - election safety: at most one leader per term;
// - log matching: every persisted entry (index, term), on any node at any time, sits on the
//   same prefix (compared by chain hash);
// - state machine safety: every node applies the same entry at each index, in order, and a
//   snapshot restores exactly the applied prefix it claims;
// - leader completeness: a leader of term T holds every entry committed in a term < T;
// - durability: no acknowledged entry is lost (a later leader lacking it, or a live voter not
//   applying it by the end, is a violation);
// - lease: at no simulated instant do two nodes both report leaseValid().
// Invariants: a check never mutates a node; a broken property throws SimViolation at once, so
// the trace ends at the step that broke it; the history grows with the log and the terms of one
// run, so it is bounded by the run's steps (SIM_MAX_STEPS).
import { CHAIN_ORIGIN } from './hash.js';

export class SimViolation extends Error {
  override name = 'SimViolation';
  constructor(readonly property: string, message: string) {
    super(`${property}: ${message}`);
  }
}

/** What the checkers need to see of a node's written log. */
export interface LogView {
  readonly snapshotIndex: number;
  readonly lastIndex: number;
  chainAt(index: number): number | undefined;
  termAt(index: number): number | undefined;
}

interface AckRecord {
  index: number;
  chain: number;
  payload: string;
}

export class Checkers {
  /** term -> the one node ever seen leading it. */
  private readonly leaderOfTerm = new Map<number, string>();
  /** Invariant: appliedChain[i] is the prefix hash of the entry first applied at i (1-based). */
  private readonly appliedChain: number[] = [CHAIN_ORIGIN];
  /** Invariant: index -> prefix hash at index, for every index any node was seen to commit. */
  private readonly committedChain = new Map<number, number>([[0, CHAIN_ORIGIN]]);
  /** Invariant: the highest index any node was seen to commit. */
  private maxCommitted = 0;
  /** term U -> highest index a leader of term U was seen to commit. */
  private readonly maxCommitByTerm = new Map<number, number>();
  /** (index, term) -> chain hash of the persisted prefix ending there, over all time. */
  private readonly persisted = new Map<string, number>();
  /** Current leaders (node -> term, with its log) for completeness checks on new commits. */
  private readonly leaders = new Map<string, { term: number; log: LogView }>();
  private readonly acks: AckRecord[] = [];
  private maxAcked = 0;
  private readonly leaseHolders = new Set<string>();
  checksRun = 0;

  get maxCommittedIndex(): number {
    return this.maxCommitted;
  }
  get maxAppliedIndex(): number {
    return this.appliedChain.length - 1;
  }
  get maxAckedIndex(): number {
    return this.maxAcked;
  }
  get acknowledged(): readonly AckRecord[] {
    return this.acks;
  }

  /** Log matching: entries [fromIndex, log.lastIndex] of `node` were just written. */
  onLogWrite(node: string, log: LogView, fromIndex: number): void {
    for (let i = Math.max(fromIndex, log.snapshotIndex + 1); i <= log.lastIndex; i++) {
      const key = `${i}:${log.termAt(i)}`;
      const h = log.chainAt(i)!;
      const seen = this.persisted.get(key);
      this.checksRun++;
      if (seen === undefined) this.persisted.set(key, h);
      else if (seen !== h) throw new SimViolation('log-matching', `${node} persisted entry ${key} on a prefix different from another log's`);
    }
  }

  /**
   * `node` reports commit index `commit` over its (persisted) log; `leaderTerm` is its term
   * when it is the leader (the term the entries were committed in), else null.
   */
  onCommit(node: string, leaderTerm: number | null, commit: number, log: LogView): void {
    this.checksRun++;
    if (commit > log.lastIndex) throw new SimViolation('commit', `${node} commits index ${commit} beyond its log end ${log.lastIndex}`);
    if (leaderTerm !== null && (this.maxCommitByTerm.get(leaderTerm) ?? 0) < commit) this.maxCommitByTerm.set(leaderTerm, commit);
    if (commit > this.maxCommitted) {
      for (let i = Math.max(this.maxCommitted + 1, log.snapshotIndex); i <= commit; i++) this.recordCommitted(node, i, log.chainAt(i)!);
      this.maxCommitted = commit;
    } else {
      const known = this.committedChain.get(commit);
      const have = log.chainAt(commit);
      if (known !== undefined && have !== undefined && known !== have) {
        throw new SimViolation('commit', `${node} commits index ${commit} holding an entry/prefix other than the one committed there`);
      }
    }
    if (leaderTerm === null) return;
    for (const [leader, l] of this.leaders) if (l.term > leaderTerm) this.requireHolds(leader, l.term, l.log, commit);
  }

  private recordCommitted(node: string, index: number, chain: number): void {
    const applied = this.appliedChain[index];
    if (applied !== undefined && applied !== chain) throw new SimViolation('applied-divergence', `index ${index} was applied before ${node} committed a different entry there`);
    this.committedChain.set(index, chain);
  }

  /** State machine safety: `node` applied the entry at index (chain = prefix hash). */
  onApply(node: string, index: number, chain: number): void {
    this.checksRun++;
    const committed = this.committedChain.get(index);
    if (committed !== undefined && committed !== chain) {
      throw new SimViolation('applied-divergence', `${node} applied at index ${index} an entry/prefix other than the committed one`);
    }
    const known = this.appliedChain[index];
    if (known !== undefined) {
      if (known !== chain) throw new SimViolation('applied-divergence', `${node} applied a different entry/prefix at index ${index}`);
      return;
    }
    if (index !== this.appliedChain.length) {
      throw new SimViolation('applied-order', `${node} applied index ${index} before index ${this.appliedChain.length} was applied anywhere`);
    }
    this.appliedChain.push(chain);
  }

  /** A node restored a snapshot claiming the applied prefix up to index has hash chain. */
  onSnapshotRestore(node: string, index: number, chain: number): void {
    this.checksRun++;
    const known = this.appliedChain[index];
    if (known === undefined) throw new SimViolation('snapshot', `${node} restored a snapshot at ${index}, beyond anything applied (${this.maxAppliedIndex})`);
    if (known !== chain) throw new SimViolation('snapshot', `${node} restored a snapshot at ${index} whose state differs from the applied prefix`);
  }

  /** Election safety + leader completeness; called with a node's current role after a step. */
  onRole(node: string, role: string, term: number, log: LogView): void {
    this.checksRun++;
    if (role !== 'leader') {
      this.leaders.delete(node);
      return;
    }
    const cur = this.leaders.get(node);
    if (cur !== undefined && cur.term === term) return;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== node) throw new SimViolation('election-safety', `${node} and ${other} both led term ${term}`);
    this.leaderOfTerm.set(term, node);
    this.leaders.set(node, { term, log });
    let m = 0;
    for (const [u, idx] of this.maxCommitByTerm) if (u < term && idx > m) m = idx;
    if (m > 0) this.requireHolds(node, term, log, m);
  }

  /** A node stopped (crash): it holds neither leadership nor a lease any more. */
  onStop(node: string): void {
    this.leaders.delete(node);
    this.leaseHolders.delete(node);
  }

  /** Lease: `node` reports leaseValid() = valid as of now. */
  onLease(node: string, valid: boolean, atUs: number): void {
    this.checksRun++;
    if (!valid) {
      this.leaseHolders.delete(node);
      return;
    }
    this.leaseHolders.add(node);
    if (this.leaseHolders.size > 1) {
      throw new SimViolation('lease', `nodes ${[...this.leaseHolders].sort().join(', ')} all hold a valid lease at ${atUs}us`);
    }
  }

  /** The client learned the entry at index (payload) committed. */
  onAck(index: number, payload: string): void {
    const chain = this.appliedChain[index];
    if (chain === undefined) throw new SimViolation('ack', `payload ${payload} acknowledged at ${index} before it was applied`);
    this.acks.push({ index, chain, payload });
    if (index > this.maxAcked) this.maxAcked = index;
  }

  /** End of run: every live voter must have applied every acknowledged entry. */
  checkAcksApplied(node: string, appliedIndex: number): void {
    for (const a of this.acks) {
      if (a.index > appliedIndex) throw new SimViolation('durability', `live voter ${node} never applied acknowledged ${a.payload} (index ${a.index}, applied ${appliedIndex})`);
    }
  }

  /** Leader completeness: `node`, leader of term, must hold the committed prefix up to index. */
  private requireHolds(node: string, term: number, log: LogView, index: number): void {
    this.checksRun++;
    const ackNote = this.acks.some((a) => a.index <= index) ? ' (an acknowledged entry is lost)' : '';
    if (index > log.lastIndex) {
      throw new SimViolation('leader-completeness', `leader ${node} of term ${term} lacks committed index ${index} (log ends at ${log.lastIndex})${ackNote}`);
    }
    const at = Math.max(index, log.snapshotIndex);
    const want = this.committedChain.get(at) ?? this.appliedChain[at];
    if (want !== undefined && log.chainAt(at) !== want) {
      throw new SimViolation('leader-completeness', `leader ${node} of term ${term} holds a different prefix at committed index ${at}${ackNote}`);
    }
  }
}
