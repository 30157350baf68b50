// The Ready loop's writes and what may go ahead of them (node/ready-loop.ts). Each Ready's write
// starts at once, in order after the writes before it; what needs nothing of it to be durable is
// sent and applied while it runs, the rest once it is durable. Owns: that rule (splitReady), the
// durable extent of the log it is judged against, and the chain of Raft storage calls.
// Invariants (why each early step is safe; Raft thesis §10.2.1, etcd's server does the same):
// - Nothing early when the write installs a snapshot or changes the term or the vote: a vote
//   or any message of the new term must not leave before the term and vote are durable.
// - A write that only moves the commit index (mustSync false) protects nothing a message or an
//   apply relies on (every entry is durable from earlier Readys; the commit index is learnt
//   again from the leader after a crash, as etcd's buffered WAL does): the whole Ready goes
//   early, and its hard state is written with the next write or at the next tick.
// - With new entries to write, only a leader's appends and heartbeats go early, and only if
//   the commit index they carry is durable here: a follower acknowledges only what it wrote
//   itself. Acknowledgements, votes and every other message wait for the write, and the next
//   Ready waits for it too, so a commit index the leader reaches while its own entries are
//   being written leaves only once they are durable.
// - A committed entry is applied early only if it is durable here already (written by an
//   earlier Ready, below the first entry this one rewrites): an applied index this node reports
//   (gossip, waitAll) is on its disk.
// - Storage calls run one at a time, in the order made; after one fails none runs again, and
//   every failure reaches `failed` (the fatal handler) or the caller that awaits it.
import type { RaftStorage } from './deps.js';
import type { Entry, HardState, Message, RaftRestored, Ready, Snapshot } from '../raft/types.js';

/** The log as durable on this node: its last index and the hard state. */
export interface Durable {
  index: number;
  hardState: HardState | null;
}

export interface ReadyParts {
  /** Messages to send while the Ready is written, and once it is durable. */
  early: Message[];
  after: Message[];
  /** committedEntries split the same way (the early ones are a prefix). */
  earlyCommitted: Entry[];
  committedAfter: Entry[];
}

/** Splits a Ready into what may go while it is being written and what waits for the write. */
export function splitReady(rd: Ready, durable: Durable): ReadyParts {
  if (rd.snapshot !== null || termOrVoteChanged(rd.hardState, durable.hardState)) {
    return { early: [], after: rd.messages, earlyCommitted: [], committedAfter: rd.committedEntries };
  }
  if (!rd.mustSync) return { early: rd.messages, after: [], earlyCommitted: rd.committedEntries, committedAfter: [] };
  const first = rd.entries[0]?.index ?? Number.POSITIVE_INFINITY;
  const safe = Math.min(durable.index, first - 1); // durable: below the first entry (re)written now
  const early: Message[] = [];
  const after: Message[] = [];
  for (const m of rd.messages) ((m.type === 'app' || m.type === 'heartbeat') && m.commit <= safe ? early : after).push(m);
  let n = 0;
  while (n < rd.committedEntries.length && rd.committedEntries[n].index <= safe) n++;
  return { early, after, earlyCommitted: rd.committedEntries.slice(0, n), committedAfter: rd.committedEntries.slice(n) };
}

/** The durable extent once a Ready's write completed. */
export function afterWrite(rd: Ready, before: Durable): Durable {
  const last = rd.entries[rd.entries.length - 1];
  let index = before.index;
  if (rd.snapshot !== null) index = rd.snapshot.meta.index;
  if (last !== undefined) index = last.index; // entries may overwrite a suffix: the log now ends here
  return { index, hardState: rd.hardState ?? before.hardState };
}

function termOrVoteChanged(next: HardState | null, durable: HardState | null): boolean {
  if (next === null) return false;
  return durable === null || next.term !== durable.term || next.vote !== durable.vote;
}

/** A Raft storage call failed: the node must stop (fatal cause 'storage'). */
export class StorageFailure extends Error {}

/**
 * Raft storage calls, one at a time in the order made, and the durable extent they reach. A
 * commit-only hard state is not written on its own: the next write carries it (a Ready's write
 * then waits for no earlier write that merely moved the commit index), or flushCommit() writes
 * it (each tick) when no other write came.
 */
export class RaftWrites {
  private tail: Promise<void> = Promise.resolve();
  /** Calls made and not settled. */
  private pending = 0;
  /** The first failure: no call runs after it. */
  private broken: StorageFailure | null = null;
  /** A commit-only hard state handed out by a Ready and not yet given to storage. */
  private unwritten: HardState | null = null;
  /** What is durable once every write handed out so far completed (splitReady's view). */
  durable: Durable;

  constructor(private readonly storage: RaftStorage, restored: RaftRestored, private readonly failed: (e: StorageFailure) => void) {
    const last = restored.entries[restored.entries.length - 1]?.index ?? restored.snapshot?.meta.index ?? 0;
    this.durable = { index: last, hardState: restored.hardState };
  }

  /**
   * Writes the Ready after every earlier call; resolves once durable. A commit-only Ready
   * (mustSync false) resolves at once: its hard state goes with the next write.
   */
  write(rd: Ready): Promise<void> {
    this.durable = afterWrite(rd, this.durable);
    if (!rd.mustSync) {
      this.unwritten = rd.hardState ?? this.unwritten;
      return Promise.resolve();
    }
    const hardState = rd.hardState ?? this.unwritten; // a newer hard state carries the newer commit
    this.unwritten = null;
    return this.call('could not persist the Raft log', () => this.storage.save({ hardState, entries: rd.entries, snapshot: rd.snapshot, mustSync: true }));
  }

  /** A commit-only hard state waits for flushCommit(). */
  get commitUnwritten(): boolean {
    return this.unwritten !== null;
  }

  /** Writes a commit index no write carried yet (no fsync; nobody waits for it). */
  flushCommit(): void {
    const hardState = this.unwritten;
    if (hardState === null) return;
    this.unwritten = null;
    this.call('could not persist the Raft log', () => this.storage.save({ hardState, entries: [], snapshot: null, mustSync: false }))
      .catch((e: unknown) => this.failed(e as StorageFailure));
  }

  /** Persists a snapshot of the state and compacts the log behind it. */
  async snapshot(snap: Snapshot): Promise<void> {
    this.flushCommit(); // the compaction's hard-state checkpoint then holds the newest commit
    await this.call('could not save a snapshot', () => this.storage.saveSnapshot(snap));
    await this.call('could not compact the Raft log', () => this.storage.compact(snap.meta.index));
  }

  /** Writes what is left, waits for every write (failures were reported already), closes. */
  async close(): Promise<void> {
    this.flushCommit();
    await this.tail.catch(() => undefined);
    await this.storage.close();
  }

  /** Runs fn after every earlier call (at once when none is pending: the write starts before anything goes early). */
  private call(what: string, fn: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.broken !== null) throw this.broken;
      try {
        await fn();
      } catch (e) {
        this.broken = new StorageFailure(`${what}: ${(e as Error).message}`);
        throw this.broken;
      }
    };
    const p = (this.pending === 0 ? run() : this.tail.then(run)).finally(() => { this.pending--; });
    this.pending++;
    this.tail = p;
    return p;
  }
}
