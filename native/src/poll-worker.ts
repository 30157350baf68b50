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
// - The worker body is a CommonJS string run with `eval: true`, so the same code runs from the
//   TypeScript sources (tests) and from dist/; it loads koffi by absolute path.
// - close() stops the worker through the eventfd and waits for it to exit (bounded by
//   MD_WATCH_STOP_TIMEOUT_MS, then terminate()); the eventfd is closed only after the exit.
import { Worker } from 'node:worker_threads';
import { closeSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { assert } from '../../daemon/src/common/assert.js';
import { MD_SYSFS_MAX_READ_BYTES, MD_WATCH_MAX_FILES, MD_WATCH_STOP_TIMEOUT_MS } from '../../daemon/src/common/limits.js';
import { eventfd } from './libc.js';

const POLLIN = 0x1;
const POLLPRI = 0x2;
const POLLERR = 0x8;

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const fs = require('node:fs');
const koffi = require(workerData.koffiPath);
const poll = koffi.load('libc.so.6').func('int poll(void *fds, unsigned long nfds, int timeout)');
const { wakeFd, timeoutMs, readBytes, eintr, pollin, watchMask, maxFiles } = workerData;
const open = new Map();
let wanted = new Set();
const scratch = Buffer.alloc(readBytes);
let stopping = false;

/** Re-reads a file (re-arming its notification); returns the bytes read, or -1 on failure. */
function rearm(fd) {
  try { return fs.readSync(fd, scratch, 0, scratch.length, 0); } catch { return -1; }
}
function drainWake() {
  try { fs.readSync(wakeFd, Buffer.alloc(8), 0, 8, null); } catch { /* EAGAIN: already drained */ }
}
function closePath(path) {
  const fd = open.get(path);
  open.delete(path);
  try { fs.closeSync(fd); } catch { /* already closed */ }
}
function openPath(path, armed) {
  let fd;
  try { fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); } catch { return; }
  open.set(path, fd);
  if (rearm(fd) >= 0) armed.push(path); else closePath(path);
}
function setPaths(paths, armed) {
  wanted = new Set(paths.slice(0, maxFiles));
  for (const path of [...open.keys()]) if (!wanted.has(path)) closePath(path);
  for (const path of wanted) {
    if (open.has(path)) continue;
    armed.push(path); // report even if it cannot be opened yet: the main thread re-reads
    openPath(path, []);
  }
}
/** Files that vanished (a member re-added makes a new dev-X) come back when they exist again. */
function reopenMissing(armed) {
  for (const path of wanted) if (!open.has(path)) openPath(path, armed);
}
function applyCommands(armed) {
  for (let m = receiveMessageOnPort(parentPort); m !== undefined; m = receiveMessageOnPort(parentPort)) {
    if (m.message.type === 'stop') stopping = true;
    else if (m.message.type === 'paths') setPaths(m.message.paths, armed);
  }
}
function pollOnce() {
  const entries = [...open];
  const pfds = Buffer.alloc(8 * (entries.length + 1));
  pfds.writeInt32LE(wakeFd, 0);
  pfds.writeInt16LE(pollin, 4);
  entries.forEach(([, fd], i) => { pfds.writeInt32LE(fd, 8 * (i + 1)); pfds.writeInt16LE(watchMask, 8 * (i + 1) + 4); });
  const rc = poll(pfds, entries.length + 1, timeoutMs);
  const wokeAtMs = performance.timeOrigin + performance.now();
  if (rc < 0) {
    const errno = koffi.errno();
    if (errno === eintr) return;
    throw new Error('poll failed with errno ' + errno);
  }
  if (rc === 0) {
    const back = [];
    reopenMissing(back);
    parentPort.postMessage({ type: 'wake', reason: 'timeout', paths: back, wokeAtMs, contents: {} });
    return;
  }
  const fired = [];
  const contents = {};
  entries.forEach(([path, fd], i) => {
    if (pfds.readInt16LE(8 * (i + 1) + 6) === 0) return;
    fired.push(path);
    const n = rearm(fd);
    if (n < 0) closePath(path);
    else contents[path] = scratch.toString('utf8', 0, n);
  });
  if (pfds.readInt16LE(6) !== 0) { drainWake(); applyCommands(fired); }
  reopenMissing(fired);
  if (fired.length > 0) parentPort.postMessage({ type: 'wake', reason: 'event', paths: fired, wokeAtMs, contents });
}

const initial = [];
applyCommands(initial);
parentPort.postMessage({ type: 'ready' });
if (initial.length > 0) parentPort.postMessage({ type: 'wake', reason: 'event', paths: initial, wokeAtMs: performance.timeOrigin + performance.now(), contents: {} });
while (!stopping) pollOnce();
for (const path of [...open.keys()]) closePath(path);
`;

export type WakeReason = 'event' | 'timeout';

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
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        koffiPath: createRequire(import.meta.url).resolve('koffi'),
        wakeFd: this.wakeFd,
        timeoutMs: opts.timeoutMs,
        readBytes: MD_SYSFS_MAX_READ_BYTES,
        eintr: osConstants.errno.EINTR,
        pollin: POLLIN,
        watchMask: POLLPRI | POLLERR,
        maxFiles: MD_WATCH_MAX_FILES,
      },
    });
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
    this.worker.postMessage({ type: 'paths', paths: opts.paths });
    this.worker.on('message', (m: { type: string; reason: WakeReason; paths: string[]; wokeAtMs: number; contents: Record<string, string> }) => {
      if (m.type === 'ready') this.markReady();
      else if (m.type === 'wake') opts.onWake(m.paths, m.reason, m.wokeAtMs, m.contents);
    });
    this.worker.on('error', (err) => { if (this.closing === null) opts.onError(err); });
    this.exited = new Promise((resolve) => this.worker.once('exit', () => { this.markReady(); resolve(); }));
  }

  /** Replaces the watched set; files not watched before are reported by the next wake. */
  setPaths(paths: string[]): void {
    if (this.closing !== null) return;
    this.worker.postMessage({ type: 'paths', paths });
    this.wake();
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
    this.worker.postMessage({ type: 'stop' });
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
