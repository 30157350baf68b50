// Kernel lab: one qemu guest running one command against real Linux md. Owns: the life of a
// guest from run-dir creation to qemu's exit and the read-back of its results.
// Invariants:
// - Every guest ends: the host kills qemu (SIGKILL) when timeoutMs passes, and at process
//   exit; `done` always resolves (never rejects for a guest-side failure; the outcome says).
// - The run dir (results share, private disks, QMP socket, pid file) is removed once the
//   result is read, unless LAB_KEEP_RUNS=1; a private netns is deleted with it.
// - The run dir is named mdlab-<owner pid>-..., so run.sh can reap what a dead owner left.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_MAX_DISKS_PER_GUEST, LAB_MAX_GUEST_TIMEOUT_MS } from '../../lib/limits.js';
import {
  CLUSTER_MCAST_GROUP, CLUSTER_MCAST_PORT, CRASH_EXIT_TIMEOUT_MS, DEFAULT_GUEST_MEM_MIB, DEFAULT_GUEST_TIMEOUT_MS, QEMU_KILL_GRACE_MS,
  keepRuns, labPaths, qemuBinary,
} from './config.js';
import { ConsoleLog } from './console.js';
import { resolveDisks } from './disks.js';
import { detectAccel, guestImage } from './machine.js';
import { createNetns, deleteNetns } from './netns.js';
import { buildQemuArgs } from './qemu-args.js';
import { qmpExecute, sysrqKeys } from './qmp.js';
import { RESULTS_JOB, RESULTS_OUT, RESULTS_STDERR, RESULTS_STDOUT, readExitCode, readOutFiles, readTextOrEmpty } from './results.js';
import { renderJobScript } from './shell.js';
import type { GuestOutcome, GuestResult, GuestSpec } from './types.js';

/** How a guest joins a network segment and bus; set by cluster.ts for its members. */
export interface GuestWiring {
  netns: string | null;
  busDir: string | null;
}

export interface GuestHandle {
  readonly name: string;
  /** Host path of the guest's $LAB_OUT while it runs (gone after `done` unless kept). */
  readonly outDir: string;
  readonly done: Promise<GuestResult>;
  /** Resolves when the guest printed `LAB-MARK <text>` (guest lib.sh lab_mark). */
  waitForMark(text: string, timeoutMs: number): Promise<void>;
  /** Alt+SysRq+B through the guest keyboard: an immediate reboot, so qemu exits. */
  crash(): Promise<void>;
  /** qemu quits at once: the power is cut, nothing in flight reaches the disks. */
  powerCut(): Promise<void>;
}

const liveQemus = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveQemus) child.kill('SIGKILL');
  });
}

function validate(spec: GuestSpec): void {
  if (spec.cmd.length === 0) throw new Error('kernel lab: cmd is empty');
  const timeoutMs = spec.timeoutMs ?? DEFAULT_GUEST_TIMEOUT_MS;
  if (!(timeoutMs > 0 && timeoutMs <= LAB_MAX_GUEST_TIMEOUT_MS)) throw new Error(`kernel lab: timeoutMs out of range: ${timeoutMs}`);
  if ((spec.disks?.length ?? 0) > LAB_MAX_DISKS_PER_GUEST) throw new Error('kernel lab: too many disks');
}

function safeLabel(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 24) || 'guest';
}

/** With LAB_TIMINGS_FILE set (run.sh does), appends one JSON line per guest for the lane summary. */
async function recordTiming(t: { name: string; outcome: GuestOutcome; bootToCommandMs: number | null; totalMs: number }): Promise<void> {
  const file = process.env.LAB_TIMINGS_FILE;
  if (file === undefined || file === '') return;
  const round = (n: number | null): number | null => (n === null ? null : Math.round(n));
  await appendFile(file, JSON.stringify({ ...t, bootToCommandMs: round(t.bootToCommandMs), totalMs: round(t.totalMs) }) + '\n');
}

