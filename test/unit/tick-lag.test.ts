// raft-time.ts tickLagMs: how late a periodic timer ran, the event-loop lag the daemon exports as
// mdclusterd_event_loop_lag_seconds (node.ts measures it on every tick after the first).
import { describe, expect, it } from 'vitest';
import { tickLagMs } from '../../daemon/src/node/raft-time.js';

describe('tickLagMs', () => {
  it('is the time since the previous run beyond the interval', () => {
    expect(tickLagMs(1000, 1010, 10)).toBe(0);
    expect(tickLagMs(1000, 1013.5, 10)).toBe(3.5);
    expect(tickLagMs(1000, 1900, 10)).toBe(890);
  });

  it('is never negative: a timer that ran early is 0 late', () => {
    expect(tickLagMs(1000, 1004, 10)).toBe(0);
    expect(tickLagMs(1000, 999, 10)).toBe(0);
  });
});
