// The harness of the driver-agnostic md scenarios: the environment a scenario runs in, the
// bounded wait, step recording and the normalization that makes a report comparable between
// the simulated driver and the real kernel (the differential test).
// Owns: the report format. A step records what a driver reports right after one operation;
// values the kernel does not fix exactly (timing-dependent checkpoints, UUIDs, device
// numbers, times) are reduced to classes, everything else is kept exact.
// Invariants:
// - Members are named by their index in env.components ("c0", "c1", ...), never by path.
// - A report never contains a time, a UUID, a major/minor or a speed.
// - Every wait is bounded (MD_SCENARIO_MAX_POLLS polls and env.maxWaitMs of driver time).
import { MD_SCENARIO_MAX_POLLS } from '../lib/limits.js';
import { OpError } from '../../daemon/src/common/errors.js';
import type { MdDriver } from '../../daemon/src/md/driver.js';
import type { ArrayState, MemberFlag } from '../../daemon/src/md/types.js';

export interface ScenarioEnv {
  driver: MdDriver;
  /** At least three component paths of equal size (64 MiB in the reference runs). */
  components: string[];
  /** The md device to use, e.g. "md0". */
  device: string;
  /** Lets `ms` of driver time pass (sim: advance the manual clock; kernel: a real sleep). */
  sleep(ms: number): Promise<void>;
  /** Poll period of waits, ms (default 100). */
  pollMs?: number;
  /** Longest one wait may take, ms of driver time (default 120000). */
  maxWaitMs?: number;
  /**
   * Driver time let pass after every step before its state is read (default 300 ms), so that
   * work md does asynchronously in its thread (superblock writes, slot changes) has landed.
   */
  settleMs?: number;
}

/** A member as the report shows it. */
export interface NormalizedMember {
  component: string;
  slot: number | null;
  descNumber: number;
  flags: MemberFlag[];
  /** dev-X/recovery_start: 'none', or 'set' (its value depends on timing). */
  recoveryStart: 'none' | 'set';
}

export interface NormalizedArray {
  level: string;
  raidDisks: number;
  arrayState: string;
  degraded: number;
  syncAction: string;
  lastSyncAction: string | null;
  syncWaiting: string | null;
  /** sync_completed: null ("none"), 'running' (timing-dependent), or exact when `exactSync`. */
  syncCompleted: null | 'running' | { doneSectors: number; totalSectors: number };
  /** resync_start: null ("none"), 'set', or exact when `exactSync`. */
  resyncStart: null | 'set' | number;
  syncMax: number | 'max';
  consistencyPolicy: string;
  componentSizeKiB: number;
  arraySizeKiB: number;
  members: NormalizedMember[];
}

export interface ScenarioStep {
  step: string;
  /** The array after the step, or null when the device is gone (stopped). */
  state?: NormalizedArray | null;
  /** The operation failed as expected: catalog code and errno. */
  error?: { code: string; errno: string | null };
  /** Events after minus before, for steps where md's count is deterministic. */
  eventsDelta?: number;
}

export interface ScenarioReport {
  scenario: string;
  steps: ScenarioStep[];
}

export function componentLabel(env: ScenarioEnv, devPath: string): string {
  const i = env.components.indexOf(devPath);
  return i < 0 ? `other:${devPath}` : `c${i}`;
}

/** The comparable form of an ArrayState; `exactSync` keeps sync positions exact. */
export function normalizeArray(env: ScenarioEnv, a: ArrayState, exactSync = false): NormalizedArray {
  const members = a.members.map((m): NormalizedMember => ({
    component: componentLabel(env, m.devPath),
    slot: m.slot,
    descNumber: m.descNumber,
    flags: [...m.flags],
    recoveryStart: m.recoveryStartSectors === null ? 'none' : 'set',
  }));
  members.sort((x, y) => (x.component < y.component ? -1 : x.component > y.component ? 1 : 0));
  const sc = a.syncCompleted;
  return {
    level: a.level,
    raidDisks: a.raidDisks,
    arrayState: a.arrayState,
    degraded: a.degraded,
    syncAction: a.syncAction,
    lastSyncAction: a.lastSyncAction,
    syncWaiting: a.syncWaiting,
    syncCompleted: sc === null ? null : exactSync ? { doneSectors: sc.doneSectors, totalSectors: sc.totalSectors } : 'running',
    resyncStart: a.resyncStartSectors === null ? null : exactSync ? a.resyncStartSectors : 'set',
    syncMax: a.syncMaxSectors,
    consistencyPolicy: a.consistencyPolicy,
    componentSizeKiB: a.componentSizeKiB,
    arraySizeKiB: a.arraySizeKiB,
    members,
  };
}

/** Records one step: runs `op`, then snapshots the array (or notes that it is gone). */
export class StepRecorder {
  readonly steps: ScenarioStep[] = [];

  constructor(private readonly env: ScenarioEnv) {}

  /** Runs `op` and records the state after it (positions exact with `exactSync`). */
  async run(step: string, op: () => Promise<unknown>, opts: { exactSync?: boolean; events?: boolean } = {}): Promise<void> {
    const before = opts.events ? (await this.env.driver.readArray(this.env.device)).events : 0;
    await op();
    await this.env.sleep(this.env.settleMs ?? 300);
    const a = await arrayOrNull(this.env);
    const rec: ScenarioStep = { step, state: a === null ? null : normalizeArray(this.env, a, opts.exactSync === true) };
    if (opts.events && a !== null) rec.eventsDelta = a.events - before;
    this.steps.push(rec);
  }

  /** Runs `op`, which must fail with an OpError; records its code and errno. */
  async expectError(step: string, op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (e) {
      if (!(e instanceof OpError)) throw e;
      const errno = typeof e.details.errno === 'string' ? e.details.errno : null;
      this.steps.push({ step, error: { code: e.code, errno } });
      return;
    }
    this.steps.push({ step, error: { code: 'NO_ERROR', errno: null } });
  }
}

async function arrayOrNull(env: ScenarioEnv): Promise<ArrayState | null> {
  const list = await env.driver.listArrays();
  return list.includes(env.device) ? env.driver.readArray(env.device) : null;
}

/** Waits (bounded) until `pred` holds on the array; throws with `what` on timeout. */
export async function waitFor(env: ScenarioEnv, what: string, pred: (a: ArrayState) => boolean): Promise<ArrayState> {
  const pollMs = env.pollMs ?? 100;
  const maxWaitMs = env.maxWaitMs ?? 120_000;
  const polls = Math.min(MD_SCENARIO_MAX_POLLS, Math.ceil(maxWaitMs / pollMs) + 1);
  for (let i = 0; i < polls; i++) {
    const a = await env.driver.readArray(env.device);
    if (pred(a)) return a;
    await env.sleep(pollMs);
  }
  throw new Error(`scenario wait timed out: ${what} on ${env.device}`);
}

/** The member on component `path` carries `flag` and no slot (md has taken it out). */
export function isOutOfSlot(path: string, flag: 'faulty' | 'spare'): (a: ArrayState) => boolean {
  return (a) => a.members.some((m) => m.devPath === path && m.slot === null && m.flags.includes(flag));
}

/** No sync running, none pending. */
export function isIdle(a: ArrayState): boolean {
  return a.syncAction === 'idle' && a.syncCompleted === null && a.resyncStartSectors === null;
}
