// Simulated md driver on shared disks: several hosts (driver instances) over the same disks,
// in memory and in a real directory with atomic files; the stale read-only standby; assembly
// rules (freshness, --run, uuid, busy); crashes; per-node path maps; malformed disk files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';
import { createSimDriver, ensureSimDisks } from '../../daemon/src/md/sim/driver.js';
import { manualSimDeps } from '../../daemon/src/md/sim/deps.js';
import { FileDiskStore } from '../../daemon/src/md/sim/file-disk-store.js';
import { MIB_SECTORS, SimFixture, member, opError } from './simdriver-fixture.js';

const PAIR = ['/dev/vda', '/dev/vdb'];

describe('two hosts on the same disks', () => {
  test('a read-only standby keeps its stale [UU] view until stop + assemble (like the real kernel)', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const master = f.host({ name: 'node1' });
    const standby = f.host({ name: 'node2' });
    await master.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR });
    await f.untilIdle(master, 'md0');
    await standby.assemble({ device: 'md0', members: PAIR, readOnly: true });
    await master.setFaulty('md0', '/dev/vdb');
    expect((await master.readArray('md0')).events).toBe(19);
    let s = await standby.readArray('md0');
    expect([s.arrayState, s.degraded, s.events, member(s, '/dev/vdb').flags]).toEqual(['readonly', 0, 17, ['in_sync']]);
    expect(await standby.readMdstat()).toContain('[2/2] [UU]');
    await standby.stop('md0');
    await standby.assemble({ device: 'md0', members: PAIR, readOnly: true });
    s = await standby.readArray('md0');
    expect([s.degraded, s.events, s.members.map((m) => m.name)]).toEqual([1, 19, ['vda']]);
    expect(await standby.readMdstat()).toContain('[2/1] [U_]');
  });

  test('both hosts see the same superblocks; each host has its own kernel state', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc', 'vdd'], 64);
    const a = f.host({ name: 'node1' });
    const b = f.host({ name: 'node2' });
    await a.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR, name: 'data' });
    expect(await b.listArrays()).toEqual([]);
    expect((await b.readSuperblock('/dev/vda')).setName).toBe('node1:data');
    await b.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vdc', '/dev/vdd'] });
    expect((await b.readArray('md0')).name).toBe('node2:0');
  });

  test('per-node path maps: the same disk under different names on each host', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const a = f.host({ nodeMap: { '/dev/disk/by-id/virtio-lab0': 'vda', '/dev/disk/by-id/virtio-lab1': 'vdb' } });
    const b = f.host({ nodeMap: { '/dev/sdx': 'vda', '/dev/sdy': 'vdb' } });
    await a.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/disk/by-id/virtio-lab0', '/dev/disk/by-id/virtio-lab1'], assumeClean: true });
    await b.assemble({ device: 'md0', members: ['/dev/sdx', '/dev/sdy'], readOnly: true });
    const s = await b.readArray('md0');
    expect(s.members.map((m) => [m.devPath, m.name])).toEqual([['/dev/sdx', 'vda'], ['/dev/sdy', 'vdb']]);
    expect(b.hasDevice('/dev/sdx')).toBe(true);
    expect(b.hasDevice('/dev/vda')).toBe(false);
    expect((await opError(b.readSuperblock('/dev/vda'))).code).toBe('E_NO_SUCH_DEVICE');
  });
});

