// Guest-side helpers for the kernel driver scenario (runs INSIDE a kernel-lab guest with real md,
// as `node dist/test/kernel/driver/scenario.js`). Owns: the check/result bookkeeping, waiting
// for md states, and reading mdadm's own view (--detail, --export, --examine) to compare with.
// Invariants: a failed check records its error and the scenario goes on (later checks say what
// else broke); results are written as JSON to $LAB_OUT/driver-results.json at the end.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import type { ArrayState } from '../../../daemon/src/md/types.js';
import type { RefreshInfo } from '../../../daemon/src/md/kernel/watcher.js';

/** The watcher's most recent refresh (set through the driver's onWatchRefresh). */
export const lastRefresh: { info: RefreshInfo | null } = { info: null };

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface Results {
  checks: CheckResult[];
  latency: {
    trials: number; samplesMs: number[]; warmupMs: number[]; writeMs: number[]; afterWriteMs: number[]; afterWriteP99Ms: number;
    /** Per trial: write start -> worker poll() return, -> main thread re-read start, re-read duration. */
    workerWakeMs: number[]; dispatchMs: number[]; rereadMs: number[];
    p50Ms: number; p99Ms: number; maxMs: number;
  } | null;
  notes: Record<string, unknown>;
}

export const results: Results = { checks: [], latency: null, notes: {} };

export async function check(name: string, fn: () => Promise<void> | void): Promise<boolean> {
  const t0 = performance.now();
  try {
    await fn();
    results.checks.push({ name, ok: true, ms: Math.round(performance.now() - t0) });
    console.log(`PASS ${name}`);
    return true;
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}${'code' in err ? ` [${String((err as { code: unknown }).code)}]` : ''}` : String(err);
    results.checks.push({ name, ok: false, ms: Math.round(performance.now() - t0), error });
    console.log(`FAIL ${name}: ${error}`);
    return false;
  }
}

export function expectEq<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export function expectTrue(cond: unknown, what: string): void {
  if (!cond) throw new Error(`expected: ${what}`);
}

/** Rejects unless `p` rejects with an OpError of `code` (and errno, when given). */
export async function expectCode(p: Promise<unknown>, code: string, errno?: string): Promise<void> {
  let err: unknown;
  try { await p; } catch (e) { err = e; }
  const got = err as { code?: string; details?: { errno?: string } } | undefined;
  if (got?.code !== code || (errno !== undefined && got.details?.errno !== errno)) {
    throw new Error(`expected ${code}${errno ? `/${errno}` : ''}, got ${err === undefined ? 'success' : `${got?.code}/${got?.details?.errno}: ${String(err)}`}`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` (test code may poll) until it returns a value, or throws after `ms`. */
export async function waitUntil<T>(what: string, ms: number, fn: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(20);
  }
}

/**
 * Waits until no sync runs and the array has `degraded` missing slots (default 0). Right after a
 * create or an add, sync_action can read idle before md's thread has started the recovery, so
 * idle alone is not enough.
 */
export function waitIdle(d: KernelMdDriver, array: string, ms = 120_000, degraded = 0): Promise<ArrayState> {
  return waitUntil(`${array} idle with ${degraded} degraded`, ms, async () => {
    const s = await d.readArray(array);
    return s.syncAction === 'idle' && s.syncCompleted === null && s.degraded === degraded ? s : undefined;
  });
}

export function mdadm(args: string[]): string {
  return execFileSync('mdadm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function sysfs(array: string, attr: string): string {
  return readFileSync(`/sys/block/${array}/md/${attr}`, 'utf8').trimEnd();
}

export function writeSysfs(array: string, attr: string, value: string): void {
  writeFileSync(`/sys/block/${array}/md/${attr}`, value);
}

export function exportFacts(array: string): Map<string, string> {
  const text = mdadm(['--detail', '--export', `/dev/${array}`]);
  return new Map(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export function detailField(text: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key} : (.*)$`, 'm').exec(text)?.[1].trim();
}

export function examineFields(dev: string): Map<string, string> {
  const text = mdadm(['--examine', dev]);
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z][A-Za-z ]*?) : (.*)$/.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], m[2].trim());
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

export function writeResults(): void {
  const out = process.env.LAB_OUT ?? '/tmp';
  writeFileSync(`${out}/driver-results.json`, `${JSON.stringify(results, null, 2)}\n`);
}
