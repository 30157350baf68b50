// The history checker (history.ts) and the sim clients (clients.ts) must catch broken exactly-once
// implementations, each through the property it breaks, and find nothing wrong with the real one
// over the same seeds. Planted bugs (one at a time, undone after each test):
// - sessions forgotten: apply takes every request as new (cluster/sessions.ts checkSession
//   mocked), so a retried or re-proposed request is applied again;
// - answers guessed: a node that does not learn a request's outcome in time answers ok instead
//   of E_TIMEOUT (node/requests.ts RequestPath.submit patched);
// - unconditional observations: the master's kernel view carries no base index (cluster/plan.ts
//   plan mocked to plan without one), so a view read before a client command can revert it.
// Owns nothing but these assertions.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OpError } from '../../../daemon/src/common/errors.js';
import { RequestPath } from '../../../daemon/src/node/requests.js';
import { runClusterSeed, type ClusterRunResult } from './sim.js';

const broken = vi.hoisted(() => ({ forgetSessions: false, unconditionalObserve: false }));

vi.mock('../../../daemon/src/cluster/plan.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../daemon/src/cluster/plan.js')>();
  return {
    ...real,
    plan: (...args: Parameters<typeof real.plan>) => {
      const [rec, ctx, actual] = args;
      return real.plan(rec, broken.unconditionalObserve ? { ...ctx, base: undefined } : ctx, actual);
    },
  };
});

vi.mock('../../../daemon/src/cluster/sessions.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../daemon/src/cluster/sessions.js')>();
  return {
    ...real,
    checkSession: (...args: Parameters<typeof real.checkSession>) => (broken.forgetSessions ? { kind: 'new' as const } : real.checkSession(...args)),
  };
});

/** Seeds a planted bug may need before the history checker fires. */
const BROKEN_SEEDS = 12;
const EXACTLY_ONCE = ['exactly-once', 'member-model', 'linearizable', 'final-state'];

const restores: (() => void)[] = [];
afterEach(() => {
  broken.forgetSessions = false;
  broken.unconditionalObserve = false;
  for (const undo of restores.splice(0)) undo();
});

/** The highest seed a planted bug needed: the real implementation must pass seeds 1 to it. */
let searchedUpTo = 4;

async function firstViolation(properties: readonly string[]): Promise<ClusterRunResult | null> {
  for (let seed = 1; seed <= BROKEN_SEEDS; seed++) {
    const r = await runClusterSeed(seed, { clients: true, profile: 'base' });
    if (r.violation !== null && properties.includes(r.violation.property)) {
      searchedUpTo = Math.max(searchedUpTo, seed);
      return r;
    }
  }
  return null;
}

describe('the history checker catches broken exactly-once implementations', () => {
  it('a request applied again (sessions forgotten at apply)', async () => {
    broken.forgetSessions = true;
    const r = await firstViolation(['exactly-once']);
    expect(r, 'a request applied twice went undetected').not.toBeNull();
    expect(r!.violation!.message).toMatch(/applied again|duplicate/);
  });

  it('an answer guessed on a timeout', async () => {
    const submit = RequestPath.prototype.submit;
    RequestPath.prototype.submit = async function (this: RequestPath, ...args: Parameters<typeof submit>) {
      try {
        return await submit.apply(this, args);
      } catch (e) {
        if (e instanceof OpError && e.code === 'E_TIMEOUT') return { ok: true, index: 0 as never };
        throw e;
      }
    } as typeof submit;
    restores.push(() => { RequestPath.prototype.submit = submit; });
    const r = await firstViolation(EXACTLY_ONCE);
    expect(r, 'an answer that was a guess went undetected').not.toBeNull();
  });

  it('an observation that reverts a client command (no base index)', async () => {
    broken.unconditionalObserve = true;
    const r = await firstViolation(['member-model', 'linearizable']);
    expect(r, 'an observation reverting a client command went undetected').not.toBeNull();
  });

  it('the real implementation passes the same seeds', async () => {
    let answered = 0;
    for (let seed = 1; seed <= searchedUpTo; seed++) {
      const r = await runClusterSeed(seed, { clients: true, profile: 'base' });
      expect(r.violation, `seed ${seed}: ${r.violation?.property}: ${r.violation?.message}`).toBeNull();
      answered += r.stats.history?.answered ?? 0;
    }
    expect(answered).toBeGreaterThan(20);
  });
});
