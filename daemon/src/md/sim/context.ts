// The shared context every part of one simulated kernel works with.
// Owns: nothing but the wiring (store, deps, event sink, system-wide tunables), so the
// operation modules stay free of the driver class and of each other.
// Invariants: one KernelCtx per driver instance (per simulated host); speed limits are
// system-wide like /proc/sys/dev/raid/speed_limit_{min,max}.
import type { MdEvent } from '../types.js';
import type { SimDeps } from './deps.js';
import type { DiskStore } from './disk-store.js';

export interface KernelCtx {
  readonly store: DiskStore;
  readonly deps: SimDeps;
  /** Queues an event for watchers (delivered later through the injected timers). */
  readonly emit: (event: MdEvent) => void;
  /** Host name used in default array names ("<host>:<N>", like mdadm's homehost). */
  readonly hostName: string;
  /** md's safe_mode_delay: the time after the last write before the array is marked clean. */
  readonly safeModeDelayMs: number;
  /** speed_limit_min / speed_limit_max in KiB/s. */
  speed: { minKiBps: number; maxKiBps: number };
}

/** Seconds since the epoch, as a superblock's ctime/utime. */
export function nowSec(ctx: KernelCtx): number {
  return Math.floor(ctx.deps.clock.nowMs() / 1000);
}

/** The sync rate with no competing I/O: md runs at speed_limit_max, never below speed_limit_min. */
export function syncRateSectorsPerMs(ctx: KernelCtx): number {
  const kibps = Math.max(ctx.speed.minKiBps, ctx.speed.maxKiBps);
  return (kibps * 2) / 1000;
}

export function syncSpeedKiBps(ctx: KernelCtx): number {
  return Math.max(ctx.speed.minKiBps, ctx.speed.maxKiBps);
}
