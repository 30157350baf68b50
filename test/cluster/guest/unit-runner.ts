// Inside a cluster-lane guest (busybox init, no systemd): runs mdclusterd the way systemd runs
// the installed mdclusterd.service, from the ServiceSpec unit-file.ts read out of that file.
// Owns: the unit's life: RuntimeDirectory/StateDirectory (made with their modes; the runtime
// directory removed after a stop), ExecStartPre (a "-" line may fail), ExecStart with a clean
// environment (PATH, NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID, INVOCATION_ID, *_DIRECTORY),
// UMask and LimitNOFILE for every command (set by `sh -c '...; exec "$0" "$@"'`, so the main
// pid is the daemon's), Nice and OOMScoreAdjust for the main process; Type=notify through notify-listen.py (READY=1 ends the start, STATUS=
// kept, WATCHDOG=1 gaps recorded; NotifyAccess=main drops datagrams from any other pid);
// TimeoutStartSec (no READY=1 in time: SIGTERM, then SIGKILL after TimeoutStopSec: result
// "timeout"); stop = SIGTERM to the main process, SIGKILL to its process group after
// TimeoutStopSec (KillMode=mixed; the group stands in for the cgroup); ExecStopPost after every
// end with SERVICE_RESULT/EXIT_CODE/EXIT_STATUS; Restart=/RestartSec=/RestartPreventExitStatus=
// and the StartLimitIntervalSec/StartLimitBurst limit. ExecReload with $MAINPID.
// Invariants: at most one main process; every start is counted (record().startCount), so a
// restart loop is visible to the host; an asked-for stop never restarts; the daemon's output and
// every runner event go to the daemon log; every wait is bounded.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { CLUSTER_LANE_MAX_OUTPUT_BYTES, CLUSTER_LANE_MAX_UNIT_RECORDS } from '../../lib/limits.js';
import type { UnitRecord, UnitStart } from './protocol.js';
import { expandArgv, serviceResult, shouldRestart, type ExecCommand, type ServiceResult, type ServiceSpec } from './unit-file.js';

/** Bound on the notification listener (python, on a TCG vCPU) binding its socket. */
const LISTENER_READY_MS = 120_000;
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface UnitRunnerOptions {
  name: string;
  logPath: string;
  log: (line: string) => void;
  /** notify-listen.py (run with /usr/bin/python3). */
  listenerScript: string;
  /** The notification socket's path (its directory is made). */
  notifySocket: string;
}

const keepLast = <T>(list: T[]): void => { if (list.length > CLUSTER_LANE_MAX_UNIT_RECORDS) list.splice(0, list.length - CLUSTER_LANE_MAX_UNIT_RECORDS); };

export class UnitRunner {
  private readonly rec: UnitRecord;
  /** Invariant: non-null exactly while the main process has not exited. */
  private child: ChildProcess | null = null;
  private current: UnitStart | null = null;
  private stopRequested = false;
  private startTimedOut = false;
  private startTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private lastPingMs: number | null = null;
  private recentStarts: number[] = [];
  /** Resolves when the current main process ended and ExecStopPost ran. */
  private ended: Promise<void> = Promise.resolve();
  private listener: ChildProcess | null = null;

  constructor(private readonly spec: ServiceSpec, private readonly opts: UnitRunnerOptions) {
    this.rec = {
      unit: opts.name, state: 'inactive', mainPid: null, startCount: 0, starts: [], stopPost: [], lastStatus: null,
      watchdogPings: 0, watchdogMaxGapMs: null, rejectedNotifications: 0, failedReason: null, notApplied: spec.notApplied,
    };
  }

  get pid(): number | null { return this.rec.mainPid; }
  get running(): boolean { return this.child !== null; }
  record(): UnitRecord { return structuredClone(this.rec); }

