// SimMdDriver: the simulated Linux 6.1 md driver behind the MdDriver interface, one instance
// per simulated host, all hosts sharing one DiskStore (shared disks).
// Owns: this host's in-memory "kernel" (its arrays, newest first like /proc/mdstat), the
// orchestration after every change (settle syncs, md_check_recovery, wake-up timers, change
// events) and the sim-only controls (injectFault, writeToArray, crash, setOpenCount,
// assembleAsMdadm).
// Invariants:
// - Every state change happens synchronously inside one call or one timer callback, so a run
//   driven by ManualTime is deterministic; methods return already-settled promises.
// - The running arrays never re-read superblocks (stop + assemble does).
// - After close() every method rejects with E_SHUTTING_DOWN and no timer stays armed.
import { OpError } from '../../common/errors.js';
import { MD_MAX_ARRAYS, SIM_MD_MAX_SETTLE_STEPS } from '../../common/limits.js';
import type { Sectors } from '../../common/types.js';
import { isSectors } from '../../common/types.js';
import { mdstatFromArrays, renderMdstat } from '../format/mdstat.js';
import type { MdDriver, SpeedLimits, WatchHandle } from '../driver.js';
import type { ArrayState, AssembleSpec, CreateSpec, MdEvent, SuperblockInfo, SyncAction } from '../types.js';
import * as ops from './array-ops.js';
import { setBitmap, setChunkSize, setComponentSize, setRaidDisks } from './grow-ops.js';
import { assembleArray } from './assemble.js';
import type { KernelCtx } from './context.js';
import { createArray, normalizeDevice } from './create.js';
import type { SimDeps } from './deps.js';
import type { DiskStore } from './disk-store.js';
import { EventQueue } from './emitter.js';
import { noSuchArray } from './errors.js';
import * as members from './member-ops.js';
import type { SimArray } from './model.js';
import { degradedCount } from './model.js';
import { checkRecovery } from './recovery.js';
import { arrayRunState, arrayState } from './snapshot.js';
import { toSuperblockInfo } from './superblock.js';
import { nextStepMs, reanchor, settleSync } from './sync.js';

export interface SimMdDriverOptions {
  store: DiskStore;
  deps: SimDeps;
  /** Default array names are "<hostName>:<N>". */
  hostName?: string;
  /** md's safe_mode_delay (kernel default 0.204 s). */
  safeModeDelayMs?: number;
  /** Initial speed_limit_min / speed_limit_max (kernel defaults 1000 / 200000 KiB/s). */
  speed?: SpeedLimits;
}

const SYNC_ACTIONS: readonly SyncAction[] = ['idle', 'resync', 'recover', 'check', 'repair', 'frozen', 'reshape'];
const SPEED_MAX_KIBPS = 0x7fffffff;

export class SimMdDriver implements MdDriver {
  readonly kind = 'sim' as const;
  private readonly ctx: KernelCtx;
  private readonly events: EventQueue;
  /** Newest first. Invariant: device names unique. */
  private arrays: SimArray[] = [];
  private readonly observed = new Map<string, { state: string; degraded: number }>();
  private closed = false;

  constructor(opts: SimMdDriverOptions) {
    this.events = new EventQueue(opts.deps.timers, opts.deps.logger);
    this.ctx = {
      store: opts.store, deps: opts.deps, emit: (e: MdEvent) => this.events.push(e),
      hostName: opts.hostName ?? 'simhost', safeModeDelayMs: opts.safeModeDelayMs ?? 204,
      speed: { minKiBps: opts.speed?.minKiBps ?? 1000, maxKiBps: opts.speed?.maxKiBps ?? 200_000 },
    };
  }

  get store(): DiskStore {
    return this.ctx.store;
  }

  /** Does this host see the component `path` (the sim's answer to "is it a block device")? */
  hasDevice(path: string): boolean {
    try {
      return this.ctx.store.resolve(path) !== null;
    } catch (e) {
      this.ctx.deps.logger.warn('simulated disk lookup failed', { path, err: String(e) });
      return false;
    }
  }

  /** Events dropped because the watcher queue was full. */
  get droppedEvents(): number {
    return this.events.droppedEvents;
  }

  // ------------------------------------------------------------------ read
  async listArrays(): Promise<string[]> {
    this.live();
    return this.arrays.map((a) => a.device);
  }

  async readArray(device: string): Promise<ArrayState> {
    const a = this.find(device);
    this.afterChange(a);
    return arrayState(this.ctx, a);
  }

