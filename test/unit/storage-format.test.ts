// Unit tests of the storage on-disk formats: CRC-32C against published vectors and a bitwise
// reference, record framing (every flipped byte is detected), payload codecs, segment names
// and headers, snapshot and hard-state files.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeId, logIndex, term } from '../../daemon/src/common/types.js';
import type { Entry, Snapshot } from '../../daemon/src/raft/types.js';
import { ByteReader, ByteWriter } from '../../daemon/src/common/bytes.js';
import { crc32c, crc32cWithPrefixByte } from '../../daemon/src/storage/crc32c.js';
import { readEntry, readHardState, readSnapshotMeta, writeEntry, writeHardState, writeSnapshotMeta } from '../../daemon/src/storage/payloads.js';
import { beginRecord, decodeRecordAt, findValidRecordAfter, finishRecord, RECORD_HEADER_BYTES, RECORD_TYPE } from '../../daemon/src/storage/record.js';
import { checkSegmentHeader, encodeSegmentHeader, parseSegmentFileName, segmentFileName } from '../../daemon/src/storage/segment.js';
import { decodeHardStateFile, decodeSnapshotFile, encodeHardStateFile, encodeSnapshotFile, parseSnapshotFileName,
  snapshotFileName } from '../../daemon/src/storage/state-files.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bit-at-a-time CRC-32C, the reference the table-driven version must match. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value and the RFC 3720 B.4 vectors', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('equals the bitwise reference, continues across splits, and handles a prefix byte', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (bytes, cutSeed, prefix) => {
      const cut = bytes.length === 0 ? 0 : cutSeed % (bytes.length + 1);
      expect(crc32c(bytes)).toBe(crc32cBitwise(bytes));
      expect(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut)))).toBe(crc32c(bytes));
      const withPrefix = new Uint8Array([prefix, ...bytes]);
      expect(crc32cWithPrefixByte(prefix, bytes, 0, bytes.length)).toBe(crc32cBitwise(withPrefix));
    }));
  });
});

function entry(index: number, t: number, data: string, type: Entry['type'] = 'normal'): Entry {
  return { index: logIndex(index), term: term(t), type, data: ascii(data) };
}

function recordBytes(entries: Entry[]): { bytes: Uint8Array; starts: number[] } {
  const w = new ByteWriter('little-endian', 16);
  const starts: number[] = [];
  for (const e of entries) {
    const at = beginRecord(w);
    starts.push(at);
    writeEntry(w, e);
    finishRecord(w, at, RECORD_TYPE.entry);
  }
  return { bytes: w.written().slice(), starts };
}

describe('record framing', () => {
  it('round-trips records and finds each next record', () => {
    const es = [entry(1, 1, 'a'), entry(2, 1, ''), entry(3, 2, 'hello world', 'conf')];
    const { bytes, starts } = recordBytes(es);
    let off = 0;
    for (let k = 0; k < es.length; k++) {
      const r = decodeRecordAt(bytes, off, bytes.length);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(off).toBe(starts[k]);
      expect(r.type).toBe(RECORD_TYPE.entry);
      expect(readEntry(bytes, r.payloadStart, r.payloadEnd)).toEqual(es[k]);
      off = r.next;
    }
    expect(off).toBe(bytes.length);
  });

  it('detects every single flipped byte and every truncation', () => {
    const { bytes } = recordBytes([entry(7, 3, 'payload bytes')]);
    for (let p = 0; p < bytes.length; p++) {
      const bad = bytes.slice();
      bad[p] ^= 0x5a;
      expect(decodeRecordAt(bad, 0, bad.length).ok).toBe(false);
    }
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = decodeRecordAt(bytes, 0, cut);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/incomplete/);
    }
  });

  it('findValidRecordAfter finds the next valid record past damage, and nothing in zeros', () => {
    const { bytes, starts } = recordBytes([entry(1, 1, 'x'), entry(2, 1, 'yy'), entry(3, 1, 'zzz')]);
    const bad = bytes.slice();
    bad[starts[1] + 2] ^= 1;
    expect(findValidRecordAfter(bad, starts[1], bad.length)).toBe(starts[2]);
    expect(findValidRecordAfter(bytes, starts[2], bytes.length)).toBe(-1);
    expect(findValidRecordAfter(new Uint8Array(4096), 0, 4096)).toBe(-1);
    expect(RECORD_HEADER_BYTES).toBe(13);
  });
});

