// Simulated md driver: mdadm --grow --bitmap on a running array (md/sim/grow-ops.ts): the bitmap
// appears in the array's state, /proc/mdstat and the superblocks (so a read-only assembly on
// another host sees it), and md's refusals (EEXIST, EBUSY, EINVAL, EROFS).
import { describe, expect, test } from 'vitest';
import { SimFixture, opError } from './simdriver-fixture.js';

async function raid(level: 'raid1' | 'raid0' = 'raid1', metadata = '1.2', sizeKiB: number | undefined = 32 * 1024) {
  const f = new SimFixture();
  f.addDisks(['vda', 'vdb'], 64);
  const d = f.host();
  await d.create({ device: 'md0', level, raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'], bitmap: 'none', metadata, assumeClean: true, ...(sizeKiB === undefined ? {} : { sizeKiB }) });
  await f.untilIdle(d, 'md0');
  return { f, d };
}

describe('grow --bitmap', () => {
  test('adding: the array, /proc/mdstat and every superblock show it; Events + 1; a second host assembles it with the bitmap', async () => {
    const { f, d } = await raid();
    const before = await d.readArray('md0');
    expect([before.bitmap, before.consistencyPolicy]).toEqual([null, 'resync']);
    expect(await d.readMdstat()).not.toContain('bitmap:');
    await d.setBitmap('md0', 'internal');
    const a = await d.readArray('md0');
    expect(a.bitmap).toMatchObject({ location: 'internal', chunkKiB: 65536 });
    expect(a.consistencyPolicy).toBe('bitmap');
    expect(a.events).toBe(before.events + 1);
    expect(await d.readMdstat()).toMatch(/\n {6}bitmap: 0\/1 pages \[0KB\], 65536KB chunk\n|\n {6}bitmap: 1\/1 pages \[4KB\], 65536KB chunk\n/);
    for (const p of ['/dev/vda', '/dev/vdb']) expect((await d.readSuperblock(p)).featureMap & 1).toBe(1);
    await d.stop('md0');
    const other = f.host({ name: 'other' });
    await other.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: true, run: true });
    expect((await other.readArray('md0')).bitmap).toMatchObject({ location: 'internal' });
  });

  test('removing clears it everywhere; removing again changes nothing (md: no change, no error)', async () => {
    const { d } = await raid();
    await d.setBitmap('md0', 'internal');
    await d.setBitmap('md0', 'none');
    const a = await d.readArray('md0');
    expect(a.bitmap).toBeNull();
    expect((await d.readSuperblock('/dev/vda')).featureMap & 1).toBe(0);
    await d.setBitmap('md0', 'none');
    expect((await d.readArray('md0')).events).toBe(a.events);
  });

  test('md refuses: a second bitmap (EEXIST), while a sync runs (EBUSY), raid0 (EINVAL), a read-only array (EROFS)', async () => {
    const { d } = await raid();
    await d.setBitmap('md0', 'internal');
    expect((await opError(d.setBitmap('md0', 'internal'))).details.errno).toBe('EEXIST');
    await d.setBitmap('md0', 'none');
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1 });
    await d.setSyncAction('md0', 'check');
    expect((await d.readArray('md0')).syncAction).toBe('check');
    expect((await opError(d.setBitmap('md0', 'internal'))).details.errno).toBe('EBUSY');
    await d.setSyncAction('md0', 'idle');
    await d.setReadOnly('md0');
    expect((await opError(d.setBitmap('md0', 'internal'))).details.errno).toBe('EROFS');
    const { d: d0 } = await raid('raid0');
    expect((await opError(d0.setBitmap('md0', 'internal'))).details.errno).toBe('EINVAL');
  });
});

describe('grow --size (md/component_size)', () => {
  test('growing resyncs only the new region; the superblocks and a second host see the new size', async () => {
    const { f, d } = await raid();
    await d.setComponentSize('md0', 40 * 1024, false);
    const a = await d.readArray('md0');
    expect([a.componentSizeKiB, a.arraySizeKiB, a.syncAction]).toEqual([40960, 40960, 'resync']);
    expect(a.syncCompleted?.doneSectors).toBeGreaterThanOrEqual(32 * 1024 * 2);
    expect(a.syncCompleted?.totalSectors).toBe(40 * 1024 * 2);
    await f.untilIdle(d, 'md0');
    await d.stop('md0');
    const other = f.host({ name: 'other' });
    await other.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: true, run: true });
    expect((await other.readArray('md0')).componentSizeKiB).toBe(40960);
  });
  test('--assume-clean: no resync of the new region', async () => {
    const { d } = await raid();
    await d.setComponentSize('md0', 40 * 1024, true);
    const a = await d.readArray('md0');
    expect([a.componentSizeKiB, a.syncAction, a.resyncStartSectors]).toEqual([40960, 'idle', null]);
  });
  test('md refuses: more than a member holds (ENOSPC), raid0 (EINVAL), while a sync runs (EBUSY)', async () => {
    const { d } = await raid();
    expect((await opError(d.setComponentSize('md0', 100 * 1024, false))).details.errno).toBe('ENOSPC');
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1 });
    await d.setSyncAction('md0', 'check');
    expect((await opError(d.setComponentSize('md0', 40 * 1024, false))).details.errno).toBe('EBUSY');
    const { d: d0 } = await raid('raid0');
    expect((await opError(d0.setComponentSize('md0', 16 * 1024, false))).details.errno).toBe('EINVAL');
  });
});

