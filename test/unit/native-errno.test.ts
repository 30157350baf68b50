// Unit tests for native/src/errno.ts, libc.ts, md-device.ts and blockdev.ts with real syscalls
// on this machine: md ioctls sent to /dev/null fail with ENOTTY, which must come back as a typed
// E_KERNEL error (sync and async paths), and dev_t encodings must match the kernel's.
import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { OpError } from '../../daemon/src/common/errors.js';
import { errnoName, errnoNumber, fromNodeError, kernelError } from '../../native/src/errno.js';
import { ioctlAsync, ioctlSync, ioctlSyncErrno, openReadOnly } from '../../native/src/libc.js';
import { GET_ARRAY_INFO, SET_DISK_FAULTY } from '../../native/src/ioctl.js';
import { MdDevice, withMdDevice } from '../../native/src/md-device.js';
import { decodeRdev, encodeDevForIoctl, statBlockDevice } from '../../native/src/blockdev.js';

function expectKernelError(err: unknown, errno: string, syscall: string): void {
  expect(err).toBeInstanceOf(OpError);
  const e = err as OpError;
  expect(e.code).toBe('E_KERNEL');
  expect(e.details.errno).toBe(errno);
  expect(e.details.syscall).toBe(syscall);
}

describe('errno names', () => {
  it('maps numbers to names and back', () => {
    expect(errnoName(25)).toBe('ENOTTY');
    expect(errnoName(-16)).toBe('EBUSY');
    expect(errnoName(19)).toBe('ENODEV');
    expect(errnoName(99999)).toBe('E99999');
    expect(errnoNumber('EROFS')).toBe(30);
    expect(errnoNumber('toString')).toBeUndefined();
    for (const name of ['EBUSY', 'EROFS', 'ENODEV', 'EACCES', 'ENOTTY', 'EINVAL', 'ENXIO', 'EPERM', 'EEXIST', 'ENOENT', 'EIO']) {
      expect(errnoName(errnoNumber(name)!)).toBe(name);
    }
  });

  it('builds typed errors with details', () => {
    const e = kernelError(16, { syscall: 'ioctl(SET_DISK_FAULTY)', device: 'md0', member: '/dev/vdb' });
    expect(e.toJSON()).toEqual({
      code: 'E_KERNEL',
      message: 'ioctl(SET_DISK_FAULTY) on md0 /dev/vdb: EBUSY (device or resource busy)',
      details: { errno: 'EBUSY', syscall: 'ioctl(SET_DISK_FAULTY)', device: 'md0', member: '/dev/vdb' },
    });
    let caught: unknown;
    try { statSync('/nonexistent/x'); } catch (err) { caught = err; }
    expectKernelError(fromNodeError(caught, { syscall: 'stat', device: 'x' }), 'ENOENT', 'stat');
    expect(() => fromNodeError(new TypeError('bug'), { syscall: 's', device: 'd' })).toThrow(TypeError);
  });
});

describe('real ioctls on /dev/null', () => {
  it('sync ioctl with a struct pointer fails with ENOTTY', async () => {
    const f = await openReadOnly('/dev/null', { syscall: 'open', device: 'null' });
    try {
      let caught: unknown;
      try { ioctlSync(f.fd, GET_ARRAY_INFO, Buffer.alloc(72), { syscall: 'ioctl(GET_ARRAY_INFO)', device: 'null' }); } catch (e) { caught = e; }
      expectKernelError(caught, 'ENOTTY', 'ioctl(GET_ARRAY_INFO)');
      expect(ioctlSyncErrno(f.fd, SET_DISK_FAULTY, 0xfe10)).toBe(25);
    } finally {
      await f.close();
    }
  });

  it('async ioctl (thread pool) reports the errno of its own call', async () => {
    const f = await openReadOnly('/dev/null', { syscall: 'open', device: 'null' });
    try {
      const r = await ioctlAsync(f.fd, SET_DISK_FAULTY, 0xfe10, { syscall: 'ioctl(SET_DISK_FAULTY)', device: 'null', member: '/dev/vdb' }).catch((e: unknown) => e);
      expectKernelError(r, 'ENOTTY', 'ioctl(SET_DISK_FAULTY)');
      expect((r as OpError).details.member).toBe('/dev/vdb');
      const bad = await ioctlAsync(9999, SET_DISK_FAULTY, 0, { syscall: 'ioctl(SET_DISK_FAULTY)', device: 'x' }).catch((e: unknown) => e);
      expectKernelError(bad, 'EBADF', 'ioctl(SET_DISK_FAULTY)');
    } finally {
      await f.close();
    }
  });

  it('MdDevice maps every md ioctl failure to E_KERNEL with the ioctl name', async () => {
    await withMdDevice('/dev/null', 'md0', async (md: MdDevice) => {
      expect(() => md.getArrayInfo()).toThrow(OpError);
      expect(() => md.tryGetArrayInfo()).toThrow(/GET_ARRAY_INFO.*ENOTTY/);
      expect(() => md.getDiskInfo(0)).toThrow(/GET_DISK_INFO/);
      expect(() => md.raidVersion()).toThrow(/RAID_VERSION/);
      const calls: [string, () => Promise<void>][] = [
        ['RUN_ARRAY', () => md.runArray()], ['STOP_ARRAY', () => md.stopArray()],
        ['STOP_ARRAY_RO', () => md.stopArrayReadOnly()], ['RESTART_ARRAY_RW', () => md.restartArrayReadWrite()],
        ['SET_DISK_FAULTY', () => md.setDiskFaulty({ major: 254, minor: 16 }, '/dev/vdb')],
        ['HOT_REMOVE_DISK', () => md.hotRemoveDisk({ major: 254, minor: 16 }, '/dev/vdb')],
        ['HOT_ADD_DISK', () => md.hotAddDisk({ major: 254, minor: 16 }, '/dev/vdb')],
        ['ADD_NEW_DISK', () => md.addNewDisk({ number: 1, major: 254, minor: 16, raid_disk: 1, state: 4 }, '/dev/vdb')],
      ];
      for (const [name, call] of calls) expectKernelError(await call().catch((e: unknown) => e), 'ENOTTY', `ioctl(${name})`);
    });
  });

  it('open of a missing device is E_KERNEL ENOENT', async () => {
    const r = await MdDevice.open('/dev/md-does-not-exist', 'md9').catch((e: unknown) => e);
    expectKernelError(r, 'ENOENT', 'open');
  });
});

describe('dev_t encodings', () => {
  it('decodes stat rdev and encodes the ioctl form', async () => {
    const nullDev = decodeRdev(statSync('/dev/null', { bigint: true }).rdev);
    expect(nullDev).toEqual({ major: 1, minor: 3 });
    expect(encodeDevForIoctl({ major: 254, minor: 16 })).toBe(0xfe10);
    expect(encodeDevForIoctl({ major: 8, minor: 300 })).toBe(0x10082c);
    expect(decodeRdev(BigInt(encodeDevForIoctl({ major: 259, minor: 70000 })))).toEqual({ major: 259, minor: 70000 });
    expect(() => encodeDevForIoctl({ major: 5000, minor: 0 })).toThrow(OpError);
  });

  it('statBlockDevice rejects missing paths and non-block files with stable codes', async () => {
    await expect(statBlockDevice('/dev/definitely-missing')).rejects.toMatchObject({ code: 'E_NO_SUCH_DEVICE' });
    await expect(statBlockDevice('/dev/null')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});
