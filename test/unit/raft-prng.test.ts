// The Raft core's random source (raft/prng.ts) against an independent reference written from
// the published algorithms (xoshiro128** by Blackman and Vigna; a splitmix32 seed expansion with
// the golden-ratio increment and the murmur3 finalizer constants), in BigInt arithmetic so it
// shares no 32-bit tricks with the code under test. Rules: the same seed gives the same sequence
// (simulator runs replay by seed), every value is in [0, 2^32), and randomBelow is uniform by
// rejection (no modulo bias) and always in [0, n).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPrng, randomBelow } from '../../daemon/src/raft/prng.js';
import type { Prng } from '../../daemon/src/raft/types.js';

const M32 = (1n << 32n) - 1n;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M32;
const mul = (a: bigint, b: bigint): bigint => (a * b) & M32;

function referenceStream(seed: number, n: number): number[] {
  // The seed's low and high 32-bit words (two's complement for a negative seed) folded by xor.
  const s64 = BigInt.asUintN(64, BigInt(seed));
  let x = (s64 ^ (s64 >> 32n)) & M32;
  const state: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M32;
    let z = x;
    z = mul(z ^ (z >> 16n), 0x85ebca6bn);
    z = mul(z ^ (z >> 13n), 0xc2b2ae35n);
    state.push(z ^ (z >> 16n));
  }
  if (state.reduce((o, w) => o | w, 0n) === 0n) state[0] = 1n;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const [s0, s1, s2, s3] = state as [bigint, bigint, bigint, bigint];
    out.push(Number(mul(rotl(mul(s1, 5n), 7n), 9n)));
    const t = (s1 << 9n) & M32;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    state[0] = n0;
    state[1] = n1;
    state[2] = n2 ^ t;
    state[3] = rotl(n3, 11n);
  }
  return out;
}

function take(p: Prng, n: number): number[] {
  return Array.from({ length: n }, () => p.nextU32());
}

describe('raft prng', () => {
  it('is xoshiro128** seeded by splitmix32: equal to the reference for small, large and negative seeds', () => {
    for (const seed of [0, 1, 2, 42, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER, -1, -123456789]) {
      expect([seed, take(createPrng(seed), 40)]).toEqual([seed, referenceStream(seed, 40)]);
    }
    fc.assert(fc.property(fc.maxSafeInteger(), (seed) => {
      expect(take(createPrng(seed), 12)).toEqual(referenceStream(seed, 12));
    }), { numRuns: 200 });
  });

  it('the same seed replays the same sequence; different seeds differ; values are 32-bit unsigned', () => {
    const a = take(createPrng(7), 200);
    expect(take(createPrng(7), 200)).toEqual(a);
    expect(take(createPrng(8), 200)).not.toEqual(a);
    for (const v of a) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    expect(() => createPrng(0.5)).toThrow();
  });

  it('randomBelow rejects the values past the largest multiple of n (no modulo bias) and returns value mod n', () => {
    const feed = (values: number[]): Prng & { used: number } => {
      const p = { used: 0, nextU32: () => values[p.used++]! };
      return p;
    };
    // n = 3: 2^32 mod 3 = 1, so the limit is 2^32 - 1: the value 2^32 - 1 is rejected, 2^32 - 2 accepted.
    const p = feed([2 ** 32 - 1, 2 ** 32 - 2]);
    expect(randomBelow(p, 3)).toBe((2 ** 32 - 2) % 3);
    expect(p.used).toBe(2);
    // n = 2^32: every value is accepted as is.
    const q = feed([2 ** 32 - 1]);
    expect(randomBelow(q, 2 ** 32)).toBe(2 ** 32 - 1);
    // n = 1: always 0, one draw.
    const r = feed([12345]);
    expect([randomBelow(r, 1), r.used]).toEqual([0, 1]);
    // n = 10: 2^32 mod 10 = 6, limit 2^32 - 6: 2^32 - 6 is rejected, 2^32 - 7 accepted.
    const s = feed([2 ** 32 - 6, 2 ** 32 - 7]);
    expect([randomBelow(s, 10), s.used]).toEqual([(2 ** 32 - 7) % 10, 2]);
    for (const bad of [0, -1, 2 ** 32 + 1, 1.5]) expect(() => randomBelow(createPrng(1), bad)).toThrow(/out of range/);
  });

  it('randomBelow covers [0, n) roughly uniformly over many draws', () => {
    const p = createPrng(99);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[randomBelow(p, 7)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});