describe('assemble', () => {
  async function stoppedPair() {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR });
    await f.untilIdle(d, 'md0');
    await d.stop('md0');
    return { f, d };
  }

  test('starts auto-read-only, or read-only on request; members in kernel order', async () => {
    const { d } = await stoppedPair();
    await d.assembleAsMdadm({ device: '/dev/md0', members: PAIR, readOnly: false });
    expect((await d.readArray('md0')).arrayState).toBe('read-auto');
    expect(await d.readMdstat()).toContain('md0 : active (auto-read-only) raid1 vda[0] vdb[1]');
    await d.stop('md0');
    await d.assemble({ device: 'md0', members: PAIR, readOnly: true });
    expect(await d.readMdstat()).toContain('md0 : active (read-only) raid1');
  });

  test('a missing member the superblocks expect: refused without run, degraded with run', async () => {
    const { d } = await stoppedPair();
    const e = await opError(d.assemble({ device: 'md0', members: ['/dev/vda'], readOnly: false }));
    expect([e.code, e.details.found, e.details.expected]).toEqual(['E_INVALID_STATE', 1, 2]);
    expect(await d.listArrays()).toEqual([]);
    await d.assemble({ device: 'md0', members: ['/dev/vda'], readOnly: false, run: true });
    expect((await d.readArray('md0')).degraded).toBe(1);
  });

  test('an array that was already degraded assembles without run', async () => {
    const { d } = await stoppedPair();
    await d.assemble({ device: 'md0', members: PAIR, readOnly: false });
    await d.setFaulty('md0', '/dev/vdb');
    await d.stop('md0');
    await d.assemble({ device: 'md0', members: ['/dev/vda'], readOnly: false });
    expect((await d.readArray('md0')).degraded).toBe(1);
  });

  test('refusals: active array, busy member, no superblock, wrong uuid, mismatched members, bad input', async () => {
    const { d } = await stoppedPair();
    expect((await opError(d.assemble({ device: 'md0', members: ['/dev/vdc'], readOnly: false }))).code).toBe('E_NO_SUPERBLOCK');
    expect((await opError(d.assemble({ device: 'md0', members: ['/dev/nope'], readOnly: false }))).code).toBe('E_NO_SUCH_DEVICE');
    expect((await opError(d.assemble({ device: 'md0', members: PAIR, readOnly: false, uuid: 'zz' }))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.assemble({ device: 'md0', members: PAIR, readOnly: false, uuid: '00000000:00000000:00000000:00000000' }))).code).toBe('E_INVALID_STATE');
    expect((await opError(d.assemble({ device: 'mdX', members: PAIR, readOnly: false }))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.assemble({ device: 'md0', members: [], readOnly: false }))).code).toBe('E_INVALID_ARGUMENT');
    expect((await opError(d.assemble(null as never))).code).toBe('E_INVALID_ARGUMENT');
    await d.assemble({ device: 'md0', members: PAIR, readOnly: false });
    expect((await opError(d.assemble({ device: 'md0', members: PAIR, readOnly: false }))).code).toBe('E_ARRAY_EXISTS');
    expect((await opError(d.assemble({ device: 'md1', members: PAIR, readOnly: false }))).code).toBe('E_DEVICE_BUSY');
    await d.create({ device: 'md2', level: 'raid0', raidDevices: 1, spareDevices: 0, members: ['/dev/vdc'] });
    await d.stop('md0');
    expect((await opError(d.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdc'], readOnly: false }))).code).toBe('E_DEVICE_BUSY');
  });

  test('a uuid filter skips devices of other arrays', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR, uuid: '11111111-2222-3333-4444-555555555555', assumeClean: true });
    await d.create({ device: 'md1', level: 'raid0', raidDevices: 1, spareDevices: 0, members: ['/dev/vdc'] });
    await d.stop('md0');
    await d.stop('md1');
    await d.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdb', '/dev/vdc'], readOnly: false, uuid: '11111111:22223333:44445555:55555555' });
    expect((await d.readArray('md0')).members.map((m) => m.name).sort()).toEqual(['vda', 'vdb']);
    await d.stop('md0');
    expect((await opError(d.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdc'], readOnly: false }))).code).toBe('E_INVALID_STATE');
  });
});

describe('crashes', () => {
  test('a crash while dirty leaves resync_offset 0: the next assembly has a full resync pending', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb'], 64);
    const d = f.host();
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR });
    await f.untilIdle(d, 'md0');
    await d.writeToArray('md0');
    d.crash();
    expect(await d.listArrays()).toEqual([]);
    expect(f.time.pendingCount).toBe(0);
    await d.assembleAsMdadm({ device: 'md0', members: PAIR, readOnly: false });
    const a = await d.readArray('md0');
    expect([a.arrayState, a.resyncStartSectors, a.syncWaiting]).toEqual(['read-auto', 0, 'PENDING']);
  });

  test('a crash mid-recovery resumes the recovery from the member recovery offset', async () => {
    const f = new SimFixture();
    f.addDisks(['vda', 'vdb', 'vdc'], 64);
    const d = f.host({ speed: { minKiBps: 1, maxKiBps: 1000 } });
    await d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 1, members: ['/dev/vda', '/dev/vdb', '/dev/vdc'], assumeClean: true });
    await d.setFaulty('md0', '/dev/vdb');
    f.time.advance(20_000);
    d.crash();
    await d.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdc'], readOnly: false });
    let a = await d.readArray('md0');
    expect([a.degraded, member(a, '/dev/vdc').slot, member(a, '/dev/vdc').recoveryStartSectors]).toEqual([1, 1, 32768]);
    await d.setReadWrite('md0');
    a = await d.readArray('md0');
    expect([a.syncAction, a.syncCompleted?.doneSectors]).toEqual(['recover', 32768]);
  });
});

