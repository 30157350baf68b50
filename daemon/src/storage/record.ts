// WAL record framing. Owns: the byte layout of one record and its validation.
// Layout (little-endian), RECORD_HEADER_BYTES = 13:
//   [0]  u32 payloadLength
//   [4]  u8  type            (RECORD_TYPE)
//   [5]  u32 dataCrc         CRC-32C over type byte ++ payload
//   [9]  u32 headerCrc       CRC-32C over bytes [0, 9) (length, type, dataCrc)
//   [13] payload
// The header checksum lets recovery tell a torn tail from a corrupt middle cheaply: a random
// offset passes it with probability 2^-32, so scanning forward for "any valid record after
// the bad one" does not depend on trusting a damaged length field.
// Invariants: RECORD_HEADER_BYTES + payloadLength <= WAL_MAX_RECORD_BYTES for every record
// written; decodeRecordAt never throws and never reads outside [offset, end).
import { assert } from '../common/assert.js';
import { WAL_MAX_RECORD_BYTES } from '../common/limits.js';
import type { ByteWriter } from '../common/bytes.js';
import { crc32c, crc32cWithPrefixByte } from './crc32c.js';

export const RECORD_HEADER_BYTES = 13;
const HEADER_CHECKED_BYTES = 9;

/** Record types. Values are on-disk format: never renumber. */
export const RECORD_TYPE = {
  /** One log entry; an entry at index <= the last index replaces the log suffix from it. */
  entry: 1,
  /** The node's HardState (term, vote, commit); the last one wins. */
  hardState: 2,
  /** The log was replaced by a snapshot at (index, term): earlier entries are gone. */
  snapshotReset: 3,
} as const;
export type RecordType = (typeof RECORD_TYPE)[keyof typeof RECORD_TYPE];

export function isRecordType(t: number): t is RecordType {
  return t === RECORD_TYPE.entry || t === RECORD_TYPE.hardState || t === RECORD_TYPE.snapshotReset;
}

/** Starts a record: reserves its header. Returns the header offset for finishRecord(). */
export function beginRecord(w: ByteWriter): number {
  const at = w.length;
  w.ensure(RECORD_HEADER_BYTES);
  w.length += RECORD_HEADER_BYTES;
  return at;
}

/** Finishes the record begun at `at`: the payload is everything written since beginRecord. */
export function finishRecord(w: ByteWriter, at: number, type: RecordType): void {
  const payloadStart = at + RECORD_HEADER_BYTES;
  const payloadLength = w.length - payloadStart;
  assert(RECORD_HEADER_BYTES + payloadLength <= WAL_MAX_RECORD_BYTES, `WAL record too large: ${payloadLength}`);
  const dataCrc = crc32cWithPrefixByte(type, w.buf, payloadStart, w.length);
  w.patchU32(at, payloadLength);
  w.buf[at + 4] = type;
  w.patchU32(at + 5, dataCrc);
  w.patchU32(at + 9, crc32c(w.buf, 0, at, at + HEADER_CHECKED_BYTES));
}

export type DecodedRecord =
  | { ok: true; type: RecordType; payloadStart: number; payloadEnd: number; next: number }
  | { ok: false; reason: string };

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/** Decodes the record starting at `offset` in bytes[offset, end). Never throws. */
export function decodeRecordAt(bytes: Uint8Array, offset: number, end: number): DecodedRecord {
  if (end - offset < RECORD_HEADER_BYTES) return { ok: false, reason: 'incomplete record header' };
  if (readU32(bytes, offset + 9) !== crc32c(bytes, 0, offset, offset + HEADER_CHECKED_BYTES)) {
    return { ok: false, reason: 'record header checksum mismatch' };
  }
  const payloadLength = readU32(bytes, offset);
  const type = bytes[offset + 4];
  if (!isRecordType(type)) return { ok: false, reason: `unknown record type ${type}` };
  if (RECORD_HEADER_BYTES + payloadLength > WAL_MAX_RECORD_BYTES) {
    return { ok: false, reason: `record length ${payloadLength} exceeds the limit` };
  }
  const payloadStart = offset + RECORD_HEADER_BYTES;
  const payloadEnd = payloadStart + payloadLength;
  if (payloadEnd > end) return { ok: false, reason: 'incomplete record payload' };
  if (readU32(bytes, offset + 5) !== crc32cWithPrefixByte(type, bytes, payloadStart, payloadEnd)) {
    return { ok: false, reason: 'record payload checksum mismatch' };
  }
  return { ok: true, type, payloadStart, payloadEnd, next: payloadEnd };
}

/**
 * The first offset in (from, end) where a complete, valid record starts, or -1. Used to decide
 * whether a bad record is a torn tail (nothing valid after it) or corruption (valid data after).
 * Bounded by end - from iterations; cheap filters run before any checksum.
 */
export function findValidRecordAfter(bytes: Uint8Array, from: number, end: number): number {
  for (let at = from + 1; at + RECORD_HEADER_BYTES <= end; at++) {
    if (!isRecordType(bytes[at + 4])) continue;
    if (RECORD_HEADER_BYTES + readU32(bytes, at) > WAL_MAX_RECORD_BYTES) continue;
    if (decodeRecordAt(bytes, at, end).ok) return at;
  }
  return -1;
}
