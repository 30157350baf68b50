// Unit tests of the DDF metadata reader (native/src/ddf-format.ts) and mdadm's GUID text, over
// in-memory images built from case 63's DDF --examine record (test/unit/ddf-encode.ts).
import { describe, expect, it } from 'vitest';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDdfFacts } from '../../native/src/superblock.js';
import { H, ddfCrc, ddfUuid, parseDdfHeader, readDdf, type SectorReader } from '../../native/src/ddf-format.js';
import { formatDdfGuid } from '../../daemon/src/md/format/mdadm-text.js';
import { ddfFactsOfRecord, ddfImage } from './ddf-encode.js';
import { readCaseFile } from './native-samples.js';
import { records } from './sb090-encode.js';

const CASE = '63-ddf-container-mdmon-resync-midway';
const SIZE = 131072n;
const facts = () => ddfFactsOfRecord(records(readCaseFile(CASE, 'examine.txt')!)[0].text);

/** The image with one sector replaced. */
function patched(read: SectorReader, lba: bigint, edit: (b: Buffer) => void): SectorReader {
  return async (at, n) => {
    const buf = await read(at, n);
    if (buf !== null && at <= lba && lba < at + BigInt(n)) edit(buf.subarray(Number(lba - at) * 512, Number(lba - at + 1n) * 512));
    return buf;
  };
}

describe('DDF reader', () => {
  it('reads the container GUID, Seq, virtual disks and the UUIDs mdadm prints (case 63 export.txt)', async () => {
    const r = await readDdf(ddfImage(facts(), SIZE), SIZE);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toEqual({
      containerGuid: '4C696E75782D4D44DEADBEEF0000000058336C3BCA1F126C', seq: 6, virtualDisks: 1,
      containerUuid: 'add6b0fe:70b29a75:7f40f44f:768d2cdf',
      vdUuids: ['186ebbb4:b7f84e66:caa566fb:48a7ac5e', ...Array(14).fill(null)],
    });
  });
  it('refuses a bad anchor CRC, a missing magic and an unknown revision', async () => {
    const good = ddfImage(facts(), SIZE);
    const anchor = SIZE - 1n;
    expect(await readDdf(patched(good, anchor, (b) => b.writeUInt32BE(1, H.seq)), SIZE)).toEqual({ ok: false, reason: 'anchor: bad header CRC' });
    expect(await readDdf(patched(good, anchor, (b) => b.writeUInt32BE(0, H.magic)), SIZE)).toEqual({ ok: false, reason: 'anchor: no DDF header magic' });
    const rev = patched(good, anchor, (b) => { b.write('02.00.00', H.revision, 'latin1'); b.writeUInt32BE(ddfCrc(b), H.crc); });
    expect(await readDdf(rev, SIZE)).toMatchObject({ ok: false, reason: expect.stringContaining('revision') });
    expect(await readDdf(good, 1n)).toEqual({ ok: false, reason: 'device too small' });
  });
  it('a primary header that does not match the anchor leaves no active header', async () => {
    const good = ddfImage(facts(), SIZE);
    const primary = SIZE - 64n;
    const other = patched(good, primary, (b) => { b.writeUInt8(2, H.type); b.writeUInt32BE(ddfCrc(b), H.crc); });
    expect(await readDdf(other, SIZE)).toEqual({ ok: false, reason: 'no valid primary or secondary header' });
  });
  it('an LSI controller gets the pseudo-UUID from header GUID, VD name and index (VD GUIDs change at boot)', async () => {
    const f = facts();
    const lsi = { ...f, controllerGuid: Buffer.concat([Buffer.from('LSI     ', 'latin1'), f.controllerGuid.subarray(8)]) };
    const r = await readDdf(ddfImage(lsi, SIZE), SIZE);
    if (!r.ok) throw new Error(r.reason);
    const buf = Buffer.alloc(42);
    f.containerGuid.copy(buf, 0);
    buf.fill(0xff, 24, 40); // the helper leaves the name field 0xff
    buf.writeUInt16LE(0, 40);
    expect(r.value.vdUuids[0]).toBe(ddfUuid(buf));
    expect(r.value.vdUuids[0]).not.toBe('186ebbb4:b7f84e66:caa566fb:48a7ac5e');
  });
  it('parseDdfHeader checks magic before CRC', () => {
    expect(parseDdfHeader(Buffer.alloc(512))).toEqual({ ok: false, reason: 'no DDF header magic' });
    expect(parseDdfHeader(Buffer.alloc(10))).toEqual({ ok: false, reason: 'short block' });
  });
});

describe("mdadm's GUID text", () => {
  it('hex in groups of four, then the ASCII prefix and the 1980-based time stamp', () => {
    const guid = '4C696E75782D4D44DEADBEEF0000000058336C3BCA1F126C';
    expect(formatDdfGuid(guid)).toBe('4C696E75:782D4D44:DEADBEEF:00000000:58336C3B:CA1F126C\n                  (Linux-MD 11/21/26 21:50:51)');
    expect(formatDdfGuid(guid, 'Europe/Paris')).toContain('(Linux-MD 11/21/26 22:50:51)');
    // The controller GUID: trailing spaces dropped, ASCII stops at the first binary byte.
    expect(formatDdfGuid('4C696E75782D4D442020202020202020206C6162686F7374').split('\n')[1]).toMatch(/^ {18}\(Linux-MD {9}labhost \d\d\/\d\d\/\d\d \d\d:\d\d:\d\d\)$/);
  });
});

describe('readDdfFacts over an image file', () => {
  it('reads the metadata in the last 64 sectors of a 64 MiB image through the 4 KiB-aligned reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-ddf-'));
    try {
      const tail = (await ddfImage(facts(), SIZE)(SIZE - 64n, 64))!;
      const img = join(dir, 'disk.img');
      const fd = openSync(img, 'w');
      ftruncateSync(fd, Number(SIZE) * 512);
      writeSync(fd, tail, 0, tail.length, Number(SIZE - 64n) * 512);
      closeSync(fd);
      expect(await readDdfFacts(img)).toMatchObject({ seq: 6, virtualDisks: 1, containerUuid: 'add6b0fe:70b29a75:7f40f44f:768d2cdf' });
      const empty = join(dir, 'empty.img');
      const fd2 = openSync(empty, 'w');
      ftruncateSync(fd2, 1024 * 1024);
      closeSync(fd2);
      await expect(readDdfFacts(empty)).rejects.toMatchObject({ code: 'E_NO_SUPERBLOCK' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