  async readMdstat(): Promise<string> {
    this.live();
    for (const a of this.arrays) this.afterChange(a);
    return renderMdstat(mdstatFromArrays(this.arrays.map((a) => arrayState(this.ctx, a, true))));
  }

  async readSuperblock(devPath: string): Promise<SuperblockInfo> {
    this.live();
    const rec = members.resolveDisk(this.ctx, devPath);
    if (rec.superblock === null) throw new OpError('E_NO_SUPERBLOCK', `no md superblock on ${devPath}`, { member: devPath });
    return toSuperblockInfo(rec.superblock);
  }

  async zeroSuperblock(devPath: string): Promise<'zeroed' | 'none'> {
    this.live();
    const rec = members.resolveDisk(this.ctx, devPath);
    if (this.inUse(rec.diskId)) throw new OpError('E_DEVICE_BUSY', `Couldn't open ${devPath} for write - not zeroing`, { member: devPath });
    if (rec.superblock === null) return 'none';
    this.ctx.store.writeSuperblock(rec.diskId, null);
    return 'zeroed';
  }

  // ------------------------------------------------------------------ create / assemble
  async create(spec: CreateSpec): Promise<void> {
    this.addArray(spec, createArray);
  }

  /**
   * As the kernel driver: mdadm assembles (md_mod start_ro=1 starts the array auto-read-only),
   * then, unless readOnly was asked, RESTART_ARRAY_RW makes it read-write at once.
   */
  async assemble(spec: AssembleSpec): Promise<void> {
    await this.assembleAsMdadm(spec);
    if (spec.readOnly !== true) await this.setReadWrite(normalizeDevice(spec.device));
  }

  /** Sim-only: `mdadm --assemble` run outside the driver (e.g. at boot): readOnly false leaves it auto-read-only. */
  async assembleAsMdadm(spec: AssembleSpec): Promise<void> {
    this.addArray(spec, assembleArray);
  }

  /** Builds a new array from `spec` with `build` (create or assemble) and registers it. */
  private addArray<S extends { device?: string }>(
    spec: S,
    build: (ctx: KernelCtx, spec: S, inUse: (id: string) => boolean) => SimArray,
  ): void {
    this.live();
    this.admitNew(spec?.device);
    this.register(build(this.ctx, spec, (id) => this.inUse(id)));
  }

  // ------------------------------------------------------------------ array state
  /** RUN on a running array succeeds without effect; there are no inactive arrays to start. */
  async run(device: string): Promise<void> {
    this.find(device);
  }

  async stop(device: string): Promise<void> {
    this.live();
    const a = this.lookup(device);
    if (a === undefined) return;
    this.settle(a);
    ops.stopArray(this.ctx, a);
    this.arrays = this.arrays.filter((x) => x !== a);
    this.observed.delete(a.device);
    this.ctx.emit({ type: 'array-stopped', device: a.device });
  }

  async setReadOnly(device: string): Promise<void> {
    this.change(device, (a) => ops.setReadOnly(this.ctx, a));
  }

  async setReadWrite(device: string): Promise<void> {
    this.change(device, (a) => ops.setReadWrite(this.ctx, a));
  }

  // ------------------------------------------------------------------ members
  async setFaulty(device: string, member: string): Promise<void> {
    this.change(device, (a) => {
      const syscall = 'ioctl(SET_DISK_FAULTY)';
      const m = members.memberByPath(this.ctx, a, member, syscall, 'ENODEV');
      if (m.faulty) return;
      // Linux md_ioctl dispatches SET_DISK_FAULTY before its read-only gate: it works on a
      // read-only array (no EROFS) and leaves an auto-read-only array as it is.
      members.failMember(this.ctx, a, m, true);
    });
  }

  async hotRemove(device: string, member: string): Promise<void> {
    this.change(device, (a) => members.hotRemove(this.ctx, a, member));
  }

  async hotAdd(device: string, member: string): Promise<void> {
    this.change(device, (a) => members.hotAdd(this.ctx, a, member, (id) => this.inUse(id)));
  }

  async reAdd(device: string, member: string): Promise<void> {
    this.change(device, (a) => members.reAdd(this.ctx, a, member, (id) => this.inUse(id)));
  }

  async setWriteMostly(device: string, member: string, on: boolean): Promise<void> {
    this.change(device, (a) => members.setWriteMostly(this.ctx, a, member, on === true));
  }

  async replace(device: string, member: string, withMember: string): Promise<void> {
    this.change(device, (a) => members.replaceMember(this.ctx, a, member, withMember));
  }

