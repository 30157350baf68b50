// Golden tests of the 0.90 superblock path against every 0.90 record real mdadm 4.2 printed in
// the kernel captures (cases 82, 84): each record is encoded back into the 4096 bytes md wrote
// (mdp_superblock_s: every printed field, plus what the kernel's super_90_sync sets that mdadm
// does not print: cp_events = events and recovery_cp = MaxSector on a clean array, removed
// slots as faulty+removed), then parsed by native/src/superblock090-format.ts and rendered by
// mdctl/src/examine-format-090.ts. The stored checksum comes from the record; the parser's own
// checksum must agree with it ("- correct"), and the output must equal the record byte for
// byte. The device names in the table come from the virtio numbering (254:16*i = /dev/vd<i>),
// the daemon's job in real use.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readSuperblock090 } from '../../native/src/superblock.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeSb090Csum, parseSuperblock090, SB090_BYTES, superblock090OffsetBytes, W } from '../../native/src/superblock090-format.js';
import { encode, records } from './sb090-encode.js';
import { renderExamine090 } from '../../mdctl/src/examine-format-090.js';
import { SAMPLES_DIR } from './native-samples.js';

const CASES = ['82-raid1-meta-0.90-recovery-midway', '84-raid5-meta-0.90-4disk-spare'];
/** virtio-blk names: 254:(16 * i) is /dev/vd<a + i> (the samples' README). */
const virtioPath = (major: number, minor: number): string | null =>
  major === 254 && minor % 16 === 0 ? `/dev/vd${String.fromCharCode(97 + minor / 16)}` : null;

describe('0.90 superblocks: parse and mdctl --examine against mdadm 4.2 (cases 82, 84)', () => {
  let count = 0;
  for (const c of CASES) {
    it(`${c}: every 0.90 record byte for byte, checksum computed as md did`, () => {
      const recs = records(readFileSync(join(SAMPLES_DIR, c, 'examine.txt'), 'utf8')).filter((r) => r.fields.get('Version') === '0.90.00');
      expect(recs.length).toBeGreaterThanOrEqual(2);
      for (const r of recs) {
        const parsed = parseSuperblock090(encode(r));
        if (!parsed.ok) throw new Error(parsed.reason);
        const sb = parsed.sb;
        expect(sb.computedCsum, `${r.device} checksum`).toBe(sb.storedCsum);
        for (const d of [sb.thisDisk, ...sb.disks]) d.devPath = virtioPath(d.major, d.minor);
        expect(renderExamine090(r.device, sb, { homehost: 'labhost' })).toBe(r.text);
        count++;
      }
    });
  }
  it('covered all seven records', () => { expect(count).toBe(7); });
});

describe('0.90 format facts', () => {
  it('sits in the last 64 KiB-aligned 64 KiB: 130944 sectors on a 64 MiB disk (case 82 sync total)', () => {
    expect(superblock090OffsetBytes(131072)).toBe(130944 * 512);
    expect(superblock090OffsetBytes(131072 + 100)).toBe(130944 * 512);
    expect(superblock090OffsetBytes(127)).toBeNull();
  });
  it('events are hi << 32 | lo; the checksum folds the 64-bit sum once; a wrong one says what was expected', () => {
    const r = records(readFileSync(join(SAMPLES_DIR, CASES[0], 'examine.txt'), 'utf8'))[0];
    const buf = encode(r);
    buf.writeUInt32LE(3, W.eventsHi * 4);
    buf.writeUInt32LE(0xffffffff, 100 * 4);
    const p = parseSuperblock090(buf);
    if (!p.ok) throw new Error(p.reason);
    expect(p.sb.events).toBe(3 * 2 ** 32 + 24);
    expect(p.sb.computedCsum).toBe(computeSb090Csum(buf));
    expect(p.sb.computedCsum).not.toBe(p.sb.storedCsum);
    expect(renderExamine090('/dev/x', p.sb)).toMatch(/Checksum : f13a7ff6 - expected [0-9a-f]+\n/);
    expect(renderExamine090('/dev/x', p.sb)).not.toContain('local to host');
  });
  it('refuses a block without the magic, a big-endian one and a v1 major', () => {
    const buf = Buffer.alloc(SB090_BYTES);
    expect(parseSuperblock090(buf)).toEqual({ ok: false, reason: 'no md magic' });
    buf.writeUInt32BE(0xa92b4efc, 0);
    expect(parseSuperblock090(buf)).toEqual({ ok: false, reason: 'big-endian 0.90 superblock' });
    buf.writeUInt32LE(0xa92b4efc, 0);
    buf.writeUInt32LE(1, 4);
    expect(parseSuperblock090(buf)).toEqual({ ok: false, reason: 'major_version 1' });
    expect(parseSuperblock090(Buffer.alloc(100))).toMatchObject({ ok: false });
  });
});

describe('readSuperblock090 over an image file', () => {
  it('finds the superblock at the end of a 64 MiB image (O_DIRECT or buffered) and refuses a 32 KiB one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-sb090-'));
    try {
      const r = records(readFileSync(join(SAMPLES_DIR, CASES[0], 'examine.txt'), 'utf8'))[0];
      const img = join(dir, 'disk.img');
      const fd = openSync(img, 'w');
      ftruncateSync(fd, 64 * 1024 * 1024);
      writeSync(fd, encode(r), 0, SB090_BYTES, 130944 * 512);
      closeSync(fd);
      const sb = await readSuperblock090(img);
      expect(sb).toMatchObject({ events: 24, setUuid: '04a82341:a4346a5a:846a1300:44c36726', raidDisks: 2, level: 1 });
      expect(sb.computedCsum).toBe(sb.storedCsum);
      const small = join(dir, 'small.img');
      const fd2 = openSync(small, 'w');
      ftruncateSync(fd2, 32 * 1024);
      closeSync(fd2);
      await expect(readSuperblock090(small)).rejects.toMatchObject({ code: 'E_NO_SUPERBLOCK' });
      await expect(readSuperblock090(join(dir, 'none'))).rejects.toMatchObject({ code: 'E_NO_SUCH_DEVICE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
