// Simulated md driver: create (mdadm --create) input validation, layouts, sizes, metadata
// versions, default names/uuids, and the read paths' errors.
import { describe, expect, test } from 'vitest';
import type { CreateSpec } from '../../daemon/src/md/types.js';
import { SimFixture, member, opError } from './simdriver-fixture.js';

function setup(sizeMiB = 64) {
  const f = new SimFixture();
  f.addDisks(['vda', 'vdb', 'vdc', 'vdd', 'vde'], sizeMiB);
  return { f, d: f.host() };
}

const RAID1: CreateSpec = { device: 'md0', level: 'raid1', raidDevices: 2, spareDevices: 0, members: ['/dev/vda', '/dev/vdb'] };

describe('create validation', () => {
  const bad: Array<[string, Partial<CreateSpec> | null, string]> = [
    ['null spec', null, 'E_INVALID_ARGUMENT'],
    ['unknown level', { level: 'raid7' as never }, 'E_INVALID_ARGUMENT'],
    ['too few raid devices', { raidDevices: 1, members: ['/dev/vda'] }, 'E_INVALID_ARGUMENT'],
    ['member count mismatch', { members: ['/dev/vda'] }, 'E_INVALID_ARGUMENT'],
    ['missing as a spare', { spareDevices: 1, members: ['/dev/vda', '/dev/vdb', 'missing'] }, 'E_INVALID_ARGUMENT'],
    ['device listed twice', { members: ['/dev/vda', '/dev/vda'] }, 'E_INVALID_ARGUMENT'],
    ['relative path', { members: ['/dev/vda', '../vdb'] }, 'E_INVALID_ARGUMENT'],
    ['non-string member', { members: ['/dev/vda', 7 as never] }, 'E_INVALID_ARGUMENT'],
    ['unknown device', { members: ['/dev/vda', '/dev/nope'] }, 'E_NO_SUCH_DEVICE'],
    ['bad device name', { device: 'sda' }, 'E_INVALID_ARGUMENT'],
    ['metadata 0.90 not modelled', { metadata: '0.90' }, 'E_NOT_SUPPORTED'],
    ['bad metadata', { metadata: '2.0' }, 'E_INVALID_ARGUMENT'],
    ['size larger than the devices', { sizeKiB: 1 << 20 }, 'E_INVALID_ARGUMENT'],
    ['bitmap on raid0', { level: 'raid0', bitmap: 'internal' }, 'E_INVALID_ARGUMENT'],
    ['bad chunk', { level: 'raid0', chunkKiB: 3 }, 'E_INVALID_ARGUMENT'],
    ['bad raid10 layout', { level: 'raid10', layout: 'x9' }, 'E_INVALID_ARGUMENT'],
    ['bad uuid', { uuid: 'not-a-uuid' }, 'E_INVALID_ARGUMENT'],
    ['bad name', { name: 'has space' }, 'E_INVALID_ARGUMENT'],
    ['all mirrors missing', { members: ['missing', 'missing'] }, 'E_INVALID_ARGUMENT'],
  ];
  for (const [what, patch, code] of bad) {
    test(`${what} -> ${code}, nothing written`, async () => {
      const { d } = setup();
      const spec = patch === null ? null : { ...RAID1, ...patch };
      expect((await opError(d.create(spec as CreateSpec))).code).toBe(code);
      expect(await d.listArrays()).toEqual([]);
      expect((await opError(d.readSuperblock('/dev/vda'))).code).toBe('E_NO_SUPERBLOCK');
    });
  }

  test('an existing array or a busy member is refused', async () => {
    const { d } = setup();
    await d.create(RAID1);
    expect((await opError(d.create(RAID1))).code).toBe('E_ARRAY_EXISTS');
    expect((await opError(d.create({ ...RAID1, device: 'md1' }))).code).toBe('E_DEVICE_BUSY');
  });
});