describe('grow --raid-devices (md/raid_disks)', () => {
  async function raid5(spares: number) {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc', 'vdd', 'vde'], 64);
    const d = f.host();
    const members = ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde'].slice(0, 3 + spares);
    await d.create({ device: 'md0', level: 'raid5', raidDevices: 3, spareDevices: spares, members, bitmap: 'none', assumeClean: true, sizeKiB: 32 * 1024 });
    await f.untilIdle(d, 'md0');
    return { f, d };
  }
  test('raid5 3 -> 4: the spare takes slot 3 in sync, a reshape walks the members, the array grows when it ends', async () => {
    const { f, d } = await raid5(1);
    await d.setSpeedLimits({ minKiBps: 1000, maxKiBps: 1000 });
    await d.setRaidDisks('md0', 4, {});
    const a = await d.readArray('md0');
    expect([a.raidDisks, a.syncAction, a.arraySizeKiB, a.degraded]).toEqual([4, 'reshape', 64 * 1024, 0]);
    expect(a.reshape).toMatchObject({ deltaDisks: 1, newLevel: 'raid5' });
    expect(await d.readMdstat()).toMatch(/\[4\/4\] \[UUUU\]\n +\[[=>.]+\] +reshape = /);
    const done = await f.advanceUntil(d, 'md0', (x) => x.syncAction === 'idle', 600_000, 500);
    expect([done.arraySizeKiB, done.reshape ?? null]).toEqual([96 * 1024, null]);
    expect((await d.readSuperblock('/dev/vdd')).featureMap & 4).toBe(0);
  });
  test('a crash mid-reshape: another host resumes from the superblocks\' reshape_position, never past it', async () => {
    const { f, d } = await raid5(1);
    await d.setSpeedLimits({ minKiBps: 1000, maxKiBps: 1000 });
    await d.setRaidDisks('md0', 4, {});
    await f.advanceUntil(d, 'md0', (x) => (x.reshape?.positionSectors ?? 0) > 0, 600_000, 500);
    expect((await d.readSuperblock('/dev/vda')).featureMap & 4).toBe(4);
    f.time.advance(3000); // the live position moves on past the last checkpoint
    const atCrash = await d.readArray('md0');
    const persisted = atCrash.reshape!.positionSectors;
    expect(atCrash.syncPositionSectors! * 3).toBeGreaterThan(persisted);
    d.crash();
    const other = f.host({ name: 'other' });
    await other.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'], readOnly: true, run: true });
    const ro = await other.readArray('md0');
    expect([ro.raidDisks, ro.syncAction, ro.reshape?.positionSectors, ro.arraySizeKiB]).toEqual([4, 'idle', persisted, 64 * 1024]);
    await other.setReadWrite('md0');
    const rw = await other.readArray('md0');
    expect(rw.syncAction).toBe('reshape');
    expect(rw.syncCompleted!.doneSectors * 3).toBe(persisted);
    const done = await f.advanceUntil(other, 'md0', (x) => x.syncAction === 'idle', 600_000, 500);
    expect(done.arraySizeKiB).toBe(96 * 1024);
  });
  test('raid1 gains a mirror from a spare (recovery follows) and drops one only when it is out of its slot', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 1, members: ['/dev/vda', '/dev/vdb', '/dev/vdc'], bitmap: 'none', assumeClean: true, sizeKiB: 32 * 1024 });
    await d.setRaidDisks('md0', 3, {});
    const a = await d.readArray('md0');
    expect([a.raidDisks, a.syncAction]).toEqual([3, 'recover']);
    await f.untilIdle(d, 'md0');
    expect((await opError(d.setRaidDisks('md0', 2, {}))).details.errno).toBe('EBUSY');
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    await d.setRaidDisks('md0', 2, {});
    const b = await d.readArray('md0');
    expect([b.raidDisks, b.degraded, b.members.map((m) => m.slot).sort()]).toEqual([2, 0, [0, 1]]);
  });
  test('md refuses: raid0 (EINVAL), shrinking raid5 (EINVAL here), while a sync runs (EBUSY)', async () => {
    const { d } = await raid5(1);
    expect((await opError(d.setRaidDisks('md0', 2, {}))).details.errno).toBe('EINVAL');
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1 });
    await d.setSyncAction('md0', 'check');
    expect((await opError(d.setRaidDisks('md0', 4, {}))).details.errno).toBe('EBUSY');
  });
});
