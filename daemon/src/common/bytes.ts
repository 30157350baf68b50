// The one binary writer/reader of the project: the Raft wire codec (raft/codec*.ts, big-endian)
// and the storage layer's on-disk formats (storage/*, little-endian) both build on it.
// Owns: the encoding of u8/u16/u32/u64 (safe integers only), booleans, raw and length-prefixed
// bytes and UTF-8 strings, in the byte order the caller names.
// Invariants:
// - ByteWriter only accepts in-range values (asserts: they come from our own code); it grows by
//   doubling; bytes [0, length) are the written data.
// - ByteReader never reads outside [start, end). A bad read (out of bounds, integer outside the
//   safe range, invalid boolean or UTF-8, over-long field, trailing bytes at end()) sets ok=false
//   for good and returns 0 / an empty value; in 'throw' mode it also throws DecodeFailure, which
//   the Raft codec catches and turns into null. Nothing else escapes.
// - u64 values are JS safe integers (< 2^53): a stored high word above 0x1FFFFF is a bad read.
import { assert } from './assert.js';

export type ByteOrder = 'big-endian' | 'little-endian';
/** 'flag': bad reads only clear `ok` (callers check once at the end); 'throw': they also throw. */
export type BadReadMode = 'flag' | 'throw';

const TWO_POW_32 = 0x1_0000_0000;
/** Largest high word of a u64 that still gives a safe integer (2^53 - 1 >> 32). */
const MAX_SAFE_HIGH_WORD = 0x1f_ffff;
/** Default first buffer: one Raft message without entries fits; growth doubles. */
const DEFAULT_INITIAL_WRITER_BYTES = 256;

export class DecodeFailure extends Error {
  override name = 'DecodeFailure';
}

export class ByteWriter {
  /** Invariant: buf.length >= length; view covers buf. */
  buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;
  private readonly littleEndian: boolean;

  constructor(order: ByteOrder, initialBytes = DEFAULT_INITIAL_WRITER_BYTES) {
    this.littleEndian = order === 'little-endian';
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, 1);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  u8(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xff, `u8 out of range: ${v}`);
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v <= 0xffff, `u16 out of range: ${v}`);
    this.ensure(2);
    this.view.setUint16(this.length, v, this.littleEndian);
    this.length += 2;
  }

  u32(v: number): void {
    assert(Number.isInteger(v) && v >= 0 && v < TWO_POW_32, `u32 out of range: ${v}`);
    this.ensure(4);
    this.view.setUint32(this.length, v, this.littleEndian);
    this.length += 4;
  }

  /** A non-negative safe integer in 8 bytes. */
  u64(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, `u64 out of range: ${v}`);
    const hi = Math.floor(v / TWO_POW_32);
    const lo = v % TWO_POW_32;
    this.u32(this.littleEndian ? lo : hi);
    this.u32(this.littleEndian ? hi : lo);
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  /** The bytes as they are, no length prefix. */
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A u32 length followed by the bytes. */
  bytesField(b: Uint8Array): void {
    this.u32(b.length);
    this.raw(b);
  }

  /** A u16 length followed by the string's UTF-8 bytes. */
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    assert(b.length <= 0xffff, 'string too long to encode');
    this.u16(b.length);
    this.raw(b);
  }

  /** A u8 length followed by the string's UTF-8 bytes. Invariant: at most 255 bytes. */
  shortString(s: string): void {
    const b = new TextEncoder().encode(s);
    assert(b.length <= 0xff, 'short string longer than 255 bytes');
    this.u8(b.length);
    this.raw(b);
  }

  /** Overwrites a u32 at an absolute offset already written. */
  patchU32(offset: number, v: number): void {
    assert(offset + 4 <= this.length, 'patch beyond written data');
    assert(Number.isInteger(v) && v >= 0 && v < TWO_POW_32, `u32 out of range: ${v}`);
    this.view.setUint32(offset, v, this.littleEndian);
  }

  /** The written bytes (a view, valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** The written bytes (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  private readonly view: DataView;
  private readonly littleEndian: boolean;
  /** Next byte to read. Invariant: start <= pos <= end; pos may only grow. */
  pos: number;
  /** False after any bad read; stays false. */
  ok = true;

  constructor(
    private readonly bytes: Uint8Array,
    order: ByteOrder,
    private readonly mode: BadReadMode,
    start = 0,
    private readonly endPos = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = order === 'little-endian';
    this.pos = start;
  }

  get remaining(): number {
    return this.endPos - this.pos;
  }

  private bad(reason: string): void {
    this.ok = false;
    if (this.mode === 'throw') throw new DecodeFailure(reason);
  }

  /** Claims n bytes; their offset, or -1 after a bad read. */
  private take(n: number): number {
    if (!this.ok || this.pos + n > this.endPos) {
      this.bad('truncated input');
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

  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.view.getUint16(at, this.littleEndian);
  }

  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.view.getUint32(at, this.littleEndian);
  }

  u64(): number {
    const first = this.u32();
    const second = this.u32();
    if (!this.ok) return 0;
    const hi = this.littleEndian ? second : first;
    const lo = this.littleEndian ? first : second;
    if (hi > MAX_SAFE_HIGH_WORD) {
      this.bad('integer exceeds the safe range');
      return 0;
    }
    return hi * TWO_POW_32 + lo;
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) this.bad('invalid boolean');
    return this.ok && v === 1;
  }

  /** n bytes as a view into the source (no copy). */
  bytesView(n: number): Uint8Array {
    const at = this.take(n);
    return at < 0 ? new Uint8Array(0) : this.bytes.subarray(at, at + n);
  }

  /** u32-length-prefixed bytes (a copy), refusing lengths above maxBytes. */
  bytesField(maxBytes: number): Uint8Array {
    const n = this.u32();
    if (this.ok && n > maxBytes) this.bad('byte field too long');
    return this.ok ? this.bytesView(n).slice() : new Uint8Array(0);
  }

  /** The rest of the readable range, copied. */
  restCopy(): Uint8Array {
    if (!this.ok) return new Uint8Array(0);
    const from = this.pos;
    this.pos = this.endPos;
    return this.bytes.slice(from, this.endPos);
  }

  /** A u16-length-prefixed UTF-8 string, refusing lengths above maxBytes. */
  str(maxBytes: number): string {
    const n = this.u16();
    if (this.ok && n > maxBytes) this.bad('string too long');
    return this.ok ? this.utf8(this.bytesView(n)) : '';
  }

  /** A u8-length-prefixed UTF-8 string. */
  shortString(): string {
    const n = this.u8();
    return this.ok ? this.utf8(this.bytesView(n)) : '';
  }

  /** A bad read unless every byte of the range was consumed. */
  end(): void {
    if (this.ok && this.pos !== this.endPos) this.bad('trailing bytes');
  }

  private utf8(b: Uint8Array): string {
    if (!this.ok) return '';
    try {
      return utf8.decode(b);
    } catch {
      this.bad('invalid UTF-8');
      return '';
    }
  }
}

/** The bytes `write` produces, in the given order. */
export function encodeWith(order: ByteOrder, write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(order);
  write(w);
  return w.finish();
}

/**
 * Decodes one whole value: `read` it in throw mode, require every byte consumed, then `check`
 * it. Null for any bad read or exception (malformed input); never throws.
 */
export function decodeWhole<R, T>(bytes: Uint8Array, order: ByteOrder, read: (r: ByteReader) => R, check: (v: R) => T | null): T | null {
  try {
    const r = new ByteReader(bytes, order, 'throw');
    const v = read(r);
    r.end();
    return check(v);
  } catch {
    return null;
  }
}
