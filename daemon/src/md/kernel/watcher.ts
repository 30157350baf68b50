// Turns md's sysfs notifications into typed MdEvents. Owns: the watched file set, the current
// light snapshots, and which arrays to re-read on each wake.
// Invariants:
// - No polling loop on this thread: a SysfsPoller worker sleeps in poll(2) on /proc/mdstat and,
//   per array, md/array_state, sync_action, degraded, sync_completed and every dev-X/state; the
//   only timed activity is its slow fallback wake (MD_WATCH_FALLBACK_INTERVAL_MS by default),
//   which re-reads everything.
// - Each wake first applies the notified files' contents, as the worker re-read them, to the
//   known snapshots (snapshot-patch.ts) and delivers what changed: no sysfs read on the way to
//   the first event. Then, always:
// - Events are relative to the snapshot taken when watching starts; each wake re-reads (light,
//   synchronous sysfs pass over cached descriptors) only the arrays whose files fired; when
//   /proc/mdstat fired and lists other arrays than we know, or on the fallback, it lists and
//   re-reads everything; it delivers diffSnapshots(old, new) in order.
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
import { LIGHT_SELECTION, readLightSnapshots } from './snapshot.js';
import { AttrCache } from './attr-cache.js';
import { patchSnapshots } from './snapshot-patch.js';
import { listArrayNames } from './list-arrays.js';
import { mdDir, mdstatPath, type KernelPaths } from './paths.js';

const ARRAY_WATCH_ATTRS = ['array_state', 'sync_action', 'degraded', 'sync_completed'] as const;

/** Timing of one wake, for metrics: epoch ms (performance.timeOrigin-based). */
export interface RefreshInfo {
  reason: WakeReason;
  /** Arrays re-read, or null for all. */
  arrays: string[] | null;
  /** poll() returned in the worker. */
  wokeAtMs: number;
  /** The main thread began the re-read. */
  startedAtMs: number;
  /** Events were computed (before delivery). */
  readAtMs: number;
  events: number;
}

export interface WatcherOptions {
  paths: KernelPaths;
  onEvent(event: MdEvent): void;
  /** A refresh failed (the watcher keeps running); default: ignored. */
  onError?(err: Error): void;
  /** Fallback re-read interval; default MD_WATCH_FALLBACK_INTERVAL_MS. */
  fallbackMs?: number;
  /** Called after each wake's re-read, before its events are delivered (metrics). */
  onRefresh?(info: RefreshInfo): void;
}

export class KernelWatcher implements WatchHandle {
  /** Invariant: the state every delivered event so far has led to. */
  private snapshots: Map<string, ArraySnapshot>;
  private readonly poller: SysfsPoller;
  /** Open descriptors of the light snapshot's files (one pread per attribute per refresh). */
  private readonly cache = new AttrCache();
  /** The files the worker was last told to watch. */
  private watched: string[];
  /** Invariant: false until close(); set before the worker stops so no late event is delivered. */
  private closed = false;

  constructor(private readonly opts: WatcherOptions) {
    const fallbackMs = opts.fallbackMs ?? MD_WATCH_FALLBACK_INTERVAL_MS;
    if (!Number.isSafeInteger(fallbackMs) || fallbackMs < MD_WATCH_MIN_FALLBACK_INTERVAL_MS) {
      throw new OpError('E_INVALID_ARGUMENT', `fallback interval must be >= ${MD_WATCH_MIN_FALLBACK_INTERVAL_MS} ms`, { fallbackMs });
    }
    this.snapshots = new Map();
    const first = new Map<string, ArraySnapshot>();
    this.readInto(first, listArrayNames(opts.paths, this.cache.read)); // unreadable arrays: onError
    this.snapshots = first;
    this.watched = this.watchPathsOf(this.snapshots);
    this.poller = new SysfsPoller({
      paths: this.watched,
      timeoutMs: fallbackMs,
      onWake: (paths, reason, wokeAtMs, contents) => this.onWake(paths, reason, wokeAtMs, contents),
      onError: (err) => this.report(err),
    });
  }

