// The simulated md driver against the real kernel: each test replays the commands of one
// Linux 6.1 capture (/work/shared/kernel-samples/<case>/case.txt) on the sim and compares the
// resulting state with the state rebuilt from that capture's sysfs/ioctl/examine facts, and
// /proc/mdstat byte for byte where the kernel's output does not depend on timing.
// Timing-dependent values (UUIDs, times, speeds, progress positions) are left out or checked
// for the property the kernel guarantees (e.g. a checkpoint on the 1/16 lattice).
import { describe, expect, test } from 'vitest';
import { sectors } from '../../daemon/src/common/types.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { loadSampleCase, readSampleFile } from './format-sample-loader.js';
import { SimFixture, member } from './simdriver-fixture.js';

type Opt = 'events' | 'sync' | 'resyncStart' | 'recoveryStart';

/** The comparable facts; `exact` adds the listed timing-sensitive ones. */
function facts(a: ArrayState, exact: readonly Opt[] = []): Record<string, unknown> {
  const f: Record<string, unknown> = {
    name: a.name, level: a.level, raidDisks: a.raidDisks, layout: a.layout, chunkSizeBytes: a.chunkSizeBytes,
    arraySizeKiB: a.arraySizeKiB, componentSizeKiB: a.componentSizeKiB, metadataVersion: a.metadataVersion,
    arrayState: a.arrayState, degraded: a.degraded, syncAction: a.syncAction, lastSyncAction: a.lastSyncAction,
    syncWaiting: a.syncWaiting, syncMin: a.syncMinSectors, syncMax: a.syncMaxSectors,
    consistencyPolicy: a.consistencyPolicy, bitmap: a.bitmap, mismatchCount: a.mismatchCount,
    syncRunning: a.syncCompleted !== null, syncTotal: a.syncCompleted?.totalSectors ?? null,
    resyncNeeded: a.resyncStartSectors !== null,
    members: a.members.map((m) => ({
      name: m.name, devPath: m.devPath, major: m.major, minor: m.minor, slot: m.slot, descNumber: m.descNumber,
      flags: m.flags, errors: m.errors, dataOffset: m.dataOffsetSectors, sizeKiB: m.sizeKiB,
      recovering: m.recoveryStartSectors !== null,
      ...(exact.includes('recoveryStart') ? { recoveryStart: m.recoveryStartSectors } : {}),
    })),
  };
  if (exact.includes('events')) f.events = a.events;
  if (exact.includes('sync')) f.syncCompleted = a.syncCompleted;
  if (exact.includes('resyncStart')) f.resyncStart = a.resyncStartSectors;
  return f;
}

function capture(c: string, i = 0): ArrayState {
  return loadSampleCase(c).arrays[i].state;
}

function expectLike(sim: ArrayState, c: string, exact: readonly Opt[] = []): void {
  expect(facts(sim, exact)).toEqual(facts(capture(c), exact));
}

const DEV4 = ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'];

async function createdAndSynced(f: SimFixture, names: string[], sizeMiB: number, spec: Record<string, unknown>) {
  f.addDisks(names, sizeMiB);
  const d = f.host();
  await d.create({ device: 'md0', members: names.map((n) => `/dev/${n}`), spareDevices: 0, ...spec } as never);
  await f.untilIdle(d, 'md0');
  return d;
}

