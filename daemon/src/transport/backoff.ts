// Reconnect backoff for peer links: exponential with "equal jitter".
// Owns: the delay before redial attempt n.
// Invariants: minMs/2 <= delay <= maxMs for every attempt; the exponent is capped at
// PEER_MAX_BACKOFF_EXPONENT so the arithmetic stays exact however long a peer stays away;
// half the delay is random so that nodes that lost a peer together do not redial in lockstep.
import { assert } from '../common/assert.js';
import { PEER_MAX_BACKOFF_EXPONENT } from '../common/limits.js';

/** delay = cap/2 + random*cap/2, cap = min(maxMs, minMs * 2^attempt). random() is in [0, 1). */
export function backoffDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  assert(Number.isSafeInteger(attempt) && attempt >= 0, 'attempt is a non-negative integer');
  assert(minMs > 0 && maxMs >= minMs, 'backoff bounds are ordered');
  const exponent = Math.min(attempt, PEER_MAX_BACKOFF_EXPONENT);
  const capMs = Math.min(maxMs, minMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(maxMs, Math.round(capMs / 2 + (r * capMs) / 2));
}
