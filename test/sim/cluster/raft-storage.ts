// The node shell's RaftStorage in the cluster simulator: one incarnation's handle on the host's
// simulated Raft disk (SimStorage from test/sim: written view vs durable state, crash keeps a
// prefix of what was not fsynced). Owns: fsync latency and what a dead incarnation may do.
// Invariants:
// - save() writes the batch at once (snapshot, then entries, then hard state) and, when
//   mustSync, resolves only after a seeded fsync latency, with everything written so far
//   durable; without mustSync it resolves at once and the write stays volatile.
// - Snapshots the node makes (saveSnapshot) are durable when the call resolves.
// - A dead incarnation's calls never resolve and write nothing: a crashed daemon is gone.
// - Every entries write is reported (hooks.written) right after it reached the written view; an
//   fsync the host cuts short (hooks.fsyncStarting: the crash-fsync fault) never completes.
// - A write the disk model refuses (StorageFault: a Raft core bug such as overwriting a
//   committed entry) is reported as a violation; the call then never resolves, so the node
//   shell's fatal-exit path is never taken inside the simulator.
import type { RaftStorage } from '../../../daemon/src/node/deps.js';
import type { Entry, HardState, RaftRestored, Snapshot } from '../../../daemon/src/raft/types.js';
import type { Rand } from '../rand.js';
import { SimStorage, StorageFault } from '../storage.js';
import type { NodeTime } from './node-time.js';
import type { RangeUs } from './world.js';

const never = (): Promise<void> => new Promise<void>(() => {});

/** A Raft disk without chain hashes of snapshots (for users outside the simulator's checkers). */
export function newRaftDisk(): SimStorage {
  return new SimStorage(() => 0);
}

export interface StorageHooks {
  fault(message: string): void;
  written(fromIndex: number): void;
  /** An fsync of `us` starts; true: the host will crash inside it (it never completes). */
  fsyncStarting(us: number): boolean;
}

export class SimRaftStorage implements RaftStorage {
  constructor(
    private readonly disk: SimStorage,
    private readonly time: NodeTime,
    private readonly rand: Rand,
    private readonly fsyncUs: RangeUs,
    hooks: StorageHooks | ((message: string) => void),
  ) {
    this.hooks = typeof hooks === 'function' ? { fault: hooks, written: () => {}, fsyncStarting: () => false } : hooks;
  }

  private readonly hooks: StorageHooks;

  restored(): RaftRestored {
    const s = this.disk.recovered();
    return { hardState: s.hardState, snapshot: s.snapshot, entries: s.entries };
  }

  async save(batch: { hardState: HardState | null; entries: Entry[]; snapshot: Snapshot | null; mustSync: boolean }): Promise<void> {
    if (!this.time.alive) return never();
    if (!this.write(() => {
      if (batch.snapshot) this.disk.installSnapshot(batch.snapshot);
      this.disk.writeEntries(batch.entries);
      if (batch.entries.length > 0) this.hooks.written(batch.entries[0].index);
      if (batch.hardState) this.disk.writeHardState(batch.hardState);
    })) return never();
    if (batch.mustSync) await this.fsync();
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    if (!this.time.alive) return never();
    if (!this.write(() => this.disk.compact(snapshot))) return never();
    await this.fsync();
  }

  /** SimStorage.compact (called by saveSnapshot) already dropped the covered entries. */
  async compact(_index: number): Promise<void> {
    if (!this.time.alive) return never();
  }

  async close(): Promise<void> {}

  private write(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      if (!(e instanceof StorageFault)) throw e;
      this.hooks.fault(`raft storage refused a write: ${e.message}`);
      return false;
    }
  }

  private async fsync(): Promise<void> {
    const us = this.rand.int(this.fsyncUs.lo, this.fsyncUs.hi);
    if (this.hooks.fsyncStarting(us)) return never();
    if (us > 0) await new Promise<void>((resolve) => this.time.setTimeout(resolve, us / 1000));
    if (!this.time.alive) return never();
    this.disk.sync();
  }
}
