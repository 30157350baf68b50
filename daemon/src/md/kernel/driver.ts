// The kernel MdDriver: md on this node through native/ ioctls, sysfs, /proc and (for metadata
// writing only) the system's mdadm. Owns: input validation at the driver boundary and the wiring
// of the per-concern modules in this directory.
// Invariants:
// - Every array name and member path from the caller is validated before any I/O (paths.ts,
//   members.ts); bad input rejects with E_INVALID_ARGUMENT and never reaches a syscall.
// - Every method rejects only with OpError for operating failures (see md/driver.ts).
// - assemble({readOnly: false}) leaves the array writable: mdadm's packaging sets md_mod
//   start_ro=1, which starts assembled arrays "read-auto"; the driver switches those to
//   read-write (RESTART_ARRAY_RW) so resync/recovery run at once. readOnly: true gives "readonly".
// - close() stops every watcher this driver started.
// - zeroSuperblock runs `mdadm --zero-superblock` (mdadm writes metadata, as for create).
import { OpError } from '../../common/errors.js';
import { MD_FORMAT_MAX_TEXT_BYTES } from '../../common/limits.js';
import type { Sectors } from '../../common/types.js';
import type { MdDriver, SpeedLimits, WatchHandle } from '../driver.js';
import type { ArrayState, AssembleSpec, CreateSpec, DdfFacts, MdEvent, Superblock090Info, SuperblockInfo, SyncAction } from '../types.js';
import { readSuperblockV1 } from '../../../../native/src/superblock.js';
import type { SuperblockV1 } from '../../../../native/src/superblock-format.js';
import { DEFAULT_KERNEL_PATHS, devPathOfNumber, mdstatPath, resolveArrayName, type KernelPaths } from './paths.js';
import { realReadPorts, type ReadPorts } from './ports.js';
import { readArrayState } from './read-array.js';
import { listArrayNames } from './list-arrays.js';
import { readText } from './sysfs-io.js';
import * as arrayControl from './array-control.js';
import * as memberControl from './member-control.js';
import * as resync from './resync-control.js';
import * as grow from './grow-control.js';
import { assembleArgs, createArgs, newArrayName, realMdadm, type MdadmRunner } from './mdadm.js';
import { validateMemberPath } from './members.js';
import { KernelWatcher, type RefreshInfo } from './watcher.js';
import { ArrayLocks } from './array-lock.js';

export interface KernelDriverOptions {
  /** Roots of sysfs, procfs and /dev (tests point these at captured trees). */
  paths?: KernelPaths;
  /** mdadm runner (default: the system's `mdadm` through execFile). */
  mdadm?: MdadmRunner;
  /** Read ports (default: native ioctls, superblock reader, /proc/mdstat). */
  readPorts?: ReadPorts;
  /** Watcher fallback re-read interval in ms (default MD_WATCH_FALLBACK_INTERVAL_MS). */
  watchFallbackMs?: number;
  /** Watcher read failures (the watcher keeps running). */
  onWatchError?(err: Error): void;
  /** Watcher timing after each wake (metrics). */
  onWatchRefresh?(info: RefreshInfo): void;
}

export interface KernelWatchHandle extends WatchHandle {
  /** Resolves once the watcher's poll worker has armed its files (later changes wake it at once). */
  readonly ready: Promise<void>;
}

export class KernelMdDriver implements MdDriver {
  readonly kind = 'kernel' as const;
  private readonly paths: KernelPaths;
  private readonly mdadm: MdadmRunner;
  private readonly ports: ReadPorts;
  private readonly memberDeps: memberControl.MemberDeps;
  /** Invariant: every open watcher, removed when it closes. */
  private readonly watchers = new Set<KernelWatcher>();
  /** Invariant: every call that reads or changes one array runs under its lock (array-lock.ts). */
  private readonly locks = new ArrayLocks();
  /**
   * Invariant: array name -> a readArray queued behind that array's lock and not started yet.
   * A later readArray joins it instead of queueing another (its result is read after the join),
   * so callers that poll faster than a read completes cannot grow the lock's queue.
   */
  private readonly queuedReads = new Map<string, Promise<ArrayState>>();

