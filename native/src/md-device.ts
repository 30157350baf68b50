// One open md block device (/dev/mdX) and the md ioctls on it. Owns: which ioctl carries which
// argument, and which ones may block (thread pool) and which may not (calling thread).
// Invariants:
// - The GET_* and RAID_VERSION ioctls are lockless in md (no reconfig mutex, no I/O), so they
//   run synchronously; every ioctl that changes state takes md's reconfig mutex or waits for
//   I/O and runs on the thread pool (libc.ts ioctlAsync).
// - Every failure is OpError(E_KERNEL) with {errno, syscall: "ioctl(NAME)", device, member?}.
// - An MdDevice is closed exactly once (close() is idempotent); withMdDevice() guarantees it.
import {
  ADD_NEW_DISK, GET_ARRAY_INFO, GET_BITMAP_FILE, GET_DISK_INFO, HOT_ADD_DISK, HOT_REMOVE_DISK, MDU_ARRAY_INFO_T_BYTES,
  MDU_BITMAP_FILE_T_BYTES, MDU_VERSION_T_BYTES, RAID_VERSION, RESTART_ARRAY_RW, RUN_ARRAY,
  SET_ARRAY_INFO, SET_DISK_FAULTY, STOP_ARRAY, STOP_ARRAY_RO,
} from './ioctl.js';
import { ioctlAsync, ioctlSync, ioctlSyncErrno, openReadOnly, type OpenFd } from './libc.js';
import {
  allocStruct, decodeArrayInfo, decodeBitmapFile, decodeDiskInfo, decodeVersion, encodeArrayInfo, encodeDiskInfo, encodeParam,
  type MduArrayInfo, type MduDiskInfo, type MduVersion,
} from './structs.js';
import { encodeDevForIoctl, type DevNumber } from './blockdev.js';
import { errnoNumber, kernelError } from './errno.js';

export class MdDevice {
  private closed = false;

  private constructor(
    /** Kernel name of the array ("md0"), used in error details. */
    readonly device: string,
    private readonly file: OpenFd,
  ) {}

  /** Opens `devPath` (e.g. /dev/md0) read-only on the thread pool. */
  static async open(devPath: string, device: string): Promise<MdDevice> {
    const file = await openReadOnly(devPath, { syscall: 'open', device });
    return new MdDevice(device, file);
  }

  private ctx(name: string, member?: string) {
    return member === undefined ? { syscall: `ioctl(${name})`, device: this.device } : { syscall: `ioctl(${name})`, device: this.device, member };
  }

  /** A GET_* ioctl that fills a zeroed struct of `bytes`, decoded. */
  private getStruct<T>(bytes: number, request: number, name: string, decode: (buf: Buffer) => T): T {
    const buf = allocStruct(bytes);
    ioctlSync(this.file.fd, request, buf, this.ctx(name));
    return decode(buf);
  }

  raidVersion(): MduVersion {
    return this.getStruct(MDU_VERSION_T_BYTES, RAID_VERSION, 'RAID_VERSION', decodeVersion);
  }

  getArrayInfo(): MduArrayInfo {
    return this.getStruct(MDU_ARRAY_INFO_T_BYTES, GET_ARRAY_INFO, 'GET_ARRAY_INFO', decodeArrayInfo);
  }

  /** GET_ARRAY_INFO, or null when md has no array configured on this device (ENODEV: inactive). */
  tryGetArrayInfo(): MduArrayInfo | null {
    const buf = allocStruct(MDU_ARRAY_INFO_T_BYTES);
    const errno = ioctlSyncErrno(this.file.fd, GET_ARRAY_INFO, buf);
    if (errno === 0) return decodeArrayInfo(buf);
    if (errno === ENODEV) return null;
    throw kernelError(errno, this.ctx('GET_ARRAY_INFO'));
  }

  getDiskInfo(number: number): MduDiskInfo {
    const buf = encodeDiskInfo({ number, major: 0, minor: 0, raid_disk: 0, state: 0 });
    ioctlSync(this.file.fd, GET_DISK_INFO, buf, this.ctx('GET_DISK_INFO'));
    return decodeDiskInfo(buf);
  }

  getBitmapFile(): string {
    return this.getStruct(MDU_BITMAP_FILE_T_BYTES, GET_BITMAP_FILE, 'GET_BITMAP_FILE', decodeBitmapFile);
  }

  /** RUN_ARRAY; md ignores the mdu_param_t for arrays configured through superblocks. */
  runArray(): Promise<void> {
    const param = encodeParam({ personality: 0, chunk_size: 0, max_fault: 0 });
    return ioctlAsync(this.file.fd, RUN_ARRAY, param, this.ctx('RUN_ARRAY'));
  }
  stopArray(): Promise<void> {
    return ioctlAsync(this.file.fd, STOP_ARRAY, 0, this.ctx('STOP_ARRAY'));
  }
  stopArrayReadOnly(): Promise<void> {
    return ioctlAsync(this.file.fd, STOP_ARRAY_RO, 0, this.ctx('STOP_ARRAY_RO'));
  }
  restartArrayReadWrite(): Promise<void> {
    return ioctlAsync(this.file.fd, RESTART_ARRAY_RW, 0, this.ctx('RESTART_ARRAY_RW'));
  }
  setDiskFaulty(dev: DevNumber, member: string): Promise<void> {
    return ioctlAsync(this.file.fd, SET_DISK_FAULTY, encodeDevForIoctl(dev), this.ctx('SET_DISK_FAULTY', member));
  }
  hotRemoveDisk(dev: DevNumber, member: string): Promise<void> {
    return ioctlAsync(this.file.fd, HOT_REMOVE_DISK, encodeDevForIoctl(dev), this.ctx('HOT_REMOVE_DISK', member));
  }
  /** HOT_ADD_DISK: md accepts it only for 0.90 metadata (EINVAL for 1.x). */
  hotAddDisk(dev: DevNumber, member: string): Promise<void> {
    return ioctlAsync(this.file.fd, HOT_ADD_DISK, encodeDevForIoctl(dev), this.ctx('HOT_ADD_DISK', member));
  }
  /**
   * SET_ARRAY_INFO on a running array: md (update_array_info) changes exactly one of size,
   * raid_disks, layout or the MD_SB_BITMAP_PRESENT bit, compared with its own GET_ARRAY_INFO;
   * more than one change is EINVAL, none is a success.
   */
  setArrayInfo(info: MduArrayInfo): Promise<void> {
    return ioctlAsync(this.file.fd, SET_ARRAY_INFO, encodeArrayInfo(info), this.ctx('SET_ARRAY_INFO'));
  }
  /** ADD_NEW_DISK: the component must already carry a superblock md can load. */
  addNewDisk(info: MduDiskInfo, member: string): Promise<void> {
    return ioctlAsync(this.file.fd, ADD_NEW_DISK, encodeDiskInfo(info), this.ctx('ADD_NEW_DISK', member));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}

const ENODEV = errnoNumber('ENODEV');

/** Opens, runs `fn`, and always closes. */
export async function withMdDevice<T>(devPath: string, device: string, fn: (md: MdDevice) => Promise<T> | T): Promise<T> {
  const md = await MdDevice.open(devPath, device);
  try {
    return await fn(md);
  } finally {
    await md.close();
  }
}
