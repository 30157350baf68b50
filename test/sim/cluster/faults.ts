// The faults of the cluster simulator's fault phase: what one fault action does to the world.
// Owns: crashes (any node or the master, one armed to hit inside the host's next fsync window,
// or every host at once: a power loss) with restarts, partitions (symmetric splits, one-way
// links, the master isolated) that heal on their own or by a heal action, md member failures
// injected into one host's kernel, and admin commands sent the way mdctl sends them (through
// the node's control dispatcher): fail, remove, add, re-add, and master step-down.
// Invariants: every choice draws from the fault stream (one seed, one fault sequence); faults
// act only through the hosts, the network and the control requests - never on node internals;
// an action with nothing to act on (no master, no such member) is traced as skipped.
import { OpError } from '../../../daemon/src/common/errors.js';
import type { NodeId } from '../../../daemon/src/common/types.js';
import type { ArrayRecord } from '../../../daemon/src/cluster/types.js';
import type { Rand } from '../rand.js';
import type { SimHost } from './host.js';
import { peekSimArray } from './kernel.js';
import type { ClusterNet } from './net.js';
import type { Scheduler } from './scheduler.js';
import type { ClusterWorld, FaultKind } from './world.js';
import { ARRAY_DEVICE, DISK_IDS } from './world.js';

/** Admin proposals give up after this much simulated time (mdctl's --timeout). */
const ADMIN_TIMEOUT_MS = 5_000;

export interface FaultControl {
  readonly hosts: readonly SimHost[];
  readonly net: ClusterNet;
  readonly sched: Scheduler;
  readonly world: ClusterWorld;
  readonly rand: Rand;
  trace(kind: string, node: string, detail: string): void;
  /** The host whose daemon is the Raft leader of the highest term, if any is up. */
  leader(): SimHost | null;
  /** Restarts a crashed host after delayUs (if still down and the run still wants it). */
  restartLater(host: SimHost, delayUs: number): void;
  /** An admin proposal was answered: applied at index (the durability checker's acknowledgement). */
  acked(index: number, what: string): void;
}

export function applyFault(kind: FaultKind, c: FaultControl): string {
  switch (kind) {
    case 'crash': return crash(c, pickUp(c));
    case 'crash-master': return crash(c, c.leader());
    case 'crash-fsync': return crashInFsync(c);
    case 'power-loss': return powerLoss(c);
    case 'partition': return partition(c);
    case 'one-way': return oneWay(c);
    case 'isolate-master': return isolateMaster(c);
    case 'heal':
      c.net.healAll();
      return 'heal: every link restored';
    case 'disk-fault': return diskFault(c);
    case 'admin-fail': return adminFail(c);
    case 'admin-remove': return adminRemove(c);
    case 'admin-add': return adminAdd(c);
    case 'admin-re-add': return adminReAdd(c);
    case 'step-down': return stepDown(c);
    case 'stall': return stall(c);
  }
}

function pickUp(c: FaultControl): SimHost | null {
  const up = c.hosts.filter((h) => h.up);
  return up.length === 0 ? null : c.rand.pick(up);
}

function crash(c: FaultControl, h: SimHost | null): string {
  if (h === null) return 'crash: skipped (no such host up)';
  h.crash('fault');
  if (!c.rand.chance(0.85)) return `crash ${h.id}: down until the heal phase`;
  const downUs = c.rand.int(c.world.downtimeUs.lo, c.world.downtimeUs.hi);
  c.restartLater(h, downUs);
  return `crash ${h.id}: restarts in ${(downUs / 1000).toFixed(1)} ms`;
}

/** Every host loses power at once (unsynced Raft writes may be lost); each restarts after a downtime. */
function powerLoss(c: FaultControl): string {
  const up = c.hosts.filter((h) => h.up);
  for (const h of up) {
    h.crash('power loss');
    c.restartLater(h, c.rand.int(c.world.downtimeUs.lo, c.world.downtimeUs.hi));
  }
  return `power-loss: ${up.map((h) => h.id).join(',') || 'no host up'} down`;
}