  // ------------------------------------------------------------------ grow
  async setBitmap(device: string, bitmap: 'internal' | 'none'): Promise<void> {
    if (bitmap !== 'internal' && bitmap !== 'none') throw new OpError('E_INVALID_ARGUMENT', `invalid bitmap ${JSON.stringify(bitmap)}`);
    this.change(device, (a) => setBitmap(this.ctx, a, bitmap));
  }

  async setRaidDisks(device: string, raidDisks: number, _opts: { backupFile?: string } = {}): Promise<void> {
    if (!Number.isSafeInteger(raidDisks) || raidDisks < 1) throw new OpError('E_INVALID_ARGUMENT', `invalid raid_disks ${JSON.stringify(raidDisks)}`);
    this.change(device, (a) => setRaidDisks(this.ctx, a, raidDisks));
  }

  async setChunkSize(device: string, chunkKiB: number, opts: { backupFile?: string } = {}): Promise<void> {
    if (!Number.isSafeInteger(chunkKiB) || chunkKiB < 1) throw new OpError('E_INVALID_ARGUMENT', `invalid chunk size ${JSON.stringify(chunkKiB)}`);
    this.change(device, (a) => setChunkSize(this.ctx, a, chunkKiB, opts.backupFile));
  }

  async setComponentSize(device: string, sizeKiB: number, assumeClean: boolean): Promise<void> {
    if (!Number.isSafeInteger(sizeKiB) || sizeKiB < 1) throw new OpError('E_INVALID_ARGUMENT', `invalid component size ${JSON.stringify(sizeKiB)}`);
    this.change(device, (a) => setComponentSize(this.ctx, a, sizeKiB, assumeClean === true));
  }

  // ------------------------------------------------------------------ resync control
  async setSyncAction(device: string, action: SyncAction): Promise<void> {
    if (!SYNC_ACTIONS.includes(action)) throw new OpError('E_INVALID_ARGUMENT', `invalid sync action ${JSON.stringify(action)}`);
    if (action === 'reshape') throw new OpError('E_NOT_SUPPORTED', 'the simulated driver starts a reshape only through setRaidDisks');
    this.change(device, (a) => ops.setSyncAction(this.ctx, a, action));
  }

  async setSyncMin(device: string, value: Sectors): Promise<void> {
    const n = checkSectors(value, 'sync_min');
    this.change(device, (a) => ops.setSyncMin(a, n));
  }

  async setSyncMax(device: string, value: Sectors | 'max'): Promise<void> {
    const n = value === 'max' ? 'max' : checkSectors(value, 'sync_max');
    this.change(device, (a) => ops.setSyncMax(this.ctx, a, n));
  }

  async setResyncStart(device: string, value: Sectors | null): Promise<void> {
    const n = value === null ? null : checkSectors(value, 'resync_start');
    this.change(device, (a) => ops.setResyncStart(this.ctx, a, n));
  }

  async setRecoveryStart(device: string, member: string, value: Sectors): Promise<void> {
    const n = checkSectors(value, 'recovery_start');
    this.change(device, (a) => ops.setRecoveryStart(this.ctx, a, member, n));
  }

  async setSpeedLimits(limits: SpeedLimits): Promise<void> {
    this.live();
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= SPEED_MAX_KIBPS;
    if (typeof limits !== 'object' || limits === null || !ok(limits.minKiBps) || !ok(limits.maxKiBps)) {
      throw new OpError('E_INVALID_ARGUMENT', 'speed limits must be integers in [0, 2^31-1] KiB/s');
    }
    for (const a of this.arrays) this.settle(a);
    this.ctx.speed = { minKiBps: limits.minKiBps, maxKiBps: limits.maxKiBps };
    for (const a of this.arrays) {
      reanchor(this.ctx, a);
      this.afterChange(a);
    }
  }

  // ------------------------------------------------------------------ events
  watch(onEvent: (event: MdEvent) => void): WatchHandle {
    this.live();
    return this.events.watch(onEvent);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimers();
    this.events.close();
  }

  // ------------------------------------------------------------------ sim-only controls
  /** The member fails on its own (an I/O error): md_error, in any array state. */
  async injectFault(device: string, member: string): Promise<void> {
    this.change(device, (a) => {
      const m = members.memberByPath(this.ctx, a, member, 'md_error', 'ENODEV');
      m.errors++;
      members.failMember(this.ctx, a, m, false);
    });
  }

