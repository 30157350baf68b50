// The /proc/mdstat document model. Owns: the structured form of the Linux 6.1 md_seq_show
// output, shared by the parser (mdstat-parse.ts), the renderer (mdstat-render.ts) and the
// builder from driver state (mdstat-from-arrays.ts).
// Invariants:
// - Every field holds exactly what the kernel printed (units as printed: "blocks" and the
//   progress counts are 1 KiB blocks), so parse -> render reproduces the text byte for byte.
// - Derived text (the progress bar, the [n/m] counts' brackets, padding) is not stored: the
//   renderer recomputes it from the numbers the kernel derived it from.

export interface MdstatDoc {
  /** Registered personalities in registration order, e.g. ["raid6", "raid5", "raid4"]. */
  personalities: string[];
  /** Arrays in the kernel's list order (newest first). */
  arrays: MdstatArray[];
  /** Devices on the kernel's pending list ("unused devices: a b "); empty prints "<none>". */
  unusedDevices: string[];
}

export interface MdstatMember {
  /** Block device name as %pg prints it, e.g. "vda", "sdb1", "cciss/c0d0". */
  name: string;
  /** rdev->desc_nr: the [N]. */
  descNumber: number;
  /** (W) */
  writeMostly: boolean;
  /** (J) */
  journal: boolean;
  /** (F). Invariant: a faulty member prints neither (S) nor (R) (the kernel stops at (F)). */
  faulty: boolean;
  /** (S): raid_disk < 0 and not faulty. */
  spare: boolean;
  /** (R): a replacement, not faulty. */
  replacement: boolean;
}

/** The "[n/m] [UU_]" tail of the mirror/parity/raid10 status. */
export interface MdstatDiskSummary {
  /** n: conf->raid_disks. */
  raidDisks: number;
  /** m: raid_disks - degraded. */
  workingDisks: number;
  /** One entry per slot: true prints "U" (in_sync member present), false "_". */
  slotsUp: boolean[];
}

/** Personality-specific text after the blocks/super tokens. */
export type MdstatStatus =
  /** raid1 and multipath: " [n/m] [UU]". */
  | { kind: 'mirror'; disks: MdstatDiskSummary }
  /** raid0: " %dk chunks". */
  | { kind: 'raid0'; chunkKiB: number }
  /** linear: " %dk rounding". */
  | { kind: 'linear'; roundingKiB: number }
  /** raid4/5/6: " level L, Ck chunk, algorithm A [n/m] [..]". */
  | { kind: 'raid456'; level: number; chunkKiB: number; algorithm: number; disks: MdstatDiskSummary }
  /**
   * raid10: [" CK chunks"] [" N near-copies"] [" F far-copies"|" F offset-copies"]
   * [" S devices per set"] " [n/m] [..]". A null field is not printed.
   */
  | {
    kind: 'raid10'; chunkKiB: number | null; nearCopies: number | null; farCopies: number | null;
    farOffset: boolean; devicesPerSet: number | null; disks: MdstatDiskSummary;
  }
  /** A personality this model does not know: its status text verbatim (leading space included). */
  | { kind: 'raw'; text: string };

export type MdstatProgressAction = 'resync' | 'recovery' | 'check' | 'reshape';

/** The status_resync line. */
export type MdstatSync =
  | {
    kind: 'progress';
    action: MdstatProgressAction;
    /** Per-mille done, rounded down (the percentage is perMille/10 "." perMille%10). */
    perMille: number;
    /** Done and total in 1 KiB blocks (sectors / 2, rounded down). */
    doneKiB: number;
    totalKiB: number;
    /** Estimated time left in tenths of a minute (finish=W.Tmin: W = /10, T = %10). */
    finishTenthsMin: number;
    speedKiBps: number;
  }
  /** "\tresync=PENDING", "\tresync=DELAYED", "\tresync=REMOTE", "\trecover=REMOTE", "\treshape=REMOTE". */
  | { kind: 'waiting'; word: 'resync' | 'recover' | 'reshape'; state: 'PENDING' | 'DELAYED' | 'REMOTE' };

export interface MdstatBitmap {
  /** pages - missing_pages, pages. */
  pagesUsed: number;
  pagesTotal: number;
  /** (pages - missing) << (PAGE_SHIFT - 10): as printed in "[NKB]". */
  pagesKiB: number;
  /** The chunk as printed: in KB, or in bytes when below 1 KiB. */
  chunk: number;
  chunkUnit: 'KB' | 'B';
  /** The bitmap file path as seq_file_path printed it (" \t\n" escaped as octal), or null. */
  file: string | null;
}

export interface MdstatArray {
  /** mdname(), e.g. "md0", "md127", "md_d0". */
  device: string;
  /** true when a personality runs ("active"), false prints "inactive". */
  active: boolean;
  /** Only for active arrays: " (read-only)" / " (auto-read-only)". */
  readOnly: 'read-only' | 'auto-read-only' | null;
  /** pers->name for an active array; null when inactive. */
  personality: string | null;
  /** In the kernel's rdev list order. */
  members: MdstatMember[];
  /**
   * The "N blocks" count (array_sectors/2 when active, else the sum of non-faulty members'
   * sizes / 2); null when the array has no member (the kernel then prints no blocks line).
   */
  blocksKiB: number | null;
  /**
   * Text after " super ": "1.2", "1.0", "external:ddf", "non-persistent"; null for 0.90
   * (the kernel prints no token for persistent 0.90 metadata).
   */
  superblock: string | null;
  /** Personality status; null when inactive. */
  status: MdstatStatus | null;
  /** Resync/recovery line; null when none is printed. Invariant: null when inactive. */
  sync: MdstatSync | null;
  bitmap: MdstatBitmap | null;
}
