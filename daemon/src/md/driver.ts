// The one interface every layer above md uses to read and change md on this node.
// Owns: the contract between the daemon and md; implemented by the kernel driver
// (md/kernel/, over native/ ioctls and sysfs) and the simulated driver (md/sim/).
// Invariants:
// - Every method rejects with an OpError (common/errors.ts) for an operating failure: a
//   missing array -> E_NO_SUCH_ARRAY, a missing component -> E_NO_SUCH_DEVICE, a refused
//   ioctl/sysfs write -> E_KERNEL with details {errno, syscall, device, member?}.
// - State changes other than create/assemble go through ioctls/sysfs, never through mdadm, with
//   two exceptions where mdadm is again the metadata writer: hot-adding a blank (or foreign)
//   device to a v1.x array, because md accepts only devices that already carry a superblock
//   (HOT_ADD_DISK is refused for 1.x) and writing a new v1 superblock is mdadm's job; and
//   adding an internal bitmap to a running array, whose bitmap superblocks mdadm writes before
//   md is told where they are (md/kernel/grow-control.ts).
// - Changes are idempotent where md allows it: set-faulty on a faulty member, stop on a
//   stopped array, read-only on a read-only array succeed without effect.
import type { Sectors } from '../common/types.js';
import type { ArrayState, AssembleSpec, CreateSpec, DdfFacts, MdEvent, Superblock090Info, SuperblockInfo, SyncAction } from './types.js';

export interface SpeedLimits {
  minKiBps: number;
  maxKiBps: number;
}

export interface WatchHandle {
  close(): Promise<void>;
}

export interface MdDriver {
  readonly kind: 'kernel' | 'sim';

  // ---- read ----
  /** Kernel names of the md arrays present on this node ("md0", ...), active or inactive. */
  listArrays(): Promise<string[]>;
  readArray(device: string): Promise<ArrayState>;
  /** This node's /proc/mdstat text, as the kernel (or the simulated kernel) renders it. */
  readMdstat(): Promise<string>;
  readSuperblock(devPath: string): Promise<SuperblockInfo>;
  /**
   * The component's 0.90 superblock (E_NO_SUPERBLOCK without one). Optional: a driver whose
   * disks never carry 0.90 metadata (the simulated one writes only v1.2) has none.
   */
  readSuperblock090?(devPath: string): Promise<Superblock090Info>;
  /** The component's DDF metadata (E_NO_SUPERBLOCK without it). Optional, as readSuperblock090. */
  readDdf?(devPath: string): Promise<DdfFacts>;

  // ---- create / assemble (may use mdadm as the metadata writer) ----
  create(spec: CreateSpec): Promise<void>;
  /**
   * mdadm --zero-superblock: erases every md superblock on a component this node's md does
   * not hold (E_DEVICE_BUSY when it does); 'none' when there was none to erase. Optional: a
   * driver without it cannot zero superblocks (the control request answers E_NOT_SUPPORTED).
   */
  zeroSuperblock?(devPath: string): Promise<'zeroed' | 'none'>;
  assemble(spec: AssembleSpec): Promise<void>;

  // ---- array state (ioctl / sysfs) ----
  run(device: string): Promise<void>;
  stop(device: string): Promise<void>;
  setReadOnly(device: string): Promise<void>;
  setReadWrite(device: string): Promise<void>;

  // ---- members (ioctl / sysfs); `member` is a block device path such as /dev/vdb ----
  setFaulty(device: string, member: string): Promise<void>;
  hotRemove(device: string, member: string): Promise<void>;
  /** Adds a component; md makes it a spare, recovery starts if a slot is empty. */
  hotAdd(device: string, member: string): Promise<void>;
  /** Re-adds a previously removed member (bitmap-based recovery when possible). */
  reAdd(device: string, member: string): Promise<void>;
  setWriteMostly(device: string, member: string, on: boolean): Promise<void>;
  /** Marks `member` want_replacement; `withMember` (already a spare) becomes its replacement. */
  replace(device: string, member: string, withMember: string): Promise<void>;

  // ---- grow (mdadm --grow) ----
  /**
   * Adds ('internal') or removes ('none') the array's write-intent bitmap. md refuses while a
   * sync runs (EBUSY), an existing bitmap (EEXIST) and a level without redundancy (EINVAL);
   * removing a bitmap that is not there succeeds without effect, as md's SET_ARRAY_INFO does.
   */
  setBitmap(device: string, bitmap: 'internal' | 'none'): Promise<void>;
  /**
   * md/component_size (md's update_size): the space used on each member, in KiB. md refuses a
   * level without redundancy (EINVAL), a size a member lacks (ENOSPC) and a change while a sync
   * runs (EBUSY). Growing resyncs the new region (resync_start at the old size) unless
   * `assumeClean`, which then writes resync_start "none" as mdadm --assume-clean does.
   */
  setComponentSize(device: string, sizeKiB: number, assumeClean: boolean): Promise<void>;
  /**
   * md/raid_disks: raid1 takes spares into new slots (recovery follows) or drops empty slots
   * (EBUSY while more devices hold slots); raid4/5/6 start a reshape to that many devices
   * (sync_action "reshape", md/reshape_position moving; the array grows when it ends), through
   * mdadm on the kernel (it writes the reshape metadata, `backupFile` when md needs one).
   */
  setRaidDisks(device: string, raidDisks: number, opts: { backupFile?: string }): Promise<void>;
  /**
   * The chunk size of a raid4/5/6 array, in KiB: a restripe (reshape) to the new chunk through
   * mdadm --grow --chunk on the kernel (it moves the data offsets when the members have room,
   * otherwise it needs `backupFile`); md/chunk_size reads "new (old)" and reshape_position moves
   * (backwards when mdadm moved the data offsets up) until it ends. md refuses other levels, a
   * chunk that is not a power of two or does not divide the component size (EINVAL), a change
   * while a sync runs (EBUSY) and a read-only array (EROFS).
   */
  setChunkSize(device: string, chunkKiB: number, opts: { backupFile?: string }): Promise<void>;

  // ---- resync control (sysfs) ----
  setSyncAction(device: string, action: SyncAction): Promise<void>;
  setSyncMin(device: string, sectors: Sectors): Promise<void>;
  setSyncMax(device: string, sectors: Sectors | 'max'): Promise<void>;
  /** md/resync_start; null writes "none". Only allowed while the array is not running a sync. */
  setResyncStart(device: string, sectors: Sectors | null): Promise<void>;
  setRecoveryStart(device: string, member: string, sectors: Sectors): Promise<void>;
  setSpeedLimits(limits: SpeedLimits): Promise<void>;

  // ---- events (no polling loop; a slow fallback re-read is allowed) ----
  watch(onEvent: (event: MdEvent) => void): WatchHandle;

  close(): Promise<void>;
}
