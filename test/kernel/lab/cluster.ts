// Kernel lab: several guests on one network segment and the same shared disks. Owns: the
// cluster's netns, its shared disk files and bus dir, and booting/collecting its guests.
// Invariants:
// - Guest i (1-based) is hostname node<i> at 10.0.0.<i>/24; every guest sees the shared
//   disks first (/dev/vda, ...) in the same order, then its own private disks.
// - All qemus run inside one fresh netns, so the segment cannot reach anything else.
// - The netns, bus dir and shared disks are removed after every guest has ended (kept with
//   LAB_KEEP_RUNS=1), also when booting one of the guests fails.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_MAX_GUESTS } from '../../lib/limits.js';
import { keepRuns, labPaths } from './config.js';
import { ensureDiskFile } from './disks.js';
import { type GuestHandle, startGuest } from './guest.js';
import { guestIp } from './qemu-args.js';
import { createNetns, deleteNetns } from './netns.js';
import type { DiskSpec, GuestResult, GuestSpec } from './types.js';

export interface ClusterSpec {
  /** Shared raw disks every guest gets first, in this order (/dev/vda, /dev/vdb, ...). */
  sharedDisks: { sizeMiB: number }[];
  /** The per-guest part of the spec: cmd, env, timeout, memory, private disks (after the shared). */
  node: (index: number) => Omit<GuestSpec, 'netIndex' | 'hostname'>;
}

export interface ClusterHandle {
  readonly netns: string;
  /** Host path of the bus dir every guest mounts at /lab/bus. */
  readonly busDir: string;
  /** guests[i-1] is node<i>. */
  readonly guests: GuestHandle[];
  /** All results, in node order, after every guest ended and the cluster was cleaned up. */
  readonly done: Promise<GuestResult[]>;
}

export async function startCluster(nodes: number, spec: ClusterSpec): Promise<ClusterHandle> {
  if (!(Number.isInteger(nodes) && nodes >= 1 && nodes <= LAB_MAX_GUESTS)) {
    throw new Error(`kernel lab: cluster size ${nodes} outside 1..${LAB_MAX_GUESTS}`);
  }
  const dir = await mkdtemp(join(labPaths().runParent, `mdlab-${process.pid}-cluster-`));
  const busDir = join(dir, 'bus');
  let netns: string | null = null;
  const guests: GuestHandle[] = [];
  const cleanup = async (): Promise<void> => {
    if (netns !== null) await deleteNetns(netns);
    if (!keepRuns()) await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(busDir);
    const shared: DiskSpec[] = [];
    for (const [i, d] of spec.sharedDisks.entries()) {
      const path = join(dir, `shared${i}.img`);
      await ensureDiskFile(path, d.sizeMiB);
      shared.push({ path, sizeMiB: d.sizeMiB, shared: true });
    }
    netns = await createNetns();
    const peers = Array.from({ length: nodes }, (_, i) => guestIp(i + 1)).join(' ');
    for (let i = 1; i <= nodes; i++) {
      const own = spec.node(i);
      guests.push(await startGuest({
        ...own,
        name: own.name ?? `node${i}`,
        hostname: `node${i}`,
        netIndex: i,
        disks: [...shared, ...(own.disks ?? [])],
        env: { LAB_NODE_INDEX: String(i), LAB_NODES: String(nodes), LAB_PEERS: peers, ...(own.env ?? {}) },
      }, { netns, busDir }));
    }
  } catch (e) {
    await Promise.all(guests.map((g) => g.powerCut().catch(() => undefined)));
    await Promise.all(guests.map((g) => g.done.catch(() => undefined)));
    await cleanup();
    throw e;
  }
  const done = (async (): Promise<GuestResult[]> => {
    try {
      return await Promise.all(guests.map((g) => g.done));
    } finally {
      await cleanup();
    }
  })();
  return { netns: netns!, busDir, guests, done };
}

/** Boots `nodes` guests together and resolves with every result once all have ended. */
export async function bootCluster(nodes: number, spec: ClusterSpec): Promise<GuestResult[]> {
  return (await startCluster(nodes, spec)).done;
}
