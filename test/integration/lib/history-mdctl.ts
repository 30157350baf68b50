// mdctl as a separate process with MDCTL_SOCKET listing several daemons (the local one first),
// for the "command issued at the master's kill" test and the failover benchmark's client view.
// Owns: the child process, its bounded output, and finding its requests in a replayed log.
// Invariants: every run ends within MDCTL_KILL_RUN_TIMEOUT_MS (killed after; exit -1); the pid
// is known before the command can reach a daemon, so its session (mdctl.<host>.<pid>.<random>,
// mdctl/src/propose.ts) can be found in the log afterwards.
import { execFile } from 'node:child_process';
import { INTEG_MAX_REPLY_BYTES } from '../../lib/limits.js';
import type { RequestTrace } from './history-log.js';
import { mdctlMainJs, type MdctlResult } from './mdctl-run.js';

/** mdctl retries for up to 60 s (MDCTL_PROPOSE_DEADLINE_MS); a little more before it is killed. */
const MDCTL_KILL_RUN_TIMEOUT_MS = 70_000;

export interface RunningMdctl {
  pid: number;
  startMs: number;
  done: Promise<MdctlResult & { endMs: number }>;
}

/** Starts `mdctl args...` with MDCTL_SOCKET=sockets (comma-separated, in order). */
export function startMdctl(sockets: readonly string[], args: readonly string[]): RunningMdctl {
  const startMs = performance.now();
  let resolveDone!: (r: MdctlResult & { endMs: number }) => void;
  const done = new Promise<MdctlResult & { endMs: number }>((r) => { resolveDone = r; });
  const child = execFile(process.execPath, [mdctlMainJs(), ...args], {
    timeout: MDCTL_KILL_RUN_TIMEOUT_MS, maxBuffer: INTEG_MAX_REPLY_BYTES, encoding: 'utf8', env: { ...process.env, MDCTL_SOCKET: sockets.join(',') },
  }, (err, stdout, stderr) => {
    const endMs = performance.now();
    const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
    resolveDone({ code, stdout, stderr, wallMs: endMs - startMs, endMs });
  });
  return { pid: child.pid ?? -1, startMs, done };
}

/** The requests of the mdctl process `pid` in a replayed log (its client id embeds the pid). */
export function mdctlRequests(traces: Map<string, RequestTrace>, pid: number): RequestTrace[] {
  return [...traces.values()].filter((t) => t.client.startsWith('mdctl.') && t.client.split('.').at(-2) === String(pid));
}
