// `mdadm --query` (mdadm 4.2) lines, as mdctl prints them. Owns: their wording and mdadm's
// human_size_brief() rounding. Pure.
// Invariants: an md device line names the array size (IEC, two decimals), level, raid disks
// and spares; a component line follows mdadm's "is not an md array" line and names the
// superblock's device number, raid disks, activity, level and the array it belongs to.

const MIB = 1n << 20n;
const GIB = 1n << 30n;
const TIB = 1n << 40n;
/** Below this many bytes mdadm prints no size at all. */
const BRIEF_MIN_BYTES = 5000n * 1024n;

/** mdadm human_size_brief(bytes, IEC): "63.00MiB", "1.00GiB"... or "" below 5000 KiB. */
export function humanSizeBrief(bytesIn: number | bigint): string {
  const bytes = BigInt(bytesIn);
  if (bytes < BRIEF_MIN_BYTES) return '';
  const [unit, name] = bytes < 2n * GIB ? [MIB, 'MiB'] : bytes < 2n * TIB ? [GIB, 'GiB'] : [TIB, 'TiB'];
  const c = (bytes * 200n / unit + 1n) / 2n;
  return `${c / 100n}.${String(c % 100n).padStart(2, '0')}${name}`;
}

export interface ArrayQuery { device: string; arraySizeKiB: number; level: string; raidDisks: number; spares: number; tool: string }

/** "/dev/md0: 63.00MiB raid1 2 devices, 1 spare. Use mdadm --detail for more detail." */
export function queryArrayLine(q: ArrayQuery): string {
  return `${q.device}: ${humanSizeBrief(BigInt(q.arraySizeKiB) * 1024n)} ${q.level} ${q.raidDisks} devices, ${q.spares} spare${q.spares === 1 ? '' : 's'}. ` +
    `Use ${q.tool} --detail for more detail.\n`;
}

/** How mdadm describes a component's array: active (the array holds it at its number), mismatch, inactive. */
export type QueryActivity = 'active' | 'mismatch' | 'inactive' | 'undetected';

export interface MemberQuery {
  device: string;
  /** The superblock's dev_number and raid_disks, and the level's name. */
  devNumber: number;
  raidDisks: number;
  level: string;
  activity: QueryActivity;
  /** The array's path ("/dev/md0"), or null when no running array has the superblock's UUID. */
  arrayPath: string | null;
  tool: string;
}

/** The two lines mdadm prints for a component device. */
export function queryMemberLines(q: MemberQuery): string {
  return `${q.device}: is not an md array\n` +
    `${q.device}: device ${q.devNumber} in ${q.raidDisks} device ${q.activity} ${q.level} ${q.arrayPath ?? 'array'}.  Use ${q.tool} --examine for more detail.\n`;
}

/** A device with no md superblock that is not an md array either. */
export function queryNothingLine(device: string): string {
  return `${device}: is not an md array\n`;
}
