// What a cluster-lane test does on one node, through that guest's agent: run a command, run
// mdctl against the local daemon, read the daemon's status endpoint, the kernel's /proc/mdstat
// and md sysfs, and wait for the cluster to agree on a master. Owns: these helpers and their
// error messages (each names the node and what was run).
// Invariant: helpers named run*/must* throw on a non-zero exit with the command's stderr;
// the others return the raw result for the test to judge.
import type { StatusJson } from '../../integration/lib/status-types.js';
import { waitFor } from '../../integration/lib/wait.js';
import type { ExecResult } from '../guest/protocol.js';
import type { LaneCluster } from './cluster.js';
import { CONTROL_SOCKET } from './setup.js';

export type { StatusJson };

export async function exec(c: LaneCluster, i: number, argv: string[], timeoutMs = 60_000): Promise<ExecResult> {
  return c.guest(i).rpc.exec(argv, timeoutMs);
}

function describeRun(i: number, what: string, r: ExecResult): string {
  return `node${i}: \`${what}\` exited ${r.code} after ${r.wallMs} ms\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

/** Runs a shell script in node i; throws unless it exits 0; returns stdout. */
export async function mustSh(c: LaneCluster, i: number, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await exec(c, i, ['sh', '-c', script], timeoutMs);
  if (r.code !== 0) throw new Error(describeRun(i, script, r));
  return r.stdout;
}

/** The mdctl the package installed in the guest. */
export const INSTALLED_MDCTL = '/usr/bin/mdctl';

/** mdctl (as installed by the package) against node i's daemon; returns the raw result. */
export async function mdctl(c: LaneCluster, i: number, args: string[], timeoutMs = 90_000): Promise<ExecResult> {
  return exec(c, i, [INSTALLED_MDCTL, '--socket', CONTROL_SOCKET, ...args], timeoutMs);
}

export async function mustMdctl(c: LaneCluster, i: number, args: string[], timeoutMs = 90_000): Promise<ExecResult> {
  const r = await mdctl(c, i, args, timeoutMs);
  if (r.code !== 0) throw new Error(describeRun(i, `mdctl ${args.join(' ')}`, r));
  return r;
}

export async function status(c: LaneCluster, i: number): Promise<StatusJson> {
  const r = await c.guest(i).rpc.http('/api/v1/status?stale=1');
  if (r.status !== 200) throw new Error(`node${i}: GET /api/v1/status -> ${r.status}: ${r.body.slice(0, 500)}`);
  return JSON.parse(r.body) as StatusJson;
}

/** The daemon's cluster-wide /mdstat on node i. */
export async function clusterMdstat(c: LaneCluster, i: number): Promise<string> {
  const r = await c.guest(i).rpc.http('/mdstat?stale=1');
  if (r.status !== 200) throw new Error(`node${i}: GET /mdstat -> ${r.status}: ${r.body.slice(0, 500)}`);
  return r.body;
}

export async function procMdstat(c: LaneCluster, i: number): Promise<string> {
  return mustSh(c, i, 'cat /proc/mdstat');
}

/** /sys/block/<md>/md/<attr>, trimmed; "<missing>" when the file does not exist. */
export async function sysfs(c: LaneCluster, i: number, md: string, attr: string): Promise<string> {
  const out = await mustSh(c, i, `cat /sys/block/${md}/md/${attr} 2>/dev/null || echo '<missing>'`);
  return out.trim();
}

export async function writeSysfs(c: LaneCluster, i: number, path: string, value: string): Promise<void> {
  await mustSh(c, i, `echo ${value} > ${path}`);
}

export const WRITABLE_STATES = ['clean', 'active', 'write-pending', 'active-idle'];
export const WRITABLE_PATTERN = `^(${WRITABLE_STATES.join('|')})$`;

export interface MasterView {
  index: number;
  id: string;
  term: number;
}

/**
 * Waits until every live node (or those in `among`) reports the same master and leader at the
 * same term, with that master among `candidates`, at a term >= minTerm.
 */
export async function waitMaster(c: LaneCluster, opts: { among?: number[]; candidates?: number[]; minTerm?: number; timeoutMs?: number } = {}): Promise<MasterView> {
  const among = opts.among ?? c.indexes.filter((i) => c.alive(i));
  return waitFor('the nodes to agree on a master', async () => {
    const views = await Promise.all(among.map((i) => status(c, i)));
    const m = views[0]!;
    if (m.master === null || m.leader !== m.master) return undefined;
    if (!views.every((v) => v.master === m.master && v.leader === m.leader && v.term === m.term)) return undefined;
    const index = Number(/^node([0-9]+)$/.exec(m.master)?.[1] ?? NaN);
    if (opts.candidates && !opts.candidates.includes(index)) return undefined;
    if (opts.minTerm !== undefined && m.term < opts.minTerm) return undefined;
    return { index, id: m.master, term: m.term };
  }, opts.timeoutMs ?? 120_000, 200);
}

/** The md member names (e.g. "vdb") as node i's kernel lists them, with their sysfs state. */
export async function memberStates(c: LaneCluster, i: number, md: string): Promise<Record<string, string>> {
  const out = await mustSh(c, i, `for d in /sys/block/${md}/md/dev-*; do [ -e "$d" ] || continue; echo "\${d##*/dev-}=$(cat $d/state)"; done`);
  const states: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) states[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return states;
}
