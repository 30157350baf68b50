// Simulated md driver: member operations (fail, remove, add, re-add, replace, write-mostly,
// recovery_start), spare activation and recovery at speed, and md's refusals (errno names).
import { describe, expect, test } from 'vitest';
import { sectors } from '../../daemon/src/common/types.js';
import { SimFixture, member, opError } from './simdriver-fixture.js';

const ABC = ['/dev/vda', '/dev/vdb', '/dev/vdc'];

async function raid1(opts: { spares?: number; disks?: number; sizeMiB?: number; maxKiBps?: number } = {}) {
  const f = new SimFixture();
  const names = ['vda', 'vdb', 'vdc', 'vdd', 'vde', 'vdf'];
  f.addDisks(names, opts.sizeMiB ?? 64);
  const d = f.host();
  const spares = opts.spares ?? 0;
  const members = names.slice(0, 2 + spares).map((n) => `/dev/${n}`);
  await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: spares, members });
  await f.untilIdle(d, 'md0');
  if (opts.maxKiBps !== undefined) await d.setSpeedLimits({ minKiBps: 1, maxKiBps: opts.maxKiBps });
  return { f, d };
}

describe('set-faulty', () => {
  test('md refuses to fail the last in-sync member: EBUSY and array_state broken', async () => {
    const { d } = await raid1();
    await d.setFaulty('md0', '/dev/vdb');
    const e = await opError(d.setFaulty('md0', '/dev/vda'));
    expect([e.code, e.details.errno, e.details.member]).toEqual(['E_KERNEL', 'EBUSY', '/dev/vda']);
    const a = await d.readArray('md0');
    expect([a.arrayState, member(a, '/dev/vda').flags]).toEqual(['broken', ['in_sync']]);
  });

  test('set-faulty on a faulty member succeeds without effect; unknown member is ENODEV', async () => {
    const { d } = await raid1();
    await d.setFaulty('md0', '/dev/vdb');
    const e0 = (await d.readArray('md0')).events;
    await d.setFaulty('md0', '/dev/vdb');
    expect((await d.readArray('md0')).events).toBe(e0);
    expect((await opError(d.setFaulty('md0', '/dev/vdc'))).details.errno).toBe('ENODEV');
    expect((await opError(d.setFaulty('md0', '/dev/nope'))).code).toBe('E_NO_SUCH_DEVICE');
    expect((await opError(d.setFaulty('md9', '/dev/vda'))).code).toBe('E_NO_SUCH_ARRAY');
  });

  test('raid10 near2: a mirror pair cannot lose both halves', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc', 'vdd'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid10', raidDevices: 4, spareDevices: 0, members: ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'], assumeClean: true });
    await d.setFaulty('md0', '/dev/vda');
    expect((await opError(d.setFaulty('md0', '/dev/vdb'))).details.errno).toBe('EBUSY');
    await d.setFaulty('md0', '/dev/vdc');
    const a = await d.readArray('md0');
    expect([a.degraded, a.arrayState]).toEqual([2, 'broken']);
    expect(await d.readMdstat()).toContain('[4/2] [_U_U]');
  });

  test('injectFault: the member fails on its own (errors counted, member-faulty reported)', async () => {
    const { f, d } = await raid1();
    const got: string[] = [];
    d.watch((e) => got.push(`${e.type}:${'member' in e ? e.member : ''}`));
    await d.injectFault('md0', '/dev/vda');
    f.time.flush();
    const a = await d.readArray('md0');
    expect([member(a, '/dev/vda').flags, member(a, '/dev/vda').errors, a.degraded]).toEqual([['faulty'], 1, 1]);
    expect(got).toContain('member-faulty:/dev/vda');
    await d.injectFault('md0', '/dev/vdb');
    expect(member(await d.readArray('md0'), '/dev/vdb').flags).toEqual(['in_sync']);
  });
});

