// Little-endian byte writer and reader for the storage layer's on-disk formats.
// Owns: the encoding of u8/u32/u64 (safe integers only)/length-prefixed strings.
// Invariants:
// - ByteWriter grows by doubling; bytes [0, length) are the written data.
// - ByteReader never throws on bad input: any out-of-bounds or out-of-range read sets ok=false
//   and returns 0 / an empty value; callers check `ok` (and `remaining`) once at the end.
// - u64 values are JS safe integers (< 2^53); a stored high word above 0x1FFFFF reads as bad.
import { assert } from '../common/assert.js';

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a u64 that still gives a safe integer (2^53 - 1 >> 32). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;
const INITIAL_WRITER_BYTES = 4096;

export class ByteWriter {
  /** Invariant: buf.length >= length; view covers buf. */
  buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(initialBytes = INITIAL_WRITER_BYTES) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.length++] = n & 0xff;
  }

  u32(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, n >>> 0, true);
    this.length += 4;
  }

  u64(n: number): void {
    assert(Number.isSafeInteger(n) && n >= 0, `u64 out of range: ${n}`);
    this.ensure(8);
    this.view.setUint32(this.length, n % TWO_POW_32, true);
    this.view.setUint32(this.length + 4, Math.floor(n / TWO_POW_32), true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A u8 length followed by the string's UTF-8 bytes. Invariant: at most 255 bytes. */
  shortString(s: string): void {
    const b = new TextEncoder().encode(s);
    assert(b.length <= 0xff, 'short string longer than 255 bytes');
    this.u8(b.length);
    this.bytes(b);
  }

  /** Overwrites a u32 at an absolute offset already written. */
  patchU32(offset: number, n: number): void {
    assert(offset + 4 <= this.length, 'patch beyond written data');
    this.view.setUint32(offset, n >>> 0, true);
  }

  /** The written bytes (a view, valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  private readonly view: DataView;
  /** Next byte to read. Invariant: start <= pos <= end once ok; pos may only grow. */
  pos: number;
  /** False after any bad read; stays false. */
  ok = true;

  constructor(private readonly bytes: Uint8Array, start = 0, private readonly end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (!this.ok || this.pos + n > this.end) {
      this.ok = false;
      return -1;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.bytes[at];
  }

  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.view.getUint32(at, true);
  }

  u64(): number {
    const at = this.take(8);
    if (at < 0) return 0;
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    if (hi > MAX_SAFE_HIGH_WORD) {
      this.ok = false;
      return 0;
    }
    return hi * TWO_POW_32 + lo;
  }

  /** n bytes as a view into the source (no copy). */
  bytesView(n: number): Uint8Array {
    const at = this.take(n);
    return at < 0 ? new Uint8Array(0) : this.bytes.subarray(at, at + n);
  }

  /** The rest of the readable range, copied. */
  restCopy(): Uint8Array {
    if (!this.ok) return new Uint8Array(0);
    const from = this.pos;
    this.pos = this.end;
    return this.bytes.slice(from, this.end);
  }

  shortString(): string {
    const n = this.u8();
    const b = this.bytesView(n);
    if (!this.ok) return '';
    try {
      return utf8.decode(b);
    } catch {
      this.ok = false;
      return '';
    }
  }
}
