// Whether an array survives a set of in-sync members: the md levels' redundancy rules.
// Owns: "is this array still usable" for validation (failing the last in-sync member needs
// --force) and for status (degraded / unusable). Pure.
// Invariant: for raid10 only the near layout with n copies ("n2", "n3") is modelled exactly;
// other raid10 layouts are treated conservatively as tolerating copies-1 failures in total.
import type { MdLevel } from '../md/types.js';

/** Number of copies for a raid10 layout string such as "n2" / "f2" / "o2"; 2 by default. */
export function raid10Copies(layout: string | null): number {
  const m = /^[nfo]([2-9])$/.exec(layout ?? '');
  return m ? Number(m[1]) : 2;
}

/**
 * True if an array of `level` with `raidDisks` slots is usable when exactly the slots in
 * `inSyncSlots` hold in-sync data.
 */
export function arrayUsable(level: MdLevel, raidDisks: number, layout: string | null, inSyncSlots: ReadonlySet<number>): boolean {
  const missing = raidDisks - inSyncSlots.size;
  switch (level) {
    case 'raid1': return inSyncSlots.size >= 1;
    case 'raid4':
    case 'raid5': return missing <= 1;
    case 'raid6': return missing <= 2;
    case 'raid0':
    case 'linear':
    case 'faulty': return missing === 0;
    case 'multipath': return inSyncSlots.size >= 1; // any one path reaches the disk
    case 'container': return false; // holds metadata only, no data to use
    case 'raid10': {
      const copies = raid10Copies(layout);
      if (!(layout ?? 'n2').startsWith('n')) return missing <= copies - 1;
      // near layout: slot s holds chunks of mirror group floor(s / copies) when raidDisks % copies == 0;
      // in general the copies of a chunk sit in consecutive slots modulo raidDisks.
      for (let first = 0; first < raidDisks; first += raidDisks % copies === 0 ? copies : 1) {
        let any = false;
        for (let k = 0; k < copies; k++) if (inSyncSlots.has((first + k) % raidDisks)) any = true;
        if (!any) return false;
      }
      return true;
    }
  }
}

/** Number of slots without an in-sync member (sysfs md/degraded). */
export function degradedCount(raidDisks: number, inSyncSlots: ReadonlySet<number>): number {
  return Math.max(0, raidDisks - inSyncSlots.size);
}
