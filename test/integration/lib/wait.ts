// Bounded waiting for the integration harness: sleep, poll-until with a deadline, and a
// promise timeout. Owns: the one way tests wait. Invariant: every wait has a deadline and
// fails with a message naming what was awaited and the last observation, never hangs.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

/** Thrown by a probe to stop waiting at once: the awaited condition can no longer come true. */
export class GiveUp extends Error {
  override name = 'GiveUp';
}

/**
 * Polls `probe` every `everyMs` until it returns a value other than undefined or false, or fails after
 * `timeoutMs`. A probe that throws counts as "not yet" (its last error is reported), except a
 * GiveUp, which ends the wait at once.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 20): Promise<Exclude<T, false>> {
  const deadlineMs = performance.now() + timeoutMs;
  let last: unknown = 'no observation';
  for (;;) {
    try {
      const v = await probe();
      // false is "not yet" too: a boolean probe must never end the wait on its first false.
      if (v !== undefined && v !== false) return v as Exclude<T, false>;
      last = 'condition false';
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    if (performance.now() >= deadlineMs) throw new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last).slice(0, 500)})`);
    await sleep(everyMs);
  }
}

/** Rejects with WaitTimeout if `p` does not settle within `timeoutMs`. */
export function withTimeout<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeout(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
