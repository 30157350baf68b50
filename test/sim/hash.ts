// Prefix fingerprints of Raft logs. Owns: the chain hash h(i) = H(h(i-1), entry i) that lets
// the checkers compare whole log prefixes in O(1): two logs hold identical entries 1..i iff
// their chain hashes at i are equal (up to a 2^-53 collision, which can only hide a
// violation, never invent one).
// Invariant: a chain hash is a non-negative safe integer; CHAIN_ORIGIN is the hash of the empty
// prefix (index 0).
import type { Entry } from '../../daemon/src/raft/types.js';

export const CHAIN_ORIGIN = 0;

const TWO32 = 0x1_0000_0000;

function step(h: number, x: number, mul: number): number {
  return Math.imul(h ^ x, mul) >>> 0;
}

/** The chain hash of the prefix ending with entry e, given the hash of the prefix before it. */
export function chainHash(prev: number, e: Entry): number {
  let a = (prev % TWO32) ^ 0x811c9dc5;
  let b = Math.floor(prev / TWO32) ^ 0x2545f491;
  const idx = e.index as number;
  const trm = e.term as number;
  a = step(a, idx >>> 0, 0x01000193);
  b = step(b, Math.floor(idx / TWO32) ^ (idx >>> 0), 0x5bd1e995);
  a = step(a, trm >>> 0, 0x01000193);
  b = step(b, (trm >>> 0) ^ 0x9e3779b9, 0x5bd1e995);
  const t = e.type === 'conf' ? 1 : 2;
  a = step(a, t, 0x01000193);
  b = step(b, t, 0x5bd1e995);
  const d = e.data;
  a = step(a, d.length, 0x01000193);
  for (let i = 0; i < d.length; i++) {
    a = step(a, d[i], 0x01000193);
    b = step(b, d[i] ^ (i & 0xff), 0x5bd1e995);
  }
  b = (b ^ (a >>> 11)) & 0x1fffff;
  return b * TWO32 + (a >>> 0);
}
