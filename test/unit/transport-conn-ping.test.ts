// Liveness pings of one peer link (daemon/src/transport/conn.ts sweep()) on a fake websocket:
// a link that delivered a message within the last ping interval is not pinged (its traffic shows
// it is alive), a quiet one is, and one silent for deadAfterMs is terminated.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { nodeId } from '../../daemon/src/common/types.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { Conn } from '../../daemon/src/transport/conn.js';
import { encodeFrame, FrameKind } from '../../daemon/src/transport/frame.js';
import { newPeerCounters } from '../../daemon/src/transport/stats.js';

const PING_MS = 500;
const DEAD_MS = 2000;

function link(): { conn: Conn; ws: { pings: number; terminated: boolean; emit(ev: string, ...a: unknown[]): void }; clock: { nowMs: number } } {
  const handlers = new Map<string, (...a: unknown[]) => void>();
  const ws = {
    readyState: WebSocket.OPEN, pings: 0, terminated: false,
    on(ev: string, fn: (...a: unknown[]) => void) { handlers.set(ev, fn); },
    ping() { this.pings++; },
    terminate() { this.terminated = true; },
    emit(ev: string, ...a: unknown[]) { handlers.get(ev)?.(...a); },
  };
  const clock = { nowMs: 0 };
  const counters = newPeerCounters();
  const conn = new Conn(ws as unknown as WebSocket, nodeId('n2'), 'in', {
    log: silentLogger, counters: () => counters, isBlocked: () => false, rtt: () => {}, deliver: () => {}, nowMs: () => clock.nowMs,
  });
  return { conn, ws, clock };
}

describe('peer link pings', () => {
  it('a link that carries messages is not pinged; a quiet one is; a silent one is terminated', () => {
    const { conn, ws, clock } = link();
    const heartbeat = encodeFrame(FrameKind.RAFT, new Uint8Array([1, 2, 3]));
    for (let t = 0; t < 4 * PING_MS; t += 50) { // heartbeats every 50 ms, sweeps every ping interval
      clock.nowMs = t;
      ws.emit('message', heartbeat, true);
      if (t % PING_MS === 0) conn.sweep(DEAD_MS, PING_MS);
    }
    expect(ws.pings, 'pinged a link that carried a message in the last interval').toBe(0);
    clock.nowMs += PING_MS; // the messages stop
    conn.sweep(DEAD_MS, PING_MS);
    expect(ws.pings).toBe(1);
    clock.nowMs += DEAD_MS + 1;
    conn.sweep(DEAD_MS, PING_MS);
    expect(ws.terminated).toBe(true);
  });
});