describe('create results', () => {
  test('given uuid and name are used; default name is <host>:<N>; uuid in colon form', async () => {
    const { d } = setup();
    await d.create({ ...RAID1, uuid: 'AABBCCDD-0011-2233-4455-66778899AABB', name: 'data', assumeClean: true });
    await d.create({ ...RAID1, device: '/dev/md12', members: ['/dev/vdc', '/dev/vdd'] });
    const a = await d.readArray('md0');
    expect([a.uuid, a.name, a.syncAction, a.resyncStartSectors]).toEqual(['aabbccdd:00112233:44556677:8899aabb', 'labhost:data', 'idle', null]);
    expect((await d.readArray('/dev/md12')).name).toBe('labhost:12');
    expect(await d.listArrays()).toEqual(['md12', 'md0']);
  });

  test('metadata 1.0 and 1.1 place the superblock and data like mdadm', async () => {
    const { d } = setup();
    await d.create({ ...RAID1, metadata: '1.0', bitmap: 'internal', assumeClean: true });
    await d.create({ ...RAID1, device: 'md1', metadata: '1.1', members: ['/dev/vdc', '/dev/vdd'], assumeClean: true });
    const v10 = await d.readSuperblock('/dev/vda');
    const v11 = await d.readSuperblock('/dev/vdc');
    expect([v10.minorVersion, v10.superOffsetSectors, v10.dataOffsetSectors, (await d.readArray('md0')).componentSizeKiB]).toEqual([0, 131056, 0, 65472]);
    expect([v11.minorVersion, v11.superOffsetSectors, v11.dataOffsetSectors]).toEqual([1, 0, 2048]);
    expect((await d.readArray('md1')).metadataVersion).toBe('1.1');
  });

  test('a degraded create with "missing" recovers onto a spare', async () => {
    const { d } = setup();
    await d.create({ ...RAID1, spareDevices: 1, members: ['/dev/vda', 'missing', '/dev/vdc'] });
    const a = await d.readArray('md0');
    expect([a.degraded, a.syncAction, member(a, '/dev/vdc').slot, member(a, '/dev/vdc').descNumber]).toEqual([1, 'recover', 1, 2]);
  });

  test('raid5 is built degraded and recovers onto the last device (desc raid_disks); raid10 far layout', async () => {
    const { d } = setup();
    await d.create({ device: 'md0', level: 'raid5', raidDevices: 4, spareDevices: 1, chunkKiB: 64, layout: 'left-asymmetric', members: ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd', '/dev/vde'] });
    const a = await d.readArray('md0');
    expect([a.layout, a.degraded, a.syncAction, member(a, '/dev/vdd').descNumber, member(a, '/dev/vdd').slot, member(a, '/dev/vde').descNumber]).toEqual([0, 1, 'recover', 4, 3, 5]);
    const g = setup();
    await g.d.create({ device: 'md0', level: 'raid10', raidDevices: 4, spareDevices: 0, layout: 'f2', chunkKiB: 64, members: ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'] });
    const r = await g.d.readArray('md0');
    expect([r.layout, r.arraySizeKiB]).toEqual([513, 129024]);
  });

  test('large members get an internal bitmap and a 128 MiB data offset automatically', async () => {
    const { d } = setup(200 * 1024);
    await d.create({ ...RAID1, assumeClean: true });
    const a = await d.readArray('md0');
    expect([a.consistencyPolicy, a.bitmap?.chunkKiB, a.members[0].dataOffsetSectors]).toEqual(['bitmap', 65536, 264192]);
  });

  test('read paths: unknown array, unknown device, no superblock; run is a no-op on a running array', async () => {
    const { d } = setup();
    expect((await opError(d.readArray('md3'))).code).toBe('E_NO_SUCH_ARRAY');
    expect((await opError(d.readArray('garbage'))).code).toBe('E_NO_SUCH_ARRAY');
    expect((await opError(d.run('md3'))).code).toBe('E_NO_SUCH_ARRAY');
    expect((await opError(d.readSuperblock('/dev/zzz'))).code).toBe('E_NO_SUCH_DEVICE');
    expect((await opError(d.readSuperblock('relative'))).code).toBe('E_NO_SUCH_DEVICE');
    await d.create(RAID1);
    await d.run('md0');
    const sb = await d.readSuperblock('/dev/vdb');
    expect([sb.devNumber, sb.devRoles, sb.events, sb.level, sb.raidDisks, sb.checksumValid]).toEqual([1, [0, 1], 1, 1, 2, true]);
  });
});