  /** Something writes `sectors` to the array (marks it dirty; clean again after safe_mode_delay). */
  async writeToArray(device: string, sectorsWritten = 8): Promise<void> {
    const n = checkSectors(sectorsWritten, 'sectors');
    this.change(device, (a) => ops.writeToArray(this.ctx, a, n, () => this.afterChange(a)));
  }

  /** Simulated openers (e.g. a mounted filesystem): stop and read-only fail with EBUSY while > 0. */
  async setOpenCount(device: string, openCount: number): Promise<void> {
    const a = this.find(device);
    if (!Number.isSafeInteger(openCount) || openCount < 0) throw new OpError('E_INVALID_ARGUMENT', 'invalid open count');
    a.openCount = openCount;
  }

  /** The host crashes (sysrq b): the in-memory kernel is lost, no superblock is written. */
  crash(): void {
    this.cancelTimers();
    this.arrays = [];
    this.observed.clear();
  }

  // ------------------------------------------------------------------ internals
  private live(): void {
    if (this.closed) throw new OpError('E_SHUTTING_DOWN', 'the simulated md driver is closed');
  }

  private lookup(device: string): SimArray | undefined {
    const m = typeof device === 'string' ? /^(?:\/dev\/)?(md[0-9]{1,4})$/.exec(device) : null;
    return m === null ? undefined : this.arrays.find((a) => a.device === m[1]);
  }

  private find(device: string): SimArray {
    this.live();
    const a = this.lookup(device);
    if (a === undefined) throw noSuchArray(String(device));
    return a;
  }

  private change(device: string, fn: (a: SimArray) => void): void {
    const a = this.find(device);
    this.settle(a);
    try {
      fn(a);
    } finally {
      this.afterChange(a);
    }
  }

  private admitNew(device: unknown): void {
    const name = normalizeDevice(device);
    if (this.lookup(name) !== undefined) throw new OpError('E_ARRAY_EXISTS', `${name} is already active`, { device: name });
    if (this.arrays.length >= MD_MAX_ARRAYS) throw new OpError('E_TOO_LARGE', 'too many arrays on this host', { limit: MD_MAX_ARRAYS });
  }

  private register(a: SimArray): void {
    this.arrays.unshift(a);
    this.ctx.emit({ type: 'array-started', device: a.device });
    this.observed.set(a.device, { state: arrayRunState(a), degraded: degradedCount(a) });
    this.afterChange(a);
  }

  private inUse(diskId: string): boolean {
    return this.arrays.some((a) => a.members.some((m) => m.diskId === diskId));
  }

  /** Brings a running sync up to now (checkpoints, parking, completion + what follows). */
  private settle(a: SimArray): void {
    for (let i = 0; i < SIM_MD_MAX_SETTLE_STEPS; i++) {
      if (!settleSync(this.ctx, a)) return;
      checkRecovery(this.ctx, a);
    }
  }

  /** md_check_recovery + settle until stable, re-arm the wake-up, emit state-change events. */
  private afterChange(a: SimArray): void {
    if (!this.arrays.includes(a)) return;
    checkRecovery(this.ctx, a);
    this.settle(a);
    this.rearm(a);
    this.emitChanges(a);
  }

  private rearm(a: SimArray): void {
    a.timer?.cancel();
    a.timer = null;
    const at = nextStepMs(a);
    if (at === null) return;
    const delay = Math.max(0, Math.ceil(at - this.ctx.deps.clock.nowMs()));
    a.timer = this.ctx.deps.timers.setTimeout(() => {
      a.timer = null;
      if (!this.closed) this.afterChange(a);
    }, delay);
  }

  private emitChanges(a: SimArray): void {
    const now = { state: arrayRunState(a), degraded: degradedCount(a) };
    const before = this.observed.get(a.device);
    this.observed.set(a.device, now);
    if (before === undefined) return;
    if (before.state !== now.state) this.ctx.emit({ type: 'array-state-changed', device: a.device, arrayState: now.state });
    if (before.degraded !== now.degraded) this.ctx.emit({ type: 'degraded-changed', device: a.device, degraded: now.degraded });
  }

  private cancelTimers(): void {
    for (const a of this.arrays) {
      a.timer?.cancel();
      a.timer = null;
      a.safeModeTimer?.cancel();
      a.safeModeTimer = null;
    }
  }
}

function checkSectors(value: unknown, what: string): number {
  if (!isSectors(value)) throw new OpError('E_INVALID_ARGUMENT', `invalid ${what}: ${JSON.stringify(value)}`);
  return value;
}
