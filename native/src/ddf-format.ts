// The SNIA DDF metadata (as md's external-metadata containers and mdadm's super-ddf.c use it):
// the anchor/primary/secondary headers, the virtual disk records, and the facts mdadm --detail
// and --export print from them (container GUID, sequence number, populated virtual disks, the
// UUIDs mdadm derives). Owns: the field offsets, the header CRC, which header is active, and the
// UUID derivation. Pure apart from node:crypto's SHA-1 and zlib's CRC-32; I/O is the caller's
// (`readDdf` takes a block reader, so a test can hand it an in-memory image).
// Invariants:
// - All DDF fields are big-endian. A header is accepted only with the magic, a correct CRC and
//   a known revision; primary/secondary must match the anchor (GUID, revision, LBAs, type).
// - The secondary header wins over the primary only when its sequence is newer and it is not
//   open, or equal while the primary is open (mdadm's rule).
// - Nothing is guessed: a missing or inconsistent piece is a `{ ok: false, reason }`.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { DdfFacts } from '../../daemon/src/md/types.js';

export const DDF_HEADER_MAGIC = 0xde11de11;
export const DDF_VIRT_RECORDS_MAGIC = 0xdddddddd;
export const DDF_GUID_BYTES = 24;
export const DDF_BLOCK_BYTES = 512;
const REVISIONS = new Set(['01.00.00', '01.02.00']);
/** Section lengths (sectors) mdadm accepts for the physical/virtual records, and the cap. */
const SECTION_SECTORS = new Set([2, 8, 32, 128, 512]);
const VIRT_ENTRY_BYTES = 64;
const VIRT_ENTRIES_AT = 64;
/** Controllers whose VD GUIDs change at every boot (mdadm's vendors_with_variable_volume_UUID). */
const VARIABLE_VD_GUID_VENDORS = ['LSI      '];

/** Byte offsets in struct ddf_header. */
export const H = {
  magic: 0, crc: 4, guid: 8, revision: 32, seq: 40, timestamp: 44, openflag: 48, primaryLba: 96, secondaryLba: 104,
  type: 112, pad2: 113, controllerOffset: 192, controllerLength: 196, physOffset: 200, physLength: 204,
  virtOffset: 208, virtLength: 212,
} as const;

export interface DdfHeader {
  guid: Buffer;
  revision: string;
  seq: number;
  open: boolean;
  primaryLba: bigint;
  secondaryLba: bigint;
  type: number;
  pad2: Buffer;
  controllerOffset: number;
  controllerLength: number;
  virtOffset: number;
  virtLength: number;
}

export type DdfResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** mdadm's calc_crc: CRC-32 of the block with the crc field read as 0xffffffff. */
export function ddfCrc(block: Buffer): number {
  const copy = Buffer.from(block);
  copy.writeUInt32BE(0xffffffff, H.crc);
  return crc32(copy) >>> 0;
}

export function parseDdfHeader(block: Buffer): DdfResult<DdfHeader> {
  if (block.length < DDF_BLOCK_BYTES) return { ok: false, reason: 'short block' };
  if (block.readUInt32BE(H.magic) !== DDF_HEADER_MAGIC) return { ok: false, reason: 'no DDF header magic' };
  if (ddfCrc(block.subarray(0, DDF_BLOCK_BYTES)) !== block.readUInt32BE(H.crc)) return { ok: false, reason: 'bad header CRC' };
  const revision = block.subarray(H.revision, H.revision + 8).toString('latin1');
  if (!REVISIONS.has(revision)) return { ok: false, reason: `DDF revision ${JSON.stringify(revision)} not supported` };
  return {
    ok: true,
    value: {
      guid: Buffer.from(block.subarray(H.guid, H.guid + DDF_GUID_BYTES)), revision, seq: block.readUInt32BE(H.seq),
      open: block.readUInt8(H.openflag) !== 0, primaryLba: block.readBigUInt64BE(H.primaryLba), secondaryLba: block.readBigUInt64BE(H.secondaryLba),
      type: block.readUInt8(H.type), pad2: Buffer.from(block.subarray(H.pad2, H.pad2 + 3)),
      controllerOffset: block.readUInt32BE(H.controllerOffset), controllerLength: block.readUInt32BE(H.controllerLength),
      virtOffset: block.readUInt32BE(H.virtOffset), virtLength: block.readUInt32BE(H.virtLength),
    },
  };
}

