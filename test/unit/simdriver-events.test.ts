// Simulated md driver: the Events counter (dirty/clean lowering, read-only/read-write),
// array_state transitions on writes, and the MdEvent stream delivered to watchers.
import { describe, expect, test } from 'vitest';
import type { MdEvent } from '../../daemon/src/md/types.js';
import { SimFixture, collectEvents, opError } from './simdriver-fixture.js';

async function syncedPair(opts: { spare?: boolean; bitmap?: boolean } = {}) {
  const f = new SimFixture();
  f.addDisks(['vda', 'vdb', 'vdc'], 64);
  const d = f.host();
  const members = opts.spare ? ['/dev/vda', '/dev/vdb', '/dev/vdc'] : ['/dev/vda', '/dev/vdb'];
  await d.create({
    device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: opts.spare ? 1 : 0, members,
    bitmap: opts.bitmap ? 'internal' : 'none',
  });
  await f.untilIdle(d, 'md0');
  return { f, d };
}

describe('Events and array_state', () => {
  test('a write marks the array dirty (Events +1); safe_mode_delay later it is clean and Events go back down', async () => {
    const { f, d } = await syncedPair();
    const e0 = (await d.readArray('md0')).events;
    await d.writeToArray('md0', 8);
    let a = await d.readArray('md0');
    expect([a.arrayState, a.events]).toEqual(['active', e0 + 1]);
    expect((await d.readSuperblock('/dev/vda')).resyncOffsetSectors).toBe(0);
    f.time.advance(100);
    await d.writeToArray('md0', 8);
    f.time.advance(150);
    expect((await d.readArray('md0')).arrayState).toBe('active');
    f.time.advance(60);
    a = await d.readArray('md0');
    expect([a.arrayState, a.events]).toEqual(['clean', e0]);
    const sb = await d.readSuperblock('/dev/vdb');
    expect([sb.events, sb.resyncOffsetSectors]).toEqual([e0, 'max']);
  });

  test('on a degraded array the dirty/clean round trip is +2 (md only lowers Events when not degraded)', async () => {
    const { f, d } = await syncedPair();
    await d.setFaulty('md0', '/dev/vdb');
    const e0 = (await d.readArray('md0')).events;
    await d.writeToArray('md0');
    f.time.advance(500);
    expect((await d.readArray('md0')).events).toBe(e0 + 2);
  });

  test('read-only: no superblock write, writes fail with EPERM; read-write: Events +1', async () => {
    const { d } = await syncedPair();
    const e0 = (await d.readArray('md0')).events;
    await d.setReadOnly('md0');
    await d.setReadOnly('md0');
    expect((await d.readArray('md0')).events).toBe(e0);
    const e = await opError(d.writeToArray('md0'));
    expect([e.code, e.details.errno]).toEqual(['E_KERNEL', 'EPERM']);
    await d.setReadWrite('md0');
    await d.setReadWrite('md0');
    const a = await d.readArray('md0');
    expect([a.arrayState, a.events]).toEqual(['clean', e0 + 1]);
    expect((await d.readSuperblock('/dev/vda')).events).toBe(e0 + 1);
  });

  test('read-only while dirty: the array is marked clean on the way (one superblock write)', async () => {
    const { d } = await syncedPair();
    const e0 = (await d.readArray('md0')).events;
    await d.writeToArray('md0');
    await d.setReadOnly('md0');
    const a = await d.readArray('md0');
    expect([a.arrayState, a.events]).toEqual(['readonly', e0 + 2]);
    expect((await d.readSuperblock('/dev/vda')).resyncOffsetSectors).toBe('max');
  });

  test('auto-read-only: a write switches to read-write and marks dirty', async () => {
    const { d } = await syncedPair();
    await d.stop('md0');
    await d.assembleAsMdadm({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: false });
    expect((await d.readArray('md0')).arrayState).toBe('read-auto');
    await d.writeToArray('md0');
    expect((await d.readArray('md0')).arrayState).toBe('active');
  });

  test('a failure on an auto-read-only array waits for read-write to reach the superblocks', async () => {
    const { d } = await syncedPair();
    await d.stop('md0');
    await d.assembleAsMdadm({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: false });
    const e0 = (await d.readArray('md0')).events;
    await d.injectFault('md0', '/dev/vdb');
    let a = await d.readArray('md0');
    expect([a.arrayState, a.degraded, a.events]).toEqual(['read-auto', 1, e0]);
    expect((await d.readSuperblock('/dev/vda')).devRoles.slice(0, 2)).toEqual([0, 1]);
    await d.setReadWrite('md0');
    a = await d.readArray('md0');
    expect(a.events).toBe(e0 + 1);
    expect((await d.readSuperblock('/dev/vda')).devRoles.slice(0, 2)).toEqual([0, 0xfffe]);
  });

  test('stop of a dirty array writes it clean; stop of a missing array is a no-op', async () => {
    const { d } = await syncedPair();
    await d.writeToArray('md0');
    await d.stop('md0');
    expect((await d.readSuperblock('/dev/vda')).resyncOffsetSectors).toBe('max');
    await d.stop('md0');
    await d.stop('md7');
    expect(await d.listArrays()).toEqual([]);
  });

  test('open arrays cannot be stopped or switched read-only (EBUSY)', async () => {
    const { d } = await syncedPair();
    await d.setOpenCount('md0', 1);
    expect((await opError(d.stop('md0'))).details.errno).toBe('EBUSY');
    expect((await opError(d.setReadOnly('md0'))).details.errno).toBe('EBUSY');
    await d.setOpenCount('md0', 0);
    await d.stop('md0');
  });
});