describe('clean arrays match the captures exactly (state, Events, /proc/mdstat)', () => {
  const cases: Array<[string, string[], number, Record<string, unknown>]> = [
    ['01-raid1-clean', ['vda', 'vdb'], 64, { level: 'raid1', raidDevices: 2 }],
    ['27-raid1-4way-16M', ['vda', 'vdb', 'vdc', 'vdd'], 16, { level: 'raid1', raidDevices: 4 }],
    ['10-raid1-bitmap-clean', ['vda', 'vdb'], 128, { level: 'raid1', raidDevices: 2, bitmap: 'internal' }],
    ['48-raid10-near2-4disk-clean', ['vda', 'vdb', 'vdc', 'vdd'], 64, { level: 'raid10', raidDevices: 4 }],
    ['55-raid0-2disk', ['vda', 'vdb'], 64, { level: 'raid0', raidDevices: 2 }],
  ];
  for (const [c, names, mib, spec] of cases) {
    test(c, async () => {
      const f = new SimFixture();
      const d = await createdAndSynced(f, names, mib, spec);
      const a = await d.readArray('md0');
      expectLike(a, c, spec.bitmap === 'internal' ? [] : ['events']);
      expect(await d.readMdstat()).toBe(readSampleFile(c, 'mdstat.txt'));
    });
  }

  test('57-linear-2disk (members of different sizes)', async () => {
    const f = new SimFixture();
    f.addDisks(['vda'], 32);
    f.addDisks(['vdb'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'linear', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    expectLike(await d.readArray('md0'), '57-linear-2disk', ['events']);
    expect(await d.readMdstat()).toBe(readSampleFile('57-linear-2disk', 'mdstat.txt'));
  });

  test('30-raid5-3disk-clean and 43-raid6-4disk-clean (geometry, roles, desc numbers)', async () => {
    const f5 = new SimFixture();
    const d5 = await createdAndSynced(f5, ['vda', 'vdb', 'vdc'], 64, { level: 'raid5', raidDevices: 3 });
    expectLike(await d5.readArray('md0'), '30-raid5-3disk-clean');
    expect(await d5.readMdstat()).toBe(readSampleFile('30-raid5-3disk-clean', 'mdstat.txt'));
    const f6 = new SimFixture();
    const d6 = await createdAndSynced(f6, ['vda', 'vdb', 'vdc', 'vdd'], 64, { level: 'raid6', raidDevices: 4 });
    expectLike(await d6.readArray('md0'), '43-raid6-4disk-clean');
  });
});

describe('member changes match the captures', () => {
  test('06-raid1-removed-member: fail + remove, Events 20, vdb keeps its stale superblock', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb'], 32, { level: 'raid1', raidDevices: 2 });
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    expectLike(await d.readArray('md0'), '06-raid1-removed-member', ['events']);
    expect(await d.readMdstat()).toBe(readSampleFile('06-raid1-removed-member', 'mdstat.txt'));
    const stale = await d.readSuperblock('/dev/vdb');
    expect(stale.events).toBe(17);
    expect(stale.devRoles.slice(0, 2)).toEqual([0, 1]);
  });

  test('51-raid10-near2-degraded: the faulty member stays listed, Events 19', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb', 'vdc', 'vdd'], 64, { level: 'raid10', raidDevices: 4 });
    await d.setFaulty('md0', '/dev/vdc');
    expectLike(await d.readArray('md0'), '51-raid10-near2-degraded', ['events', 'recoveryStart']);
    expect(await d.readMdstat()).toBe(readSampleFile('51-raid10-near2-degraded', 'mdstat.txt'));
  });

  test('33-raid5-4disk-degraded (parity-first, chunk 32)', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb', 'vdc', 'vdd'], 48, { level: 'raid5', raidDevices: 4, chunkKiB: 32, layout: 'parity-first' });
    await d.setFaulty('md0', '/dev/vdc');
    expectLike(await d.readArray('md0'), '33-raid5-4disk-degraded');
  });

  test('07-raid1-recovery-midway: fresh disk gets desc 2, checkpoints on the 1/16 lattice', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb'], 128, { level: 'raid1', raidDevices: 2 });
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    f.disks.records.get('vdb')!.superblock = null;
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 20000 });
    await d.hotAdd('md0', '/dev/vdb');
    const a = await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 118000, 60_000, 10);
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 300 });
    expectLike(await d.readArray('md0'), '07-raid1-recovery-midway');
    expect(a.syncCompleted!.doneSectors % 16384).toBe(0);
    expect(member(a, '/dev/vdb').recoveryStartSectors).toBe(a.syncCompleted!.doneSectors);
    // Events: 17 + fail 2 + remove 1 + add 1 + activation 1 + one per checkpoint (capture: 31 at 9).
    expect(a.events).toBe(22 + a.syncCompleted!.doneSectors / 16384);
  });

  test('52-raid10-near2-recovery-midway: desc 4, recovery walks the member size', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb', 'vdc', 'vdd'], 96, { level: 'raid10', raidDevices: 4, chunkKiB: 256 });
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    f.disks.records.get('vdb')!.superblock = null;
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 20000 });
    await d.hotAdd('md0', '/dev/vdb');
    const a = await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 78000, 60_000, 10);
    expectLike(a, '52-raid10-near2-recovery-midway');
    expect(a.syncCompleted!.doneSectors % 12288).toBe(0);
    expect(a.events).toBe(22 + a.syncCompleted!.doneSectors / 12288);
  });

  test('16-raid1-replace-midway: replacement in slot 0, original wants replacement, not degraded', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb'], 64, { level: 'raid1', raidDevices: 2 });
    f.addDisks(['vdc'], 64);
    await d.hotAdd('md0', '/dev/vdc');
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1500 });
    await d.replace('md0', '/dev/vda', '/dev/vdc');
    const a = await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 20000, 60_000, 10);
    expectLike(a, '16-raid1-replace-midway');
    expect(await d.readMdstat()).toMatch(/md0 : active raid1 vdc\[2\]\(R\) vdb\[1\] vda\[0\]\n {6}64512 blocks super 1.2 \[2\/2\] \[UU\]\n {6}\[=+>\.+\] {2}recovery = /);
  }, 30_000);

  test('12-raid1-bitmap-readd-recovery-midway: back to slot 1 with desc 1, bitmap recovery, Events 24', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb'], 96, { level: 'raid1', raidDevices: 2, bitmap: 'internal' });
    await d.setFaulty('md0', '/dev/vdb');
    await d.hotRemove('md0', '/dev/vdb');
    await d.writeToArray('md0', 64 * 2048);
    f.time.advance(1000);
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 500 });
    await d.reAdd('md0', '/dev/vdb');
    f.time.advance(3000);
    const a = await d.readArray('md0');
    // The capture used a 1 MiB bitmap chunk (mdadm --bitmap-chunk); the sim uses the default 64 MiB.
    const cap = capture('12-raid1-bitmap-readd-recovery-midway');
    expect(facts({ ...a, bitmap: null }, ['events', 'sync', 'recoveryStart'])).toEqual(facts({ ...cap, bitmap: null }, ['events', 'sync', 'recoveryStart']));
  });
});

