// One daemon incarnation's md driver in the cluster simulator: the real SimMdDriver (the host's
// simulated kernel) behind a thin MdDriver that adds seeded ioctl latency, dies with the
// incarnation, and tells the checkers after every kernel change. Plus passive peeks at the
// simulated kernel for the checkers.
// Invariants:
// - Every mutating call waits a seeded latency, changes the kernel, waits again, then resolves;
//   the single-writer checker runs right after the kernel changed (before the caller resumes),
//   so two writable kernels are caught even when they overlap for less than one event.
// - A dead incarnation's calls never run and never resolve (the host crashed).
// - Peeks never change the simulated kernel (no settle, no timers, no events): checking must
//   not perturb the run. They read the driver's private array list and context; a change of
//   those internals fails loudly (assert) instead of silently checking nothing.
import { assert } from '../../../daemon/src/common/assert.js';
import type { Sectors } from '../../../daemon/src/common/types.js';
import type { MdDriver, SpeedLimits, WatchHandle } from '../../../daemon/src/md/driver.js';
import type { KernelCtx } from '../../../daemon/src/md/sim/context.js';
import type { SimArray } from '../../../daemon/src/md/sim/model.js';
import type { SimMdDriver } from '../../../daemon/src/md/sim/sim-driver.js';
import { arrayRunState, arrayState } from '../../../daemon/src/md/sim/snapshot.js';
import type { ArrayState, AssembleSpec, CreateSpec, MdEvent, SuperblockInfo, SyncAction } from '../../../daemon/src/md/types.js';
import type { Rand } from '../rand.js';
import type { NodeTime } from './node-time.js';
import type { RangeUs } from './world.js';

const READ_ONLY_STATES: ReadonlySet<string> = new Set(['readonly', 'read-auto', 'inactive', 'clear']);

/** The simulated kernel's array `device`, or undefined; never changes the kernel. */
export function peekSimArray(sim: SimMdDriver, device: string): SimArray | undefined {
  const arrays = (sim as unknown as { arrays?: unknown }).arrays;
  assert(Array.isArray(arrays), 'SimMdDriver internals changed: no private arrays list to peek at');
  return (arrays as SimArray[]).find((a) => a.device === device);
}

/** md/array_state of `device` is a writable state (not readonly, read-auto, inactive or absent). */
export function kernelWritable(sim: SimMdDriver, device: string): boolean {
  const a = peekSimArray(sim, device);
  return a !== undefined && !READ_ONLY_STATES.has(arrayRunState(a));
}

/** What readArray would report now (checkpointed sync position), without settling anything. */
export function peekArrayState(sim: SimMdDriver, device: string): ArrayState | null {
  const a = peekSimArray(sim, device);
  if (a === undefined) return null;
  const ctx = (sim as unknown as { ctx?: KernelCtx }).ctx;
  assert(ctx !== undefined && typeof ctx === 'object', 'SimMdDriver internals changed: no private ctx to peek with');
  return arrayState(ctx, a);
}

export class HostKernel implements MdDriver {
  readonly kind = 'sim' as const;

  constructor(
    readonly sim: SimMdDriver,
    private readonly time: NodeTime,
    private readonly rand: Rand,
    private readonly latencyUs: RangeUs,
    private readonly onChange: () => void,
  ) {}

  /** For the control handler's device confirmation. */
  hasDevice(path: string): boolean {
    return this.sim.hasDevice(path);
  }

  // ---- reads: instantaneous (sysfs reads), but a dead host answers nothing ----
  listArrays(): Promise<string[]> { return this.read(() => this.sim.listArrays()); }
  readArray(device: string): Promise<ArrayState> { return this.read(() => this.sim.readArray(device)); }
  readMdstat(): Promise<string> { return this.read(() => this.sim.readMdstat()); }
  readSuperblock(devPath: string): Promise<SuperblockInfo> { return this.read(() => this.sim.readSuperblock(devPath)); }

