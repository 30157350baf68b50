// Inside a cluster-lane guest: this guest's mdclusterd process as the agent runs it. Owns:
// spawning `node dist/daemon/src/main.js --config FILE` with stdout/stderr appended to the
// daemon log on the bus, and stopping it (SIGTERM with a bounded wait, then SIGKILL).
// Invariants: at most one daemon per guest; stop() and kill() resolve only after the process
// exited (or was already gone); every start/exit is recorded in the agent log.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { DAEMON_NODE_OPTIONS } from '../../../daemon/src/common/limits.js';

/** How long a SIGTERMed daemon may take to hand over and exit before it is killed. */
const DAEMON_STOP_TIMEOUT_MS = 15_000;

export interface DaemonSpec {
  repoRoot: string;
  configPath: string;
  logPath: string;
  log: (line: string) => void;
}

export class DaemonProcess {
  /** Invariant: non-null exactly while the spawned process has not exited. */
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly spec: DaemonSpec) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): void {
    if (this.child !== null) return;
    const fd = openSync(this.spec.logPath, 'a');
    writeSync(fd, `==== mdclusterd starting at guest wall ${new Date().toISOString()} ====\n`);
    const child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, `${this.spec.repoRoot}/dist/daemon/src/main.js`, '--config', this.spec.configPath], {
      cwd: this.spec.repoRoot, stdio: ['ignore', fd, fd], env: { ...process.env },
    });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.on('error', (e) => { this.spec.log(`daemon spawn error: ${e.message}`); this.child = null; resolve(); });
      child.on('exit', (code, signal) => {
        this.spec.log(`daemon exited code=${code} signal=${signal}`);
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    this.spec.log(`daemon started pid=${child.pid}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), DAEMON_STOP_TIMEOUT_MS); });
    const how = await Promise.race([this.exited.then(() => 'exited' as const), gaveUp]);
    clearTimeout(timer);
    if (how === 'timeout') {
      this.spec.log('daemon did not exit after SIGTERM; killing it');
      await this.kill();
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}
