// Golden and unit tests for /proc/mdstat parse/render (daemon/src/md/format/mdstat-*.ts).
// Every real capture under /work/shared/kernel-samples must parse and render back to the same
// bytes, and parse to the right values; kernel forms not present in the captures (file bitmap,
// sub-KiB bitmap chunk, unused devices, REMOTE, devices per set, an array without disks, an
// unknown personality) are checked the same way; non-kernel text is refused with
// E_BAD_FORMAT (or E_TOO_LARGE), never a throw.
import { describe, expect, it } from 'vitest';
import { parseMdstat, renderMdstat, type MdstatArray, type MdstatDoc } from '../../daemon/src/md/format/mdstat.js';
import { MD_FORMAT_MAX_TEXT_BYTES } from '../../daemon/src/common/limits.js';
import { listSampleCases, readSampleFile } from './format-sample-loader.js';

const cases = listSampleCases();

function mustParse(text: string): MdstatDoc {
  const r = parseMdstat(text);
  if (!r.ok) throw new Error(`parse failed: ${r.error.message}`);
  return r.value;
}

function sampleArray(c: string, device: string): MdstatArray {
  const a = mustParse(readSampleFile(cases.find((n) => n.startsWith(c))!, 'mdstat.txt')).arrays.find((x) => x.device === device);
  if (!a) throw new Error(`${c}: no ${device}`);
  return a;
}

function refusal(text: unknown): { code: string; line: unknown } {
  const r = parseMdstat(text);
  if (r.ok) throw new Error('expected a refusal');
  return { code: r.error.code, line: r.error.details.line };
}

describe('mdstat golden round trip (real Linux 6.1 captures)', () => {
  it('has all the captured cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(61);
  });
  for (const c of cases) {
    it(`${c}: parse then render gives mdstat.txt back byte for byte`, () => {
      const text = readSampleFile(c, 'mdstat.txt');
      const doc = mustParse(text);
      expect(renderMdstat(doc)).toBe(text);
      for (const a of doc.arrays) expect(a.status?.kind).not.toBe('raw');
    });
  }
});

describe('mdstat parsed values', () => {
  it('reads members, markers and the replacement recovery (case 16)', () => {
    const a = sampleArray('16-', 'md0');
    expect(a.active).toBe(true);
    expect(a.personality).toBe('raid1');
    expect(a.members.map((m) => [m.name, m.descNumber, m.replacement])).toEqual([['vdc', 2, true], ['vdb', 1, false], ['vda', 0, false]]);
    expect(a.blocksKiB).toBe(64512);
    expect(a.superblock).toBe('1.2');
    expect(a.status).toEqual({ kind: 'mirror', disks: { raidDisks: 2, workingDisks: 2, slotsUp: [true, true] } });
    expect(a.sync).toEqual({ kind: 'progress', action: 'recovery', perMille: 188, doneKiB: 12416, totalKiB: 64512, finishTenthsMin: 4, speedKiBps: 1773 });
  });
  it('reads write-mostly faulty and spare markers (cases 72, 73)', () => {
    expect(sampleArray('72-', 'md0').members[0]).toMatchObject({ name: 'vdd', writeMostly: true, faulty: true, spare: false });
    expect(sampleArray('73-', 'md0').members[0]).toMatchObject({ name: 'vdd', writeMostly: true, faulty: false, spare: true });
  });
  it('reads large counts exactly (case 69) and the bitmap line', () => {
    const a = sampleArray('69-', 'md0');
    expect(a.blocksKiB).toBe(4294703104);
    expect(a.status).toMatchObject({ kind: 'raid10', chunkKiB: 512, nearCopies: null, farCopies: 2, farOffset: false });
    expect(a.sync).toMatchObject({ perMille: 0, doneKiB: 10368, totalKiB: 2147351552, finishTenthsMin: 103396, speedKiBps: 3456 });
    expect(a.bitmap).toEqual({ pagesUsed: 32, pagesTotal: 32, pagesKiB: 128, chunk: 65536, chunkUnit: 'KB', file: null });
  });
  it('reads DELAYED/PENDING waits and read-only states', () => {
    expect(sampleArray('61-', 'md2').sync).toEqual({ kind: 'waiting', word: 'resync', state: 'DELAYED' });
    const pending = sampleArray('21-', 'md0');
    expect(pending.readOnly).toBe('auto-read-only');
    expect(pending.sync).toEqual({ kind: 'waiting', word: 'resync', state: 'PENDING' });
    expect(sampleArray('13-', 'md0').readOnly).toBe('read-only');
  });
  it('reads inactive arrays, external metadata and 0.90 (no super token)', () => {
    const c = sampleArray('63-', 'md127');
    expect(c).toMatchObject({ active: false, personality: null, status: null, sync: null, blocksKiB: 65536, superblock: 'external:ddf' });
    expect(c.members.every((m) => m.spare)).toBe(true);
    expect(sampleArray('63-', 'md126').superblock).toBe('external:/md127/0');
    expect(sampleArray('84-', 'md0').superblock).toBeNull();
    expect(sampleArray('28-', 'md0').superblock).toBe('non-persistent');
  });
  it('reads the personality status of every level', () => {
    expect(sampleArray('55-', 'md0').status).toEqual({ kind: 'raid0', chunkKiB: 512 });
    expect(sampleArray('57-', 'md0').status).toEqual({ kind: 'linear', roundingKiB: 0 });
    expect(sampleArray('33-', 'md0').status).toEqual({
      kind: 'raid456', level: 5, chunkKiB: 32, algorithm: 4, disks: { raidDisks: 4, workingDisks: 3, slotsUp: [true, true, false, true] },
    });
    expect(sampleArray('54-', 'md0').status).toMatchObject({ kind: 'raid10', chunkKiB: null, nearCopies: 3, farCopies: null });
    expect(sampleArray('90-', 'md0').status).toMatchObject({ kind: 'raid10', chunkKiB: 64, nearCopies: null, farCopies: 2, farOffset: true });
  });
  it('reads an empty document (case 85: every array stopped)', () => {
    expect(mustParse(readSampleFile(cases.find((n) => n.startsWith('85-'))!, 'mdstat.txt'))).toEqual({
      personalities: ['raid10'], arrays: [], unusedDevices: [],
    });
  });
});

