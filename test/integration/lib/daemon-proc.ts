// One mdclusterd process of a test cluster: spawning `node dist/daemon/src/main.js`, its log
// file, its incarnations (each start until its exit) and how it is stopped.
// Owns: the child process. Invariants:
// - At most one child runs per DaemonProc; every child ever spawned is in LIVE_CHILDREN until
//   it exits, and the harness's process 'exit' hook SIGKILLs whatever is left, so no daemon
//   outlives the test run even if a test crashes.
// - Each incarnation records the writer-log byte offset at its start and the wall time its
//   exit was observed (>= the real death), so writer intervals can be cut per incarnation.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTEG_LOG_TAIL_BYTES, INTEG_MAX_INCARNATIONS } from '../../lib/limits.js';
import { withTimeout } from './wait.js';
import { DAEMON_NODE_OPTIONS } from '../../../daemon/src/common/limits.js';

/** How long a SIGKILLed daemon may take to be reaped, and a SIGTERMed one to hand over and exit. */
const KILL_REAP_TIMEOUT_MS = 5000;
const TERM_EXIT_TIMEOUT_MS = 10_000;

const LIVE_CHILDREN = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of LIVE_CHILDREN) { try { c.kill('SIGKILL'); } catch { /* already gone */ } }
  });
}

/** The repository root (holds package.json), found from this file in test/ or dist/test/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root (package.json) above ' + fileURLToPath(import.meta.url));
}

/** dist/daemon/src/main.js, or an error telling the user to build first. */
export function daemonMainJs(): string {
  const p = resolve(repoRoot(), 'dist/daemon/src/main.js');
  if (!existsSync(p)) throw new Error(`${p} does not exist: run \`npm run build\` before the integration tests`);
  return p;
}

export interface Incarnation {
  pid: number;
  startWallMs: number;
  /** Size of writer.log when this incarnation was spawned. */
  writerLogOffset: number;
  /** Wall time the exit was observed; null while running. */
  endWallMs: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export class DaemonProc {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Invariant: length <= INTEG_MAX_INCARNATIONS; the last one is the running child, if any. */
  readonly incarnations: Incarnation[] = [];

  constructor(
    readonly id: string,
    readonly configFile: string,
    readonly logFile: string,
    readonly pidFile: string,
    readonly writerLogFile: string,
    /** Extra environment for the daemon (test knobs such as MDCLUSTERD_SNAPSHOT_EVERY_ENTRIES). */
    private readonly extraEnv: Readonly<Record<string, string>> = {},
    /** Extra node options (before the script), e.g. --cpu-prof for profiling. */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  spawn(): void {
    if (this.child) throw new Error(`${this.id} is already running (pid ${this.child.pid})`);
    if (this.incarnations.length >= INTEG_MAX_INCARNATIONS) throw new Error(`${this.id}: more than ${INTEG_MAX_INCARNATIONS} starts`);
    installExitHook();
    const env = { ...process.env, ...this.extraEnv };
    for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'JOURNAL_STREAM', 'LISTEN_FDS', 'LISTEN_PID']) delete env[k];
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, ...this.nodeArgs, daemonMainJs(), '--config', this.configFile, '--pid-file', this.pidFile], { stdio: ['ignore', fd, fd], env });
    } finally {
      closeSync(fd);
    }
    const inc: Incarnation = { pid: child.pid ?? -1, startWallMs: Date.now(), writerLogOffset: fileSize(this.writerLogFile), endWallMs: null, exitCode: null, signal: null };
    this.incarnations.push(inc);
    this.child = child;
    LIVE_CHILDREN.add(child);
    this.exited = new Promise<void>((resolveExit) => {
      child.once('exit', (code, signal) => {
        inc.endWallMs = Date.now();
        inc.exitCode = code;
        inc.signal = signal;
        LIVE_CHILDREN.delete(child);
        if (this.child === child) this.child = null;
        resolveExit();
      });
    });
    child.on('error', () => { /* spawn failures show as an exit */ });
  }

  /** kill -9 and wait until the process is reaped. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.kill('SIGKILL');
    await withTimeout(this.exited, KILL_REAP_TIMEOUT_MS, `reaping ${this.id} after SIGKILL`);
  }

  /** SIGSTOP: the process is frozen (a long GC pause, a descheduled VM) until resume(). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGTERM (the daemon hands over and stops); SIGKILL if it does not exit in time. Returns the exit code. */
  async terminate(): Promise<number | null> {
    const c = this.child;
    if (!c) return null;
    c.kill('SIGTERM');
    try {
      await withTimeout(this.exited, TERM_EXIT_TIMEOUT_MS, `${this.id} exiting after SIGTERM`);
    } catch (e) {
      await this.kill();
      throw e;
    }
    return this.incarnations[this.incarnations.length - 1].exitCode;
  }

  /** Resolves when the current child exits (immediately if none). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** The last INTEG_LOG_TAIL_BYTES of the log, for failure reports. */
  logTail(bytes = INTEG_LOG_TAIL_BYTES): string {
    if (!existsSync(this.logFile)) return '(no log)';
    const size = statSync(this.logFile).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    const fd = openSync(this.logFile, 'r');
    try { readSync(fd, buf, 0, len, size - len); } finally { closeSync(fd); }
    return buf.toString('utf8');
  }

  logText(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }
}

function fileSize(path: string): number {
  try { return statSync(path).size; } catch { return 0; }
}
