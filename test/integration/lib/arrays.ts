// Replicated md commands as the tests propose them through the control socket (the JSON
// shape of daemon/src/cluster/commands.ts), and the array-level waits built on them.
// Owns: test array specs. Invariant: every command built here passes parseCommand(); UUIDs
// are random per array so repeated runs never collide.
import { randomBytes } from 'node:crypto';
import type { Cluster } from '../harness.js';
import { waitFor } from './wait.js';

export function randomUuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}:${h.slice(8, 16)}:${h.slice(16, 24)}:${h.slice(24, 32)}`;
}

export interface Raid1Spec {
  device: string;
  members: string[];
  raidDevices: number;
  spares: number;
  assumeClean?: boolean;
  bitmap?: 'internal' | 'none';
  sizeKiB?: number | null;
}

export function createCommand(s: Raid1Spec): Record<string, unknown> {
  return {
    op: 'create', device: s.device, uuid: randomUuid(), name: `mdci:${s.device}`, level: 'raid1', raidDevices: s.raidDevices,
    members: s.members, spares: s.spares, metadata: '1.2', bitmap: s.bitmap ?? 'none', chunkKiB: null, layout: null,
    assumeClean: s.assumeClean ?? false, sizeKiB: s.sizeKiB ?? null,
  };
}

/** Confirms the members on every running node, then proposes the create through `via` (waitAll). */
export async function createRaid1(c: Cluster, via: string, s: Raid1Spec): Promise<{ index: number }> {
  await c.confirmEverywhere(s.members);
  // Each confirmation returned when applied on the node that made it; a linearizable read on
  // `via` makes it apply them all before it validates the create.
  await c.control(via, 'state', {});
  return c.control<{ index: number }>(via, 'propose', { command: createCommand(s), waitAll: true, timeoutMs: 15_000 });
}

/** The kernel (simulated md) view of one array on one node, or null when not assembled there. */
export async function kernelArray(c: Cluster, id: string, device: string): Promise<KernelArray | null> {
  const r = await c.control<{ arrays: KernelArray[] }>(id, 'kernel', { device });
  return r.arrays.find((a) => a.device === device) ?? null;
}

/** The fields of the md ArrayState the tests look at. */
export interface KernelArray {
  device: string;
  arrayState: string;
  syncAction: string;
  syncCompleted: { doneSectors: number; totalSectors: number } | null;
  /** The live resync/recovery position (mdstat's), when a sync runs. */
  syncPositionSectors?: number | null;
  resyncStartSectors: number | null;
  bitmap: { location: string } | null;
  componentSizeKiB: number;
  raidDisks: number;
  arraySizeKiB: number;
  /** md's chunk (the old one while a restripe runs; reshape.newChunkSizeBytes is the new). */
  chunkSizeBytes: number;
  reshape?: { positionSectors: number; newChunkSizeBytes?: number; backwards?: boolean } | null;
  members: { devPath: string; flags: string[]; slot: number | null }[];
}

const WRITABLE_STATES = new Set(['clean', 'active', 'write-pending', 'active-idle']);

export function kernelWritable(a: KernelArray | null): boolean {
  return a !== null && WRITABLE_STATES.has(a.arrayState);
}

/** Waits until `device` is writable in `master`'s kernel and read-only (or absent) everywhere else. */
export async function waitSingleWriter(c: Cluster, master: string, device: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(`${device} writable only on ${master}`, async () => {
    for (const id of c.running()) {
      const a = await kernelArray(c, id, device);
      if (id === master ? !kernelWritable(a) : kernelWritable(a)) return undefined;
    }
    return true;
  }, timeoutMs, 25);
}