describe('watch()', () => {
  test('delivers typed events asynchronously, in order, through the injected timers', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc'], 64);
    const d = f.host();
    const got = collectEvents(d);
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 1, members: ['/dev/vda', '/dev/vdb', '/dev/vdc'] });
    expect(got).toEqual([]);
    f.time.flush();
    expect(got.slice(0, 2)).toEqual([
      { type: 'array-started', device: 'md0' },
      { type: 'sync-started', device: 'md0', action: 'resync' },
    ]);
    await f.untilIdle(d, 'md0');
    f.time.flush();
    const progress = got.filter((e) => e.type === 'sync-progress');
    expect(progress.length).toBe(15);
    expect(got.at(-1)).toEqual({ type: 'sync-finished', device: 'md0', action: 'resync' });
    got.length = 0;
    await d.setFaulty('md0', '/dev/vdb');
    f.time.flush();
    expect(got).toEqual<MdEvent[]>([
      { type: 'member-faulty', device: 'md0', member: '/dev/vdb' },
      { type: 'sync-started', device: 'md0', action: 'recover' },
      { type: 'degraded-changed', device: 'md0', degraded: 1 },
    ]);
    await f.untilIdle(d, 'md0');
    f.time.flush();
    expect(got.filter((e) => e.type !== 'sync-progress').slice(-2)).toEqual<MdEvent[]>([
      { type: 'sync-finished', device: 'md0', action: 'recover' },
      { type: 'degraded-changed', device: 'md0', degraded: 0 },
    ]);
    got.length = 0;
    await d.hotRemove('md0', '/dev/vdb');
    await d.hotAdd('md0', '/dev/vdb');
    await d.setReadOnly('md0');
    await d.stop('md0');
    f.time.flush();
    expect(got).toEqual<MdEvent[]>([
      { type: 'member-removed', device: 'md0', member: '/dev/vdb' },
      { type: 'member-added', device: 'md0', member: '/dev/vdb' },
      { type: 'array-state-changed', device: 'md0', arrayState: 'readonly' },
      { type: 'array-stopped', device: 'md0' },
    ]);
  });

  test('a throwing watcher does not stop the others; closed handles get nothing', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host();
    d.watch(() => { throw new Error('boom'); });
    const got = collectEvents(d);
    const late: MdEvent[] = [];
    const h = d.watch((e) => late.push(e));
    await h.close();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    f.time.flush();
    expect(got[0]).toEqual({ type: 'array-started', device: 'md0' });
    expect(late).toEqual([]);
  });

  test('close(): no timer stays armed, every method then fails with E_SHUTTING_DOWN', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host({ speed: { minKiBps: 1, maxKiBps: 1000 } });
    collectEvents(d);
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] });
    await d.writeToArray('md0');
    expect(f.time.pendingCount).toBeGreaterThan(0);
    await d.close();
    await d.close();
    expect(f.time.pendingCount).toBe(0);
    expect((await opError(d.readArray('md0'))).code).toBe('E_SHUTTING_DOWN');
    expect((await opError(d.listArrays())).code).toBe('E_SHUTTING_DOWN');
    expect(() => d.watch(() => {})).toThrow(/closed/);
  });
});