/** mdadm's uuid_from_ddf_guid: the first 16 bytes of SHA-1(guid), printed as host-order words. */
export function ddfUuid(bytes: Buffer): string {
  const sha = createHash('sha1').update(bytes).digest();
  return [0, 4, 8, 12].map((o) => sha.readUInt32LE(o).toString(16).padStart(8, '0')).join(':');
}

/** Reads `sectors` 512-byte sectors at `lba`; null when the device cannot supply them. */
export type SectorReader = (lba: bigint, sectors: number) => Promise<Buffer | null>;

async function header(read: SectorReader, lba: bigint, deviceSectors: bigint, type: number, anchor: DdfHeader): Promise<DdfHeader | null> {
  if (lba >= deviceSectors - 1n) return null;
  const block = await read(lba, 1);
  if (block === null) return null;
  const h = parseDdfHeader(block);
  if (!h.ok) return null;
  const v = h.value;
  const same = v.guid.equals(anchor.guid) && v.revision === anchor.revision && v.primaryLba === anchor.primaryLba &&
    v.secondaryLba === anchor.secondaryLba && v.type === type && v.pad2.equals(anchor.pad2);
  return same ? v : null;
}

/** The DDF facts of a device of `deviceSectors` (anchor in its last sector). */
export async function readDdf(read: SectorReader, deviceSectors: bigint): Promise<DdfResult<DdfFacts>> {
  if (deviceSectors < 2n) return { ok: false, reason: 'device too small' };
  const anchorBlock = await read(deviceSectors - 1n, 1);
  if (anchorBlock === null) return { ok: false, reason: 'cannot read the anchor' };
  const a = parseDdfHeader(anchorBlock);
  if (!a.ok) return { ok: false, reason: `anchor: ${a.reason}` };
  const anchor = a.value;
  const primary = await header(read, anchor.primaryLba, deviceSectors, 1, anchor);
  const secondary = await header(read, anchor.secondaryLba, deviceSectors, 2, anchor);
  let active = primary;
  if (secondary !== null && (primary === null || (primary.seq < secondary.seq && !secondary.open) ||
      (primary.seq === secondary.seq && primary.open && !secondary.open))) active = secondary;
  if (active === null) return { ok: false, reason: 'no valid primary or secondary header' };
  const base = active.type === 1 ? active.primaryLba : active.secondaryLba;
  if (!SECTION_SECTORS.has(active.virtLength)) return { ok: false, reason: `virtual disk section of ${active.virtLength} sectors` };
  const virt = await read(base + BigInt(active.virtOffset), active.virtLength);
  if (virt === null || virt.readUInt32BE(0) !== DDF_VIRT_RECORDS_MAGIC) return { ok: false, reason: 'no virtual disk records' };
  const controller = active.controllerLength > 0 ? await read(base + BigInt(active.controllerOffset), 1) : null;
  const controllerGuid = controller === null ? Buffer.alloc(DDF_GUID_BYTES) : controller.subarray(8, 8 + DDF_GUID_BYTES);
  const populated = virt.readUInt16BE(8);
  const maxVdes = Math.min(virt.readUInt16BE(10), Math.floor((virt.length - VIRT_ENTRIES_AT) / VIRT_ENTRY_BYTES));
  const reliable = !VARIABLE_VD_GUID_VENDORS.some((v) => controllerGuid.subarray(0, 8).toString('latin1') === v.slice(0, 8));
  const vdUuids: (string | null)[] = [];
  for (let i = 0; i < maxVdes; i++) {
    const e = virt.subarray(VIRT_ENTRIES_AT + i * VIRT_ENTRY_BYTES, VIRT_ENTRIES_AT + (i + 1) * VIRT_ENTRY_BYTES);
    const guid = e.subarray(0, DDF_GUID_BYTES);
    if (guid.every((b) => b === 0xff)) { vdUuids.push(null); continue; }
    if (reliable) { vdUuids.push(ddfUuid(guid)); continue; }
    // A pseudo-UUID from what stays constant: the header GUID, the VD name, its index.
    const buf = Buffer.alloc(DDF_GUID_BYTES + 18);
    anchor.guid.copy(buf, 0);
    e.copy(buf, DDF_GUID_BYTES, 48, 64);
    buf.writeUInt16LE(i, DDF_GUID_BYTES + 16);
    vdUuids.push(ddfUuid(buf));
  }
  return {
    ok: true,
    value: {
      containerGuid: anchor.guid.toString('hex').toUpperCase(), seq: active.seq, virtualDisks: populated,
      containerUuid: ddfUuid(anchor.guid), vdUuids,
    },
  };
}
