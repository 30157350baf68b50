// Unit tests of the cluster view of an array (daemon/src/cluster/view.ts): the ArrayState every
// node renders from the replicated record alone (md's numeric layouts, member flags as sysfs
// dev-X/state shows them, progress from the master's checkpoint, consistency policy, bitmap).
import { describe, expect, it } from 'vitest';
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import type { ArrayRecord } from '../../daemon/src/cluster/types.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';
import { clusterArrayView } from '../../daemon/src/cluster/view.js';

const mem = memberRecord;
const rec = (over: Partial<ArrayRecord> = {}): ArrayRecord => arrayRecord({ bitmap: 'none', ctimeSec: 42, ...over }, 1);

describe('clusterArrayView', () => {
  it('shows md\'s numeric layout: named layouts, their short forms, and each level\'s default', () => {
    const layout = (level: ArrayRecord['level'], l: string | null): number => clusterArrayView(rec({ level, layout: l })).layout;
    expect(layout('raid5', 'left-asymmetric')).toBe(0);
    expect(layout('raid5', 'right-asymmetric')).toBe(1);
    expect(layout('raid5', 'ls')).toBe(2);
    expect(layout('raid6', 'rs')).toBe(3);
    expect(layout('raid5', 'la')).toBe(0);
    expect(layout('raid5', 'ra')).toBe(1);
    expect(layout('raid10', 'n3')).toBe(0x103);
    expect(layout('raid10', 'f2')).toBe(0x201);
    expect(layout('raid10', 'o2')).toBe(0x10201);
    expect(layout('raid5', null)).toBe(2); // left-symmetric
    expect(layout('raid6', null)).toBe(2);
    expect(layout('raid10', null)).toBe(0x102); // n2
    expect(layout('raid1', null)).toBe(0);
    expect(layout('raid0', null)).toBe(0);
    expect(layout('raid6', 'toString')).toBe(2); // not a layout name, whatever the object prototype holds
  });

  it('member flags follow the record: in_sync only for an active member in sync, faulty, spare, write-mostly, replacement', () => {
    const v = clusterArrayView(rec({ raidDisks: 3, members: [
      mem('/dev/sda', { slot: 0, descNumber: 5, writeMostly: true, wantReplacement: true }),
      mem('/dev/sdb', { slot: 1, inSync: false, descNumber: 4 }),
      mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, descNumber: 3, replacementFor: '/dev/sda' }),
      mem('/dev/sdd', { role: 'faulty', slot: null, inSync: false, descNumber: 2 }),
      mem('/dev/sde', { role: 'removed', slot: null, inSync: false, descNumber: 1 }),
    ] }));
    const flags = Object.fromEntries(v.members.map((m) => [m.devPath, m.flags]));
    expect(flags).toEqual({
      '/dev/sda': ['in_sync', 'write_mostly', 'want_replacement'],
      '/dev/sdb': [],
      '/dev/sdc': ['spare', 'replacement'],
      '/dev/sdd': ['faulty'],
    });
    const slot = Object.fromEntries(v.members.map((m) => [m.devPath, m.slot]));
    expect(slot).toEqual({ '/dev/sda': 0, '/dev/sdb': 1, '/dev/sdc': null, '/dev/sdd': null });
  });

  it('a member\'s name is the master kernel\'s name, else the path\'s basename; desc number falls back to the record order', () => {
    const v = clusterArrayView(rec({ members: [
      mem('/dev/disk/by-id/wwn-1', { slot: 0, kernelName: 'sdq', descNumber: 7 }),
      mem('/dev/disk/by-id/wwn-2', { slot: 1, descNumber: -1 }),
    ] }));
    const byPath = new Map(v.members.map((m) => [m.devPath, m]));
    expect(byPath.get('/dev/disk/by-id/wwn-1')).toMatchObject({ name: 'sdq', descNumber: 7 });
    expect(byPath.get('/dev/disk/by-id/wwn-2')).toMatchObject({ name: 'wwn-2', descNumber: 1 });
    // desc number 0 is a real number (the first device of a fresh array), not "unobserved"
    const zero = clusterArrayView(rec({ members: [mem('/dev/sda', { slot: 0, descNumber: 3 }), mem('/dev/sdb', { slot: 1, descNumber: 0 })] }));
    expect(zero.members.find((m) => m.devPath === '/dev/sdb')?.descNumber).toBe(0);
  });

  it('without an observed kernel order, the newest desc number comes first; an observed order wins', () => {
    const members = [mem('/dev/sda', { slot: 0, descNumber: 0 }), mem('/dev/sdb', { slot: 1, descNumber: 1 }),
      mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, descNumber: 2 })];
    expect(clusterArrayView(rec({ members })).members.map((m) => m.devPath)).toEqual(['/dev/sdc', '/dev/sdb', '/dev/sda']);
    const ordered = clusterArrayView(rec({ members, memberOrder: ['/dev/sda', '/dev/sdc', '/dev/sdb'] }));
    expect(ordered.members.map((m) => m.devPath)).toEqual(['/dev/sda', '/dev/sdc', '/dev/sdb']);
  });

  it('an unfinished resync shows the checkpoint as progress, resync_start, speed and the degraded count', () => {
    const v = clusterArrayView(rec({ sync: { action: 'resync', doneSectors: 500 as Sectors, totalSectors: 2000 as Sectors, term: 1 as Term, speedKiBps: 900 } }));
    expect(v.syncAction).toBe('resync');
    expect(v.syncCompleted).toEqual({ doneSectors: 500, totalSectors: 2000 });
    expect(v.resyncStartSectors).toBe(500);
    expect(v.syncSpeedKiBps).toBe(900);
    expect(v.members.every((m) => m.recoveryStartSectors === null)).toBe(true);
    expect(v.degraded).toBe(0);
  });

  it('a recovery shows recovery_start on the recovering member only, and the array as degraded', () => {
    const members = [mem('/dev/sda', { slot: 0, descNumber: 0 }), mem('/dev/sdb', { slot: 1, inSync: false, descNumber: 1 }),
      mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, descNumber: 2 }), mem('/dev/sdd', { role: 'faulty', slot: null, inSync: false, descNumber: 3 })];
    const at = (action: 'recover' | 'resync', doneSectors: number) => clusterArrayView(rec({ members,
      sync: { action, doneSectors: doneSectors as Sectors, totalSectors: 2000 as Sectors, term: 1 as Term, speedKiBps: 10 } }));
    const recoveryStart = (v: ReturnType<typeof at>) => Object.fromEntries(v.members.map((m) => [m.devPath, m.recoveryStartSectors]));
    const v = at('recover', 300);
    expect(v.syncAction).toBe('recover');
    expect(v.resyncStartSectors).toBeNull();
    expect(v.degraded).toBe(1);
    expect(recoveryStart(v)).toEqual({ '/dev/sda': null, '/dev/sdb': 300, '/dev/sdc': null, '/dev/sdd': null });
    // a resync is no recovery, and a finished recovery shows no position
    expect(Object.values(recoveryStart(at('resync', 300))).every((x) => x === null)).toBe(true);
    expect(Object.values(recoveryStart(at('recover', 2000))).every((x) => x === null)).toBe(true);
  });

  it('a check in progress keeps its action; a finished or empty checkpoint shows an idle array', () => {
    const at = (doneSectors: number, totalSectors: number, action: 'check' | 'idle' = 'check') => clusterArrayView(rec({
      sync: { action, doneSectors: doneSectors as Sectors, totalSectors: totalSectors as Sectors, term: 1 as Term, speedKiBps: 5 } }));
    expect(at(10, 100).syncAction).toBe('check');
    for (const v of [at(100, 100), at(0, 0), at(10, 100, 'idle')]) {
      expect(v.syncAction).toBe('idle');
      expect(v.syncCompleted).toBeNull();
      expect(v.syncSpeedKiBps).toBe(0);
      expect(v.resyncStartSectors).toBeNull();
    }
  });

  it('array state, chunk size in bytes and sizes come from the record', () => {
    const v = clusterArrayView(rec({ level: 'raid0', chunkKiB: 512, adminReadOnly: true, arraySizeKiB: 2000 }));
    expect(v.arrayState).toBe('readonly');
    expect(v.chunkSizeBytes).toBe(512 * 1024);
    expect(v.arraySizeKiB).toBe(2000);
    expect(v.componentSizeKiB).toBe(1000);
    expect(clusterArrayView(rec())).toMatchObject({ arrayState: 'clean', syncMaxSectors: 'max', syncMinSectors: 0 });
    expect(clusterArrayView(rec({ componentSizeKiB: null, arraySizeKiB: null }))).toMatchObject({ componentSizeKiB: 0, arraySizeKiB: 0 });
  });

  it('consistency policy: none without redundancy, bitmap with an internal bitmap, else resync', () => {
    expect(clusterArrayView(rec({ level: 'raid0' })).consistencyPolicy).toBe('none');
    expect(clusterArrayView(rec({ level: 'linear', bitmap: 'internal' })).consistencyPolicy).toBe('none');
    expect(clusterArrayView(rec({ bitmap: 'internal' })).consistencyPolicy).toBe('bitmap');
    expect(clusterArrayView(rec())).toMatchObject({ consistencyPolicy: 'resync', bitmap: null });
  });

  it('an internal bitmap shows once its chunk was observed, sized from the component (raid10: the array) size', () => {
    expect(clusterArrayView(rec({ bitmap: 'internal', bitmapChunkKiB: undefined })).bitmap).toBeNull();
    // 1 GiB component, 64 KiB chunks: 16384 chunks, 2048 counters per page -> 8 pages
    const b = clusterArrayView(rec({ bitmap: 'internal', bitmapChunkKiB: 64, componentSizeKiB: 1 << 20, arraySizeKiB: 1 << 21 })).bitmap;
    expect(b).toEqual({ location: 'internal', pagesUsed: 0, pagesTotal: 8, pagesKiB: 0, chunkKiB: 64, file: null });
    const r10 = clusterArrayView(rec({ level: 'raid10', bitmap: 'internal', bitmapChunkKiB: 64, componentSizeKiB: 1 << 20, arraySizeKiB: 1 << 21 }));
    expect(r10.bitmap?.pagesTotal).toBe(16);
    expect(clusterArrayView(rec({ bitmap: 'none', bitmapChunkKiB: 64 })).bitmap).toBeNull();
  });
});
