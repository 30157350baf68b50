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