/** Forms md.c can print that no capture shows. */
const HAND_MADE: Record<string, string> = {
  'file bitmap, sub-KiB chunk, unused devices':
    'Personalities : [raid1] \nmd0 : active raid1 sdb1[1] sda1[0]\n      1048512 blocks super 1.2 [2/2] [UU]\n' +
    '      bitmap: 0/8 pages [0KB], 512B chunk, file: /var/lib/md\\040bitmap\n\nunused devices: sdc sdd \n',
  'remote recovery of a clustered array':
    'Personalities : [raid1] \nmd0 : active raid1 sdb[1] sda[0]\n      1048512 blocks super 1.2 [2/1] [U_]\n' +
    '      \trecover=REMOTE\n      bitmap: 1/1 pages [4KB], 65536KB chunk\n\nunused devices: <none>\n',
  'raid10 far sets':
    'Personalities : [raid10] \nmd3 : active raid10 sdd[3] sdc[2] sdb[1] sda[0]\n' +
    '      2095104 blocks super 1.2 512K chunks 2 far-copies 2 devices per set [4/4] [UUUU]\n      \nunused devices: <none>\n',
  'array with raid_disks but no member':
    'Personalities : \nmd5 : inactive super 1.2\n       \nunused devices: <none>\n',
  'unknown personality kept verbatim':
    'Personalities : [faulty] \nmd9 : active faulty sda[0]\n      1024 blocks super 1.2 WriteTransient=3(0)\n      \nunused devices: <none>\n',
  'every marker and a reshape at 99.9%':
    'Personalities : [raid6] [raid5] [raid4] \nmd1 : active (read-only) raid6 sde[4](W)(J) sdd[3](R) sdc[2](W)(F) sdb[1](S)(R) sda[0]\n' +
    '      3072 blocks super 1.0 level 6, 4k chunk, algorithm 18 [5/4] [UU_UU]\n' +
    '      [===================>.]  reshape = 99.9% (1023/1024) finish=1000000.9min speed=0K/sec\n      \nunused devices: <none>\n',
};

