// Runs INSIDE a kernel-lab guest: the one-node mdclusterd (kernel md driver) the mdadm-vs-mdctl
// guest programs drive, and the waits they share. Owns: starting/stopping that daemon, running
// one mdadm or mdctl command into a ModeCmd, and waiting for an array's kernel state.
// Invariants: every wait is bounded; stopDaemon ends the daemon (SIGKILL after 15 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { run, sleep } from '../mdctl/guest-io.js';
import type { ModeCmd } from './mdctl-modes-cases.js';

const REPO = process.cwd();
export const OUT = process.env.LAB_OUT ?? '/lab/out';
const SETUP = process.env.MDCTL_LAB_SETUP ?? '';
const SOCKET = '/run/mdclusterd/control.sock';
const MDCTL_JS = join(REPO, 'dist/mdctl/src/main.js');
const DAEMON_JS = join(REPO, 'dist/daemon/src/main.js');
const DAEMON_READY_MS = 240_000;
/** Bound on waiting for an array to appear/disappear in the kernel after a command. */
const KERNEL_WAIT_MS = 60_000;

export const RUNNING = ['clean', 'active', 'active-idle', 'read-auto', 'readonly'];
export const GONE = ['absent', 'clear', 'inactive'];

export const cmd = async (tool: 'mdadm' | 'mdctl', args: string[]): Promise<ModeCmd> => {
  const r = tool === 'mdadm' ? await run(['mdadm', ...args]) : await run([process.execPath, MDCTL_JS, '--socket', SOCKET, ...args], ['mdctl', ...args]);
  return { argv: [tool, ...args], code: r.code, stdout: r.stdout, stderr: r.stderr };
};

export function startDaemon(): ChildProcess {
  const fd = openSync(join(OUT, 'daemon.log'), 'a');
  try {
    return spawn(process.execPath, [DAEMON_JS, '--config', join(SETUP, 'mdclusterd.toml')], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

export async function stopDaemon(d: ChildProcess): Promise<void> {
  if (d.exitCode !== null || d.signalCode !== null) return;
  const exited = new Promise<void>((r) => d.once('exit', () => r()));
  d.kill('SIGTERM');
  const t = setTimeout(() => d.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

/** Waits until the daemon is the writable master; returns how long that took. */
export async function waitReady(d: ChildProcess): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (d.exitCode !== null) throw new Error(`mdclusterd exited with ${d.exitCode} during start-up (see daemon.log)`);
    const r = await cmd('mdctl', ['--cluster', 'status']);
    if (r.code === 0 && /master node1/.test(r.stdout) && /, writer,/.test(r.stdout)) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > DAEMON_READY_MS) throw new Error(`mdclusterd not a writable master within ${DAEMON_READY_MS} ms`);
    await sleep(500);
  }
}

/** Waits until `read` (a kernel fact of `what`) satisfies `ok`, at most `boundMs` (KERNEL_WAIT_MS); returns it. */
export async function waitKernel(what: string, read: () => Promise<string>, ok: (v: string) => boolean, boundMs = KERNEL_WAIT_MS): Promise<string> {
  const t0 = performance.now();
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (performance.now() - t0 > boundMs) throw new Error(`${what}: still ${JSON.stringify(v)} after ${boundMs} ms`);
    await sleep(300);
  }
}

/** Waits until /sys/block/<md>/md/array_state reads one of `states` (absent counts as "absent"). */
export async function waitArray(md: string, states: string[]): Promise<void> {
  await waitKernel(`${md} array_state (waited for ${states.join('/')})`, async () => {
    const r = await run(['cat', `/sys/block/${md}/md/array_state`]);
    return r.code === 0 ? r.stdout.trim() : 'absent';
  }, (s) => states.includes(s));
}
