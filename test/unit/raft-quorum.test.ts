// Property tests: the quorum/commit computation (raft/quorum.ts) against naive definitions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { committedIndex, quorumActive, quorumValue, voteResult } from '../../daemon/src/raft/quorum.js';

/** Naive: the largest candidate value v such that more than half of the values are >= v. */
function naiveQuorumValue(values: number[]): number | null {
  if (values.length === 0) return null;
  let best: number | null = null;
  for (const v of values) {
    const atLeast = values.filter((x) => x >= v).length;
    if (atLeast * 2 > values.length && (best === null || v > best)) best = v;
  }
  return best;
}

function naiveVote(voters: string[], votes: Map<string, boolean>): 'won' | 'lost' | 'pending' {
  const granted = voters.filter((v) => votes.get(v) === true).length;
  const missing = voters.filter((v) => !votes.has(v)).length;
  if (granted * 2 > voters.length) return 'won';
  if ((granted + missing) * 2 <= voters.length) return 'lost';
  return 'pending';
}

const matches = fc.array(fc.nat({ max: 1000 }), { minLength: 0, maxLength: 9 });

describe('quorum', () => {
  it('quorumValue equals the naive majority definition', () => {
    fc.assert(fc.property(matches, (ms) => {
      expect(quorumValue(ms)).toBe(naiveQuorumValue(ms));
    }), { numRuns: 2000 });
  });

  it('committedIndex is replicated on a majority and no larger index is', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 9 }), (ms) => {
      const ci = committedIndex(ms);
      expect(ms.filter((m) => m >= ci).length * 2).toBeGreaterThan(ms.length);
      expect(ms.filter((m) => m >= ci + 1).length * 2).toBeLessThanOrEqual(ms.length);
    }), { numRuns: 2000 });
  });

  it('committedIndex is monotone in every match index', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 9 }), fc.nat(), fc.nat({ max: 10 }), (ms, pick, bump) => {
      const i = pick % ms.length;
      const bumped = ms.slice();
      bumped[i] = bumped[i]! + bump;
      expect(committedIndex(bumped)).toBeGreaterThanOrEqual(committedIndex(ms));
    }), { numRuns: 1000 });
  });

  it('voteResult equals the naive tally (votes from non-voters ignored)', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'x', 'y'];
    fc.assert(fc.property(fc.subarray(ids.slice(0, 9), { minLength: 1 }),
      fc.array(fc.tuple(fc.constantFrom(...ids), fc.boolean()), { maxLength: 12 }), (voters, vs) => {
        const votes = new Map(vs);
        expect(voteResult(voters, votes)).toBe(naiveVote(voters, votes));
      }), { numRuns: 2000 });
  });

  it('quorumActive needs a strict majority', () => {
    expect(quorumActive(['a', 'b'], (id) => id === 'a')).toBe(false);
    expect(quorumActive(['a', 'b', 'c'], (id) => id !== 'c')).toBe(true);
    expect(quorumActive([], () => true)).toBe(false);
    expect(committedIndex([])).toBe(0);
  });

  it('with no voters an election is lost, never pending (a node outside the conf cannot win)', () => {
    expect(voteResult([], new Map([['a', true]]))).toBe('lost');
  });

  it('quorumValue is pure: the caller\'s array keeps its order (leader match indexes are read again)', () => {
    const ms = [3, 9, 1, 7, 5];
    expect(quorumValue(ms)).toBe(5);
    expect(ms).toEqual([3, 9, 1, 7, 5]);
  });
});