/** Arms a host (the leader, more often than not) to crash inside its next fsync window. */
function crashInFsync(c: FaultControl): string {
  const h = c.rand.chance(0.6) ? c.leader() ?? pickUp(c) : pickUp(c);
  if (h === null) return 'crash-fsync: skipped (no host up)';
  h.armFsyncCrash();
  return `crash-fsync: ${h.id} crashes inside its next fsync window`;
}

/** Blocks the given directed links; with probability 0.7 they heal on their own later. */
function blockLinks(c: FaultControl, links: [NodeId, NodeId][]): string {
  for (const [a, b] of links) c.net.block(a, b);
  if (!c.rand.chance(0.7)) return 'until a heal';
  const us = c.rand.int(c.world.partitionUs.lo, c.world.partitionUs.hi);
  c.sched.after(us, () => {
    for (const [a, b] of links) c.net.unblock(a, b);
    c.trace('heal', '-', `links ${links.map(([a, b]) => `${a}>${b}`).join(' ')} restored`);
  });
  return `for ${(us / 1000).toFixed(1)} ms`;
}

function partition(c: FaultControl): string {
  const ids = c.world.nodeIds;
  const side = c.rand.subset(ids, c.rand.int(1, ids.length - 1));
  const other = ids.filter((id) => !side.includes(id));
  const links: [NodeId, NodeId][] = [];
  for (const a of side) for (const b of other) links.push([a, b], [b, a]);
  return `partition {${side.join(',')}} | {${other.join(',')}} ${blockLinks(c, links)}`;
}

function oneWay(c: FaultControl): string {
  const ids = c.world.nodeIds;
  const links: [NodeId, NodeId][] = [];
  const n = c.rand.int(1, ids.length - 1);
  for (let i = 0; i < n; i++) {
    const [a, b] = c.rand.subset(ids, 2);
    if (c.rand.chance(0.5)) links.push([a, b]);
    else links.push([b, a]);
  }
  return `one-way ${links.map(([a, b]) => `${a}>${b}`).join(' ')} ${blockLinks(c, links)}`;
}

function isolateMaster(c: FaultControl): string {
  const l = c.leader();
  if (l === null) return 'isolate-master: skipped (no leader)';
  const links: [NodeId, NodeId][] = [];
  for (const b of c.world.nodeIds) if (b !== l.id) links.push([l.id, b], [b, l.id]);
  return `isolate master ${l.id} ${blockLinks(c, links)}`;
}

/** An I/O error on one member in one host's kernel (md_error): that node proposes it faulty. */
function diskFault(c: FaultControl): string {
  const hosts = c.hosts.filter((h) => h.live !== null && peekSimArray(h.live.kernel.sim, ARRAY_DEVICE) !== undefined);
  if (hosts.length === 0) return 'disk-fault: skipped (md0 is assembled nowhere)';
  const h = c.rand.pick(hosts);
  const a = peekSimArray(h.live!.kernel.sim, ARRAY_DEVICE)!;
  const members = a.members.filter((m) => !m.faulty);
  if (members.length === 0) return `disk-fault: skipped (no working member on ${h.id})`;
  const m = c.rand.pick(members);
  h.live!.kernel.sim.injectFault(ARRAY_DEVICE, m.devPath).catch((e: unknown) => c.trace('fault', h.id, `injectFault failed: ${String(e)}`));
  return `disk-fault: md_error on ${m.devPath} in ${h.id}'s kernel`;
}

/** The record of md0 as some live host sees it, with that host. */
function someRecord(c: FaultControl): { h: SimHost; rec: ArrayRecord } | null {
  const h = pickUp(c);
  const rec = h?.live?.node.state.arrays.find((a) => a.device === ARRAY_DEVICE);
  return h === null || rec === undefined ? null : { h, rec };
}

