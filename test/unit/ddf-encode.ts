// Test-side DDF images from what mdadm --examine printed for a DDF member disk (case 63): the
// anchor, a primary header, a controller record and the virtual disk records, laid out in the
// last sectors of an in-memory device, so native/src/ddf-format.ts reads them as it reads a
// disk. Owns: the layout choice (offsets are this helper's; the field offsets and CRC are the
// format's). Invariant: every value printed in the record is encoded; a missing one throws.
import { DDF_HEADER_MAGIC, DDF_VIRT_RECORDS_MAGIC, H, ddfCrc, type SectorReader } from '../../native/src/ddf-format.js';

export interface DdfRecordFacts {
  containerGuid: Buffer;
  controllerGuid: Buffer;
  seq: number;
  vdGuids: Buffer[];
}

const hexGuid = (text: string | undefined): Buffer => {
  if (text === undefined) throw new Error('GUID missing from the record');
  return Buffer.from(text.replaceAll(':', ''), 'hex');
};

/** The DDF facts of one examine.txt record (the text after "/dev/X:"). */
export function ddfFactsOfRecord(text: string): DdfRecordFacts {
  const f = (label: string) => new RegExp(`^ *${label.replace(/[[\]]/g, '\\$&')} : (.*)$`, 'm').exec(text)?.[1];
  const vdGuids: Buffer[] = [];
  for (let i = 0; f(`VD GUID[${i}]`) !== undefined; i++) vdGuids.push(hexGuid(f(`VD GUID[${i}]`)));
  const seq = f('Seq');
  if (seq === undefined) throw new Error('Seq missing from the record');
  return { containerGuid: hexGuid(f('Container GUID')), controllerGuid: hexGuid(f('Controller GUID')), seq: parseInt(seq, 16), vdGuids };
}

/** Sectors before the end where this helper puts the primary header and its sections. */
const PRIMARY_BACK = 64;
const CONTROLLER_AT = 1;
const VIRT_AT = 2;
const VIRT_SECTORS = 2;

function header(f: DdfRecordFacts, type: number, primaryLba: bigint): Buffer {
  const b = Buffer.alloc(512, 0xff);
  b.writeUInt32BE(DDF_HEADER_MAGIC, H.magic);
  f.containerGuid.copy(b, H.guid);
  b.write('01.02.00', H.revision, 'latin1');
  b.writeUInt32BE(f.seq, H.seq);
  b.writeUInt32BE(0, H.timestamp);
  b.writeUInt8(0, H.openflag);
  b.writeBigUInt64BE(primaryLba, H.primaryLba);
  b.writeBigUInt64BE(0xffffffffffffffffn, H.secondaryLba);
  b.writeUInt8(type, H.type);
  b.writeUInt32BE(CONTROLLER_AT, H.controllerOffset);
  b.writeUInt32BE(1, H.controllerLength);
  b.writeUInt32BE(VIRT_AT, H.virtOffset);
  b.writeUInt32BE(VIRT_SECTORS, H.virtLength);
  b.writeUInt32BE(ddfCrc(b), H.crc);
  return b;
}

/** A sector reader over a device of `deviceSectors` holding `f`'s DDF metadata at its end. */
export function ddfImage(f: DdfRecordFacts, deviceSectors: bigint): SectorReader {
  const primary = deviceSectors - BigInt(PRIMARY_BACK);
  const sectors = new Map<bigint, Buffer>();
  sectors.set(deviceSectors - 1n, header(f, 0, primary));
  sectors.set(primary, header(f, 1, primary));
  const controller = Buffer.alloc(512);
  controller.writeUInt32BE(0xad111111, 0);
  f.controllerGuid.copy(controller, 8);
  sectors.set(primary + BigInt(CONTROLLER_AT), controller);
  const virt = Buffer.alloc(512 * VIRT_SECTORS, 0xff);
  virt.writeUInt32BE(DDF_VIRT_RECORDS_MAGIC, 0);
  virt.writeUInt16BE(f.vdGuids.length, 8);
  virt.writeUInt16BE(15, 10);
  f.vdGuids.forEach((g, i) => g.copy(virt, 64 + i * 64));
  for (let s = 0; s < VIRT_SECTORS; s++) sectors.set(primary + BigInt(VIRT_AT + s), virt.subarray(s * 512, (s + 1) * 512));
  return (lba, count) => {
    if (lba + BigInt(count) > deviceSectors) return Promise.resolve(null);
    const out = Buffer.alloc(count * 512);
    for (let i = 0; i < count; i++) sectors.get(lba + BigInt(i))?.copy(out, i * 512);
    return Promise.resolve(out);
  };
}
