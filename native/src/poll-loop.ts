// The body of the md poll worker thread (started by poll-worker.ts, never imported at run time
// by anything else): blocks in poll(2) on sysfs/proc files and reports which ones md notified.
// Owns: the open file set, the poll loop, re-arming, and the messages to the main thread.
// Invariants (poll-worker.ts states them in full):
// - Every watched file is read once when opened and again after each notification, BEFORE the
//   wake is reported; files opened for a new path set are reported as fired.
// - A file whose re-read fails is closed at once and reported; wanted files that are not open
//   are retried on every wake and reported when they open.
// - At most workerData.maxFiles files are polled; every buffer is bounded by readBytes.
// - koffi is loaded by absolute path (workerData.koffiPath): this module also runs from a data:
//   URL when the daemon runs from its TypeScript sources (tests), where bare imports cannot resolve.
import { closeSync, constants as fsConstants, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

/** What the main thread hands the worker at start. */
export interface PollWorkerData {
  koffiPath: string;
  /** The eventfd the main thread writes to wake the worker (new paths, stop). */
  wakeFd: number;
  /** The fallback: poll() returns after this long without any notification. */
  timeoutMs: number;
  /** Bytes read from a file per re-read (MD_SYSFS_MAX_READ_BYTES). */
  readBytes: number;
  eintr: number;
  pollin: number;
  /** The poll events that mean "md notified this file" (POLLPRI | POLLERR). */
  watchMask: number;
  /** At most this many files are polled (MD_WATCH_MAX_FILES). */
  maxFiles: number;
}

/** Main thread -> worker. */
export type PollCommand = { type: 'stop' } | { type: 'paths'; paths: string[] };

export type WakeReason = 'event' | 'timeout';

/** Worker -> main thread. */
export type PollReport =
  | { type: 'ready' }
  | { type: 'wake'; reason: WakeReason; paths: string[]; wokeAtMs: number; contents: Record<string, string> };

/** Bytes of one struct pollfd: int fd; short events; short revents. */
const POLLFD_BYTES = 8;
const EVENTFD_COUNTER_BYTES = 8;

function workerPort(): MessagePort {
  if (parentPort === null) throw new Error('poll-loop.ts runs only as the md poll worker thread (native/src/poll-worker.ts)');
  return parentPort;
}

const port = workerPort();
const data = workerData as PollWorkerData;
const koffi = createRequire(data.koffiPath)(data.koffiPath) as typeof import('koffi');
const poll = koffi.load('libc.so.6').func('int poll(void *fds, unsigned long nfds, int timeout)');

/** path -> open fd. Invariant: every key is in `wanted`. */
const open = new Map<string, number>();
let wanted = new Set<string>();
const scratch = Buffer.alloc(data.readBytes);
let stopping = false;

const nowMs = (): number => performance.timeOrigin + performance.now();
const report = (m: PollReport): void => port.postMessage(m);

/** Re-reads a file (re-arming its notification); returns the bytes read, or -1 on failure. */
function rearm(fd: number): number {
  try { return readSync(fd, scratch, 0, scratch.length, 0); } catch { return -1; }
}

function drainWake(): void {
  try { readSync(data.wakeFd, Buffer.alloc(EVENTFD_COUNTER_BYTES), 0, EVENTFD_COUNTER_BYTES, null); } catch { /* EAGAIN: already drained */ }
}

function closePath(path: string): void {
  const fd = open.get(path);
  open.delete(path);
  if (fd === undefined) return;
  try { closeSync(fd); } catch { /* already closed */ }
}

function openPath(path: string, armed: string[]): void {
  let fd: number;
  try { fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK); } catch { return; }
  open.set(path, fd);
  if (rearm(fd) >= 0) armed.push(path); else closePath(path);
}

function setPaths(paths: string[], armed: string[]): void {
  wanted = new Set(paths.slice(0, data.maxFiles));
  for (const path of [...open.keys()]) if (!wanted.has(path)) closePath(path);
  for (const path of wanted) {
    if (open.has(path)) continue;
    armed.push(path); // report even if it cannot be opened yet: the main thread re-reads
    openPath(path, []);
  }
}

/** Files that vanished (a member re-added makes a new dev-X) come back when they exist again. */
function reopenMissing(armed: string[]): void {
  for (const path of wanted) if (!open.has(path)) openPath(path, armed);
}

function applyCommands(armed: string[]): void {
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const c = m.message as PollCommand;
    if (c.type === 'stop') stopping = true;
    else if (c.type === 'paths') setPaths(c.paths, armed);
  }
}

function pollOnce(): void {
  const entries = [...open];
  const pfds = Buffer.alloc(POLLFD_BYTES * (entries.length + 1));
  pfds.writeInt32LE(data.wakeFd, 0);
  pfds.writeInt16LE(data.pollin, 4);
  entries.forEach(([, fd], i) => {
    pfds.writeInt32LE(fd, POLLFD_BYTES * (i + 1));
    pfds.writeInt16LE(data.watchMask, POLLFD_BYTES * (i + 1) + 4);
  });
  const rc = poll(pfds, entries.length + 1, data.timeoutMs) as number;
  const wokeAtMs = nowMs();
  if (rc < 0) {
    const errno = koffi.errno();
    if (errno === data.eintr) return;
    throw new Error('poll failed with errno ' + errno);
  }
  if (rc === 0) {
    const back: string[] = [];
    reopenMissing(back);
    report({ type: 'wake', reason: 'timeout', paths: back, wokeAtMs, contents: {} });
    return;
  }
  const fired: string[] = [];
  const contents: Record<string, string> = {};
  entries.forEach(([path, fd], i) => {
    if (pfds.readInt16LE(POLLFD_BYTES * (i + 1) + 6) === 0) return;
    fired.push(path);
    const n = rearm(fd);
    if (n < 0) closePath(path);
    else contents[path] = scratch.toString('utf8', 0, n);
  });
  if (pfds.readInt16LE(6) !== 0) { drainWake(); applyCommands(fired); }
  reopenMissing(fired);
  if (fired.length > 0) report({ type: 'wake', reason: 'event', paths: fired, wokeAtMs, contents });
}

const initial: string[] = [];
applyCommands(initial);
report({ type: 'ready' });
if (initial.length > 0) report({ type: 'wake', reason: 'event', paths: initial, wokeAtMs: nowMs(), contents: {} });
while (!stopping) pollOnce();
for (const path of [...open.keys()]) closePath(path);
