// Guest-side I/O helpers of the mdadm-vs-mdctl run (inside a kernel-lab guest): running a
// command with a bound, reading md sysfs, and waiting for a kernel state. Owns: those
// primitives and their bounds. Invariants: a command never throws (its exit code and output
// are the result; a spawn failure is code -1); every wait ends by its bound with an error
// that names what it waited for.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { CmdResult } from './results.js';
import type { MemberExpect, StepExpect } from './steps.js';

/** Bound on one mdadm/mdctl run (a node start under TCG takes seconds on a busy host). */
export const CMD_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** Interval and number of identical samples that make a kernel state "settled". */
const SETTLE_POLL_MS = 300;
const SETTLE_STABLE_SAMPLES = 3;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs argv (no shell); `label` replaces argv[0..n] in the record (e.g. node + mdctl path -> "mdctl"). */
export function run(argv: string[], label: string[] = argv, env: NodeJS.ProcessEnv = process.env): Promise<CmdResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: CMD_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', env }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
      resolve({ argv: label, code, stdout, stderr: e !== null && code === -1 ? `${stderr}${e.message}` : stderr, ms: Math.round(performance.now() - t0) });
    });
  });
}

/** One md sysfs attribute, or null when the file does not exist. */
export function sysfs(md: string, attr: string): string | null {
  const p = `/sys/block/${md}/md/${attr}`;
  if (!existsSync(p)) return null;
  try { return readFileSync(p, 'utf8').trim(); } catch { return null; }
}

export function memberState(md: string, name: string): MemberExpect | 'recovering' {
  const state = sysfs(md, `dev-${name}/state`);
  if (state === null) return 'absent';
  if (state.includes('faulty')) return 'faulty';
  if (state.includes('in_sync')) return 'in_sync';
  return sysfs(md, `dev-${name}/slot`) === 'none' ? 'spare' : 'recovering';
}

/** A compact picture of an array's kernel state, compared between samples. */
export function kernelPicture(md: string, members: readonly string[]): string {
  const state = sysfs(md, 'array_state');
  if (state === null || state === 'clear' || state === 'inactive') return `${md}: not running`;
  const parts = ['array_state', 'sync_action', 'sync_completed', 'degraded'].map((a) => `${a}=${sysfs(md, a)}`);
  for (const m of members) parts.push(`${m}=${memberState(md, m)}`);
  return `${md}: ${parts.join(' ')}`;
}

/** Why `md` is not (yet) in the expected state, or null when it is, idle and in sync. */
export function unmet(md: string, e: StepExpect): string | null {
  const state = sysfs(md, 'array_state');
  const running = state !== null && state !== 'clear' && state !== 'inactive';
  if (running !== e.running) return `${md} ${e.running ? 'not running' : 'still running'} (array_state=${state})`;
  if (!running) return null;
  if (e.arrayState && !e.arrayState.test(state)) return `${md} array_state=${state}, want ${e.arrayState}`;
  const action = sysfs(md, 'sync_action');
  const completed = sysfs(md, 'sync_completed');
  if (action !== 'idle' || completed !== 'none') return `${md} sync_action=${action} sync_completed=${completed}`;
  for (const [m, want] of Object.entries(e.members ?? {})) {
    const got = memberState(md, m);
    if (got !== want) return `${md} ${m} is ${got}, want ${want}`;
  }
  return null;
}

/**
 * Waits until every array meets its expectation and the kernel picture stayed the same for
 * SETTLE_STABLE_SAMPLES polls (md starts a recovery a moment after a fail, for instance).
 */
export async function waitSettled(targets: { md: string; expect: StepExpect; members: readonly string[] }[], boundMs: number): Promise<number> {
  const t0 = performance.now();
  let last = '';
  let stable = 0;
  for (;;) {
    const why = targets.map((t) => unmet(t.md, t.expect)).find((w) => w !== null) ?? null;
    const picture = targets.map((t) => kernelPicture(t.md, t.members)).join('; ');
    stable = why === null && picture === last ? stable + 1 : 0;
    last = picture;
    if (stable >= SETTLE_STABLE_SAMPLES - 1 && why === null) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > boundMs) throw new Error(`kernel state not reached within ${boundMs} ms: ${why ?? 'not stable'} (${picture})`);
    await sleep(SETTLE_POLL_MS);
  }
}
