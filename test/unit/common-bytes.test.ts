// The one byte writer/reader (daemon/src/common/bytes.ts): byte order is the caller's, and bad
// reads clear `ok` (flag mode) or also throw DecodeFailure (throw mode), never reading past end.
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, DecodeFailure } from '../../daemon/src/common/bytes.js';

describe('common/bytes', () => {
  it('lays integers out in the named byte order', () => {
    const be = new ByteWriter('big-endian', 1);
    be.u16(0x0102); be.u32(0x03040506); be.u64(0x0708_090a0b0c);
    expect([...be.finish()]).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c]);
    const le = new ByteWriter('little-endian', 1);
    le.u16(0x0102); le.u32(0x03040506); le.u64(0x0708_090a0b0c);
    expect([...le.finish()]).toEqual([2, 1, 6, 5, 4, 3, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07, 0, 0]);
    for (const [order, bytes] of [['big-endian', be], ['little-endian', le]] as const) {
      const r = new ByteReader(bytes.finish(), order, 'throw');
      expect([r.u16(), r.u32(), r.u64()]).toEqual([0x0102, 0x03040506, 0x0708_090a0b0c]);
      r.end();
      expect(r.ok).toBe(true);
    }
  });

  it('round-trips prefixed fields and refuses over-long ones', () => {
    const w = new ByteWriter('big-endian');
    w.str('héllo'); w.shortString('id'); w.bytesField(Uint8Array.of(9, 8)); w.bool(true);
    const r = new ByteReader(w.finish(), 'big-endian', 'flag');
    expect([r.str(16), r.shortString(), [...r.bytesField(2)], r.bool()]).toEqual(['héllo', 'id', [9, 8], true]);
    r.end();
    expect(r.ok).toBe(true);
    expect(() => new ByteReader(w.finish(), 'big-endian', 'throw').str(5)).toThrow(DecodeFailure);
  });

  it('flag mode returns zeros and stays bad; throw mode throws DecodeFailure', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const flag = new ByteReader(bytes, 'little-endian', 'flag');
    expect(flag.u32()).toBe(0);
    expect(flag.ok).toBe(false);
    expect(flag.u8()).toBe(0); // still bad: no read after the first failure
    expect(flag.ok).toBe(false);
    expect(() => new ByteReader(bytes, 'little-endian', 'throw').u32()).toThrow(DecodeFailure);
    const trailing = new ByteReader(bytes, 'big-endian', 'throw');
    trailing.u8();
    expect(() => trailing.end()).toThrow(DecodeFailure);
    const badUtf8 = new ByteReader(Uint8Array.of(1, 0xff), 'big-endian', 'flag');
    expect(badUtf8.shortString()).toBe('');
    expect(badUtf8.ok).toBe(false);
    const badBool = new ByteReader(Uint8Array.of(2), 'big-endian', 'throw');
    expect(() => badBool.bool()).toThrow(DecodeFailure);
    expect(() => new ByteWriter('big-endian').u8(256)).toThrow();
  });
});