describe('spares and recovery', () => {
  test('a failure activates the spare; recovery runs at speed and completes', async () => {
    const { f, d } = await raid1({ spares: 1, maxKiBps: 1000 });
    await d.setFaulty('md0', '/dev/vda');
    let a = await d.readArray('md0');
    expect([a.syncAction, a.degraded, member(a, '/dev/vdc').slot, member(a, '/dev/vdc').flags]).toEqual(['recover', 1, 0, ['spare']]);
    f.time.advance(30_000);
    a = await d.readArray('md0');
    expect(a.syncCompleted).toEqual({ doneSectors: 57344, totalSectors: 129024 });
    expect(member(a, '/dev/vdc').recoveryStartSectors).toBe(57344);
    expect(a.resyncStartSectors).toBeNull();
    f.time.advance(35_000);
    a = await d.readArray('md0');
    expect([a.syncAction, a.degraded, a.lastSyncAction, member(a, '/dev/vdc').flags]).toEqual(['idle', 0, 'recover', ['in_sync']]);
    expect(await d.readMdstat()).toContain('md0 : active raid1 vdc[2] vdb[1] vda[0](F)');
  });

  test('the newest spare is activated first (kernel list order)', async () => {
    const { d } = await raid1({ spares: 2 });
    await d.setFaulty('md0', '/dev/vdb');
    const a = await d.readArray('md0');
    expect([member(a, '/dev/vdd').slot, member(a, '/dev/vdc').slot]).toEqual([1, null]);
  });

  test('failing the recovering spare stops the recovery; the next spare takes over', async () => {
    const { d } = await raid1({ spares: 2, maxKiBps: 1000 });
    await d.setFaulty('md0', '/dev/vdb');
    await d.setFaulty('md0', '/dev/vdd');
    const a = await d.readArray('md0');
    expect([a.syncAction, member(a, '/dev/vdc').slot, member(a, '/dev/vdd').flags]).toEqual(['recover', 1, ['faulty']]);
  });

  test('a frozen recovery keeps its checkpoint and resumes from it on idle', async () => {
    const { f, d } = await raid1({ spares: 1, maxKiBps: 1000 });
    await d.setFaulty('md0', '/dev/vdb');
    f.time.advance(10_000);
    await d.setSyncAction('md0', 'frozen');
    let a = await d.readArray('md0');
    expect([a.syncAction, member(a, '/dev/vdc').recoveryStartSectors, member(a, '/dev/vdc').slot]).toEqual(['frozen', 19968, 1]);
    expect((await d.readSuperblock('/dev/vdc')).recoveryOffsetSectors).toBe(19968);
    await d.setSyncAction('md0', 'idle');
    a = await d.readArray('md0');
    expect([a.syncAction, a.syncCompleted?.doneSectors]).toEqual(['recover', 19968]);
  });
});

