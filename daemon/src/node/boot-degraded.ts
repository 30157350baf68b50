// DegradedAtBoot: mdadm raises DegradedArray for an array that is degraded when it is assembled
// at boot; the cluster's own DegradedAtBoot is that, once for the cluster: proposed as a
// degraded-at-boot entry by the master, so every node raises it from the same index and the
// master delivers it once (node/alert-delivery.ts). Owns: which arrays count as "at boot".
// Invariants:
// - An array is at boot on this node when this daemon's first read of it found it not running
//   in the kernel while the record already ran it before this daemon started (its startedIndex
//   is at most the last log index found at start): an admin's assemble or create is not a boot
//   (that is NewArray + DegradedArray), nor is a re-assembly later in this daemon's life.
// - It is proposed once, by this node as writer, when its kernel is first in line with the
//   record (so the record holds the master's fresh view) and the record is degraded.
// - A standby drops the array once a peer said it holds arrays writable: the cluster was up
//   before, so the master that assembled it was not this node. Until then the array waits, so a
//   node that assembled as a standby during a cluster start and then won the election reports it.
// - looked and pending hold devices of the record: at most MD_MAX_ARRAYS each.
import { MD_MAX_ARRAYS } from '../common/limits.js';
import type { Command } from '../cluster/commands.js';
import { degradedCount } from '../cluster/redundancy.js';
import type { ArrayRecord } from '../cluster/types.js';
import { inSyncSlots } from '../cluster/validate.js';

export interface BootDegradedHooks {
  /** The last log index found when this daemon started (null until started). */
  bootIndex(): number | null;
  /** A peer said, since this daemon started, that it holds a writable array. */
  peerWritable(): boolean;
  propose(cmd: Command): void;
}

export class BootDegraded {
  private readonly looked = new Set<string>();
  private readonly pending = new Set<string>();

  constructor(private readonly hooks: BootDegradedHooks) {}

  /** The reconcile loop read `rec`'s array from this node's kernel (running or not). */
  read(rec: ArrayRecord, runningInKernel: boolean): void {
    const boot = this.hooks.bootIndex();
    if (boot === null || this.looked.has(rec.device) || this.looked.size >= MD_MAX_ARRAYS) return;
    this.looked.add(rec.device);
    if (!runningInKernel && rec.run === 'running' && (rec.startedIndex ?? 0) <= boot) this.pending.add(rec.device);
  }

  /** The plan found this node's kernel in line with `rec`. */
  converged(rec: ArrayRecord, w: { writer: boolean; term: number }): void {
    if (!this.pending.has(rec.device)) return;
    if (w.writer) {
      this.pending.delete(rec.device);
      if (rec.materialized && degradedCount(rec.raidDisks, inSyncSlots(rec)) > 0) this.hooks.propose({ op: 'degraded-at-boot', array: rec.device, term: w.term });
    } else if (this.hooks.peerWritable()) {
      this.pending.delete(rec.device);
    }
  }
}