describe('disk directory (FileDiskStore)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function tmp(): string {
    const d = mkdtempSync(join(tmpdir(), 'simdisks-'));
    dirs.push(d);
    return d;
  }

  test('two "processes" share one directory; writes leave no temporary files', async () => {
    const dir = tmp();
    ensureSimDisks(dir, [{ diskId: 'vda', sizeSectors: 64 * MIB_SECTORS }, { diskId: 'vdb', sizeSectors: 64 * MIB_SECTORS, minor: 16 }]);
    ensureSimDisks(dir, [{ diskId: 'vda', sizeSectors: 1 }]);
    const f = new SimFixture();
    const a = new SimMdDriver({ store: new FileDiskStore(dir), deps: manualSimDeps(f.time, 1), hostName: 'node1' });
    const b = new SimMdDriver({ store: new FileDiskStore(dir), deps: manualSimDeps(f.time, 2), hostName: 'node2' });
    await a.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR });
    await f.untilIdle(a, 'md0');
    await b.assemble({ device: 'md0', members: PAIR, readOnly: true });
    await a.setFaulty('md0', '/dev/vdb');
    expect((await b.readArray('md0')).degraded).toBe(0);
    await b.stop('md0');
    await b.assemble({ device: 'md0', members: PAIR, readOnly: true });
    expect((await b.readArray('md0')).degraded).toBe(1);
    expect(readdirSync(join(dir, 'disks')).sort()).toEqual(['vda.json', 'vdb.json']);
    const rec = JSON.parse(readFileSync(join(dir, 'disks', 'vda.json'), 'utf8'));
    expect([rec.sizeSectors, rec.superblock.events]).toEqual([64 * MIB_SECTORS, 19]);
  });

  test('malformed files: a bad record is E_SIM_DISK_INVALID, a bad superblock reads as none', async () => {
    const dir = tmp();
    ensureSimDisks(dir, [{ diskId: 'vda', sizeSectors: 64 * MIB_SECTORS }, { diskId: 'vdb', sizeSectors: 64 * MIB_SECTORS }]);
    const d = createSimDriver({ diskDir: dir, node: 'node1' });
    try {
      const vdb = join(dir, 'disks', 'vdb.json');
      const rec = JSON.parse(readFileSync(vdb, 'utf8'));
      writeFileSync(vdb, JSON.stringify({ ...rec, superblock: { magic: 1, events: 'many' } }));
      expect((await opError(d.readSuperblock('/dev/vdb'))).code).toBe('E_NO_SUPERBLOCK');
      writeFileSync(join(dir, 'disks', 'vda.json'), '{"format": "nope"');
      expect((await opError(d.readSuperblock('/dev/vda'))).code).toBe('E_SIM_DISK_INVALID');
      expect(d.hasDevice('/dev/vda')).toBe(true);
      expect((await opError(d.create({ device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: PAIR }))).code).toBe('E_SIM_DISK_INVALID');
    } finally {
      await d.close();
    }
  });

  test('createSimDriver reads the per-node paths file; a malformed one is refused', async () => {
    const dir = tmp();
    ensureSimDisks(dir, [{ diskId: 'vda', sizeSectors: 64 * MIB_SECTORS }, { diskId: 'vdb', sizeSectors: 64 * MIB_SECTORS }]);
    mkdirSync(join(dir, 'nodes'));
    writeFileSync(join(dir, 'nodes', 'node2.paths.json'), JSON.stringify({ '/dev/sdb': 'vdb' }));
    const n1 = createSimDriver({ diskDir: dir, node: 'node1' });
    const n2 = createSimDriver({ diskDir: dir, node: 'node2' });
    expect([n1.hasDevice('/dev/vdb'), n1.hasDevice('/dev/sdb'), n2.hasDevice('/dev/vdb'), n2.hasDevice('/dev/sdb')]).toEqual([true, false, false, true]);
    await n1.close();
    await n2.close();
    writeFileSync(join(dir, 'nodes', 'node3.paths.json'), JSON.stringify({ '/dev/sdb': '../etc' }));
    expect(() => createSimDriver({ diskDir: dir, node: 'node3' })).toThrow(/not a map/);
    expect(() => createSimDriver({ diskDir: dir, node: '../x' })).toThrow(/invalid node id/);
  });
});