interface PreparedRun {
  name: string;
  runDir: string;
  resultsDir: string;
  qmpSocketPath: string;
  /** A netns made for this guest alone (deleted with the run); null inside a cluster. */
  privateNetns: string | null;
  /** The program and argv to spawn (qemu, or `ip netns exec NS qemu ...`). */
  file: string;
  argv: string[];
}

/** Creates the run dir (results share with job.sh, private disks) and the qemu command line. */
async function prepareRun(spec: GuestSpec, wiring: GuestWiring): Promise<PreparedRun> {
  const image = guestImage();
  const { accel } = detectAccel();
  const hostname = spec.hostname ?? (spec.netIndex !== undefined ? `node${spec.netIndex}` : 'guest');
  const name = spec.name ?? hostname;
  const runDir = await mkdtemp(join(labPaths().runParent, `mdlab-${process.pid}-${safeLabel(name)}-`));
  const resultsDir = join(runDir, 'lab');
  const qmpSocketPath = join(runDir, 'qmp.sock');
  let privateNetns: string | null = null;
  try {
    await mkdir(join(resultsDir, RESULTS_OUT), { recursive: true });
    await writeFile(join(resultsDir, RESULTS_JOB), renderJobScript({ cmd: spec.cmd, cwd: spec.cwd ?? process.cwd(), env: spec.env ?? {} }));
    const disks = await resolveDisks(spec.disks ?? [], runDir);
    let netns = wiring.netns;
    if (spec.netIndex !== undefined && netns === null) netns = privateNetns = await createNetns();
    const args = buildQemuArgs({
      accel, vmlinuxPath: image.vmlinuxPath, initramfsPath: image.initramfsPath,
      memMiB: spec.memMiB ?? DEFAULT_GUEST_MEM_MIB, hostname, disks, resultsDir, busDir: wiring.busDir,
      net: spec.netIndex === undefined ? null : { netIndex: spec.netIndex, mcastGroup: CLUSTER_MCAST_GROUP, mcastPort: CLUSTER_MCAST_PORT },
      qmpSocketPath, pidFilePath: join(runDir, 'qemu.pid'),
    });
    const [file, argv] = netns === null ? [qemuBinary(), args] : ['ip', ['netns', 'exec', netns, qemuBinary(), ...args]];
    return { name, runDir, resultsDir, qmpSocketPath, privateNetns, file, argv };
  } catch (e) {
    if (privateNetns !== null) await deleteNetns(privateNetns);
    await rm(runDir, { recursive: true, force: true });
    throw e;
  }
}

interface Finished {
  timedOut: boolean;
  serial: ConsoleLog;
  qemuStderr: ConsoleLog;
  bootToCommandMs: number | null;
  totalMs: number;
}

function outcomeOf(f: Finished, exitCode: number | null): GuestOutcome {
  if (f.timedOut) return 'timeout';
  if (f.serial.markers.initFailure !== null) return 'init-failed';
  if (exitCode !== null) return 'exited';
  return f.serial.markers.jobStartUptimeSec === null ? 'boot-failed' : 'no-exit-status';
}

/** Reads the results share into a GuestResult, then removes the run (unless kept). */
async function collectResult(run: PreparedRun, f: Finished): Promise<GuestResult> {
  try {
    const exitCode = await readExitCode(run.resultsDir);
    const m = f.serial.markers;
    const outcome = outcomeOf(f, exitCode);
    await recordTiming({ name: run.name, outcome, bootToCommandMs: f.bootToCommandMs, totalMs: f.totalMs });
    return {
      name: run.name, outcome, exitCode: outcome === 'exited' ? exitCode : null,
      stdout: await readTextOrEmpty(join(run.resultsDir, RESULTS_STDOUT)),
      stderr: await readTextOrEmpty(join(run.resultsDir, RESULTS_STDERR)),
      console: f.serial.text(), qemuStderr: f.qemuStderr.text(),
      files: await readOutFiles(run.resultsDir),
      initFailure: m.initFailure, bootToCommandMs: f.bootToCommandMs, guestUptimeAtCommandSec: m.jobStartUptimeSec,
      totalMs: f.totalMs, marks: [...m.marks],
    };
  } finally {
    if (run.privateNetns !== null) await deleteNetns(run.privateNetns);
    if (!keepRuns()) await rm(run.runDir, { recursive: true, force: true });
  }
}

