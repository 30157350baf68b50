// Filling the Raft log with many small committed entries (to push a stopped node behind the
// leader's compaction point). Owns: pipelined proposals on one control connection.
// Invariant: at most INTEG_MAX_PIPELINED_PROPOSALS proposals are in flight; each entry is an
// idempotent device-seen command (the state does not grow with the count).
import { INTEG_MAX_PIPELINED_PROPOSALS } from '../../lib/limits.js';
import { ControlConn } from './control.js';

/** Proposes `count` device-seen entries through the node at `socketPath`; returns the last index. */
export async function fillLog(socketPath: string, node: string, path: string, count: number, inFlight = INTEG_MAX_PIPELINED_PROPOSALS): Promise<number> {
  const conn = new ControlConn(socketPath);
  let next = 0;
  let lastIndex = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const r = await conn.request<{ index: number }>('propose', { command: { op: 'device-seen', node, path }, timeoutMs: 20_000 });
      lastIndex = Math.max(lastIndex, r.index);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, INTEG_MAX_PIPELINED_PROPOSALS) }, worker));
  } finally {
    conn.close();
  }
  return lastIndex;
}
