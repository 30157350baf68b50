// Guest-side RAID1 scenario for the kernel driver: every MdDriver method on one bitmap RAID1,
// checked against sysfs and mdadm after each step. Owns the step order: create, read/compare,
// event latency, fail/remove/add paths, replace, write-mostly, kernel refusals, sync control,
// read-only/read-write, stop/assemble.
import { readFileSync } from 'node:fs';
import { sectors } from '../../../daemon/src/common/types.js';
import type { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import type { MdEvent } from '../../../daemon/src/md/types.js';
import { compareSuperblock, compareWithMdadm } from './compare.js';
import { measureFaultLatency } from './latency.js';
import { check, expectCode, expectEq, expectTrue, results, sysfs, waitIdle, waitUntil } from './lib.js';

const A = 'md0';
const VDA = '/dev/vda';
const VDB = '/dev/vdb';
const VDC = '/dev/vdc';

async function member(d: KernelMdDriver, path: string) {
  return (await d.readArray(A)).members.find((m) => m.devPath === path);
}

async function readAndCompare(d: KernelMdDriver): Promise<void> {
  await check('listArrays lists md0', async () => expectEq(await d.listArrays(), [A], 'arrays'));
  await check('readArray matches mdadm --detail/--export/--examine (raid1, bitmap)', () => compareWithMdadm(d, A));
  await check('readSuperblock matches mdadm --examine, checksum valid (1.2)', async () => {
    await compareSuperblock(d, VDA);
    await compareSuperblock(d, VDB);
  });
  await check('readMdstat equals /proc/mdstat', async () => expectEq(await d.readMdstat(), readFileSync('/proc/mdstat', 'utf8'), 'mdstat'));
}

async function eventsAndLatency(d: KernelMdDriver, trials: number): Promise<void> {
  const seen: MdEvent[] = [];
  await check(`event latency over ${trials} trials (echo faulty -> member-faulty)`, async () => {
    await measureFaultLatency(d, { array: A, member: VDB, memberName: 'vdb', trials, warmup: 3 }, seen);
  });
  await check('a fail/re-add cycle produces the typed events', () => {
    const has = (p: (e: MdEvent) => boolean, what: string) => expectTrue(seen.some(p), what);
    has((e) => e.type === 'member-faulty' && e.member === VDB, 'member-faulty');
    has((e) => e.type === 'degraded-changed' && e.degraded === 1, 'degraded-changed 1');
    has((e) => e.type === 'degraded-changed' && e.degraded === 0, 'degraded-changed 0');
    has((e) => e.type === 'member-removed' && e.member === VDB, 'member-removed');
    has((e) => e.type === 'member-added' && e.member === VDB, 'member-added');
    has((e) => e.type === 'sync-started' && e.action === 'recover', 'sync-started recover');
    has((e) => e.type === 'sync-finished' && e.action === 'recover', 'sync-finished recover');
    results.notes.eventTypesSeen = [...new Set(seen.map((e) => e.type))];
  });
}

async function memberPaths(d: KernelMdDriver): Promise<void> {
  await check('setFaulty (SET_DISK_FAULTY by dev_t), idempotent', async () => {
    await d.setFaulty(A, VDB);
    expectTrue((await member(d, VDB))?.flags.includes('faulty'), 'vdb faulty');
    await d.setFaulty(A, VDB);
  });
  await check('hotRemove (HOT_REMOVE_DISK by dev_t), idempotent', async () => {
    await waitUntil('vdb out of its slot', 10_000, async () => ((await member(d, VDB))?.slot === null ? true : undefined));
    await d.hotRemove(A, VDB);
    expectEq(await member(d, VDB), undefined, 'vdb gone');
    await d.hotRemove(A, VDB);
  });
  await check('hotAdd of a former member (ADD_NEW_DISK, own superblock) recovers it', async () => {
    await d.hotAdd(A, VDB);
    const s = await waitIdle(d, A);
    expectEq(s.members.find((m) => m.devPath === VDB)?.flags, ['in_sync'], 'vdb in sync');
    expectEq(s.degraded, 0, 'degraded');
  });
  await check('hotAdd of a blank disk (mdadm writes the superblock) gives a spare; again is a no-op', async () => {
    await d.hotAdd(A, VDC);
    await d.hotAdd(A, VDC);
    const m = await member(d, VDC);
    expectEq([m?.flags, m?.slot], [['spare'], null], 'vdc spare');
  });
  await check('replace vda with the spare vdc', async () => {
    await d.replace(A, VDA, VDC);
    await waitUntil('vdc replaced vda', 120_000, async () => {
      const s = await d.readArray(A);
      const a = s.members.find((m) => m.devPath === VDA);
      const c = s.members.find((m) => m.devPath === VDC);
      return s.syncAction === 'idle' && c?.slot === 0 && c.flags.includes('in_sync') && a?.flags.includes('faulty') ? true : undefined;
    });
    await d.hotRemove(A, VDA);
    await d.hotAdd(A, VDA); // back as a spare for later steps
  });
  await check('setWriteMostly on and off (dev-X/state)', async () => {
    await d.setWriteMostly(A, VDB, true);
    expectTrue((await member(d, VDB))?.flags.includes('write_mostly'), 'write_mostly set');
    await d.setWriteMostly(A, VDB, true);
    await d.setWriteMostly(A, VDB, false);
    expectTrue(!(await member(d, VDB))?.flags.includes('write_mostly'), 'write_mostly cleared');
  });
}

async function refusals(d: KernelMdDriver): Promise<void> {
  await check('kernel refusals come back as E_KERNEL with the errno', async () => {
    await expectCode(d.hotRemove(A, VDB), 'E_KERNEL', 'EBUSY'); // active in-sync member
    await expectCode(d.setRecoveryStart(A, VDB, sectors(0)), 'E_KERNEL', 'EBUSY'); // member already in a slot
  });
  await check('missing arrays and members have their own codes', async () => {
    await expectCode(d.readArray('md9'), 'E_NO_SUCH_ARRAY');
    await expectCode(d.setFaulty(A, '/dev/vdh'), 'E_NO_SUCH_DEVICE');
    await expectCode(d.setFaulty(A, '/dev/nonexistent'), 'E_NO_SUCH_DEVICE');
    await expectCode(d.readSuperblock('/dev/vdh'), 'E_NO_SUPERBLOCK');
  });
}

async function syncControl(d: KernelMdDriver): Promise<void> {
  await check('check parks at sync_max; sync_min/sync_max/sync_action round-trip', async () => {
    await d.setSyncAction(A, 'frozen');
    await d.setSyncMin(A, sectors(0));
    await d.setSyncMax(A, sectors(16384));
    await d.setSyncAction(A, 'check');
    const s = await waitUntil('check parked at 16384', 60_000, async () => {
      const x = await d.readArray(A);
      return x.syncAction === 'check' && x.syncCompleted?.doneSectors === 16384 ? x : undefined;
    });
    expectEq(s.syncMaxSectors, sectors(16384), 'sync_max');
    await d.setSyncAction(A, 'idle');
    await d.setSyncMax(A, 'max');
    await waitIdle(d, A);
    expectEq(sysfs(A, 'sync_max'), 'max', 'sync_max back');
  });
  await check('resync_start: refused while a sync runs, written while frozen', async () => {
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 500 });
    await d.setSyncAction(A, 'check');
    await waitUntil('check running', 10_000, async () => ((await d.readArray(A)).syncAction === 'check' ? true : undefined));
    await expectCode(d.setResyncStart(A, sectors(0)), 'E_INVALID_STATE');
    await d.setSyncAction(A, 'frozen');
    await d.setResyncStart(A, sectors(1024));
    expectEq(sysfs(A, 'resync_start'), '1024', 'resync_start written');
    await d.setResyncStart(A, null);
    expectEq(sysfs(A, 'resync_start'), 'none', 'resync_start none');
    await d.setSyncAction(A, 'idle');
    await d.setSpeedLimits({ minKiBps: 100_000, maxKiBps: 2_000_000 });
    await waitIdle(d, A);
  });
}