function propose(c: FaultControl, h: SimHost, what: string, command: Record<string, unknown>): string {
  const started = c.sched.nowUs;
  h.request({ type: 'propose', command, timeoutMs: ADMIN_TIMEOUT_MS }).then(
    (r) => {
      c.trace('admin', h.id, `${what}: ok ${JSON.stringify(r)} after ${((c.sched.nowUs - started) / 1000).toFixed(1)} ms`);
      const index = (r as { index?: unknown }).index;
      if (typeof index === 'number') c.acked(index, `${h.id}: ${what}`);
    },
    (e: unknown) => c.trace('admin', h.id, `${what}: ${e instanceof OpError ? e.code : String(e)}`),
  );
  return `admin on ${h.id}: ${what}`;
}

function adminFail(c: FaultControl): string {
  const s = someRecord(c);
  const active = s?.rec.members.filter((m) => m.role === 'active') ?? [];
  if (s === null || active.length === 0) return 'admin-fail: skipped (no active member known)';
  const m = c.rand.pick(active);
  return propose(c, s.h, `mdadm --fail ${m.path}`, { op: 'set-faulty', device: ARRAY_DEVICE, member: m.path, force: false });
}

function adminRemove(c: FaultControl): string {
  const s = someRecord(c);
  const gone = s?.rec.members.filter((m) => m.role === 'faulty' || m.role === 'spare') ?? [];
  if (s === null || gone.length === 0) return 'admin-remove: skipped (no faulty or spare member known)';
  const m = c.rand.pick(gone);
  return propose(c, s.h, `mdadm --remove ${m.path}`, { op: 'hot-remove', device: ARRAY_DEVICE, member: m.path });
}

function adminAdd(c: FaultControl): string {
  const s = someRecord(c);
  if (s === null) return 'admin-add: skipped (no md0 record known)';
  const used = new Set(s.rec.members.filter((m) => m.role !== 'removed').map((m) => m.path));
  const free = DISK_IDS.map((d) => `/dev/${d}`).filter((p) => !used.has(p));
  if (free.length === 0) return 'admin-add: skipped (no free disk)';
  const p = c.rand.pick(free);
  return propose(c, s.h, `mdadm --add ${p}`, { op: 'hot-add', device: ARRAY_DEVICE, member: p });
}

/** Re-adds a removed member with a known superblock (the cluster's validation accepts it). */
function adminReAdd(c: FaultControl): string {
  const s = someRecord(c);
  const back = s?.rec.members.filter((m) => m.role === 'removed' && m.deviceUuid !== null) ?? [];
  if (s === null || back.length === 0) return 'admin-re-add: skipped (no removed member with a superblock known)';
  const m = c.rand.pick(back);
  return propose(c, s.h, `mdadm --re-add ${m.path}`, { op: 're-add', device: ARRAY_DEVICE, member: m.path });
}

function stepDown(c: FaultControl): string {
  const l = c.leader();
  if (l === null) return 'step-down: skipped (no leader)';
  const to = c.rand.pick(c.world.nodeIds.filter((id) => id !== l.id));
  const started = c.sched.nowUs;
  l.request({ type: 'step-down', to }).then(
    (r) => c.trace('admin', l.id, `step-down to ${to}: ok ${JSON.stringify(r)} after ${((c.sched.nowUs - started) / 1000).toFixed(1)} ms`),
    (e: unknown) => c.trace('admin', l.id, `step-down to ${to}: ${e instanceof OpError ? e.code : String(e)}`),
  );
  return `admin on ${l.id}: mdctl --cluster step-down --to ${to}`;
}

/** Freezes a daemon (the master, more often than not); its kernel keeps running. */
function stall(c: FaultControl): string {
  const h = c.rand.chance(0.6) ? c.leader() ?? pickUp(c) : pickUp(c);
  if (h === null) return 'stall: skipped (no host up)';
  const us = c.rand.int(c.world.stallUs.lo, c.world.stallUs.hi);
  h.freeze(us);
  return `stall: ${h.id}'s daemon frozen for ${(us / 1000).toFixed(1)} ms`;
}