  constructor(private readonly opts: KernelDriverOptions = {}) {
    this.paths = opts.paths ?? DEFAULT_KERNEL_PATHS;
    this.mdadm = opts.mdadm ?? realMdadm();
    this.ports = opts.readPorts ?? realReadPorts(this.paths);
    this.memberDeps = { paths: this.paths, mdadm: this.mdadm, readSuperblock: (p, minor) => this.ports.superblock(p, minor) };
  }

  private name(device: string): Promise<string> {
    return resolveArrayName(device, this.paths);
  }

  /** Runs fn with the resolved array name, one call per array at a time (array-lock.ts). */
  private async locked<T>(device: string, fn: (name: string) => Promise<T>): Promise<T> {
    const name = await this.name(device);
    return this.locks.run(name, () => fn(name));
  }

  // ---- read ----
  async listArrays(): Promise<string[]> {
    return listArrayNames(this.paths);
  }
  async readArray(device: string): Promise<ArrayState> {
    const name = await this.name(device);
    const queued = this.queuedReads.get(name);
    if (queued !== undefined) return queued;
    const read = this.locks.run(name, async () => {
      this.queuedReads.delete(name);
      return readArrayState(this.paths, this.ports, name);
    });
    this.queuedReads.set(name, read);
    return read;
  }
  async readMdstat(): Promise<string> {
    const text = readText(mdstatPath(this.paths), MD_FORMAT_MAX_TEXT_BYTES, { syscall: 'mdstat', device: 'mdstat' });
    if (text === undefined) throw new OpError('E_NOT_SUPPORTED', 'md is not loaded on this node (no /proc/mdstat)', {});
    return text;
  }
  async readSuperblock(devPath: string): Promise<SuperblockInfo> {
    const sb: SuperblockV1 = await readSuperblockV1(validateMemberPath(devPath));
    const { devFlags: _devFlags, role: _role, ...info } = sb;
    return info;
  }
  async readDdf(devPath: string): Promise<DdfFacts> {
    return this.ports.ddf(validateMemberPath(devPath));
  }
  /** A 0.90 superblock, its descriptors named as mdadm's map_dev names them (this node's devices). */
  async readSuperblock090(devPath: string): Promise<Superblock090Info> {
    const sb = await this.ports.superblock090(validateMemberPath(devPath));
    for (const d of [sb.thisDisk, ...sb.disks]) d.devPath = devPathOfNumber(this.paths, d.major, d.minor);
    return sb;
  }

