// The unit lane's share of `npm run fuzz` (test/fuzz/): every outside-input surface replays its
// seed corpus (test/fuzz/corpus/<surface>/) and then runs a short seeded fuzz run; any crash
// or hang fails the test with the offending input (base64) in the message. The long runs are
// `npm run fuzz -- --runs N`.
import { describe, expect, it } from 'vitest';
import { fuzzSurface, loadCorpus } from '../fuzz/engine.js';
import { SURFACES } from '../fuzz/surfaces/index.js';

/**
 * Generated inputs per surface after the corpus. In-process surfaces run about 1000 inputs a
 * second: 2000 reach their rarer paths (a planted non-UsageError in mdctl's intOption was found
 * after 300-700 inputs); the two that talk to a real daemon over sockets get 300.
 */
const SHORT_RUNS: Record<string, number> = { peer: 2000, control: 300, status: 300, config: 2000, kernel: 2000, mdctl: 2000 };

/** Hang bounds x20: here a hang means an input that does not finish, not a slow one (no timed assertions). */
const HANG_SCALE = 20;

describe('fuzz surfaces: corpus replay and a short run', () => {
  for (const surface of SURFACES) {
    it(`${surface.name}: ${surface.description}`, async () => {
      const corpus = loadCorpus(surface.name);
      expect(corpus.length).toBeGreaterThan(0);
      const runs = SHORT_RUNS[surface.name] ?? 300;
      const r = await fuzzSurface(surface, { runs, seed: 19, replayCorpus: true, saveCrashes: false, hangScale: HANG_SCALE });
      expect(r.inputs).toBe(corpus.length + runs);
      expect({ crashes: r.crashes, hangs: r.hangs, examples: r.examples }).toEqual({ crashes: 0, hangs: 0, examples: [] });
    });
  }
});
