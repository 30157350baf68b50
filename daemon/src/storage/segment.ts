// WAL segment files: names and headers. Owns: how a segment is named and identified.
// A segment is `wal-<seq:16 hex>-<firstIndex:16 hex>.log`: seq orders the segments (strictly
// +1 from one segment to the next), firstIndex is the log's last index + 1 when the segment
// was created (informational: an overwrite can later put smaller indexes in a newer segment,
// which is why ordering uses seq, not firstIndex).
// Header (SEGMENT_HEADER_BYTES = 32): magic "MDCWAL01" | u64 seq | u64 firstIndex |
// u32 CRC-32C of bytes [0, 24) | u32 reserved (0). Records follow (record.ts).
// Invariants: the header matches the file name; a segment's header is durable (fdatasync +
// directory fsync) before any record is written to it.
import { ByteReader, ByteWriter } from '../common/bytes.js';
import { crc32c } from './crc32c.js';

export const SEGMENT_HEADER_BYTES = 32;
const SEGMENT_MAGIC = new TextEncoder().encode('MDCWAL01');
const HEADER_CHECKED_BYTES = 24;
const HEX_DIGITS = 16;
const SEGMENT_NAME_PATTERN = /^wal-([0-9a-f]{16})-([0-9a-f]{16})\.log$/;

export interface SegmentId {
  /** Position in the segment sequence. Invariant: non-negative safe integer. */
  seq: number;
  /** The log's last index + 1 when this segment was created. */
  firstIndex: number;
}

function hex16(n: number): string {
  return n.toString(16).padStart(HEX_DIGITS, '0');
}

export function segmentFileName(id: SegmentId): string {
  return `wal-${hex16(id.seq)}-${hex16(id.firstIndex)}.log`;
}

/** Parses a segment file name; null for anything else (including out-of-range numbers). */
export function parseSegmentFileName(name: string): SegmentId | null {
  const m = SEGMENT_NAME_PATTERN.exec(name);
  if (m === null) return null;
  const seq = parseInt(m[1], 16);
  const firstIndex = parseInt(m[2], 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return null;
  return { seq, firstIndex };
}

export function encodeSegmentHeader(id: SegmentId): Uint8Array {
  const w = new ByteWriter('little-endian', SEGMENT_HEADER_BYTES);
  w.raw(SEGMENT_MAGIC);
  w.u64(id.seq);
  w.u64(id.firstIndex);
  w.u32(crc32c(w.buf, 0, 0, HEADER_CHECKED_BYTES));
  w.u32(0);
  return w.buf.slice(0, w.length);
}

/** Validates a segment header against the expected id; returns a reason on failure. */
export function checkSegmentHeader(bytes: Uint8Array, expected: SegmentId): string | null {
  if (bytes.length < SEGMENT_HEADER_BYTES) return 'incomplete segment header';
  for (let i = 0; i < SEGMENT_MAGIC.length; i++) {
    if (bytes[i] !== SEGMENT_MAGIC[i]) return 'bad segment magic';
  }
  const r = new ByteReader(bytes, 'little-endian', 'flag', SEGMENT_MAGIC.length, SEGMENT_HEADER_BYTES);
  const seq = r.u64();
  const firstIndex = r.u64();
  const crc = r.u32();
  if (!r.ok || crc !== crc32c(bytes, 0, 0, HEADER_CHECKED_BYTES)) return 'segment header checksum mismatch';
  if (seq !== expected.seq || firstIndex !== expected.firstIndex) return 'segment header does not match its file name';
  return null;
}
