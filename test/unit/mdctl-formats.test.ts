// Unit tests of mdctl's --query lines (mdadm's human_size_brief and wording), the mdadm.conf
// spares= reader behind SparesMissing, and the kernel lane's mdadm-vs-mdctl normalisation
// (what may differ between two arrays' outputs, and that nothing else may).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSparesExpectations } from '../../mdctl/src/monitor-conf.js';
import { humanSizeBrief, queryArrayLine, queryMemberLines, queryNothingLine } from '../../mdctl/src/query-format.js';
import { normalizeExamine, normalizeQuery, scanLineFor } from '../kernel/mdctl/compare-misc.js';
import { compareDetail, compareExport, IDENTITY, splitClusterSection } from '../kernel/mdctl/normalize.js';
import { B_NAMES, STEPS, stepForB, toB } from '../kernel/mdctl/steps.js';

const SAMPLE = '/work/shared/kernel-samples/01-raid1-clean';

describe('--query', () => {
  it('human_size_brief: IEC, two decimals rounded half up, nothing below 5000 KiB', () => {
    expect(humanSizeBrief(64512 * 1024)).toBe('63.00MiB');
    expect(humanSizeBrief(4999 * 1024)).toBe('');
    expect(humanSizeBrief(5000 * 1024)).toBe('4.88MiB');
    expect(humanSizeBrief(2n * 1024n ** 3n)).toBe('2.00GiB');
    expect(humanSizeBrief(3n * 1024n ** 4n)).toBe('3.00TiB');
  });
  it('array and component lines as mdadm prints them', () => {
    expect(queryArrayLine({ device: '/dev/md1', arraySizeKiB: 64512, level: 'raid1', raidDisks: 2, spares: 1, tool: 'mdadm' }))
      .toBe('/dev/md1: 63.00MiB raid1 2 devices, 1 spare. Use mdadm --detail for more detail.\n');
    expect(queryArrayLine({ device: '/dev/md1', arraySizeKiB: 64512, level: 'raid1', raidDisks: 2, spares: 0, tool: 'mdctl' })).toContain(' 0 spares. Use mdctl');
    expect(queryMemberLines({ device: '/dev/vdd', devNumber: 0, raidDisks: 2, level: 'raid1', activity: 'active', arrayPath: '/dev/md1', tool: 'mdadm' }))
      .toBe('/dev/vdd: is not an md array\n/dev/vdd: device 0 in 2 device active raid1 /dev/md1.  Use mdadm --examine for more detail.\n');
    expect(queryMemberLines({ device: '/dev/vdd', devNumber: 3, raidDisks: 2, level: 'raid1', activity: 'inactive', arrayPath: null, tool: 'mdctl' }))
      .toContain('device 3 in 2 device inactive raid1 array.');
    expect(queryNothingLine('/dev/sdz')).toBe('/dev/sdz: is not an md array\n');
  });
});

describe('mdadm.conf spares= for SparesMissing', () => {
  it('reads ARRAY lines with continuation lines and comments; skips lines without spares=', () => {
    const conf = [
      '# comment', 'DEVICE partitions', 'ARRAY /dev/md0 metadata=1.2 spares=2 name=h:0', '   UUID=AAAAAAAA:bbbbbbbb:cccccccc:dddddddd # trailing',
      'ARRAY /dev/md/home UUID=11111111:22222222:33333333:44444444', 'ARRAY UUID=55555555:66666666:77777777:88888888 spares=1', 'ARRAY spares=x /dev/md9',
    ].join('\n');
    expect(parseSparesExpectations(conf)).toEqual([
      { device: '/dev/md0', uuid: 'aaaaaaaa:bbbbbbbb:cccccccc:dddddddd', spares: 2 },
      { device: null, uuid: '55555555:66666666:77777777:88888888', spares: 1 },
    ]);
  });
});

