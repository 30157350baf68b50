// Little binary writer/reader for the Raft codec. Owns: the byte-level primitives (u8, u32,
// u64 as a safe integer, length-prefixed bytes and UTF-8 strings).
// Invariants: the writer only accepts in-range values (asserts: they come from our own code);
// the reader never reads out of bounds: any malformed input raises DecodeFailure, which the
// codec catches and turns into null - nothing escapes to callers.
import { assert } from '../common/assert.js';

const TWO_32 = 0x100000000;
/** Highest value of the high word of a safe integer (2^53 - 1 >> 32). */
const MAX_SAFE_HI = 0x1fffff;

export class DecodeFailure extends Error {
  override name = 'DecodeFailure';
}

export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  /** Invariant: bytes written so far; <= buf.length. */
  private lengthBytes = 0;

  private ensure(n: number): void {
    const need = this.lengthBytes + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.lengthBytes));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xff, `u8 out of range: ${v}`);
    this.ensure(1);
    this.view.setUint8(this.lengthBytes, v);
    this.lengthBytes += 1;
  }

  u32(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v < TWO_32, `u32 out of range: ${v}`);
    this.ensure(4);
    this.view.setUint32(this.lengthBytes, v);
    this.lengthBytes += 4;
  }

  /** A non-negative safe integer in 8 bytes (big-endian). */
  u64(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, `u64 out of range: ${v}`);
    this.u32(Math.floor(v / TWO_32));
    this.u32(v >>> 0);
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.lengthBytes);
    this.lengthBytes += v.length;
  }

  str(v: string): void {
    const b = new TextEncoder().encode(v);
    assert(b.length <= 0xffff, 'string too long to encode');
    this.ensure(2);
    this.view.setUint16(this.lengthBytes, b.length);
    this.lengthBytes += 2;
    this.ensure(b.length);
    this.buf.set(b, this.lengthBytes);
    this.lengthBytes += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.lengthBytes);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  private view: DataView;
  /** Invariant: 0 <= posBytes <= bytes.length. */
  private posBytes = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.posBytes + n > this.bytes.length) throw new DecodeFailure('truncated input');
  }

  u8(): number {
    this.need(1);
    const v = this.view.getUint8(this.posBytes);
    this.posBytes += 1;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.posBytes);
    this.posBytes += 4;
    return v;
  }

  u64(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi > MAX_SAFE_HI) throw new DecodeFailure('integer exceeds the safe range');
    return hi * TWO_32 + lo;
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new DecodeFailure('invalid boolean');
    return v === 1;
  }

  /** Length-prefixed bytes (a copy), refusing lengths above maxBytes. */
  bytesField(maxBytes: number): Uint8Array {
    const n = this.u32();
    if (n > maxBytes) throw new DecodeFailure('byte field too long');
    this.need(n);
    const v = this.bytes.slice(this.posBytes, this.posBytes + n);
    this.posBytes += n;
    return v;
  }

  str(maxBytes: number): string {
    this.need(2);
    const n = this.view.getUint16(this.posBytes);
    this.posBytes += 2;
    if (n > maxBytes) throw new DecodeFailure('string too long');
    this.need(n);
    const s = utf8.decode(this.bytes.subarray(this.posBytes, this.posBytes + n));
    this.posBytes += n;
    return s;
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.posBytes !== this.bytes.length) throw new DecodeFailure('trailing bytes');
  }
}
