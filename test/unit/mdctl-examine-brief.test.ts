// `mdctl --examine --brief/--scan` and the mdadm.conf it reads: raw v1.x superblock bytes in
// (parsed by native/src/superblock-format.ts), mdadm 4.2's exact ARRAY lines out
// (brief_examine_super1 and Examine's grouping), and mdadm.conf ARRAY/DEVICE parsing.
import { describe, expect, it } from 'vitest';
import { parseSuperblockV1, SB } from '../../native/src/superblock-format.js';
import type { SuperblockInfo } from '../../daemon/src/md/types.js';
import { renderExamineBrief } from '../../mdctl/src/examine-brief.js';
import { renderExamine } from '../../mdctl/src/examine-format.js';
import { candidateDevices, parseMdadmConf, partitionDevices } from '../../mdctl/src/mdadm-conf.js';

const UUID_BYTES = Buffer.from('93a5f50569825d0d413c4afa010d8c59', 'hex');
const UUID_TEXT = '93a5f505:69825d0d:413c4afa:010d8c59';

/** A v1.2 superblock (at sector 8 of a 64 MiB device) as md writes it: level, name, roles. */
function rawSb(o: { level: number; name: string; raidDisks: number; devNumber: number; roles: number[]; uuid?: Buffer }): Buffer {
  const b = Buffer.alloc(4096);
  b.writeUInt32LE(0xa92b4efc, SB.magic);
  b.writeUInt32LE(1, SB.majorVersion);
  (o.uuid ?? UUID_BYTES).copy(b, SB.setUuid);
  b.write(o.name, SB.setName, 'utf8');
  b.writeInt32LE(o.level, SB.level);
  b.writeBigUInt64LE(129024n, SB.size);
  b.writeUInt32LE(o.level === 1 ? 0 : 1024, SB.chunksize);
  b.writeUInt32LE(o.raidDisks, SB.raidDisks);
  b.writeBigUInt64LE(2048n, SB.dataOffset);
  b.writeBigUInt64LE(129024n, SB.dataSize);
  b.writeBigUInt64LE(8n, SB.superOffset);
  b.writeUInt32LE(o.devNumber, SB.devNumber);
  b.writeBigUInt64LE(3n, SB.events);
  b.writeUInt32LE(o.roles.length, SB.maxDev);
  o.roles.forEach((r, i) => b.writeUInt16LE(r, SB.devRoles + 2 * i));
  return b;
}

function sb(o: Parameters<typeof rawSb>[0]): SuperblockInfo {
  const r = parseSuperblockV1(rawSb(o), 2, 8);
  if (!r.ok) throw new Error(r.reason);
  return r.sb;
}

describe('--examine --brief (mdadm 4.2 brief_examine_super1)', () => {
  const a = sb({ level: 1, name: 'labhost:0', raidDisks: 2, devNumber: 0, roles: [0, 1, 0xffff] });
  const b = sb({ level: 1, name: 'labhost:0', raidDisks: 2, devNumber: 1, roles: [0, 1, 0xffff] });
  const c = sb({ level: 1, name: 'labhost:0', raidDisks: 2, devNumber: 2, roles: [0, 1, 0xffff] });
  it('one line per array: the name after the host, two spaces before metadata=', () => {
    expect(renderExamineBrief([{ path: '/dev/vda', sb: a }, { path: '/dev/vdb', sb: b }]))
      .toBe(`ARRAY /dev/md/0  metadata=1.2 UUID=${UUID_TEXT} name=labhost:0\n`);
  });
  it('counts spares on a second line', () => {
    expect(renderExamineBrief([{ path: '/dev/vda', sb: a }, { path: '/dev/vdb', sb: b }, { path: '/dev/vdc', sb: c }]))
      .toBe(`ARRAY /dev/md/0  metadata=1.2 UUID=${UUID_TEXT} name=labhost:0\n   spares=1\n`);
  });
  it('--verbose adds level=, num-devices= and the devices in the order examined', () => {
    expect(renderExamineBrief([{ path: '/dev/vda', sb: a }, { path: '/dev/vdb', sb: b }], { verbose: true }))
      .toBe(`ARRAY /dev/md/0  level=raid1 metadata=1.2 num-devices=2 UUID=${UUID_TEXT} name=labhost:0\n   devices=/dev/vda,/dev/vdb\n`);
  });
  it('the array seen last comes first (mdadm prepends each new array); a name without host is used whole', () => {
    const other = sb({ level: 5, name: 'data', raidDisks: 3, devNumber: 0, roles: [0, 1, 2], uuid: Buffer.alloc(16, 0x11) });
    expect(renderExamineBrief([{ path: '/dev/vda', sb: a }, { path: '/dev/vdd', sb: other }]))
      .toBe(`ARRAY /dev/md/data  metadata=1.2 UUID=11111111:11111111:11111111:11111111 name=data\nARRAY /dev/md/0  metadata=1.2 UUID=${UUID_TEXT} name=labhost:0\n`);
  });
});

