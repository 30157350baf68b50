// Random helpers for the simulator over the core's Prng interface ({nextU32()}).
// Owns: turning one seed into independent deterministic streams, and the small draws the
// scenario, network and storage need (floats, integer ranges, coin flips, picks).
// Invariant: nothing here reads Math.random or a clock; the same seed and stream name always
// give the same sequence, so a seed reproduces a run exactly.
import type { Prng } from '../../daemon/src/raft/types.js';

/** A splitmix32-style mix of a 32-bit value (used to derive stream seeds). */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over a string, to name streams ("net", "node:n3", ...). */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The 32-bit seed of the stream `name` of simulator seed `seed`. */
export function streamSeed(seed: number, name: string): number {
  return mix32(mix32(seed >>> 0) ^ mix32(Math.floor(seed / 0x1_0000_0000)) ^ hashName(name));
}

/** Draw helpers over a Prng. */
export class Rand {
  constructor(readonly prng: Prng) {}

  /** A float in [0, 1). */
  float(): number {
    return this.prng.nextU32() / 0x1_0000_0000;
  }

  /** An integer in [lo, hi] (inclusive). Invariant: lo <= hi, both safe integers. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** A uniformly chosen element. Invariant: xs is non-empty. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)];
  }

  /** A float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  /** A random subset of xs of exactly k elements (k <= xs.length), order preserved. */
  subset<T>(xs: readonly T[], k: number): T[] {
    const idx = xs.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const chosen = new Set(idx.slice(0, k));
    return xs.filter((_, i) => chosen.has(i));
  }

  /** Picks a key by weight from [key, weight] pairs. Invariant: some weight > 0. */
  weighted<K>(pairs: readonly (readonly [K, number])[]): K {
    let total = 0;
    for (const [, w] of pairs) total += w;
    let x = this.float() * total;
    for (const [k, w] of pairs) {
      if (x < w) return k;
      x -= w;
    }
    return pairs[pairs.length - 1][0];
  }
}