describe('remove / add / re-add', () => {
  test('remove: EBUSY for a member in a slot, ENXIO for a non-member; a removed member keeps its old superblock', async () => {
    const { d } = await raid1({ spares: 1 });
    expect((await opError(d.hotRemove('md0', '/dev/vda'))).details.errno).toBe('EBUSY');
    expect((await opError(d.hotRemove('md0', '/dev/vdd'))).details.errno).toBe('ENXIO');
    await d.hotRemove('md0', '/dev/vdc');
    expect((await d.readArray('md0')).members.map((m) => m.name)).toEqual(['vdb', 'vda']);
    expect((await d.readSuperblock('/dev/vdc')).setUuid).toBe((await d.readArray('md0')).uuid);
  });

  test('add: fresh device gets the lowest free number from raid_disks; refusals', async () => {
    const { f, d } = await raid1({ spares: 1 });
    await d.hotAdd('md0', '/dev/vdd');
    expect(member(await d.readArray('md0'), '/dev/vdd').descNumber).toBe(3);
    expect((await opError(d.hotAdd('md0', '/dev/vdd'))).details.errno).toBe('EBUSY');
    expect((await opError(d.hotAdd('md0', '/dev/missing'))).code).toBe('E_NO_SUCH_DEVICE');
    f.addDisks(['tiny'], 16);
    expect((await opError(d.hotAdd('md0', '/dev/tiny'))).details.errno).toBe('ENOSPC');
    await d.create({ device: 'md1', level: 'raid0', raidDevices: 1, spareDevices: 0, members: ['/dev/vde'] });
    expect((await opError(d.hotAdd('md0', '/dev/vde'))).details.errno).toBe('EBUSY');
    expect((await opError(d.hotAdd('md1', '/dev/vdf'))).details.errno).toBe('EINVAL');
    await d.setReadOnly('md0');
    expect((await opError(d.hotAdd('md0', '/dev/vdf'))).details.errno).toBe('EROFS');
  });

  test('fail on a read-only array is accepted (md_ioctl handles SET_DISK_FAULTY before its read-only gate)', async () => {
    const { d } = await raid1({ spares: 1 });
    await d.setReadOnly('md0');
    await d.setFaulty('md0', '/dev/vdb');
    const a = await d.readArray('md0');
    expect([a.arrayState, member(a, '/dev/vdb').flags.includes('faulty')]).toEqual(['readonly', true]);
    expect((await opError(d.hotRemove('md0', '/dev/vdb'))).details.errno).toBe('EROFS');
  });

  test('add on an auto-read-only array switches it read-write and recovery starts', async () => {
    const { d } = await raid1();
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    await d.stop('md0');
    await d.assemble({ device: 'md0', members: ['/dev/vda'], readOnly: false });
    await d.hotAdd('md0', '/dev/vdc');
    const a = await d.readArray('md0');
    expect([a.arrayState, a.syncAction, member(a, '/dev/vdc').slot, member(a, '/dev/vdc').descNumber]).toEqual(['clean', 'recover', 1, 2]);
  });

  test('re-add: refused for a stale member without a bitmap (EINVAL), immediate for a fresh one', async () => {
    const { d } = await raid1();
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    expect((await opError(d.reAdd('md0', '/dev/vdb'))).details.errno).toBe('EINVAL');
    // No superblock of this array: the kernel driver refuses before any ioctl.
    expect((await opError(d.reAdd('md0', '/dev/vdc'))).code).toBe('E_INVALID_STATE');
    // A bound member that is not faulty: nothing to do.
    await d.reAdd('md0', '/dev/vda');
    await d.hotAdd('md0', '/dev/vdb');
    const { f: f2, d: d2 } = await raid1();
    await d2.stop('md0');
    // Auto-read-only (mdadm's own assembly): nothing written yet, so vdb is as fresh as vda.
    await d2.assembleAsMdadm({ device: 'md0', members: ['/dev/vda'], readOnly: false, run: true });
    const e0 = (await d2.readArray('md0')).events;
    await d2.reAdd('md0', '/dev/vdb');
    const a = await d2.readArray('md0');
    expect([a.degraded, a.syncAction, member(a, '/dev/vdb').flags, member(a, '/dev/vdb').slot, a.events]).toEqual([0, 'idle', ['in_sync'], 1, e0 + 1]);
    f2.time.flush();
  });

  test('re-add of a failed member still bound: back to its slot (bitmap recovery); EBUSY while it holds the slot', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'], bitmap: 'internal' });
    await f.untilIdle(d, 'md0');
    await d.setSyncAction('md0', 'frozen'); // md leaves the failed member in its slot meanwhile
    await d.setFaulty('md0', '/dev/vdb');
    expect(member(await d.readArray('md0'), '/dev/vdb')).toMatchObject({ slot: 1, flags: ['faulty'] });
    expect((await opError(d.reAdd('md0', '/dev/vdb'))).details.errno).toBe('EBUSY');
    await d.setSyncAction('md0', 'idle');
    expect(member(await d.readArray('md0'), '/dev/vdb')).toMatchObject({ slot: null, flags: ['faulty'] });
    await d.reAdd('md0', '/dev/vdb');
    const a = await f.untilIdle(d, 'md0');
    expect([a.degraded, a.lastSyncAction, member(a, '/dev/vdb').slot, member(a, '/dev/vdb').flags]).toEqual([0, 'recover', 1, ['in_sync']]);
    await d.reAdd('md0', '/dev/vdb'); // in sync: nothing to do
  });

  test('re-add with a bitmap: same slot and number, only the regions written meanwhile are copied', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'], bitmap: 'internal' });
    await f.untilIdle(d, 'md0');
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    await d.writeToArray('md0', 12_902);
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1000 });
    await d.reAdd('md0', '/dev/vdb');
    let a = await d.readArray('md0');
    expect([a.syncAction, member(a, '/dev/vdb').slot, member(a, '/dev/vdb').descNumber]).toEqual(['recover', 1, 1]);
    expect(((await d.readSuperblock('/dev/vdb')).featureMap & 0x83)).toBe(0x83);
    // 12902 of 129024 sectors dirty: the walk is 10x faster than a full recovery (about 6.5 s).
    f.time.advance(7000);
    a = await d.readArray('md0');
    expect([a.syncAction, a.degraded, member(a, '/dev/vdb').flags]).toEqual(['idle', 0, ['in_sync']]);
  });
});

