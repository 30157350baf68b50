// The md state model shared by every md driver (kernel, simulated), the mdstat/detail
// renderers, the cluster state and mdctl. Owns: the shape of "what one node's md driver
// reports" and of the requests it accepts.
// Invariant: an ArrayState is a snapshot of one node's kernel view (or the simulated
// kernel's), in the kernel's own units: sysfs sizes in KiB where sysfs gives KiB, sync
// positions in 512-byte sectors. Fields may be ADDED by contributors; never rename or remove
// one without updating every user (grep first).
import type { Sectors } from '../common/types.js';

/**
 * md personalities. multipath and faulty are read and shown as what they are, and 'container'
 * is an external-metadata container (mdadm's LEVEL_CONTAINER: no personality); the cluster
 * never creates these (cluster/commands.ts accepts the seven raid levels only).
 */
export type MdLevel = 'linear' | 'raid0' | 'raid1' | 'raid4' | 'raid5' | 'raid6' | 'raid10' | 'multipath' | 'faulty' | 'container';

/** sysfs md/array_state values. */
export type ArrayRunState =
  | 'clear' | 'inactive' | 'suspended' | 'readonly' | 'read-auto'
  | 'clean' | 'active' | 'write-pending' | 'active-idle' | 'broken';

/** sysfs md/sync_action values. */
export type SyncAction = 'idle' | 'resync' | 'recover' | 'check' | 'repair' | 'frozen' | 'reshape';

/** Tokens of sysfs md/dev-X/state (comma separated in the kernel). */
export type MemberFlag =
  | 'faulty' | 'in_sync' | 'write_mostly' | 'blocked' | 'spare' | 'write_error'
  | 'want_replacement' | 'replacement' | 'external_bbl' | 'failfast' | 'journal';

export interface MemberState {
  /** Kernel name of the component, e.g. "vda" or "sdb1" (sysfs dev-<name>). */
  name: string;
  /** Block device path on this node, e.g. "/dev/vda". */
  devPath: string;
  major: number;
  minor: number;
  /** sysfs dev-X/slot: raid_disk number, or null when "none" (spare, faulty, journal). */
  slot: number | null;
  /** Superblock dev_number (the [N] in /proc/mdstat; mdu_disk_info_t.number). */
  descNumber: number;
  flags: MemberFlag[];
  /** sysfs dev-X/errors. */
  errors: number;
  /** sysfs dev-X/recovery_start: null when "none" (member fully in sync or not recovering). */
  recoveryStartSectors: Sectors | null;
  /** Device UUID from the member's v1.x superblock, "xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx"; null if unknown. */
  deviceUuid: string | null;
  /** sysfs dev-X/offset and dev-X/size (sectors / KiB as the kernel reports them). */
  dataOffsetSectors: Sectors;
  sizeKiB: number;
}

export interface SyncProgress {
  /** sysfs md/sync_completed "done / total", in sectors. */
  doneSectors: Sectors;
  totalSectors: Sectors;
}

export interface BitmapState {
  /** "internal", "none", a file path, or "clustered". */
  location: string;
  /** From /proc/mdstat "bitmap: P/T pages [NKB], CKB chunk". */
  pagesUsed: number;
  pagesTotal: number;
  pagesKiB: number;
  chunkKiB: number;
  file: string | null;
}