describe('payload codecs', () => {
  it('round-trips hard states and snapshot metadata', () => {
    const w = new ByteWriter('little-endian', 8);
    const hs = { term: term(9), vote: nodeId('node-2'), commit: logIndex(2 ** 40) };
    writeHardState(w, hs);
    expect(readHardState(w.buf, 0, w.length)).toEqual(hs);
    w.reset();
    writeHardState(w, { term: term(1), vote: null, commit: logIndex(0) });
    expect(readHardState(w.buf, 0, w.length)).toEqual({ term: 1, vote: null, commit: 0 });
    w.reset();
    const meta = { index: logIndex(5), term: term(2), conf: { voters: [nodeId('a'), nodeId('b')], learners: [nodeId('c')] } };
    writeSnapshotMeta(w, meta);
    expect(readSnapshotMeta(w.buf, 0, w.length)).toEqual(meta);
    expect(readSnapshotMeta(w.buf, 0, w.length - 1)).toBeNull();
  });

  it('rejects malformed payloads without throwing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const e = readEntry(bytes, 0, bytes.length);
      if (e !== null) expect(e.index >= 1 && e.term >= 1).toBe(true);
      readHardState(bytes, 0, bytes.length);
      readSnapshotMeta(bytes, 0, bytes.length);
    }));
    const w = new ByteWriter('little-endian', 8);
    writeSnapshotMeta(w, { index: logIndex(1), term: term(1), conf: { voters: [nodeId('a'), nodeId('a')], learners: [] } });
    expect(readSnapshotMeta(w.buf, 0, w.length)).toBeNull();
    const r = new ByteReader(Uint8Array.from([0, 0, 0, 0, 0, 0, 0x20, 0]), 'little-endian', 'flag');
    expect(r.u64()).toBe(0);
    expect(r.ok).toBe(false);
  });
});

describe('segment and state files', () => {
  it('names and headers round-trip and reject mismatches', () => {
    const id = { seq: 12, firstIndex: 345 };
    expect(parseSegmentFileName(segmentFileName(id))).toEqual(id);
    expect(parseSegmentFileName('wal-zz.log')).toBeNull();
    const h = encodeSegmentHeader(id);
    expect(checkSegmentHeader(h, id)).toBeNull();
    expect(checkSegmentHeader(h, { seq: 13, firstIndex: 345 })).toMatch(/file name/);
    expect(checkSegmentHeader(h.subarray(0, 20), id)).toMatch(/incomplete/);
    const bad = h.slice();
    bad[10] ^= 1;
    expect(checkSegmentHeader(bad, id)).toMatch(/checksum/);
    expect(parseSnapshotFileName(snapshotFileName(77))).toBe(77);
  });

  it('snapshot and hard-state files round-trip and detect any flipped byte', () => {
    const snap: Snapshot = { meta: { index: logIndex(42), term: term(3), conf: { voters: [nodeId('n1')], learners: [] } }, data: ascii('state') };
    const bytes = encodeSnapshotFile(snap);
    expect(decodeSnapshotFile(bytes, 42)).toEqual(snap);
    expect(decodeSnapshotFile(bytes, 41)).toMatch(/file name/);
    for (let p = 0; p < bytes.length; p++) {
      const bad = bytes.slice();
      bad[p] ^= 0x80;
      expect(typeof decodeSnapshotFile(bad, 42)).toBe('string');
    }
    const hsBytes = encodeHardStateFile({ term: term(4), vote: nodeId('n3'), commit: logIndex(10) });
    expect(decodeHardStateFile(hsBytes)).toEqual({ term: 4, vote: 'n3', commit: 10 });
    for (let p = 0; p < hsBytes.length; p++) {
      const bad = hsBytes.slice();
      bad[p] ^= 0x80;
      expect(typeof decodeHardStateFile(bad)).toBe('string');
    }
    expect(typeof decodeHardStateFile(hsBytes.subarray(0, hsBytes.length - 1))).toBe('string');
  });
});
