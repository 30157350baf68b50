// UUIDs of simulated arrays and devices, drawn from the injected id source.
// Owns: the colon form mdadm prints ("xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx") and its validation.
// Invariant: every UUID this driver produces or accepts matches UUID_COLON_PATTERN.
import type { SimIdSource } from './deps.js';

export const UUID_COLON_PATTERN = /^[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}$/;

const UUID_DASHED_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newUuid(ids: SimIdSource): string {
  const words: string[] = [];
  for (let i = 0; i < 4; i++) words.push((ids.nextU32() >>> 0).toString(16).padStart(8, '0'));
  return words.join(':');
}

/** Accepts mdadm's colon form or the dashed 8-4-4-4-12 form; returns the colon form or null. */
export function normalizeUuid(text: string): string | null {
  const t = text.toLowerCase();
  if (UUID_COLON_PATTERN.test(t)) return t;
  if (!UUID_DASHED_PATTERN.test(t)) return null;
  const hex = t.replace(/-/g, '');
  return `${hex.slice(0, 8)}:${hex.slice(8, 16)}:${hex.slice(16, 24)}:${hex.slice(24, 32)}`;
}
