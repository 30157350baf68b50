// Simulated md driver: mdadm --grow --chunk on a running raid5 (md/sim/grow-ops.ts setChunkSize):
// the restripe is a reshape that keeps md/chunk_size at the old chunk ("new (old)") until it
// ends, runs backwards when mdadm moved the data offsets up into the room after the data, is
// persisted in the superblocks (position, new chunk, direction) so another host resumes it, and
// md's / mdadm's refusals (EINVAL, EBUSY, "Cannot grow - need backup-file").
import { describe, expect, test } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import { SimFixture, opError } from './simdriver-fixture.js';

async function raid5(sizeKiB: number | undefined, chunkKiB = 64) {
  const f = new SimFixture();
  f.addDisks(['vda', 'vdb', 'vdc'], 64);
  const d = f.host();
  await d.create({
    device: 'md0', level: 'raid5', raidDevices: 3, spareDevices: 0, members: ['/dev/vda', '/dev/vdb', '/dev/vdc'], bitmap: 'none', assumeClean: true,
    chunkKiB, ...(sizeKiB === undefined ? {} : { sizeKiB }),
  });
  await f.untilIdle(d, 'md0');
  await d.setSpeedLimits({ minKiBps: 1000, maxKiBps: 1000 });
  return { f, d };
}

describe('grow --chunk (sim)', () => {
  test('64K -> 128K with room after the data: a backwards reshape, old chunk shown until it ends, offsets moved up', async () => {
    const { f, d } = await raid5(32 * 1024);
    const before = await d.readArray('md0');
    const offsetBefore = before.members[0].dataOffsetSectors;
    await d.setChunkSize('md0', 128, {});
    const a = await d.readArray('md0');
    expect([a.syncAction, a.chunkSizeBytes, a.arraySizeKiB]).toEqual(['reshape', 64 * 1024, 64 * 1024]);
    expect(a.reshape).toMatchObject({ deltaDisks: 0, newChunkSizeBytes: 128 * 1024, backwards: true });
    expect(a.reshape!.positionSectors).toBe(128 * 1024); // the array's end, in sectors: counting down
    expect(await d.readMdstat()).toMatch(/\[3\/3\] \[UUU\]\n +\[[=>.]+\] +reshape = /);
    const mid = await f.advanceUntil(d, 'md0', (x) => (x.reshape?.positionSectors ?? 128 * 1024) < 128 * 1024, 600_000, 500);
    expect(mid.reshape!.positionSectors).toBeLessThan(128 * 1024);
    expect((await d.readSuperblock('/dev/vda')).featureMap & 4).toBe(4);
    const done = await f.advanceUntil(d, 'md0', (x) => x.syncAction === 'idle', 600_000, 500);
    expect([done.chunkSizeBytes, done.arraySizeKiB, done.reshape ?? null]).toEqual([128 * 1024, 64 * 1024, null]);
    expect(done.members[0].dataOffsetSectors).toBeGreaterThan(offsetBefore);
    const sb = await d.readSuperblock('/dev/vdb');
    expect([sb.featureMap & 4, sb.chunkSectors]).toEqual([0, 256]);
  });

  test('a crash mid-restripe: another host resumes the backwards reshape from the superblocks, never past them, and ends at 128K', async () => {
    const { f, d } = await raid5(32 * 1024);
    await d.setChunkSize('md0', 128, {});
    await f.advanceUntil(d, 'md0', (x) => (x.reshape?.positionSectors ?? 128 * 1024) < 128 * 1024, 600_000, 500);
    f.time.advance(3000);
    const persisted = (await d.readArray('md0')).reshape!.positionSectors;
    d.crash();
    const other = f.host({ name: 'other' });
    await other.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdb', '/dev/vdc'], readOnly: true, run: true });
    const ro = await other.readArray('md0');
    expect([ro.chunkSizeBytes, ro.reshape?.newChunkSizeBytes, ro.reshape?.backwards, ro.reshape?.positionSectors]).toEqual([64 * 1024, 128 * 1024, true, persisted]);
    await other.setReadWrite('md0');
    const rw = await other.readArray('md0');
    expect(rw.syncAction).toBe('reshape');
    // sync_completed counts the work done: the array's end less the persisted position, per data disk.
    expect(rw.syncCompleted!.doneSectors * 2).toBe(128 * 1024 - persisted);
    const done = await f.advanceUntil(other, 'md0', (x) => x.syncAction === 'idle', 600_000, 500);
    expect(done.chunkSizeBytes).toBe(128 * 1024);
  });

  test('no room before or after the data for the restripe unit: mdadm wants a backup file; with one the reshape runs forwards in place', async () => {
    const { f, d } = await raid5(undefined);
    const e = await opError(d.setChunkSize('md0', 1024, {}));
    expect(e).toBeInstanceOf(OpError);
    expect([e.code, e.message]).toEqual(['E_MDADM_FAILED', 'mdadm: /dev/md0: Cannot grow - need backup-file']);
    expect((await d.readArray('md0')).reshape ?? null).toBeNull();
    const offset = (await d.readArray('md0')).members[0].dataOffsetSectors;
    await d.setChunkSize('md0', 1024, { backupFile: '/var/tmp/md0.bak' });
    const a = await d.readArray('md0');
    expect(a.reshape).toMatchObject({ positionSectors: 0, newChunkSizeBytes: 1024 * 1024 });
    expect(a.reshape!.backwards ?? false).toBe(false);
    const done = await f.advanceUntil(d, 'md0', (x) => x.syncAction === 'idle', 3_600_000, 1000);
    expect([done.chunkSizeBytes, done.members[0].dataOffsetSectors]).toEqual([1024 * 1024, offset]);
  });

  test('md refuses: raid1, a chunk that is not a power of two or does not divide the size (EINVAL), a running sync (EBUSY); the same chunk changes nothing', async () => {
    const { d } = await raid5(32 * 1024);
    expect((await opError(d.setChunkSize('md0', 96, {}))).details.errno).toBe('EINVAL');
    expect((await opError(d.setChunkSize('md0', 65536, {}))).details.errno).toBe('EINVAL');
    await d.setChunkSize('md0', 64, {});
    expect((await d.readArray('md0')).syncAction).toBe('idle');
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1 });
    await d.setSyncAction('md0', 'check');
    expect((await opError(d.setChunkSize('md0', 128, {}))).details.errno).toBe('EBUSY');
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const r1 = f.host();
    await r1.create({ device: 'md1', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'], bitmap: 'none', assumeClean: true, sizeKiB: 32 * 1024 });
    expect((await opError(r1.setChunkSize('md1', 128, {}))).details.errno).toBe('EINVAL');
  });
});