describe('kernel lane normalisation (mdadm on A vs mdctl on B)', () => {
  const detailA = readFileSync(`${SAMPLE}/detail.txt`, 'utf8');
  /** A's detail as array B would print it: other names, UUID, times, events, minors. */
  const asB = (t: string) => t.replace('/dev/md0:', '/dev/md1:').replace(/vda/g, 'vdd').replace(/vdb/g, 'vde')
    .replace(/labhost:0/, 'labhost:1').replace(/UUID : \S+/, 'UUID : 01234567:89abcdef:01234567:89abcdef').replace(/Events : \d+/, 'Events : 0')
    .replace(/(Creation|Update) Time : .*/g, '$1 Time : Sun Nov 22 00:00:00 2026').replace(/ {5}254 {8}0 /, '     254       48 ').replace(/ {5}254 {7}16 /, '     254       64 ');
  const cluster = '\n   Cluster : mdclusterd\n    Master : node1 (term 2)\nNode Views : node1=writable\nCheckpoint : idle\n';

  it('equal after renaming and masking, with the Cluster section after mdadm\'s fields', () => {
    const b = asB(detailA) + cluster;
    expect(b).not.toBe(detailA);
    expect(compareDetail(detailA, b, IDENTITY, B_NAMES)).toEqual({ equal: true, diff: '' });
    expect(splitClusterSection(b).cluster).toBe(cluster.slice(1));
  });
  it('any other difference is reported: a State word, a missing line, a slot, a Cluster section in the middle', () => {
    const b = asB(detailA);
    for (const broken of [
      b.replace('State : clean ', 'State : active '), b.replace(/Consistency Policy : resync\n/, ''), b.replace(/(active sync {3}\/dev\/vde)/, '$1x'),
      b.replace('Raid Devices : 2', 'Raid Devices : 3'), b.replace('\n\n', `\n${cluster}\n`),
    ]) {
      const c = compareDetail(detailA, broken, IDENTITY, B_NAMES);
      expect(c.equal, broken).toBe(false);
      expect(c.diff).toContain('first difference at line');
    }
  });
  it('export: member keys renamed and sorted; UUID and name masked; roles compared', () => {
    const exportA = readFileSync(`${SAMPLE}/export.txt`, 'utf8');
    const b = 'MD_LEVEL=raid1\nMD_DEVICES=2\nMD_METADATA=1.2\nMD_UUID=01234567:89abcdef:01234567:89abcdef\nMD_NAME=labhost:1\n' +
      'MD_DEVICE_dev_vde_ROLE=1\nMD_DEVICE_dev_vde_DEV=/dev/vde\nMD_DEVICE_dev_vdd_ROLE=0\nMD_DEVICE_dev_vdd_DEV=/dev/vdd\n';
    expect(compareExport(exportA, b, IDENTITY, B_NAMES).equal).toBe(true);
    expect(compareExport(exportA, b.replace('vde_ROLE=1', 'vde_ROLE=spare'), IDENTITY, B_NAMES).equal).toBe(false);
    expect(compareExport(exportA, b.replace('MD_LEVEL=raid1\n', ''), IDENTITY, B_NAMES).equal).toBe(false);
  });
  it('scan line, examine and query of the same array: only the stated fields may differ', () => {
    const scan = 'ARRAY /dev/md0 metadata=1.2 name=g:0 UUID=a\nARRAY /dev/md1 metadata=1.2 spares=1 name=g:1 UUID=b\n   devices=/dev/vdd,/dev/vde\n';
    expect(scanLineFor(scan, '/dev/md1')).toBe('ARRAY /dev/md1 metadata=1.2 spares=1 name=g:1 UUID=b\n   devices=/dev/vdd,/dev/vde\n');
    expect(scanLineFor(scan, '/dev/md2')).toBe('');
    const ex = readFileSync(`${SAMPLE}/examine.txt`, 'utf8');
    expect(normalizeExamine(ex.replace(/Events : 17/g, 'Events : 18'))).toBe(normalizeExamine(ex));
    expect(normalizeExamine(ex.replace('State : clean', 'State : active'))).not.toBe(normalizeExamine(ex));
    expect(normalizeQuery('x. Use mdctl --examine for more detail.\n')).toBe(normalizeQuery('x. Use mdadm --examine for more detail.\n'));
  });
  it('B\'s steps are A\'s renamed, word by word', () => {
    expect(toB('/dev/md0')).toBe('/dev/md1');
    expect(toB('vdc')).toBe('vdf');
    expect(toB('failed')).toBe('failed');
    const create = stepForB(STEPS[0]);
    expect(create.argv).toContain('/dev/vdd');
    expect(create.argv).not.toContain('/dev/vda');
    expect(create.expect.members).toEqual({ vdd: 'in_sync', vde: 'in_sync', vdf: 'spare' });
  });
});

describe('--assemble notice', () => {
  it('counts drives and spares from the members\' own roles, as mdadm does', async () => {
    const { startedNotice } = await import('../../mdctl/src/assemble.js');
    const roles = [0, 1, 0xffff];
    expect(startedNotice('md0', [0, 1, 2].map((n) => ({ raidDisks: 2, devNumber: n, devRoles: roles })))).toBe('/dev/md0 has been started with 2 drives and 1 spare.');
    expect(startedNotice('md0', [{ raidDisks: 2, devNumber: 0, devRoles: roles }])).toBe('/dev/md0 has been started with 1 drive (out of 2).');
  });
});