export interface ArrayState {
  /** Kernel name, e.g. "md0" (the block device is /dev/md0). */
  device: string;
  /** Array UUID in mdadm's colon form "xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx". */
  uuid: string;
  /** Array name from the superblock (e.g. "labhost:0"), or null for 0.90 / none. */
  name: string | null;
  level: MdLevel;
  raidDisks: number;
  /** md/layout (numeric, as the kernel holds it). */
  layout: number;
  /** md/chunk_size in bytes (0 for raid1/linear). */
  chunkSizeBytes: number;
  /** Array size in KiB (mdstat "blocks", GET_ARRAY_INFO size for raid1). */
  arraySizeKiB: number;
  /** md/component_size in KiB (Used Dev Size). */
  componentSizeKiB: number;
  /** md/metadata_version: "1.2", "1.1", "1.0", "0.90", "none", "external:..." */
  metadataVersion: string;
  arrayState: ArrayRunState;
  degraded: number;
  syncAction: SyncAction;
  lastSyncAction: SyncAction | null;
  /** md/sync_completed; null when "none". "delayed"/"pending" are reported in syncWaiting. */
  syncCompleted: SyncProgress | null;
  /**
   * The live sync position /proc/mdstat prints (curr_resync less the I/O in flight), ahead of
   * syncCompleted, which is md's last checkpoint. Even (mdstat prints KiB). null: mdstat shows
   * no progress line (no sync, or md's sync thread has not started its pass yet although
   * sync_completed already reads "0 / N"). Absent: the producer does not know (renderers
   * then use syncCompleted.doneSectors).
   */
  syncPositionSectors?: Sectors | null;
  /** "DELAYED" / "PENDING" / "REMOTE" as mdstat would print resync=...; null otherwise. */
  syncWaiting: 'DELAYED' | 'PENDING' | 'REMOTE' | null;
  /** md/sync_speed in KiB/s (0 when idle). */
  syncSpeedKiBps: number;
  /** md/resync_start; null when "none" (array in sync). */
  resyncStartSectors: Sectors | null;
  syncMinSectors: Sectors;
  /** md/sync_max; "max" when unlimited. */
  syncMaxSectors: Sectors | 'max';
  /** md/consistency_policy: resync, bitmap, journal, ppl, none. */
  consistencyPolicy: string;
  bitmap: BitmapState | null;
  /** Superblock events counter (may go DOWN by one on the dirty-to-clean transition). */
  events: number;
  /** Superblock creation / update time, seconds since epoch. */
  ctimeSec: number;
  utimeSec: number;
  mismatchCount: number;
  members: MemberState[];
  /**
   * A reshape in progress (md/reshape_position != none), else null/absent. Optional so that
   * producers that never reshape need not set it.
   */
  reshape?: ReshapeState | null;
  /** External metadata (a DDF/IMSM container or one of its member arrays), else null/absent. */
  external?: ExternalFacts | null;
}

/** md reshape facts, from sysfs "new (old)" pairs and md/reshape_position. */
export interface ReshapeState {
  /** md/reshape_position in sectors. */
  positionSectors: Sectors;
  /** raid_disks now minus raid_disks before (md/raid_disks "new (old)"); negative when shrinking. */
  deltaDisks: number;
  /** Target level, layout and chunk (equal to level/layout/chunkSizeBytes when unchanged). */
  newLevel: MdLevel;
  newLayout: number;
  newChunkSizeBytes: number;
  /**
   * md/reshape_direction "backwards": the reshape walks from the end of the array down (mdadm
   * moved the data offsets up), so positionSectors falls from the array size to 0. Absent = forwards.
   */
  backwards?: boolean;
}

export interface CreateSpec {
  device: string;
  /** Array UUID chosen by the proposer (mdadm --uuid), colon form; the driver generates one when absent. */
  uuid?: string;
  level: MdLevel;
  raidDevices: number;
  /** Members in role order; the last `spareDevices` are spares. "missing" leaves a slot empty. */
  members: string[];
  spareDevices: number;
  metadata?: string;
  bitmap?: 'internal' | 'none';
  chunkKiB?: number;
  layout?: string;
  name?: string;
  assumeClean?: boolean;
  /** Size per component in KiB; default: largest that fits. */
  sizeKiB?: number;
}

export interface AssembleSpec {
  device: string;
  uuid?: string;
  /** Component block devices to assemble from. */
  members: string[];
  /** Start the array read-only (standby). */
  readOnly: boolean;
  /** Start even if degraded. */
  run?: boolean;
}

/** v1.x superblock facts from a component (native/ superblock reader, or the sim's files). */
export interface SuperblockInfo {
  majorVersion: 1;
  /** 0, 1 or 2: the superblock's position (1.0 at the end, 1.1 at 0, 1.2 at 4 KiB). */
  minorVersion: 0 | 1 | 2;
  setUuid: string;
  setName: string;
  deviceUuid: string;
  level: number;
  layout: number;
  raidDisks: number;
  chunkSectors: number;
  ctimeSec: number;
  utimeSec: number;
  events: number;
  resyncOffsetSectors: Sectors | 'max';
  recoveryOffsetSectors: Sectors;
  devNumber: number;
  /** dev_roles[]: 0xffff spare, 0xfffe faulty, 0xfffd journal, else the slot. */
  devRoles: number[];
  featureMap: number;
  dataOffsetSectors: Sectors;
  dataSizeSectors: Sectors;
  superOffsetSectors: Sectors;
  sizeSectors: Sectors;
  checksumValid: boolean;
  /** Further raw fields `mdadm --examine` prints; absent from a driver that has none (the sim). */
  raw?: SuperblockRawFacts;
}