async function runStates(d: KernelMdDriver): Promise<void> {
  await check('setReadOnly / setReadWrite (STOP_ARRAY_RO / RESTART_ARRAY_RW), idempotent', async () => {
    await d.setReadOnly(A);
    expectEq(sysfs(A, 'array_state'), 'readonly', 'readonly');
    await d.setReadOnly(A);
    await d.setReadWrite(A);
    expectTrue(['clean', 'active'].includes(sysfs(A, 'array_state')), 'writable');
    await d.setReadWrite(A);
    await d.run(A); // already running: no-op
  });
  await check('stop (STOP_ARRAY), idempotent', async () => {
    await d.stop(A);
    await waitUntil('md0 gone', 10_000, async () => (!(await d.listArrays()).includes(A) ? true : undefined));
    await d.stop(A);
  });
  await check('assemble read-only gives readonly and matches mdadm', async () => {
    await d.assemble({ device: A, members: [VDB, VDC, VDA], readOnly: true });
    expectEq(sysfs(A, 'array_state'), 'readonly', 'readonly');
    await compareWithMdadm(d, A);
    await d.stop(A);
  });
  await check('assemble read-write leaves the array writable despite start_ro', async () => {
    await d.assemble({ device: A, members: [VDB, VDC, VDA], readOnly: false });
    expectTrue(['clean', 'active'].includes(sysfs(A, 'array_state')), `writable, got ${sysfs(A, 'array_state')}`);
    await d.stop(A);
  });
}

export async function raid1Scenario(d: KernelMdDriver, trials: number): Promise<void> {
  const created = await check('create raid1 md0 with an internal bitmap (mdadm)', async () => {
    await d.create({ device: A, level: 'raid1', raidDevices: 2, members: [VDA, VDB], spareDevices: 0, bitmap: 'internal' });
    await waitIdle(d, A);
  });
  if (!created) return;
  await check('setSpeedLimits (/proc/sys/dev/raid, present once md is loaded)', async () => {
    await d.setSpeedLimits({ minKiBps: 100_000, maxKiBps: 2_000_000 });
    expectEq(readFileSync('/proc/sys/dev/raid/speed_limit_max', 'utf8').trim(), '2000000', 'speed_limit_max');
  });
  await readAndCompare(d);
  await eventsAndLatency(d, trials);
  await memberPaths(d);
  await refusals(d);
  await syncControl(d);
  await runStates(d);
}
