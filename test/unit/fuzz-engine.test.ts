// The fuzz engine's hang rule (test/fuzz/engine.ts): a synchronous surface's input is a hang
// when it uses more than the bound in CPU time, never because the machine was busy (wall time).
// Two synthetic surfaces: one that sleeps past the bound without using CPU (Atomics.wait, as a
// descheduled process would look), one that spins past it. No timed assertion: the spin is
// measured in CPU time by the surface itself, the sleep uses none.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzSurface, type Surface } from '../fuzz/engine.js';

const BOUND_MS = 20;
const PAST_BOUND_MS = 3 * BOUND_MS;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function surface(name: string, run: () => void): Surface {
  return {
    name, description: 'synthetic', hangBoundMs: BOUND_MS,
    setup: () => Promise.resolve({ structured: fc.constant(Uint8Array.of(0)), run, close: () => Promise.resolve() }),
  };
}

describe('fuzz engine: hangs of synchronous surfaces are CPU time', () => {
  it('an input that sleeps past the bound (no CPU) is not a hang', async () => {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const r = await fuzzSurface(surface('synthetic-sleep', () => { Atomics.wait(sleeper, 0, 0, PAST_BOUND_MS); }),
      { runs: 3, seed: 1, replayCorpus: false, saveCrashes: false });
    expect({ inputs: r.inputs, hangs: r.hangs, crashes: r.crashes }).toEqual({ inputs: 3, hangs: 0, crashes: 0 });
  });

  it('an input that spins past the bound in CPU time is a hang', async () => {
    const spin = (): void => { const t0 = cpuMs(); while (cpuMs() - t0 < PAST_BOUND_MS) { /* spin */ } };
    const r = await fuzzSurface(surface('synthetic-spin', spin), { runs: 3, seed: 1, replayCorpus: false, saveCrashes: false });
    expect({ inputs: r.inputs, hangs: r.hangs, crashes: r.crashes }).toEqual({ inputs: 3, hangs: 3, crashes: 0 });
  });
});