/** Raw v1.x superblock fields only `mdadm --examine` needs (mdp_superblock_1 in md_p.h). */
export interface SuperblockRawFacts {
  /** sb_csum as stored, and calc_sb_1_csum() of the superblock as read. */
  storedCsum: number;
  computedCsum: number;
  /** devflags: 1 write-mostly, 2 failfast. */
  devFlags: number;
  /** bitmap_offset: signed sectors from the superblock (meaningful with feature bit 0x1). */
  bitmapOffsetSectors: number;
  /** ppl.offset (signed) and ppl.size in sectors, sharing bitmap_offset's bytes (feature 0x400/0x800). */
  pplOffsetSectors: number;
  pplSizeSectors: number;
  /** bblog_offset (signed, from the superblock) and bblog_size, in sectors; 0 when there is no log. */
  bblogOffsetSectors: number;
  bblogSizeSectors: number;
  /** Reshape (feature bit 0x4): position in sectors, target level, layout, chunk (sectors), disk delta. */
  reshapePositionSectors: number;
  newLevel: number;
  newLayout: number;
  newChunkSectors: number;
  deltaDisks: number;
  /** new_offset: signed sectors relative to data_offset (feature bit 0x100). */
  newOffsetSectors: number;
  /** Size of the component device in sectors; null when the reader did not know it. */
  deviceSectors: number | null;
}

export type MdEvent =
  | { type: 'member-faulty'; device: string; member: string }
  | { type: 'degraded-changed'; device: string; degraded: number }
  | { type: 'sync-started'; device: string; action: SyncAction }
  | { type: 'sync-progress'; device: string; action: SyncAction; progress: SyncProgress }
  | { type: 'sync-finished'; device: string; action: SyncAction }
  | { type: 'array-started'; device: string }
  | { type: 'array-stopped'; device: string }
  | { type: 'array-state-changed'; device: string; arrayState: ArrayRunState }
  | { type: 'member-added'; device: string; member: string }
  | { type: 'member-removed'; device: string; member: string };

/** One mdp_disk_t of a 0.90 superblock (disks[] or this_disk). */
export interface Superblock090Disk {
  number: number;
  major: number;
  minor: number;
  raidDisk: number;
  /** MD_DISK_* bits: 0 faulty, 1 active, 2 sync, 3 removed, 9 write-mostly, 10 failfast. */
  state: number;
  /** The block device at major:minor on the node that read it ("/dev/vda"), or null (mdadm's map_dev). */
  devPath: string | null;
}

/**
 * A 0.90 superblock (mdp_superblock_s in md_p.h, host-endian words at the end of the device)
 * with every field `mdadm --examine` prints. Sizes are as stored: size in KiB, chunk in bytes.
 */
export interface Superblock090Info {
  majorVersion: 0;
  minorVersion: number;
  patchVersion: number;
  /** set_uuid0..3, each word printed as %08x (mdadm's 0.90 UUID form). */
  setUuid: string;
  ctimeSec: number;
  utimeSec: number;
  level: number;
  sizeKiB: number;
  nrDisks: number;
  raidDisks: number;
  mdMinor: number;
  notPersistent: number;
  /** MD_SB_* bits: 0 clean, 8 bitmap present. */
  state: number;
  activeDisks: number;
  workingDisks: number;
  failedDisks: number;
  spareDisks: number;
  storedCsum: number;
  computedCsum: number;
  /** events_hi << 32 | events_lo (mdadm --detail prints "hi.lo"). */
  events: number;
  /** Reshape fields (meaningful for minor_version > 90 only); reshapePositionSectors null = none. */
  reshapePositionSectors: number | null;
  newLevel: number;
  deltaDisks: number;
  newLayout: number;
  newChunkBytes: number;
  layout: number;
  chunkSizeBytes: number;
  /** disks[0..26]. */
  disks: Superblock090Disk[];
  thisDisk: Superblock090Disk;
}

/** What a DDF container's metadata says that mdadm --detail/--export print (native/src/ddf-format.ts). */
export interface DdfFacts {
  /** The anchor header's 24-byte GUID, 48 upper-case hex digits. */
  containerGuid: string;
  /** The active header's sequence number. */
  seq: number;
  /** populated_vdes of the virtual disk records. */
  virtualDisks: number;
  /** mdadm's container UUID (SHA-1 of the GUID, host-order words). */
  containerUuid: string;
  /** mdadm's UUID of each virtual disk by index (the N of external:/mdX/N); null for an empty entry. */
  vdUuids: (string | null)[];
}

/** An array with external metadata (md/metadata_version "external:..."): a container or a member. */
export interface ExternalFacts {
  /** "ddf", "imsm", ...: the container's format (a member's is its container's). */
  format: string;
  /** For a member array: its container's kernel name ("md127") and index ("0"); null for a container. */
  container: string | null;
  member: string | null;
  /** The DDF metadata read from a member disk; null for other formats or when unreadable. */
  ddf: DdfFacts | null;
}
