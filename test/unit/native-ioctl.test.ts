// Unit tests for native/src/ioctl.ts and native/src/structs.ts: the md request numbers from the
// _IOC encoding, the struct sizes, and the decoders checked against every real ioctl capture.
import { describe, expect, it } from 'vitest';
import koffi from 'koffi';
import * as ioctl from '../../native/src/ioctl.js';
import {
  ARRAY_INFO_FIELDS, DISK_INFO_FIELDS, decodeArrayInfo, decodeBitmapFile, decodeDiskInfo, decodeVersion,
  encodeArrayInfo, encodeDiskInfo, encodeParam, mduArrayInfoT, mduBitmapFileT, mduDiskInfoT, mduParamT, mduVersionT,
} from '../../native/src/structs.js';
import { caseNames, loadIoctl, readCaseFile } from './native-samples.js';

describe('md ioctl request numbers', () => {
  it('match the kernel values', () => {
    expect(ioctl.GET_ARRAY_INFO).toBe(0x80480911);
    expect(ioctl.GET_DISK_INFO).toBe(0x80140912);
    expect(ioctl.ADD_NEW_DISK).toBe(0x40140921);
    expect(ioctl.SET_ARRAY_INFO).toBe(0x40480923);
    expect(ioctl.RUN_ARRAY).toBe(0x400c0930);
    expect(ioctl.STOP_ARRAY).toBe(0x932);
    expect(ioctl.STOP_ARRAY_RO).toBe(0x933);
    expect(ioctl.RESTART_ARRAY_RW).toBe(0x934);
    expect(ioctl.SET_DISK_FAULTY).toBe(0x929);
    expect(ioctl.HOT_REMOVE_DISK).toBe(0x922);
    expect(ioctl.HOT_ADD_DISK).toBe(0x928);
    expect(ioctl.RAID_VERSION).toBe(0x800c0910);
    expect(ioctl.GET_BITMAP_FILE).toBe(0x90000915);
    expect(ioctl.BLKGETSIZE64).toBe(0x80081272);
  });

  it('equal the numbers printed in every capture', () => {
    const byName: Record<string, number> = {
      RAID_VERSION: ioctl.RAID_VERSION, GET_ARRAY_INFO: ioctl.GET_ARRAY_INFO,
      GET_DISK_INFO: ioctl.GET_DISK_INFO, GET_BITMAP_FILE: ioctl.GET_BITMAP_FILE,
    };
    let seen = 0;
    for (const c of caseNames()) {
      for (const m of (readCaseFile(c, 'ioctl.txt') ?? '').matchAll(/^([A-Z_]+) (0x[0-9a-f]+) /gm)) {
        expect(byName[m[1]], `${c} ${m[1]}`).toBe(Number(m[2]));
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(100);
  });

  it('encode direction, size, type and number', () => {
    expect(ioctl.ioc(ioctl.IOC_READ | ioctl.IOC_WRITE, 0x12, 1, 8)).toBe(0xc0081201);
    expect(ioctl.io(9, 0x32)).toBe(0x932);
    expect(() => ioctl.ioc(0, 9, 256, 0)).toThrow();
    expect(() => ioctl.ioc(0, 9, 1, 1 << 14)).toThrow();
  });
});

describe('md structs', () => {
  it('have the kernel sizes and int fields in md_u.h order', () => {
    expect(koffi.sizeof(mduArrayInfoT)).toBe(72);
    expect(koffi.sizeof(mduDiskInfoT)).toBe(20);
    expect(koffi.sizeof(mduParamT)).toBe(12);
    expect(koffi.sizeof(mduVersionT)).toBe(12);
    expect(koffi.sizeof(mduBitmapFileT)).toBe(4096);
    ARRAY_INFO_FIELDS.forEach((f, i) => expect(koffi.offsetof(mduArrayInfoT, f)).toBe(4 * i));
    DISK_INFO_FIELDS.forEach((f, i) => expect(koffi.offsetof(mduDiskInfoT, f)).toBe(4 * i));
  });

  it('decode the bytes of every captured GET_ARRAY_INFO and GET_DISK_INFO', () => {
    let arrays = 0;
    let disks = 0;
    for (const c of caseNames()) {
      for (const [array, cap] of loadIoctl(c)) {
        if (cap.arrayInfo !== null) {
          // The capture lists all 18 fields in struct order: lay them out as the kernel would.
          expect(Object.keys(cap.arrayInfo), `${c} ${array}`).toEqual([...ARRAY_INFO_FIELDS]);
          const bytes = Buffer.alloc(72);
          ARRAY_INFO_FIELDS.forEach((f, i) => bytes.writeInt32LE(cap.arrayInfo![f], 4 * i));
          expect(decodeArrayInfo(bytes)).toEqual(cap.arrayInfo);
          arrays++;
        }
        for (const d of cap.disks) {
          const bytes = Buffer.alloc(20);
          DISK_INFO_FIELDS.forEach((f, i) => bytes.writeInt32LE(d[f], 4 * i));
          const { dev: _dev, ...fields } = d;
          expect(decodeDiskInfo(bytes)).toEqual(fields);
          disks++;
        }
      }
    }
    expect(arrays).toBeGreaterThan(55);
    expect(disks).toBeGreaterThan(150);
  });

  it('decodes negative fields (size -1 on 3 TiB members, LEVEL_NONE, removed raid_disk)', () => {
    const cap = loadIoctl('81-large-raid6-4x3TiB-degraded').get('md0')!;
    expect(cap.arrayInfo!.size).toBe(-1);
    const bytes = encodeArrayInfo(cap.arrayInfo as never);
    expect(decodeArrayInfo(bytes).size).toBe(-1);
    const container = loadIoctl('63-ddf-container-mdmon-resync-midway').get('md127')!;
    expect(decodeArrayInfo(encodeArrayInfo(container.arrayInfo as never)).level).toBe(ioctl.LEVEL_NONE);
    const removed = { number: 2, major: 0, minor: 0, raid_disk: -1, state: 1 << ioctl.MD_DISK_REMOVED };
    expect(decodeDiskInfo(encodeDiskInfo(removed))).toEqual(removed);
  });

  it('decodes RAID_VERSION, bitmap pathname and encodes mdu_param_t', () => {
    const v = Buffer.alloc(12);
    v.writeInt32LE(0, 0); v.writeInt32LE(90, 4); v.writeInt32LE(3, 8);
    expect(decodeVersion(v)).toEqual({ major: 0, minor: 90, patchlevel: 3 });
    const b = Buffer.alloc(4096);
    expect(decodeBitmapFile(b)).toBe('');
    b.write('/var/md0.bitmap\0garbage');
    expect(decodeBitmapFile(b)).toBe('/var/md0.bitmap');
    expect([...encodeParam({ personality: 1, chunk_size: 65536, max_fault: 0 })]).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(() => decodeArrayInfo(Buffer.alloc(71))).toThrow();
  });
});