  private report(err: unknown): void {
    if (this.closed) return;
    this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  /** mdstat first, then each array's files, then its members' state files. */
  private watchPathsOf(snapshots: ReadonlyMap<string, ArraySnapshot>): string[] {
    const out = [mdstatPath(this.opts.paths)];
    for (const s of snapshots.values()) {
      const dir = mdDir(this.opts.paths, s.device);
      for (const a of ARRAY_WATCH_ATTRS) out.push(`${dir}/${a}`);
      for (const m of s.members) out.push(`${dir}/dev-${m.name}/state`);
    }
    return out;
  }

  /** Whether `path` is a file the light snapshot of an array or member in `snapshots` reads. */
  private isLightFileOf(snapshots: ReadonlyMap<string, ArraySnapshot>, path: string): boolean {
    const name = this.arrayOf(path);
    const snap = name === null ? undefined : snapshots.get(name);
    if (snap === undefined) return false;
    const rest = path.slice(mdDir(this.opts.paths, snap.device).length + 1);
    const m = /^dev-([^/]+)\/([^/]+)$/.exec(rest);
    if (m === null) return LIGHT_SELECTION.array.includes(rest);
    return LIGHT_SELECTION.member.includes(m[2]) && snap.members.some((x) => x.name === m[1]);
  }

  /** The array a watched file belongs to, or null for /proc/mdstat. */
  private arrayOf(path: string): string | null {
    const prefix = `${this.opts.paths.sysRoot}/block/`;
    if (!path.startsWith(prefix)) return null;
    const name = path.slice(prefix.length).split('/')[0];
    return name.length > 0 ? name : null;
  }

  /**
   * Which arrays a wake needs re-read: those whose files fired. /proc/mdstat fires on every md
   * event; when its array list (shipped by the worker) matches ours, no /sys/block listing is
   * needed and, if no array file fired with it, every known array is re-read. A changed list, a
   * missing mdstat text or the fallback timeout re-read everything (null).
   */
  private arraysToRead(paths: string[], reason: WakeReason, mdstat: string | undefined): Set<string> | null {
    if (reason === 'timeout') return null;
    const arrays = new Set<string>();
    let mdstatFired = false;
    for (const p of paths) {
      const a = this.arrayOf(p);
      if (a === null) mdstatFired = true; else arrays.add(a);
    }
    if (!mdstatFired) return arrays;
    if (mdstat === undefined) return null;
    const listed = [...mdstat.matchAll(/^(md\S+) : /gm)].map((m) => m[1]).sort();
    const known = [...this.snapshots.keys()].sort();
    if (listed.join(' ') !== known.join(' ')) return null;
    return arrays.size > 0 ? arrays : new Set(known);
  }

  private onWake(paths: string[], reason: WakeReason, wokeAtMs: number, contents: Readonly<Record<string, string>>): void {
    if (this.closed) return;
    const startedAtMs = performance.timeOrigin + performance.now();
    const timing = (arrays: string[] | null) => (events: number) => this.opts.onRefresh?.({
      reason, arrays, wokeAtMs, startedAtMs, readAtMs: performance.timeOrigin + performance.now(), events,
    });
    // Fast path: the worker's re-read contents of the notified files, applied to what we know.
    const patched = patchSnapshots(this.opts.paths, this.snapshots, contents);
    if (patched !== null) this.deliver(patched, timing([...patched.keys()].filter((k) => patched.get(k) !== this.snapshots.get(k))));
    if (this.closed) return;
    const arrays = this.arraysToRead(paths, reason, contents[mdstatPath(this.opts.paths)]);
    try {
      this.refresh(arrays, timing(arrays === null ? null : [...arrays]));
    } catch (err) {
      this.report(err);
    }
  }

  /** Re-reads `arrays` (null: every array), delivers the differences, updates the watch set. */
  private refresh(arrays: ReadonlySet<string> | null, timed: (events: number) => void): void {
    const next = new Map(this.snapshots);
    if (arrays === null) {
      const names = listArrayNames(this.opts.paths, this.cache.read);
      for (const name of next.keys()) if (!names.includes(name)) next.delete(name);
      this.readInto(next, names);
    } else {
      for (const name of arrays) next.delete(name);
      this.readInto(next, [...arrays]);
    }
    this.cache.retain((p) => next.has(this.arrayOf(p) ?? '') && this.isLightFileOf(next, p));
    const watched = this.watchPathsOf(next);
    if (watched.join('\n') !== this.watched.join('\n')) {
      this.watched = watched;
      this.poller.setPaths(watched);
    }
    this.deliver(next, timed);
  }

  /** Makes `next` current and delivers the events that lead to it. */
  private deliver(next: Map<string, ArraySnapshot>, timed: (events: number) => void): void {
    const events = diffSnapshots(this.snapshots, next);
    this.snapshots = next;
    timed(events.length);
    for (const e of events) {
      if (this.closed) return;
      this.opts.onEvent(e);
    }
  }

  /** Reads each array separately, so one unreadable array keeps its old snapshot. */
  private readInto(next: Map<string, ArraySnapshot>, names: readonly string[]): void {
    for (const name of names) {
      try {
        const snap = readLightSnapshots(this.opts.paths, [name], this.cache.read).get(name);
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
    this.cache.close();
  }
}