describe('replace, write-mostly, recovery_start', () => {
  test('replace: the spare rebuilds the slot, then the old member is failed out', async () => {
    const { f, d } = await raid1({ spares: 1, maxKiBps: 1000 });
    expect((await opError(d.replace('md0', '/dev/vda', '/dev/vdb'))).details.errno).toBe('EBUSY');
    await d.replace('md0', '/dev/vda', '/dev/vdc');
    let a = await d.readArray('md0');
    expect([a.degraded, a.syncAction, member(a, '/dev/vda').flags, member(a, '/dev/vdc').flags, member(a, '/dev/vdc').slot])
      .toEqual([0, 'recover', ['in_sync', 'want_replacement'], ['spare', 'replacement'], 0]);
    expect((await d.readSuperblock('/dev/vdc')).featureMap & 0x12).toBe(0x12);
    f.time.advance(70_000);
    a = await d.readArray('md0');
    expect([a.degraded, a.syncAction, member(a, '/dev/vda').flags, member(a, '/dev/vda').slot, member(a, '/dev/vdc').flags, member(a, '/dev/vdc').slot])
      .toEqual([0, 'idle', ['faulty'], null, ['in_sync'], 0]);
    expect(await d.readMdstat()).toContain('vdc[2] vdb[1] vda[0](F)');
  });

  test('write-mostly is set and cleared, and reaches the superblock', async () => {
    const { d } = await raid1();
    await d.setWriteMostly('md0', '/dev/vdb', true);
    expect(member(await d.readArray('md0'), '/dev/vdb').flags).toEqual(['in_sync', 'write_mostly']);
    expect(await d.readMdstat()).toContain('vdb[1](W)');
    await d.setWriteMostly('md0', '/dev/vdb', false);
    expect(member(await d.readArray('md0'), '/dev/vdb').flags).toEqual(['in_sync']);
  });

  test('recovery_start: EBUSY for a member in a slot, accepted for a spare and used when it is activated', async () => {
    const { d } = await raid1({ spares: 1, maxKiBps: 1000 });
    expect((await opError(d.setRecoveryStart('md0', '/dev/vda', sectors(0)))).details.errno).toBe('EBUSY');
    await d.setRecoveryStart('md0', '/dev/vdc', sectors(65536));
    await d.setFaulty('md0', '/dev/vdb');
    const a = await d.readArray('md0');
    expect([a.syncAction, a.syncCompleted?.doneSectors, member(a, '/dev/vdc').recoveryStartSectors]).toEqual(['recover', 65536, 65536]);
  });

  test('members are reported with the paths this host used', async () => {
    const { d } = await raid1({ spares: 1 });
    const a = await d.readArray('md0');
    expect(a.members.map((m) => m.devPath).sort()).toEqual(ABC);
  });
});

describe('zero-superblock (mdadm --zero-superblock)', () => {
  test('refuses a member md holds (EBUSY-style), erases a stopped member, then finds none', async () => {
    const { d } = await raid1();
    expect((await opError(d.zeroSuperblock('/dev/vda'))).code).toBe('E_DEVICE_BUSY');
    expect((await d.readSuperblock('/dev/vda')).setUuid).toMatch(/^[0-9a-f]{8}:/);
    await d.stop('md0');
    expect(await d.zeroSuperblock('/dev/vda')).toBe('zeroed');
    expect((await opError(d.readSuperblock('/dev/vda'))).code).toBe('E_NO_SUPERBLOCK');
    expect(await d.zeroSuperblock('/dev/vda')).toBe('none');
    expect((await d.readSuperblock('/dev/vdb')).setUuid).toMatch(/^[0-9a-f]{8}:/);
    expect((await opError(d.zeroSuperblock('/dev/nope'))).code).toBe('E_NO_SUCH_DEVICE');
  });
});