  private journal(line: string): void {
    this.opts.log(`${this.opts.name}: ${line}`);
    try { appendFileSync(this.opts.logPath, `==== ${this.opts.name}: ${line} (guest wall ${new Date().toISOString()}) ====\n`); } catch { /* bus gone */ }
  }

  /** Starts the notification listener (Type=notify only); call once before start(). */
  async init(): Promise<void> {
    if (this.spec.type !== 'notify') return;
    mkdirSync(dirname(this.opts.notifySocket), { recursive: true, mode: 0o755 });
    const l = spawn('/usr/bin/python3', [this.opts.listenerScript, this.opts.notifySocket], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.listener = l;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`notify listener did not bind within ${LISTENER_READY_MS} ms`)), LISTENER_READY_MS);
      l.on('exit', (code) => { clearTimeout(timer); reject(new Error(`notify listener exited ${code}`)); });
      createInterface({ input: l.stdout! }).on('line', (line) => {
        let m: { bound?: string; t?: number; pid?: number | null; msg?: string };
        try { m = JSON.parse(line) as typeof m; } catch { return; }
        if (m.bound !== undefined) { clearTimeout(timer); resolve(); return; }
        if (typeof m.t === 'number' && typeof m.msg === 'string') this.onNotify(m.t, m.pid ?? null, m.msg);
      });
    });
  }

  close(): void {
    this.listener?.stdin?.end();
    this.listener?.kill('SIGKILL');
  }

  private onNotify(t: number, pid: number | null, msg: string): void {
    if (this.spec.notifyAccess === 'none' || (this.spec.notifyAccess === 'main' && (pid === null || pid !== this.rec.mainPid))) {
      this.rec.rejectedNotifications += 1;
      return;
    }
    const start = this.current;
    for (const line of msg.split('\n')) {
      if (line === 'READY=1' && start !== null && start.readyGuestWallMs === null) {
        start.readyGuestWallMs = t;
        this.lastPingMs = t;
        if (this.startTimer !== null) clearTimeout(this.startTimer);
        this.startTimer = null;
        if (this.rec.state === 'activating') this.rec.state = 'active';
        this.journal(`READY=1 from pid ${pid}`);
      } else if (line.startsWith('STATUS=')) {
        this.rec.lastStatus = line.slice('STATUS='.length);
        if (start !== null && start.readyStatus === null) start.readyStatus = this.rec.lastStatus;
      } else if (line === 'WATCHDOG=1') {
        this.rec.watchdogPings += 1;
        if (this.lastPingMs !== null) this.rec.watchdogMaxGapMs = Math.max(this.rec.watchdogMaxGapMs ?? 0, t - this.lastPingMs);
        this.lastPingMs = t;
      }
    }
  }

  private env(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = { PATH: SYSTEMD_PATH, LANG: 'C.UTF-8', INVOCATION_ID: randomBytes(16).toString('hex'), ...extra };
    if (this.spec.runtimeDirectories.length > 0) env.RUNTIME_DIRECTORY = this.spec.runtimeDirectories.map((d) => d.path).join(':');
    if (this.spec.stateDirectories.length > 0) env.STATE_DIRECTORY = this.spec.stateDirectories.map((d) => d.path).join(':');
    return env;
  }

  /** `sh -c` prologue every command of the unit runs under (UMask=, LimitNOFILE=), ending in an exec of argv. */
  private prologue(extra: string[] = []): string {
    const s = this.spec;
    return [`umask ${s.umask.toString(8).padStart(4, '0')}`, ...(s.limitNofile !== null ? [`ulimit -n ${s.limitNofile}`] : []), ...extra, 'exec "$0" "$@"'].join('; ');
  }

  /** Runs one ExecStartPre/ExecStopPost/ExecReload line to its end (bounded); returns its exit code. */
  private runCommand(what: string, cmd: ExecCommand, env: Record<string, string>, timeoutMs: number): Promise<number> {
    const argv = expandArgv(cmd.argv, env);
    return new Promise((resolve) => {
      execFile('/bin/sh', ['-c', this.prologue(), ...argv], { env, timeout: timeoutMs, maxBuffer: CLUSTER_LANE_MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : -1;
        try { appendFileSync(this.opts.logPath, `${stdout}${stderr}`); } catch { /* bus gone */ }
        this.journal(`${what}=${cmd.raw} exited ${code}${err !== null && code === -1 ? ` (${err.message})` : ''}`);
        resolve(code);
      });
    });
  }

  /** systemctl start: a no-op while running or stopping; refused past the start limit. */
  async start(): Promise<void> {
    if (this.rec.state === 'activating' || this.rec.state === 'active' || this.rec.state === 'deactivating') return;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const now = performance.now();
    this.recentStarts = this.recentStarts.filter((t) => now - t < this.spec.startLimitIntervalMs);
    if (this.recentStarts.length >= this.spec.startLimitBurst) {
      this.rec.state = 'failed';
      this.rec.failedReason = 'start-limit-hit';
      this.journal(`start refused: ${this.recentStarts.length} starts within StartLimitIntervalSec (StartLimitBurst=${this.spec.startLimitBurst})`);
      return;
    }
    this.recentStarts.push(now);
    this.rec.state = 'activating';
    this.rec.failedReason = null;
    this.stopRequested = false;
    this.startTimedOut = false;
    for (const d of [...this.spec.runtimeDirectories, ...this.spec.stateDirectories]) {
      mkdirSync(d.path, { recursive: true });
      chmodSync(d.path, d.mode);
    }
    for (const pre of this.spec.execStartPre) {
      const code = await this.runCommand('ExecStartPre', pre, this.env(), this.spec.timeoutStartMs);
      if (code !== 0 && !pre.ignoreFailure) {
        await this.afterEnd('exit-code', code, null);
        return;
      }
    }
    if (this.stopRequested) { this.rec.state = 'inactive'; return; }
    this.spawnMain();
  }

  private spawnMain(): void {
    const s = this.spec;
    const extra: Record<string, string> = {};
    if (s.type === 'notify') extra.NOTIFY_SOCKET = this.opts.notifySocket;
    if (s.watchdogMs > 0) extra.WATCHDOG_USEC = String(Math.round(s.watchdogMs * 1000));
    const env = this.env(extra);
    const script = this.prologue(s.watchdogMs > 0 ? ['WATCHDOG_PID=$$', 'export WATCHDOG_PID'] : []);
    const argv = expandArgv(s.execStart.argv, env);
    const n = this.rec.startCount + 1;
    this.journal(`start #${n}: ExecStart=${s.execStart.raw}`);
    const fd = openSync(this.opts.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', script, ...argv], { env, stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid ?? null;
    this.child = child;
    this.rec.mainPid = pid;
    this.rec.startCount = n;
    const start: UnitStart = { n, pid, guestWallMs: Date.now(), readyGuestWallMs: null, readyStatus: null, end: null };
    this.current = start;
    this.rec.starts.push(start);
    keepLast(this.rec.starts);
    this.lastPingMs = null;
    if (pid !== null) {
      try { if (s.nice !== null) setPriority(pid, s.nice); } catch (e) { this.journal(`Nice=${s.nice} failed: ${(e as Error).message}`); }
      try { if (s.oomScoreAdjust !== null) writeFileSync(`/proc/${pid}/oom_score_adj`, String(s.oomScoreAdjust)); } catch (e) { this.journal(`OOMScoreAdjust failed: ${(e as Error).message}`); }
    }
    if (s.type === 'notify' && Number.isFinite(s.timeoutStartMs)) {
      this.startTimer = setTimeout(() => {
        this.startTimer = null;
        if (this.child !== child || start.readyGuestWallMs !== null) return;
        this.startTimedOut = true;
        this.journal(`no READY=1 within TimeoutStartSec (${s.timeoutStartMs} ms): SIGTERM`);
        this.terminate(child);
      }, s.timeoutStartMs);
    }
    let done!: () => void;
    this.ended = new Promise<void>((r) => { done = r; });
    child.on('error', (e) => this.journal(`spawn error: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (this.startTimer !== null) clearTimeout(this.startTimer);
      this.startTimer = null;
      if (pid !== null && (s.killMode === 'mixed' || s.killMode === 'control-group')) {
        try { process.kill(-pid, 'SIGKILL'); } catch { /* the group is empty */ }
      }
      this.child = null;
      this.rec.mainPid = null;
      const result = serviceResult(code, signal, this.startTimedOut);
      start.end = { guestWallMs: Date.now(), code, signal, result };
      this.journal(`main process ${pid} ended: code=${code} signal=${signal} result=${result}`);
      void this.afterEnd(result, code, signal).finally(done);
    });
  }

  /** SIGTERM to the main process; SIGKILL to its process group after TimeoutStopSec. */
  private terminate(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined) return;
    try { process.kill(pid, 'SIGTERM'); } catch { return; }
    const timer = setTimeout(() => {
      if (this.child !== child) return;
      this.journal(`still running ${this.spec.timeoutStopMs} ms after SIGTERM: SIGKILL`);
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }, this.spec.timeoutStopMs);
    child.once('exit', () => clearTimeout(timer));
  }

  private async afterEnd(result: ServiceResult, code: number | null, signal: string | null): Promise<void> {
    this.rec.state = 'deactivating';
    const env = this.env({
      SERVICE_RESULT: result, EXIT_CODE: signal === null ? 'exited' : result === 'core-dump' ? 'dumped' : 'killed',
      EXIT_STATUS: signal === null ? String(code ?? '') : signal.replace(/^SIG/, ''),
    });
    for (const post of this.spec.execStopPost) {
      const exit = await this.runCommand('ExecStopPost', post, env, this.spec.timeoutStopMs);
      this.rec.stopPost.push({ guestWallMs: Date.now(), command: post.raw, code: exit });
      keepLast(this.rec.stopPost);
    }
    for (const d of this.spec.runtimeDirectories) rmSync(d.path, { recursive: true, force: true });
    this.current = null;
    if (this.stopRequested) { this.rec.state = 'inactive'; return; }
    if (shouldRestart(this.spec, result, code)) {
      this.rec.state = 'auto-restart';
      this.journal(`Restart=${this.spec.restart}: starting again in ${this.spec.restartSecMs} ms`);
      this.restartTimer = setTimeout(() => { this.restartTimer = null; void this.start(); }, this.spec.restartSecMs);
      return;
    }
    this.rec.state = result === 'success' ? 'inactive' : 'failed';
    if (result !== 'success') this.rec.failedReason = result;
  }

  /** systemctl stop: no restart afterwards; resolves once ExecStopPost ran. */
  async stop(): Promise<void> {
    if (this.restartTimer !== null) { clearTimeout(this.restartTimer); this.restartTimer = null; this.rec.state = 'inactive'; }
    const child = this.child;
    if (child === null) {
      if (this.rec.state === 'activating') this.stopRequested = true;
      return;
    }
    this.stopRequested = true;
    this.rec.state = 'deactivating';
    this.terminate(child);
    await this.ended;
  }

  /** `kill -9 $MAINPID` from outside: the unit sees a crash (Restart= applies); resolves once it handled the end. */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    await this.ended;
  }

  /** systemctl reload: each ExecReload= line with $MAINPID; returns the last exit code. */
  async reload(): Promise<number> {
    if (this.rec.mainPid === null) throw new Error(`${this.opts.name} is not running`);
    let code = 0;
    for (const cmd of this.spec.execReload) code = await this.runCommand('ExecReload', cmd, this.env({ MAINPID: String(this.rec.mainPid) }), this.spec.timeoutStartMs);
    return code;
  }
}