  // ---- changes ----
  create(spec: CreateSpec): Promise<void> { return this.change(() => this.sim.create(spec)); }
  assemble(spec: AssembleSpec): Promise<void> { return this.change(() => this.sim.assemble(spec)); }
  run(device: string): Promise<void> { return this.change(() => this.sim.run(device)); }
  stop(device: string): Promise<void> { return this.change(() => this.sim.stop(device)); }
  setReadOnly(device: string): Promise<void> { return this.change(() => this.sim.setReadOnly(device)); }
  setReadWrite(device: string): Promise<void> { return this.change(() => this.sim.setReadWrite(device)); }
  setFaulty(device: string, member: string): Promise<void> { return this.change(() => this.sim.setFaulty(device, member)); }
  hotRemove(device: string, member: string): Promise<void> { return this.change(() => this.sim.hotRemove(device, member)); }
  hotAdd(device: string, member: string): Promise<void> { return this.change(() => this.sim.hotAdd(device, member)); }
  reAdd(device: string, member: string): Promise<void> { return this.change(() => this.sim.reAdd(device, member)); }
  setWriteMostly(device: string, member: string, on: boolean): Promise<void> { return this.change(() => this.sim.setWriteMostly(device, member, on)); }
  replace(device: string, member: string, withMember: string): Promise<void> { return this.change(() => this.sim.replace(device, member, withMember)); }
  setBitmap(device: string, bitmap: 'internal' | 'none'): Promise<void> { return this.change(() => this.sim.setBitmap(device, bitmap)); }
  setRaidDisks(device: string, raidDisks: number, opts: { backupFile?: string }): Promise<void> { return this.change(() => this.sim.setRaidDisks(device, raidDisks, opts)); }
  setChunkSize(device: string, chunkKiB: number, opts: { backupFile?: string }): Promise<void> { return this.change(() => this.sim.setChunkSize(device, chunkKiB, opts)); }
  setComponentSize(device: string, sizeKiB: number, assumeClean: boolean): Promise<void> { return this.change(() => this.sim.setComponentSize(device, sizeKiB, assumeClean)); }
  setSyncAction(device: string, action: SyncAction): Promise<void> { return this.change(() => this.sim.setSyncAction(device, action)); }
  setSyncMin(device: string, s: Sectors): Promise<void> { return this.change(() => this.sim.setSyncMin(device, s)); }
  setSyncMax(device: string, s: Sectors | 'max'): Promise<void> { return this.change(() => this.sim.setSyncMax(device, s)); }
  setResyncStart(device: string, s: Sectors | null): Promise<void> { return this.change(() => this.sim.setResyncStart(device, s)); }
  setRecoveryStart(device: string, member: string, s: Sectors): Promise<void> { return this.change(() => this.sim.setRecoveryStart(device, member, s)); }
  setSpeedLimits(limits: SpeedLimits): Promise<void> { return this.change(() => this.sim.setSpeedLimits(limits)); }

  watch(onEvent: (event: MdEvent) => void): WatchHandle {
    return this.sim.watch((ev) => this.time.runAsDaemon(() => onEvent(ev)));
  }

  /** The daemon closes its driver; the simulated kernel (and its arrays) stay with the host. */
  async close(): Promise<void> {}

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.time.alive) return new Promise<T>(() => {});
    return fn();
  }

  private async change(fn: () => Promise<void>): Promise<void> {
    await this.delay();
    // The simulated kernel changes synchronously inside fn(): check before anything else runs.
    let result: Promise<void>;
    try {
      result = fn();
    } finally {
      this.onChange();
    }
    let failure: unknown = null;
    try {
      await result;
    } catch (e) {
      failure = e;
    }
    await this.delay();
    if (failure !== null) throw failure;
  }

  /** Half of one call's latency; never resolves once the incarnation is dead. */
  private async delay(): Promise<void> {
    if (!this.time.alive) return new Promise<void>(() => {});
    const us = this.rand.int(this.latencyUs.lo, this.latencyUs.hi) / 2;
    if (us > 0) await new Promise<void>((resolve) => this.time.setTimeout(resolve, us / 1000));
    if (!this.time.alive) return new Promise<void>(() => {});
  }
}
