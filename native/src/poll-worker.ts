// A worker thread blocked in poll(2) on sysfs/proc files, reporting which ones md notified.
// Owns: the poll loop, the wake eventfd, and the worker's lifetime.
// Invariants:
// - No polling loop: the worker sleeps in poll() until md calls sysfs_notify() on a watched file
//   (POLLPRI|POLLERR), the main thread writes the wake eventfd, or the fallback timeout passes.
// - Every watched file is read once when opened and again after each notification, BEFORE the
//   wake is reported; so a change that happens after the report wakes poll() again, and one that
//   happened before it is visible to the main thread's re-read. Files opened for a new path set
//   are reported as fired for the same reason.
// - A file whose re-read fails (its sysfs node was removed) is closed at once and reported, so a
//   dead node (which polls ready forever) cannot spin the worker. Wanted files that are not open
//   (not there yet, or removed and re-created, like dev-X/state when a member is re-added) are
//   retried on every wake and reported when they open.
// - The worker body is poll-loop.ts, compiled by tsc: from dist/ the worker runs the compiled
//   poll-loop.js next to this file; from the TypeScript sources (vitest) it runs the same
//   poll-loop.ts, transpiled once here with the project's TypeScript. It loads koffi by
//   absolute path.
// - close() stops the worker through the eventfd and waits for it to exit (bounded by
//   MD_WATCH_STOP_TIMEOUT_MS, then terminate()); the eventfd is closed only after the exit.
import { Worker } from 'node:worker_threads';
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import { assert } from '../../daemon/src/common/assert.js';
import { MD_SYSFS_MAX_READ_BYTES, MD_WATCH_MAX_FILES, MD_WATCH_STOP_TIMEOUT_MS } from '../../daemon/src/common/limits.js';
import { eventfd } from './libc.js';
import type { PollCommand, PollReport, PollWorkerData, WakeReason } from './poll-loop.js';

const POLLIN = 0x1;
const POLLPRI = 0x2;
const POLLERR = 0x8;

let sourceEntry: URL | null = null;

/**
 * The worker's module: the compiled poll-loop.js next to this file, or (running from the
 * TypeScript sources, where there is none) poll-loop.ts transpiled once into a data: URL.
 */
function workerEntry(): URL {
  const compiled = new URL('./poll-loop.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  if (sourceEntry === null) {
    const source = readFileSync(fileURLToPath(new URL('./poll-loop.ts', import.meta.url)), 'utf8');
    const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    sourceEntry = new URL(`data:text/javascript,${encodeURIComponent(js)}`);
  }
  return sourceEntry;
}

export type { WakeReason };

export interface PollerOptions {
  /** Initial files to watch (at most MD_WATCH_MAX_FILES are polled). */
  paths: string[];
  /** The fallback: a 'timeout' wake after this long without any notification. */
  timeoutMs: number;
  /**
   * Called on the main thread with the files md notified (or that were newly opened);
   * `wokeAtMs` is when poll() returned in the worker (performance.timeOrigin-based epoch ms);
   * `contents` holds the text of each notified file as re-read right after the notification.
   */
  onWake(paths: string[], reason: WakeReason, wokeAtMs: number, contents: Readonly<Record<string, string>>): void;
  /** The worker died (a bug or a failed poll): watching has stopped. */
  onError(err: Error): void;
}

/** Watches sysfs/proc files for md's notifications from a worker thread. */
export class SysfsPoller {
  private readonly worker: Worker;
  /** Invariant: open until the worker has exited; then closed exactly once. */
  private readonly wakeFd: number;
  private readonly exited: Promise<void>;
  private closing: Promise<void> | null = null;
  /** Resolves once the worker has opened and armed its first file set. */
  readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;

  constructor(private readonly opts: PollerOptions) {
    assert(Number.isSafeInteger(opts.timeoutMs) && opts.timeoutMs > 0, 'poller timeout must be a positive integer');
    this.wakeFd = eventfd({ syscall: 'eventfd', device: 'md watcher' });
    const workerData: PollWorkerData = {
      koffiPath: createRequire(import.meta.url).resolve('koffi'),
      wakeFd: this.wakeFd,
      timeoutMs: opts.timeoutMs,
      readBytes: MD_SYSFS_MAX_READ_BYTES,
      eintr: osConstants.errno.EINTR,
      pollin: POLLIN,
      watchMask: POLLPRI | POLLERR,
      maxFiles: MD_WATCH_MAX_FILES,
    };
    this.worker = new Worker(workerEntry(), { workerData });
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
    this.send({ type: 'paths', paths: opts.paths });
    this.worker.on('message', (m: PollReport) => {
      if (m.type === 'ready') this.markReady();
      else if (m.type === 'wake') opts.onWake(m.paths, m.reason, m.wokeAtMs, m.contents);
    });
    this.worker.on('error', (err) => { if (this.closing === null) opts.onError(err); });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => { this.markReady(); resolve(); }));
  }

  /** Replaces the watched set; files not watched before are reported by the next wake. */
  setPaths(paths: string[]): void {
    if (this.closing !== null) return;
    this.send({ type: 'paths', paths });
    this.wake();
  }

  private send(c: PollCommand): void {
    this.worker.postMessage(c);
  }

  private wake(): void {
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    try {
      writeSync(this.wakeFd, one);
    } catch {
      // EAGAIN: the counter is saturated, so the worker is being woken anyway.
    }
  }

  close(): Promise<void> {
    if (this.closing === null) this.closing = this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.send({ type: 'stop' });
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), MD_WATCH_STOP_TIMEOUT_MS); });
    const late = await Promise.race([this.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      await this.worker.terminate();
      await this.exited;
    }
    closeSync(this.wakeFd);
  }
}