/** Boots a guest and returns at once; `done` resolves with the result after qemu exits. */
export async function startGuest(spec: GuestSpec, wiring: GuestWiring = { netns: null, busDir: null }): Promise<GuestHandle> {
  validate(spec);
  installExitHook();
  const run = await prepareRun(spec, wiring);
  const startedAt = performance.now();
  const child = spawn(run.file, run.argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveQemus.add(child);
  const f: Finished = { timedOut: false, serial: new ConsoleLog(), qemuStderr: new ConsoleLog(), bootToCommandMs: null, totalMs: 0 };
  f.serial.onJobStart = () => { f.bootToCommandMs = performance.now() - startedAt; };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => f.serial.append(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => f.qemuStderr.append(s));
  const timer = setTimeout(() => { f.timedOut = true; child.kill('SIGKILL'); }, spec.timeoutMs ?? DEFAULT_GUEST_TIMEOUT_MS);
  const exited = new Promise<void>((resolve) => {
    child.on('error', (err) => { f.qemuStderr.append(`spawn failed: ${err.message}\n`); resolve(); });
    child.on('close', () => resolve());
  });
  const done = exited.then(() => {
    clearTimeout(timer);
    liveQemus.delete(child);
    f.totalMs = performance.now() - startedAt;
    f.serial.closeWaiters('qemu exited');
    return collectResult(run, f);
  });
  return guestHandle(run, child, exited, f.serial, done);
}

/** Resolves true once `exited` settles, false after waitMs. */
async function exitWithin(exited: Promise<void>, waitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), waitMs); });
  const ok = await Promise.race([exited.then(() => true as const), gaveUp]);
  clearTimeout(timer);
  return ok;
}

function guestHandle(run: PreparedRun, child: ChildProcess, exited: Promise<void>, serial: ConsoleLog, done: Promise<GuestResult>): GuestHandle {
  return {
    name: run.name,
    outDir: join(run.resultsDir, RESULTS_OUT),
    done,
    async waitForMark(text: string, waitMs: number): Promise<void> {
      if (serial.markers.marks.includes(text)) return;
      const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await serial.waitForLine(new RegExp(`^LAB-MARK ${escaped}$`), waitMs);
    },
    async crash(): Promise<void> {
      await qmpExecute(run.qmpSocketPath, sysrqKeys('b'));
      if (await exitWithin(exited, CRASH_EXIT_TIMEOUT_MS)) return;
      child.kill('SIGKILL');
      throw new Error(`kernel lab: guest ${run.name} did not reboot within ${CRASH_EXIT_TIMEOUT_MS} ms of Alt+SysRq+B (killed)`);
    },
    async powerCut(): Promise<void> {
      try {
        await qmpExecute(run.qmpSocketPath, { execute: 'quit' });
      } catch {
        child.kill('SIGKILL');
      }
      if (!(await exitWithin(exited, QEMU_KILL_GRACE_MS))) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Boots a guest, runs spec.cmd in it and resolves once qemu has exited. */
export async function bootGuest(spec: GuestSpec): Promise<GuestResult> {
  return (await startGuest(spec)).done;
}

/** A readable summary of a result (outcome, then the tails of stdout, stderr, console) for assertion messages. */
export function describeResult(r: GuestResult, consoleTailBytes = 3000): string {
  return [
    `guest ${r.name}: outcome=${r.outcome} exitCode=${r.exitCode} totalMs=${Math.round(r.totalMs)}`,
    r.initFailure !== null ? `init failure: ${r.initFailure}` : '',
    `--- stdout (tail) ---\n${r.stdout.slice(-consoleTailBytes)}`,
    `--- stderr (tail) ---\n${r.stderr.slice(-consoleTailBytes)}`,
    `--- console (tail) ---\n${r.console.slice(-consoleTailBytes)}`,
    r.qemuStderr !== '' ? `--- qemu stderr ---\n${r.qemuStderr.slice(-consoleTailBytes)}` : '',
  ].filter((s) => s !== '').join('\n');
}
