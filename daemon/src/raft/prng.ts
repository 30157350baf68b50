// Seeded pseudo-random numbers for the pure Raft core and the simulator. Owns: the one
// deterministic random source (xoshiro128**, seeded through splitmix32).
// Invariants: the same seed always yields the same sequence; nextU32() returns an integer in
// [0, 2^32); the state is never all-zero (xoshiro's only fixed point).
import { assert } from '../common/assert.js';
import type { Prng } from './types.js';

/** splitmix32 step: used only to expand a seed into xoshiro state. */
function splitmix32(seed: number): [number, number] {
  const next = (seed + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Xoshiro128 implements Prng {
  /** Invariant: four unsigned 32-bit words, not all zero. */
  private readonly s: Uint32Array = new Uint32Array(4);

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), 'prng seed must be a safe integer');
    let x = (seed ^ Math.floor(seed / 0x100000000)) >>> 0;
    for (let i = 0; i < 4; i++) {
      const [nx, out] = splitmix32(x);
      x = nx;
      this.s[i] = out;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }
}

export function createPrng(seed: number): Prng {
  return new Xoshiro128(seed);
}

/** A uniformly distributed integer in [0, n), n in [1, 2^32]. Rejection sampling: no modulo bias. */
export function randomBelow(prng: Prng, n: number): number {
  assert(Number.isSafeInteger(n) && n >= 1 && n <= 0x100000000, `randomBelow bound out of range: ${n}`);
  const limit = 0x100000000 - (0x100000000 % n);
  for (;;) {
    const x = prng.nextU32();
    if (x < limit) return x % n;
  }
}
