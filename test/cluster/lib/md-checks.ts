// md-level checks shared by the cluster-lane scenarios: waiting for a node's kernel to run an
// array writable / read-only / idle, and the central view check "every node's /mdstat equals
// the master kernel's /proc/mdstat". Owns: those waits and their failure messages.
// Invariant: every wait is bounded; a failed comparison reports each differing node's text
// next to the master's, so the failure says what differs without the artifacts.
import { expect } from 'vitest';
import { waitFor } from '../../integration/lib/wait.js';
import type { LaneCluster } from './cluster.js';
import { clusterMdstat, procMdstat, sysfs, WRITABLE_PATTERN } from './node-ops.js';

export const READ_ONLY_PATTERN = '^(readonly|read-auto)$';
/** Default bound on the cluster converging after a change (every step runs on a TCG vCPU). */
export const CONVERGE_MS = 180_000;
/** Bound on the views converging once the master's kernel reached the awaited state (the
 * observe entry and the standbys' re-assembly; seconds when they work). */
export const VIEW_CONVERGE_MS = 60_000;

export async function waitArrayState(c: LaneCluster, i: number, md: string, pattern: string, timeoutMs = CONVERGE_MS): Promise<string> {
  const r = await c.guest(i).rpc.waitFile(`/sys/block/${md}/md/array_state`, pattern, timeoutMs, 20);
  return r.value;
}

export const waitWritable = (c: LaneCluster, i: number, md: string, timeoutMs = CONVERGE_MS): Promise<string> =>
  waitArrayState(c, i, md, WRITABLE_PATTERN, timeoutMs);
export const waitReadOnly = (c: LaneCluster, i: number, md: string, timeoutMs = CONVERGE_MS): Promise<string> =>
  waitArrayState(c, i, md, READ_ONLY_PATTERN, timeoutMs);

/** The master's kernel: no sync running or pending, nothing degraded. */
export async function waitIdleClean(c: LaneCluster, i: number, md: string, timeoutMs = CONVERGE_MS): Promise<void> {
  await waitFor(`node${i} ${md} idle and not degraded`, async () => {
    const [action, degraded, completed] = await Promise.all([sysfs(c, i, md, 'sync_action'), sysfs(c, i, md, 'degraded'), sysfs(c, i, md, 'sync_completed')]);
    return action === 'idle' && degraded === '0' && completed === 'none' ? true : undefined;
  }, timeoutMs, 300);
}

/**
 * The order md lists an array's members in /proc/mdstat is the order they were bound (newest
 * first), which `mdadm --assemble` chooses itself; the cluster record does not carry it. This
 * sorts the members of each "mdX : ..." line, for comparisons that knowingly ignore that order.
 */
export function withSortedMembers(mdstat: string): string {
  return mdstat.split('\n').map((line) => {
    const m = /^(md\S+ : \S+(?: \([^)]*\))? \S+ )(.*)$/.exec(line);
    return m === null ? line : m[1] + m[2]!.split(' ').sort().join(' ');
  }).join('\n');
}

const PERSONALITIES = /^Personalities : ((?:\[\S+\] )*)\n/;

/**
 * The "Personalities :" line apart from the rest. The kernel lists every personality whose module
 * is loaded, and the installed unit's ExecStartPre loads raid0, raid1, raid10 and raid456 before
 * any array exists; the cluster /mdstat lists those of the record's arrays (the same on every
 * node). So the view's line is compared as an in-order subset of the kernel's; the rest stays
 * byte for byte.
 */
export function splitPersonalities(mdstat: string): { personalities: string[]; rest: string } {
  const m = PERSONALITIES.exec(mdstat);
  if (m === null) return { personalities: [], rest: mdstat };
  return { personalities: m[1]!.trim().split(' ').filter((x) => x !== ''), rest: mdstat.slice(m[0].length) };
}

export function viewMatchesKernel(view: string, kernel: string): boolean {
  const v = splitPersonalities(view);
  const k = splitPersonalities(kernel);
  let at = 0;
  for (const p of v.personalities) {
    at = k.personalities.indexOf(p, at);
    if (at < 0) return false;
    at += 1;
  }
  return v.rest === k.rest;
}

/**
 * Waits until every live node's cluster /mdstat equals the master kernel's /proc/mdstat (both
 * read in the same round), then asserts it (with the texts on failure). Byte for byte after the
 * Personalities line (see splitPersonalities), unless `ignoreMemberOrder` (see withSortedMembers).
 */
export async function expectMdstatsEqualMaster(c: LaneCluster, master: number, timeoutMs = VIEW_CONVERGE_MS, ignoreMemberOrder = false): Promise<string> {
  const nodes = c.indexes.filter((i) => c.alive(i));
  const norm = ignoreMemberOrder ? withSortedMembers : (s: string): string => s;
  let last: { kernel: string; views: string[] } | null = null;
  try {
    return await waitFor('every node\'s /mdstat to equal the master kernel\'s /proc/mdstat', async () => {
      const kernel = norm(await procMdstat(c, master));
      const views = (await Promise.all(nodes.map((i) => clusterMdstat(c, i)))).map(norm);
      last = { kernel, views };
      return views.every((v) => viewMatchesKernel(v, kernel)) ? kernel : undefined;
    }, timeoutMs, 500);
  } catch (e) {
    const seen = last as { kernel: string; views: string[] } | null;
    if (seen === null) throw e;
    nodes.forEach((i, k) => {
      expect(splitPersonalities(seen.views[k]!).rest, `node${i} /mdstat vs node${master} (master) /proc/mdstat`).toBe(splitPersonalities(seen.kernel).rest);
      expect(viewMatchesKernel(seen.views[k]!, seen.kernel), `node${i} /mdstat Personalities within the master kernel's:\n${seen.views[k]}\n${seen.kernel}`).toBe(true);
    });
    throw e;
  }
}