describe('mdadm.conf for --scan', () => {
  it('reads ARRAY lines (continuations, comments, uuid forms) and DEVICE words', () => {
    const conf = parseMdadmConf([
      '# comment', 'DEVICE /dev/vd* /dev/extra', 'ARRAY /dev/md0 metadata=1.2 UUID=93a5f505:69825d0d:413c4afa:010d8c59',
      '   name=labhost:0 devices=/dev/vda,/dev/vdb', 'ARRAY <ignore> UUID=11111111:11111111:11111111:11111111', 'MAILADDR root',
    ].join('\n'));
    expect(conf.devices).toEqual(['/dev/vd*', '/dev/extra']);
    expect(conf.arrays).toEqual([{ device: '/dev/md0', uuid: UUID_TEXT, name: 'labhost:0', devices: ['/dev/vda', '/dev/vdb'], spares: null }]);
  });
  it('lists candidate devices from /proc/partitions last first (as mdadm examines them), md arrays left out, globs matched', () => {
    const parts = 'major minor  #blocks  name\n\n 254        0      65536 vda\n 254       16      65536 vdb\n   9        0      64512 md0\n   8        0     100000 sda\n';
    expect(partitionDevices(parts)).toEqual(['/dev/vda', '/dev/vdb', '/dev/sda']);
    expect(candidateDevices(parseMdadmConf(''), parts)).toEqual(['/dev/sda', '/dev/vdb', '/dev/vda']);
    expect(candidateDevices(parseMdadmConf('DEVICE /dev/vd* /dev/extra'), parts)).toEqual(['/dev/vda', '/dev/vdb', '/dev/extra']);
  });
});

describe('--examine of raid0 over unequal members (feature 0x1000, md_p.h MD_FEATURE_RAID0_LAYOUT)', () => {
  const raid0 = (feature: number, layout: number): SuperblockInfo => {
    const b = rawSb({ level: 0, name: 'labhost:0', raidDisks: 2, devNumber: 0, roles: [0, 1] });
    b.writeUInt32LE(feature, SB.featureMap);
    b.writeUInt32LE(layout, SB.layout);
    const r = parseSuperblockV1(b, 2, 8);
    if (!r.ok) throw new Error(r.reason);
    return r.sb;
  };
  it('prints mdadm\'s "Layout : original" before the chunk size', () => {
    const text = renderExamine('/dev/vda', raid0(0x1000, 1), { homehost: 'labhost' });
    expect(text).toContain('         Layout : original\n     Chunk Size : 512K\n');
    expect(renderExamine('/dev/vda', raid0(0x1000, 2), {})).toContain('         Layout : alternate\n');
  });
  it('prints no raid0 layout without the feature bit (members of equal size)', () => {
    expect(renderExamine('/dev/vda', raid0(0, 1), {})).not.toContain('Layout :');
  });
});