  /** mdadm is the metadata writer here too: it erases every superblock kind it knows (0.90, 1.x). */
  async zeroSuperblock(devPath: string): Promise<'zeroed' | 'none'> {
    const path = validateMemberPath(devPath);
    try {
      const r = await this.mdadm.run(['--zero-superblock', path]);
      return /Unrecognised md component device/.test(r.stderr) ? 'none' : 'zeroed';
    } catch (e) {
      if (e instanceof OpError && /Couldn't open .* for write/.test(e.message)) throw new OpError('E_DEVICE_BUSY', e.message.replace(/^mdadm: /, ''), { member: path });
      throw e;
    }
  }

  // ---- create / assemble ----
  async create(spec: CreateSpec): Promise<void> {
    const args = createArgs(spec, this.paths);
    await this.locks.run(newArrayName(spec.device, this.paths), async () => { await this.mdadm.run(args); });
  }
  async assemble(spec: AssembleSpec): Promise<void> {
    const args = assembleArgs(spec, this.paths);
    const name = newArrayName(spec.device, this.paths);
    await this.locks.run(name, async () => {
      await this.mdadm.run(args);
      if (spec.readOnly) return;
      if (arrayControl.readRunState(this.paths, name) === 'read-auto') await arrayControl.setReadWrite(this.paths, name);
    });
  }

  // ---- array state ----
  async run(device: string): Promise<void> { await this.locked(device, (n) => arrayControl.runArray(this.paths, n)); }
  async stop(device: string): Promise<void> { await this.locked(device, (n) => arrayControl.stopArray(this.paths, n)); }
  async setReadOnly(device: string): Promise<void> { await this.locked(device, (n) => arrayControl.setReadOnly(this.paths, n)); }
  async setReadWrite(device: string): Promise<void> { await this.locked(device, (n) => arrayControl.setReadWrite(this.paths, n)); }

  // ---- members ----
  async setFaulty(device: string, member: string): Promise<void> {
    await this.locked(device, (n) => memberControl.setFaulty(this.memberDeps, n, member));
  }
  async hotRemove(device: string, member: string): Promise<void> {
    await this.locked(device, (n) => memberControl.hotRemove(this.memberDeps, n, member));
  }
  async hotAdd(device: string, member: string): Promise<void> {
    await this.locked(device, (n) => memberControl.hotAdd(this.memberDeps, n, member));
  }
  async reAdd(device: string, member: string): Promise<void> {
    await this.locked(device, (n) => memberControl.reAdd(this.memberDeps, n, member));
  }
  async setWriteMostly(device: string, member: string, on: boolean): Promise<void> {
    if (typeof on !== 'boolean') throw new OpError('E_INVALID_ARGUMENT', 'on must be a boolean', { on });
    await this.locked(device, (n) => memberControl.setWriteMostly(this.memberDeps, n, member, on));
  }
  async replace(device: string, member: string, withMember: string): Promise<void> {
    await this.locked(device, (n) => memberControl.replace(this.memberDeps, n, member, withMember));
  }

  // ---- grow ----
  async setBitmap(device: string, bitmap: 'internal' | 'none'): Promise<void> {
    if (bitmap !== 'internal' && bitmap !== 'none') throw new OpError('E_INVALID_ARGUMENT', 'bitmap must be internal or none', { bitmap });
    await this.locked(device, (n) => grow.setBitmap(this.paths, this.mdadm, n, bitmap));
  }
  async setRaidDisks(device: string, raidDisks: number, opts: { backupFile?: string }): Promise<void> {
    await this.locked(device, (n) => grow.setRaidDisks(this.paths, this.mdadm, n, raidDisks, opts?.backupFile));
  }
  async setChunkSize(device: string, chunkKiB: number, opts: { backupFile?: string }): Promise<void> {
    await this.locked(device, (n) => grow.setChunkSize(this.paths, this.mdadm, n, chunkKiB, opts?.backupFile));
  }
  async setComponentSize(device: string, sizeKiB: number, assumeClean: boolean): Promise<void> {
    await this.locked(device, (n) => grow.setComponentSize(this.paths, n, sizeKiB, assumeClean === true));
  }

  // ---- resync control ----
  async setSyncAction(device: string, action: SyncAction): Promise<void> {
    await this.locked(device, (n) => resync.setSyncAction(this.paths, n, action));
  }
  async setSyncMin(device: string, value: Sectors): Promise<void> {
    await this.locked(device, (n) => resync.setSyncMin(this.paths, n, value));
  }
  async setSyncMax(device: string, value: Sectors | 'max'): Promise<void> {
    await this.locked(device, (n) => resync.setSyncMax(this.paths, n, value));
  }
  async setResyncStart(device: string, value: Sectors | null): Promise<void> {
    await this.locked(device, (n) => resync.setResyncStart(this.paths, n, value));
  }
  async setRecoveryStart(device: string, member: string, value: Sectors): Promise<void> {
    await this.locked(device, (n) => resync.setRecoveryStart(this.paths, n, member, value));
  }
  async setSpeedLimits(limits: SpeedLimits): Promise<void> {
    await resync.setSpeedLimits(this.paths, limits);
  }

  // ---- events ----
  /** The handle also carries `ready` (the poll worker is armed); see KernelWatchHandle. */
  watch(onEvent: (event: MdEvent) => void): KernelWatchHandle {
    const watcher = new KernelWatcher({
      paths: this.paths, onEvent, onError: this.opts.onWatchError, fallbackMs: this.opts.watchFallbackMs,
      onRefresh: this.opts.onWatchRefresh,
    });
    this.watchers.add(watcher);
    return {
      ready: watcher.ready,
      close: async () => {
        this.watchers.delete(watcher);
        await watcher.close();
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.watchers];
    this.watchers.clear();
    await Promise.all(all.map((w) => w.close()));
  }
}
