// Simulated md driver: resync/recovery/check progress at the configured speed, checkpoints,
// sync_min / sync_max / resync_start / sync_action semantics and their errors.
import { describe, expect, test } from 'vitest';
import { sectors } from '../../daemon/src/common/types.js';
import { SimFixture, opError } from './simdriver-fixture.js';

const PAIR = ['/dev/vda', '/dev/vdb'];

/** The "(done/total)" KiB of the first progress line in /proc/mdstat text. */
function doneKiB(mdstat: string): number {
  const m = /\((\d+)\/\d+\)/.exec(mdstat);
  if (m === null) throw new Error('no progress line');
  return Number(m[1]);
}

async function resyncing(maxKiBps: number, sizeMiB = 64) {
  const f = new SimFixture();
  f.addDisks(['vda', 'vdb', 'vdc', 'vdd'], sizeMiB);
  const d = f.host({ speed: { minKiBps: 1, maxKiBps } });
  await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR });
  return { f, d };
}

describe('progress at speed', () => {
  test('the live position advances at speed_limit_max; sync_completed holds the last checkpoint', async () => {
    const { f, d } = await resyncing(1000);
    f.time.advance(10_000);
    const a = await d.readArray('md0');
    // 1000 KiB/s = 2000 sectors/s: 20000 sectors after 10 s, in whole 64 KiB blocks counted
    // from the last checkpoint (8192 * 2 = 16384): 16384 + 28 * 128 = 19968 sectors.
    expect(await d.readMdstat()).toContain('resync = 14.9% (9984/64512)');
    expect(a.syncCompleted).toEqual({ doneSectors: 16384, totalSectors: 129024 });
    expect(a.resyncStartSectors).toBe(16384);
    expect(a.syncSpeedKiBps).toBe(1000);
  });

  test('a speed change applies from that moment on', async () => {
    const { f, d } = await resyncing(1000);
    f.time.advance(5000);
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 3000 });
    f.time.advance(5000);
    // 10000 sectors at 2000/s, then 30000 at 6000/s: 40000 sectors, less block rounding.
    expect(doneKiB(await d.readMdstat())).toBeGreaterThan(20000 - 128);
    expect(doneKiB(await d.readMdstat())).toBeLessThanOrEqual(20000);
  });

  test('speed_limit_min above speed_limit_max wins (md never throttles below min)', async () => {
    const { f, d } = await resyncing(1000);
    await d.setSpeedLimits({ minKiBps: 4000, maxKiBps: 1000 });
    f.time.advance(1000);
    expect(await d.readMdstat()).toContain('(3968/64512)');
  });

  test('a resync finishes after total / speed and clears resync_start; Events 17 on 64 MiB', async () => {
    const { f, d } = await resyncing(1000);
    f.time.advance(64_000);
    expect((await d.readArray('md0')).syncAction).toBe('resync');
    f.time.advance(600);
    const a = await d.readArray('md0');
    expect([a.syncAction, a.resyncStartSectors, a.syncCompleted, a.lastSyncAction, a.events]).toEqual(['idle', null, null, 'resync', 17]);
  });

  test('zero speed stalls the sync without a wake-up storm', async () => {
    const { f, d } = await resyncing(1000);
    await d.setSpeedLimits({ minKiBps: 0, maxKiBps: 0 });
    f.time.advance(3_600_000);
    expect(await d.readMdstat()).toContain('(1/64512)');
    expect(f.time.pendingCount).toBe(0);
  });

  test('invalid speed limits are refused', async () => {
    const { d } = await resyncing(1000);
    expect((await opError(d.setSpeedLimits({ minKiBps: -1, maxKiBps: 10 }))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.setSpeedLimits({ minKiBps: 1, maxKiBps: 2 ** 31 }))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.setSpeedLimits(null as never))).code).toBe('E_INVALID_ARGUMENT');
  });
});