describe('mdstat kernel forms absent from the captures', () => {
  for (const [what, text] of Object.entries(HAND_MADE)) {
    it(`${what}: round trips`, () => {
      expect(renderMdstat(mustParse(text))).toBe(text);
    });
  }
  it('reads the bitmap file, B unit and unused devices', () => {
    const doc = mustParse(HAND_MADE['file bitmap, sub-KiB chunk, unused devices']);
    expect(doc.arrays[0].bitmap).toEqual({ pagesUsed: 0, pagesTotal: 8, pagesKiB: 0, chunk: 512, chunkUnit: 'B', file: '/var/lib/md\\040bitmap' });
    expect(doc.unusedDevices).toEqual(['sdc', 'sdd']);
  });
  it('reads REMOTE, devices per set, a disk-less array and a raw status', () => {
    expect(mustParse(HAND_MADE['remote recovery of a clustered array']).arrays[0].sync).toEqual({ kind: 'waiting', word: 'recover', state: 'REMOTE' });
    expect(mustParse(HAND_MADE['raid10 far sets']).arrays[0].status).toMatchObject({ devicesPerSet: 2, farCopies: 2 });
    expect(mustParse(HAND_MADE['array with raid_disks but no member']).arrays[0]).toMatchObject({ members: [], blocksKiB: null, superblock: '1.2' });
    expect(mustParse(HAND_MADE['unknown personality kept verbatim']).arrays[0].status).toEqual({ kind: 'raw', text: ' WriteTransient=3(0)' });
  });
  it('reads every marker in the kernel order', () => {
    const m = mustParse(HAND_MADE['every marker and a reshape at 99.9%']).arrays[0].members;
    expect(m.map((x) => [x.writeMostly, x.journal, x.faulty, x.spare, x.replacement])).toEqual([
      [true, true, false, false, false], [false, false, false, false, true], [true, false, true, false, false],
      [false, false, false, true, true], [false, false, false, false, false],
    ]);
  });
});

describe('mdstat refusals', () => {
  const good = readSampleFile(cases.find((n) => n.startsWith('16-'))!, 'mdstat.txt');
  it('refuses text without its final newline', () => {
    expect(refusal(good.slice(0, -1)).code).toBe('E_BAD_FORMAT');
  });
  it('refuses a bar that does not match the percentage, with the line number', () => {
    expect(refusal(good.replace('[===>.................]', '[====>................]'))).toEqual({ code: 'E_BAD_FORMAT', line: 2 });
  });
  it('refuses non-canonical numbers and marker order', () => {
    expect(refusal(good.replace('vdb[1]', 'vdb[01]')).code).toBe('E_BAD_FORMAT');
    expect(refusal(good.replace('vdc[2](R)', 'vdc[2](R)(S)')).code).toBe('E_BAD_FORMAT');
    expect(refusal(good.replace('18.8%', '18.80%')).code).toBe('E_BAD_FORMAT');
  });
  it('refuses a missing header, footer or trailing garbage', () => {
    expect(refusal(good.replace('Personalities', 'Personality'))).toEqual({ code: 'E_BAD_FORMAT', line: 1 });
    expect(refusal(good.replace('unused devices: <none>\n', '')).code).toBe('E_BAD_FORMAT');
    expect(refusal(good + 'x\n').code).toBe('E_BAD_FORMAT');
  });
  it('refuses wrong indentation and a missing blank line after the bitmap', () => {
    expect(refusal(good.replace('      64512 blocks', '     64512 blocks')).code).toBe('E_BAD_FORMAT');
    const bm = readSampleFile(cases.find((n) => n.startsWith('10-'))!, 'mdstat.txt');
    expect(refusal(bm.replace('chunk\n\n', 'chunk\n      \n')).code).toBe('E_BAD_FORMAT');
  });
  it('refuses non-strings and oversized text', () => {
    expect(refusal(42).code).toBe('E_BAD_FORMAT');
    expect(refusal(null).code).toBe('E_BAD_FORMAT');
    expect(refusal('x'.repeat(MD_FORMAT_MAX_TEXT_BYTES + 1)).code).toBe('E_TOO_LARGE');
  });
  it('refuses counts beyond the safe integer range', () => {
    expect(refusal(good.replace('64512 blocks', '99999999999999999 blocks')).code).toBe('E_BAD_FORMAT');
  });
  it('refuses a progress over 100%, with the line number (found by npm run fuzz: it threw a RangeError)', () => {
    expect(refusal(good.replace('18.8%', '7792550418274368.0%'))).toEqual({ code: 'E_BAD_FORMAT', line: 4 });
    expect(refusal(good.replace('18.8%', '100.1%'))).toEqual({ code: 'E_BAD_FORMAT', line: 4 });
  });
});
