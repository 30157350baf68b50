// A machine-wide lock so that only one integration cluster (3 daemons) runs at a time, even
// when vitest runs test files in parallel or a benchmark runs next to the tests: the failover
// and latency assertions measure the daemons, not a CPU fight between several clusters.
// Owns: the lock directory <tmpdir>/mdci-cluster.lock (mkdir is atomic) holding the owner pid.
// Invariants: a lock whose owner process is gone is broken and taken over; the holder's
// process 'exit' hook removes it; waiting is bounded (LOCK_WAIT_TIMEOUT_MS) and fails loudly.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './wait.js';

/** Longest wait for another cluster to finish (a whole integration file takes ~1-2 minutes). */
export const LOCK_WAIT_TIMEOUT_MS = 300_000;
const LOCK_POLL_MS = 200;
const LOCK_DIR = join(tmpdir(), 'mdci-cluster.lock');

let held = 0;
let hookInstalled = false;

function ownerAlive(): boolean {
  let pid: number;
  try { pid = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8')); } catch { return true; } // being written: treat as alive
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Takes the lock (re-entrant within this process); returns a release function. */
export async function acquireClusterLock(timeoutMs = LOCK_WAIT_TIMEOUT_MS): Promise<() => void> {
  const release = (): void => {
    if (held === 0) return;
    held--;
    if (held === 0) rmSync(LOCK_DIR, { recursive: true, force: true });
  };
  if (held > 0) { held++; return release; }
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      held = 1;
      if (!hookInstalled) {
        hookInstalled = true;
        process.on('exit', () => { if (held > 0) rmSync(LOCK_DIR, { recursive: true, force: true }); });
      }
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (!ownerAlive()) { rmSync(LOCK_DIR, { recursive: true, force: true }); continue; }
    if (performance.now() > deadline) throw new Error(`another integration cluster held ${LOCK_DIR} for more than ${timeoutMs} ms`);
    await sleep(LOCK_POLL_MS);
  }
}