describe('sync_max, frozen, idle', () => {
  test('sync_max cannot be lowered while the resync runs (EBUSY), can be raised', async () => {
    const { d } = await resyncing(1000);
    const e = await opError(d.setSyncMax('md0', sectors(65536)));
    expect([e.code, e.details.errno, e.details.device]).toEqual(['E_KERNEL', 'EBUSY', 'md0']);
    await d.setSyncMax('md0', 'max');
  });

  test('frozen, set sync_max, idle: resumes from the checkpoint and parks exactly at sync_max', async () => {
    const { f, d } = await resyncing(1000);
    f.time.advance(5000);
    await d.setSyncAction('md0', 'frozen');
    let a = await d.readArray('md0');
    expect([a.syncAction, a.syncCompleted, a.syncWaiting, a.resyncStartSectors]).toEqual(['frozen', null, 'PENDING', 9984]);
    await d.setSyncMax('md0', sectors(65536));
    await d.setSyncAction('md0', 'idle');
    expect(await d.readMdstat()).toContain('(4992/64512)');
    f.time.advance(60_000);
    a = await d.readArray('md0');
    expect([a.syncAction, a.syncCompleted, a.resyncStartSectors, a.syncSpeedKiBps]).toEqual(
      ['resync', { doneSectors: 65536, totalSectors: 129024 }, 65536, 0]);
    expect(await d.readMdstat()).toContain('(32768/64512)');
    expect(f.time.pendingCount).toBe(0);
    // Parked is still running: resync_start and sync_min are busy, raising sync_max resumes.
    expect((await opError(d.setResyncStart('md0', sectors(0)))).details.errno).toBe('EBUSY');
    await d.setSyncMax('md0', 'max');
    f.time.advance(40_000);
    a = await d.readArray('md0');
    expect([a.syncAction, a.resyncStartSectors, a.syncMaxSectors]).toEqual(['idle', null, 'max']);
  });

  test('sync_max must be a multiple of the chunk and not below sync_min', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc', 'vdd'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid10', raidDevices: 4, spareDevices: 0, members: ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'] });
    await d.setSyncAction('md0', 'frozen');
    expect((await opError(d.setSyncMax('md0', sectors(1000)))).details.errno).toBe('EINVAL');
    await d.setSyncMin('md0', sectors(2048));
    expect((await opError(d.setSyncMax('md0', sectors(1024)))).details.errno).toBe('EINVAL');
    await d.setSyncMax('md0', sectors(4096));
    expect((await d.readArray('md0')).syncMaxSectors).toBe(4096);
  });

  test('resync_start written while frozen is where the resync continues', async () => {
    const { f, d } = await resyncing(2000);
    await d.setSyncAction('md0', 'frozen');
    await d.setResyncStart('md0', sectors(100_000));
    await d.setSyncAction('md0', 'idle');
    const a = await d.readArray('md0');
    expect([a.syncAction, a.syncCompleted?.doneSectors, a.resyncStartSectors]).toEqual(['resync', 100_000, 100_000]);
    f.time.advance(8000);
    expect((await d.readArray('md0')).syncAction).toBe('idle');
  });

  test('resync_start "none" on a frozen array drops the pending resync', async () => {
    const { d } = await resyncing(1000);
    await d.setSyncAction('md0', 'frozen');
    await d.setResyncStart('md0', null);
    await d.setSyncAction('md0', 'idle');
    const a = await d.readArray('md0');
    expect([a.syncAction, a.syncWaiting, a.resyncStartSectors]).toEqual(['idle', null, null]);
  });

  test('invalid values are E_INVALID_ARGUMENT; raid0 has no sync_action (EINVAL); reshape is not modelled', async () => {
    const { d } = await resyncing(1000);
    expect((await opError(d.setSyncMax('md0', -5 as never))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.setSyncMin('md0', 1.5 as never))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.setSyncAction('md0', 'sideways' as never))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.setSyncAction('md0', 'reshape'))).code).toBe('E_NOT_SUPPORTED');
    await d.create({ device: 'md1', level: 'raid0', raidDevices: 2, spareDevices: 0, members: ['/dev/vdc', '/dev/vdd'] });
    expect((await opError(d.setSyncAction('md1', 'check'))).details.errno).toBe('EINVAL');
  });
});

describe('check and repair', () => {
  async function synced() {
    const { f, d } = await resyncing(200_000);
    await f.untilIdle(d, 'md0');
    return { f, d };
  }

  test('check runs from sync_min, cannot start twice (EBUSY), resets sync_min when done', async () => {
    const { f, d } = await synced();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1000 });
    await d.setSyncMin('md0', sectors(100_001));
    expect((await d.readArray('md0')).syncMinSectors).toBe(100_000);
    await d.setSyncAction('md0', 'check');
    let a = await d.readArray('md0');
    expect([a.syncAction, a.lastSyncAction, a.syncCompleted?.doneSectors, a.resyncStartSectors]).toEqual(['check', 'check', 100_000, null]);
    expect((await opError(d.setSyncAction('md0', 'repair'))).details.errno).toBe('EBUSY');
    expect((await opError(d.setSyncMin('md0', sectors(0)))).details.errno).toBe('EBUSY');
    f.time.advance(15_000);
    a = await d.readArray('md0');
    expect([a.syncAction, a.syncMinSectors, a.mismatchCount]).toEqual(['idle', 0, 0]);
  });

  test('idle stops a check for good and records where it got to in sync_min', async () => {
    const { f, d } = await synced();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1000 });
    await d.setSyncAction('md0', 'check');
    f.time.advance(10_000);
    await d.setSyncAction('md0', 'idle');
    const a = await d.readArray('md0');
    expect([a.syncAction, a.syncMinSectors, a.syncWaiting]).toEqual(['idle', 16384, null]);
    f.time.advance(100_000);
    expect((await d.readArray('md0')).syncAction).toBe('idle');
  });

  test('a clean array checked end to end keeps Events within one of where it started', async () => {
    const { f, d } = await synced();
    const before = (await d.readArray('md0')).events;
    await d.setSyncAction('md0', 'repair');
    await f.untilIdle(d, 'md0');
    const after = (await d.readArray('md0')).events;
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThanOrEqual(2);
  });
});

describe('sync on read-only arrays', () => {
  test('read-auto keeps the resync PENDING; writing sync_action switches it read-write and resumes', async () => {
    const { f, d } = await resyncing(1000);
    f.time.advance(10_000);
    d.crash();
    await d.assembleAsMdadm({ device: 'md0', members: PAIR, readOnly: false });
    let a = await d.readArray('md0');
    expect([a.arrayState, a.syncAction, a.syncWaiting, a.resyncStartSectors]).toEqual(['read-auto', 'idle', 'PENDING', 16384]);
    f.time.advance(10_000);
    expect((await d.readArray('md0')).syncWaiting).toBe('PENDING');
    await d.setSyncAction('md0', 'idle');
    a = await d.readArray('md0');
    expect([a.arrayState, a.syncAction, a.syncCompleted?.doneSectors]).toEqual(['clean', 'resync', 16384]);
  });

  test('a check requested on a read-only array waits until read-write', async () => {
    const { f, d } = await resyncing(200_000);
    await f.untilIdle(d, 'md0');
    await d.setReadOnly('md0');
    await d.setSyncAction('md0', 'check');
    expect((await d.readArray('md0')).syncAction).toBe('idle');
    await d.setReadWrite('md0');
    expect((await d.readArray('md0')).syncAction).toBe('check');
  });
});
