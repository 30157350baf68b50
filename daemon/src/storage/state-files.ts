// The snapshot files and the hard-state checkpoint file. Owns: their byte layouts, names,
// encoding and validating decode. Both are only ever replaced through writeFileAtomic, so a
// file under its final name is complete; a damaged one is corruption, not a torn write.
// Snapshot file `snap-<index:16 hex>.snap`:
//   magic "MDCSNAP1" | u32 metaBytes | u32 dataBytes | u32 CRC-32C(meta ++ data)
//   | u32 CRC-32C of bytes [0, 20) | meta (payloads.ts) | data
// Hard-state file `hardstate`:
//   magic "MDCHRD01" | u32 payloadBytes | u32 CRC-32C(payload) | payload (payloads.ts)
// Invariants: decoders never throw; they return a reason string for any mismatch (size,
// magic, checksums, name/index mismatch, sizes over SNAPSHOT_MAX_BYTES/SNAPSHOT_META_MAX_BYTES).
import { SNAPSHOT_MAX_BYTES, SNAPSHOT_META_MAX_BYTES } from '../common/limits.js';
import type { HardState, Snapshot } from '../raft/types.js';
import { ByteReader, ByteWriter } from '../common/bytes.js';
import { crc32c } from './crc32c.js';
import { readHardState, readSnapshotMeta, writeHardState, writeSnapshotMeta } from './payloads.js';

export const HARD_STATE_FILE = 'hardstate';
const HARD_STATE_MAGIC = new TextEncoder().encode('MDCHRD01');
const HARD_STATE_HEADER_BYTES = 16;
/** Largest valid hard-state file: header + two u64 + a short string. */
export const HARD_STATE_FILE_MAX_BYTES = HARD_STATE_HEADER_BYTES + 16 + 256;

const SNAPSHOT_MAGIC = new TextEncoder().encode('MDCSNAP1');
const SNAPSHOT_HEADER_BYTES = 24;
const SNAPSHOT_HEADER_CHECKED_BYTES = 20;
/** Largest valid snapshot file. */
export const SNAPSHOT_FILE_MAX_BYTES = SNAPSHOT_HEADER_BYTES + SNAPSHOT_META_MAX_BYTES + SNAPSHOT_MAX_BYTES;
const SNAPSHOT_NAME_PATTERN = /^snap-([0-9a-f]{16})\.snap$/;

export function snapshotFileName(index: number): string {
  return `snap-${index.toString(16).padStart(16, '0')}.snap`;
}

/** The index in a snapshot file name, or null if `name` is not one. */
export function parseSnapshotFileName(name: string): number | null {
  const m = SNAPSHOT_NAME_PATTERN.exec(name);
  if (m === null) return null;
  const index = parseInt(m[1], 16);
  return Number.isSafeInteger(index) ? index : null;
}

function hasMagic(bytes: Uint8Array, magic: Uint8Array): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

export function encodeSnapshotFile(snap: Snapshot): Uint8Array {
  const metaW = new ByteWriter('little-endian', 256);
  writeSnapshotMeta(metaW, snap.meta);
  const meta = metaW.written();
  const w = new ByteWriter('little-endian', SNAPSHOT_HEADER_BYTES + meta.length + snap.data.length);
  w.raw(SNAPSHOT_MAGIC);
  w.u32(meta.length);
  w.u32(snap.data.length);
  w.u32(crc32c(snap.data, crc32c(meta)));
  w.u32(crc32c(w.buf, 0, 0, SNAPSHOT_HEADER_CHECKED_BYTES));
  w.raw(meta);
  w.raw(snap.data);
  return w.buf.subarray(0, w.length);
}

/** Decodes a snapshot file whose name says `expectedIndex`. */
export function decodeSnapshotFile(bytes: Uint8Array, expectedIndex: number): Snapshot | string {
  if (bytes.length < SNAPSHOT_HEADER_BYTES || !hasMagic(bytes, SNAPSHOT_MAGIC)) return 'bad snapshot header';
  const r = new ByteReader(bytes, 'little-endian', 'flag', SNAPSHOT_MAGIC.length, SNAPSHOT_HEADER_BYTES);
  const metaBytes = r.u32();
  const dataBytes = r.u32();
  const bodyCrc = r.u32();
  const headerCrc = r.u32();
  if (!r.ok || headerCrc !== crc32c(bytes, 0, 0, SNAPSHOT_HEADER_CHECKED_BYTES)) return 'snapshot header checksum mismatch';
  if (metaBytes > SNAPSHOT_META_MAX_BYTES || dataBytes > SNAPSHOT_MAX_BYTES) return 'snapshot sizes exceed the limits';
  if (bytes.length !== SNAPSHOT_HEADER_BYTES + metaBytes + dataBytes) return 'snapshot file size does not match its header';
  if (crc32c(bytes, 0, SNAPSHOT_HEADER_BYTES) !== bodyCrc) return 'snapshot body checksum mismatch';
  const metaEnd = SNAPSHOT_HEADER_BYTES + metaBytes;
  const meta = readSnapshotMeta(bytes, SNAPSHOT_HEADER_BYTES, metaEnd);
  if (meta === null) return 'snapshot metadata is malformed';
  if (meta.index !== expectedIndex) return 'snapshot index does not match its file name';
  return { meta, data: bytes.slice(metaEnd) };
}

export function encodeHardStateFile(hs: HardState): Uint8Array {
  const payloadW = new ByteWriter('little-endian', 64);
  writeHardState(payloadW, hs);
  const payload = payloadW.written();
  const w = new ByteWriter('little-endian', HARD_STATE_HEADER_BYTES + payload.length);
  w.raw(HARD_STATE_MAGIC);
  w.u32(payload.length);
  w.u32(crc32c(payload));
  w.raw(payload);
  return w.buf.subarray(0, w.length);
}

export function decodeHardStateFile(bytes: Uint8Array): HardState | string {
  if (bytes.length < HARD_STATE_HEADER_BYTES || !hasMagic(bytes, HARD_STATE_MAGIC)) return 'bad hard-state header';
  const r = new ByteReader(bytes, 'little-endian', 'flag', HARD_STATE_MAGIC.length, HARD_STATE_HEADER_BYTES);
  const payloadBytes = r.u32();
  const crc = r.u32();
  if (!r.ok || bytes.length !== HARD_STATE_HEADER_BYTES + payloadBytes) return 'hard-state file size does not match its header';
  if (crc32c(bytes, 0, HARD_STATE_HEADER_BYTES) !== crc) return 'hard-state checksum mismatch';
  const hs = readHardState(bytes, HARD_STATE_HEADER_BYTES, bytes.length);
  return hs ?? 'hard-state payload is malformed';
}
