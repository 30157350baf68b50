// node.ts measureTickLag: every tick after the first reports how late it ran (the daemon exports
// it as mdclusterd_event_loop_lag_seconds), in a simulated world of real ClusterNodes whose
// timers fire exactly on time unless the daemon is frozen.
import { afterEach, describe, expect, it } from 'vitest';
import { TICK_MS, World } from './node-world.js';

let world: World | null = null;
afterEach(async () => { await world?.stopAll(); world = null; });

describe('tick lag', () => {
  it('is 0 on a free event loop and the length of a stall after one', async () => {
    const w = (world = new World());
    const lags = new Map<string, number[]>();
    w.start(['n1', 'n2', 'n3'], { onTickLagMs: (id, ms) => lags.set(id, [...(lags.get(id) ?? []), ms]) });
    await w.until(() => false, 300);
    for (const id of ['n1', 'n2', 'n3']) {
      expect(lags.get(id)!.length, `${id}: ticks measured in 300 ms`).toBeGreaterThanOrEqual(300 / TICK_MS - 3);
      expect(Math.max(...lags.get(id)!), `${id}: lag on a free loop`).toBe(0);
    }
    const before = lags.get('n2')!.length;
    w.nodes.get('n2')!.time.freeze(250_000);
    await w.until(() => false, 400);
    const after = lags.get('n2')!.slice(before);
    expect(Math.max(...after)).toBeGreaterThanOrEqual(250 - 2 * TICK_MS);
    expect(Math.max(...after)).toBeLessThanOrEqual(250);
    expect(Math.max(...lags.get('n1')!)).toBe(0);
  });
});