describe('sync control matches the captures', () => {
  test('03-raid1-resync-parked-at-sync_max: parks exactly at sync_max', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 2000 });
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    f.time.advance(1000);
    await d.setSyncAction('md0', 'frozen');
    await d.setSyncMax('md0', sectors(65536));
    await d.setSpeedLimits({ minKiBps: 1000, maxKiBps: 200000 });
    await d.setSyncAction('md0', 'idle');
    await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 65536);
    f.time.advance(2000);
    expectLike(await d.readArray('md0'), '03-raid1-resync-parked-at-sync_max', ['sync', 'resyncStart']);
  });

  test('04-raid1-resync-frozen-pending: frozen resync is PENDING with its checkpoint', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 96);
    const d = f.host();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 3000 });
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 30000);
    await d.setSyncAction('md0', 'frozen');
    f.time.advance(1000);
    const a = await d.readArray('md0');
    expectLike(a, '04-raid1-resync-frozen-pending');
    expect(a.resyncStartSectors).toBeGreaterThanOrEqual(30000);
    expect(await d.readMdstat()).toBe(readSampleFile('04-raid1-resync-frozen-pending', 'mdstat.txt'));
  });

  test('91-raid10-near2-resync-midway: raid10 resync walks the array size', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc', 'vdd'], 48);
    const d = f.host();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1000 });
    await d.create({ device: 'md0', level: 'raid10', raidDevices: 4, spareDevices: 0, members: DEV4, chunkKiB: 128 });
    const a = await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 6000);
    expectLike(a, '91-raid10-near2-resync-midway', ['sync', 'resyncStart']);
  });

  test('21-raid1-pending-after-crash: assembled auto-read-only with resync=PENDING', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 1000 });
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    f.time.advance(3000);
    d.crash();
    await d.setSpeedLimits({ minKiBps: 1000, maxKiBps: 200000 });
    await d.assembleAsMdadm({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: false });
    f.time.advance(5000);
    expectLike(await d.readArray('md0'), '21-raid1-pending-after-crash', ['resyncStart']);
    expect(await d.readMdstat()).toBe(readSampleFile('21-raid1-pending-after-crash', 'mdstat.txt'));
  });

  test('22-raid1-resync-restarted-after-crash: read-write resumes from the recorded checkpoint', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 96);
    const d = f.host();
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 3000 });
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    await f.advanceUntil(d, 'md0', (x) => (x.syncCompleted?.doneSectors ?? 0) >= 40000, 60_000, 10);
    d.crash();
    await d.assembleAsMdadm({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: false });
    // The wait saw sync_completed (a checkpoint) pass 40000: the superblocks hold 4 * 12288.
    expect((await d.readArray('md0')).resyncStartSectors).toBe(49152);
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 800 });
    await d.setReadWrite('md0');
    f.time.advance(3000);
    expectLike(await d.readArray('md0'), '22-raid1-resync-restarted-after-crash', ['sync', 'resyncStart']);
  });

  test('13-raid1-readonly: STOP_ARRAY_RO writes no superblock (Events stay 17)', async () => {
    const f = new SimFixture();
    const d = await createdAndSynced(f, ['vda', 'vdb'], 64, { level: 'raid1', raidDevices: 2 });
    await d.setReadOnly('md0');
    expectLike(await d.readArray('md0'), '13-raid1-readonly', ['events']);
  });
});
