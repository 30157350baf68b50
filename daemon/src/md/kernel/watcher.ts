// Turns md's sysfs notifications into typed MdEvents. Owns: the watched file set, the current
// light snapshots, and which arrays to re-read on each wake.
// Invariants:
// - No polling loop on this thread: a SysfsPoller worker sleeps in poll(2) on /proc/mdstat and,
//   per array, md/array_state, sync_action, degraded, sync_completed and every dev-X/state; the
//   only timed activity is its slow fallback wake (MD_WATCH_FALLBACK_INTERVAL_MS by default),
//   which re-reads everything.
// - Events are relative to the snapshot taken when watching starts; each wake re-reads (light,
//   synchronous sysfs pass) only the arrays whose files fired, or all arrays when /proc/mdstat
//   fired or on the fallback, and delivers diffSnapshots(old, new) in order.
// - A read failure (an unparseable value) keeps that array's previous snapshot and is reported
//   through onError; it never stops the watcher.
// - After close() resolves no event is delivered and the worker thread has exited.
// - Changes made before `ready` resolves are not lost: the worker's first wake re-reads every
//   array, so they arrive as soon as the worker runs.
import { OpError } from '../../common/errors.js';
import { MD_WATCH_FALLBACK_INTERVAL_MS, MD_WATCH_MIN_FALLBACK_INTERVAL_MS } from '../../common/limits.js';
import type { MdEvent } from '../types.js';
import type { WatchHandle } from '../driver.js';
import { SysfsPoller, type WakeReason } from '../../../../native/src/poll-worker.js';
import { diffSnapshots, type ArraySnapshot } from './events-diff.js';
import { readLightSnapshots } from './snapshot.js';
import { listArrayNames } from './list-arrays.js';
import { mdDir, mdstatPath, type KernelPaths } from './paths.js';

const ARRAY_WATCH_ATTRS = ['array_state', 'sync_action', 'degraded', 'sync_completed'] as const;

export interface WatcherOptions {
  paths: KernelPaths;
  onEvent(event: MdEvent): void;
  /** A refresh failed (the watcher keeps running); default: ignored. */
  onError?(err: Error): void;
  /** Fallback re-read interval; default MD_WATCH_FALLBACK_INTERVAL_MS. */
  fallbackMs?: number;
}

export class KernelWatcher implements WatchHandle {
  /** Invariant: the state every delivered event so far has led to. */
  private snapshots: Map<string, ArraySnapshot>;
  private readonly poller: SysfsPoller;
  private watched: string[];
  private closed = false;

  constructor(private readonly opts: WatcherOptions) {
    const fallbackMs = opts.fallbackMs ?? MD_WATCH_FALLBACK_INTERVAL_MS;
    if (!Number.isSafeInteger(fallbackMs) || fallbackMs < MD_WATCH_MIN_FALLBACK_INTERVAL_MS) {
      throw new OpError('E_INVALID_ARGUMENT', `fallback interval must be >= ${MD_WATCH_MIN_FALLBACK_INTERVAL_MS} ms`, { fallbackMs });
    }
    this.snapshots = readLightSnapshots(opts.paths, listArrayNames(opts.paths));
    this.watched = this.watchPaths();
    this.poller = new SysfsPoller({
      paths: this.watched,
      timeoutMs: fallbackMs,
      onWake: (paths, reason) => this.onWake(paths, reason),
      onError: (err) => this.report(err),
    });
  }

  private report(err: unknown): void {
    if (this.closed) return;
    this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  /** mdstat first, then each array's files, then its members' state files. */
  private watchPaths(): string[] {
    const out = [mdstatPath(this.opts.paths)];
    for (const s of this.snapshots.values()) {
      const dir = mdDir(this.opts.paths, s.device);
      for (const a of ARRAY_WATCH_ATTRS) out.push(`${dir}/${a}`);
      for (const m of s.members) out.push(`${dir}/dev-${m.name}/state`);
    }
    return out;
  }

  /** The array a watched file belongs to, or null for /proc/mdstat. */
  private arrayOf(path: string): string | null {
    const prefix = `${this.opts.paths.sysRoot}/block/`;
    if (!path.startsWith(prefix)) return null;
    const name = path.slice(prefix.length).split('/')[0];
    return name.length > 0 ? name : null;
  }

  private onWake(paths: string[], reason: WakeReason): void {
    if (this.closed) return;
    const arrays = new Set<string>();
    let all = reason === 'timeout';
    for (const p of paths) {
      const a = this.arrayOf(p);
      if (a === null) all = true; else arrays.add(a);
    }
    try {
      this.refresh(all ? null : arrays);
    } catch (err) {
      this.report(err);
    }
  }

  /** Re-reads `arrays` (null: every array), delivers the differences, updates the watch set. */
  private refresh(arrays: ReadonlySet<string> | null): void {
    const next = new Map(this.snapshots);
    if (arrays === null) {
      const names = listArrayNames(this.opts.paths);
      for (const name of next.keys()) if (!names.includes(name)) next.delete(name);
      this.readInto(next, names);
    } else {
      for (const name of arrays) next.delete(name);
      this.readInto(next, [...arrays]);
    }
    const events = diffSnapshots(this.snapshots, next);
    this.snapshots = next;
    const watched = this.watchPaths();
    if (watched.join('\n') !== this.watched.join('\n')) {
      this.watched = watched;
      this.poller.setPaths(watched);
    }
    for (const e of events) {
      if (this.closed) return;
      this.opts.onEvent(e);
    }
  }

  /** Reads each array separately, so one unreadable array keeps its old snapshot. */
  private readInto(next: Map<string, ArraySnapshot>, names: readonly string[]): void {
    for (const name of names) {
      try {
        const snap = readLightSnapshots(this.opts.paths, [name]).get(name);
        if (snap === undefined) next.delete(name); else next.set(name, snap);
      } catch (err) {
        const old = this.snapshots.get(name);
        if (old !== undefined) next.set(name, old);
        this.report(err);
      }
    }
  }

  /** Resolves once the poll worker watches its files: changes after this wake it directly. */
  get ready(): Promise<void> {
    return this.poller.ready;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.poller.close();
  }
}
