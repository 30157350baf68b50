// The unit lane's share of `npm run fuzz` (test/fuzz/): every outside-input surface replays its
// seed corpus (test/fuzz/corpus/<surface>/) and then runs a short seeded fuzz run; any crash
// or hang fails the test with the offending input (base64) in the message. The long runs are
// `npm run fuzz -- --runs N`.
import { describe, expect, it } from 'vitest';
import { fuzzSurface, loadCorpus } from '../fuzz/engine.js';
import { SURFACES } from '../fuzz/surfaces/index.js';

/** Generated inputs per surface after the corpus: enough to reach every generator branch. */
const SHORT_RUNS = 300;

describe('fuzz surfaces: corpus replay and a short run', () => {
  for (const surface of SURFACES) {
    it(`${surface.name}: ${surface.description}`, async () => {
      const corpus = loadCorpus(surface.name);
      expect(corpus.length).toBeGreaterThan(0);
      const r = await fuzzSurface(surface, { runs: SHORT_RUNS, seed: 19, replayCorpus: true, saveCrashes: false });
      expect(r.inputs).toBe(corpus.length + SHORT_RUNS);
      expect({ crashes: r.crashes, hangs: r.hangs, examples: r.examples }).toEqual({ crashes: 0, hangs: 0, examples: [] });
    });
  }
});
