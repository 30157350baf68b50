// The simulator must catch deliberately broken Raft cores (RaftConfig.faults, TEST-ONLY) within
// a bounded number of seeds, each through the property the breakage violates, and must find
// nothing wrong with the correct core over the same seeds. Without this, a green `npm run sim`
// would prove nothing: these tests show the checkers and the fault schedule have teeth.
import { describe, expect, it } from 'vitest';
import type { RaftFaults } from '../../daemon/src/raft/types.js';
import type { Profile } from './scenario.js';
import { runSeed } from './sim.js';
import type { RunResult } from './sim.js';

/** Most seeds searched per broken variant before the test fails. */
const MAX_SEEDS_PER_VARIANT = 40;

/** Properties a broken log/commit rule may legitimately trip first. */
const LOG_SAFETY = ['leader-completeness', 'applied-divergence', 'log-matching', 'commit', 'storage', 'durability',
  'election-safety', 'snapshot', 'linearizable-read'];

interface Variant {
  faults: RaftFaults;
  profile: Profile;
  /** The properties through which this breakage must show up. */
  properties: string[];
}

const VARIANTS: Record<string, Variant> = {
  grantVoteWithoutLogCheck: { faults: { grantVoteWithoutLogCheck: true }, profile: 'mixed', properties: LOG_SAFETY },
  commitPreviousTermByCounting: { faults: { commitPreviousTermByCounting: true }, profile: 'churn', properties: LOG_SAFETY },
  ignoreLease: { faults: { ignoreLease: true }, profile: 'churn', properties: ['lease', 'linearizable-read'] },
};

/** The first seed in 1..MAX_SEEDS_PER_VARIANT where the run finds a violation, or null. */
function firstViolation(faults: RaftFaults, profile: Profile): RunResult | null {
  for (let seed = 1; seed <= MAX_SEEDS_PER_VARIANT; seed++) {
    const r = runSeed(seed, { faults, profile });
    if (r.violations.length > 0) return r;
  }
  return null;
}

describe('broken Raft variants are caught', () => {
  const searchedUpTo = new Map<Profile, number>();
  for (const [name, v] of Object.entries(VARIANTS)) {
    it(`${name}: a violation of ${v.properties[0]}${v.properties.length > 1 ? ' (or another safety property)' : ''} within ${MAX_SEEDS_PER_VARIANT} ${v.profile} seeds`, () => {
      const r = firstViolation(v.faults, v.profile);
      expect(r, `${name} went undetected over ${MAX_SEEDS_PER_VARIANT} seeds`).not.toBeNull();
      const found = r!.violations[0];
      expect(v.properties, `seed ${r!.seed}: ${found.message}`).toContain(found.property);
      searchedUpTo.set(v.profile, Math.max(searchedUpTo.get(v.profile) ?? 0, r!.seed));
    });
  }

  it('the correct core passes the same seeds', () => {
    // The seeds the variants needed (at least 10 per profile, so this never checks nothing).
    for (const profile of ['mixed', 'churn'] as const) {
      const upTo = Math.max(10, searchedUpTo.get(profile) ?? MAX_SEEDS_PER_VARIANT);
      for (let seed = 1; seed <= upTo; seed++) {
        const r = runSeed(seed, { profile });
        expect(r.violations, `correct core, ${profile} seed ${seed}`).toEqual([]);
      }
    }
  });
});
