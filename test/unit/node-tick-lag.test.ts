// node/ticker.ts: every wake-up reports how late it ran after the instant it was armed for (the
// daemon exports it as mdclusterd_event_loop_lag_seconds), in a simulated world of real
// ClusterNodes whose timers fire exactly on time unless the daemon is frozen. A node sleeps until
// something is due (at most NODE_MAX_SLEEP_MS), so a stall longer than that always shows.
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_MAX_SLEEP_MS } from '../../daemon/src/common/limits.js';
import { TICK_MS, World } from './node-world.js';

let world: World | null = null;
afterEach(async () => { await world?.stopAll(); world = null; });

describe('tick lag', () => {
  it('is 0 on a free event loop and the length of a stall after one', async () => {
    const w = (world = new World());
    const lags = new Map<string, number[]>();
    w.start(['n1', 'n2', 'n3'], { onTickLagMs: (id, ms) => lags.set(id, [...(lags.get(id) ?? []), ms]) });
    await w.until(() => false, 3 * NODE_MAX_SLEEP_MS);
    for (const id of ['n1', 'n2', 'n3']) {
      expect(lags.get(id)?.length ?? 0, `${id}: wake-ups measured`).toBeGreaterThanOrEqual(2);
      expect(Math.max(...lags.get(id)!), `${id}: lag on a free loop`).toBe(0);
    }
    const before = lags.get('n2')!.length;
    const stallMs = NODE_MAX_SLEEP_MS + 500;
    w.nodes.get('n2')!.time.freeze(stallMs * 1000);
    await w.until(() => false, stallMs + 2 * NODE_MAX_SLEEP_MS);
    const after = lags.get('n2')!.slice(before);
    expect(Math.max(...after)).toBeGreaterThanOrEqual(stallMs - NODE_MAX_SLEEP_MS - TICK_MS);
    expect(Math.max(...after)).toBeLessThanOrEqual(stallMs);
    expect(Math.max(...lags.get('n1')!)).toBe(0);
  });
});
