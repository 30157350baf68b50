// The peer frame header, the reconnect backoff and the bounded send queue.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame, faultClosesLink, FRAME_HEADER_BYTES, FrameKind, MAX_FRAME_PAYLOAD_BYTES, PROTOCOL_VERSION } from '../../daemon/src/transport/frame.js';
import { backoffDelayMs } from '../../daemon/src/transport/backoff.js';
import { BoundedQueue } from '../../daemon/src/transport/send-queue.js';
import { AssertionError } from '../../daemon/src/common/assert.js';
import { PEER_MAX_BACKOFF_EXPONENT, PEER_MAX_FRAME_BYTES } from '../../daemon/src/common/limits.js';

describe('frame', () => {
  it('round-trips any payload and returns a view, not a copy', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (payload) => {
      const f = encodeFrame(FrameKind.RAFT, payload);
      expect(f.length).toBe(FRAME_HEADER_BYTES + payload.length);
      const d = decodeFrame(f);
      expect(d.ok).toBe(true);
      if (d.ok) {
        expect(d.kind).toBe(FrameKind.RAFT);
        expect(Buffer.from(d.payload).equals(Buffer.from(payload))).toBe(true);
        expect(d.payload.buffer).toBe(f.buffer);
      }
    }));
  });

  it('classifies each kind of bad header', () => {
    const good = encodeFrame(FrameKind.RAFT, Uint8Array.of(1, 2, 3));
    const mutate = (i: number, v: number) => { const b = Buffer.from(good); b[i] = v; return b; };
    expect(decodeFrame(good.subarray(0, 3))).toEqual({ ok: false, fault: 'short' });
    expect(decodeFrame(new Uint8Array(0))).toEqual({ ok: false, fault: 'short' });
    expect(decodeFrame(mutate(0, 0x00))).toEqual({ ok: false, fault: 'magic' });
    expect(decodeFrame(mutate(1, PROTOCOL_VERSION + 1))).toEqual({ ok: false, fault: 'version', version: PROTOCOL_VERSION + 1 });
    expect(decodeFrame(mutate(2, 99))).toEqual({ ok: false, fault: 'kind' });
    expect(decodeFrame(mutate(3, 1))).toEqual({ ok: false, fault: 'reserved' });
    expect(faultClosesLink('version')).toBe(true);
    expect(faultClosesLink('magic')).toBe(true);
    expect(faultClosesLink('kind')).toBe(false);
    expect(faultClosesLink('short')).toBe(false);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const d = decodeFrame(bytes);
      if (d.ok) expect(bytes[1]).toBe(PROTOCOL_VERSION);
    }), { numRuns: 2000 });
  });

  it('a full frame is exactly PEER_MAX_FRAME_BYTES; larger payloads are a programmer error', () => {
    expect(encodeFrame(FrameKind.RAFT, new Uint8Array(MAX_FRAME_PAYLOAD_BYTES)).length).toBe(PEER_MAX_FRAME_BYTES);
    expect(() => encodeFrame(FrameKind.RAFT, new Uint8Array(MAX_FRAME_PAYLOAD_BYTES + 1))).toThrow(AssertionError);
  });
});

describe('backoff', () => {
  it('stays within [min/2, max] and grows towards max', () => {
    fc.assert(fc.property(fc.nat(1000), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }),
      (attempt, minMs, extra, r) => {
        const maxMs = minMs + extra;
        const d = backoffDelayMs(attempt, minMs, maxMs, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(minMs / 2));
        expect(d).toBeLessThanOrEqual(maxMs);
      }));
    expect(backoffDelayMs(0, 50, 1000, () => 0)).toBe(25);
    expect(backoffDelayMs(0, 50, 1000, () => 0.999999)).toBe(50);
    expect(backoffDelayMs(3, 50, 1000, () => 0)).toBe(200);
    expect(backoffDelayMs(10, 50, 1000, () => 0)).toBe(500);
    expect(backoffDelayMs(10, 50, 1000, () => 1)).toBe(1000);
    expect(backoffDelayMs(Number.MAX_SAFE_INTEGER, 50, 1e9, () => 0)).toBe(50 * 2 ** PEER_MAX_BACKOFF_EXPONENT / 2);
  });

  it('jitter spreads redials', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) seen.add(backoffDelayMs(5, 50, 1000, Math.random));
    expect(seen.size).toBeGreaterThan(20);
  });
});

describe('bounded queue', () => {
  it('behaves like a FIFO that drops the oldest beyond capacity', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.oneof(fc.nat(1000), fc.constant(-1), fc.constant(-2)), { maxLength: 200 }), (cap, ops) => {
      const q = new BoundedQueue<number>(cap);
      const model: number[] = [];
      for (const op of ops) {
        if (op === -1) {
          expect(q.shift()).toBe(model.shift());
        } else if (op === -2) {
          expect(q.clear()).toBe(model.length);
          model.length = 0;
        } else {
          model.push(op);
          const d = q.push(op);
          if (model.length > cap) expect(d).toBe(model.shift()); else expect(d).toBeUndefined();
        }
        expect(q.length).toBe(model.length);
        expect(q.length).toBeLessThanOrEqual(cap);
      }
      const rest: number[] = [];
      for (let x = q.shift(); x !== undefined; x = q.shift()) rest.push(x);
      expect(rest).toEqual(model);
    }));
  });
});
