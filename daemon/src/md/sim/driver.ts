// Entry point of the simulated md driver for the daemon and the demo: builds a SimMdDriver
// over a shared disk directory with the real clock, timers and UUID source.
// Owns: the directory conventions of a simulated host (<diskDir>/disks, the optional shared
// <diskDir>/paths.json and the per-node <diskDir>/nodes/<node>.paths.json) and the creation
// of blank simulated disks for a demo cluster.
// Invariants: a node with its own paths file sees exactly the paths listed there; otherwise
// the shared map, otherwise "/dev/<diskId>" for every disk in the directory.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OpError } from '../../common/errors.js';
import { SIM_MD_MAX_DISK_FILE_BYTES } from '../../common/limits.js';
import type { Logger } from '../../log/logger.js';
import { silentLogger } from '../../log/logger.js';
import type { SpeedLimits } from '../driver.js';
import { realSimDeps } from './deps.js';
import { DISK_ID_PATTERN } from './disk-store.js';
import type { NewDiskSpec, PathMap } from './disk-store.js';
import { FileDiskStore } from './file-disk-store.js';
import { SimMdDriver } from './sim-driver.js';

export { SimMdDriver } from './sim-driver.js';
export type { SimMdDriverOptions } from './sim-driver.js';

export interface CreateSimDriverOptions {
  /** The shared disk directory (every node of a demo cluster points at the same one). */
  diskDir: string;
  /** This node's id: its default array names are "<node>:<N>" and it may have its own paths file. */
  node: string;
  logger?: Logger;
  speed?: SpeedLimits;
}

const nodeMapSchema = z.record(z.string(), z.string().regex(DISK_ID_PATTERN));

/** <diskDir>/nodes/<node>.paths.json when present (path -> disk id), else null. */
export function readNodePathMap(diskDir: string, node: string): PathMap | null {
  if (!DISK_ID_PATTERN.test(node)) throw new OpError('E_INVALID_ARGUMENT', `invalid node id ${JSON.stringify(node)}`);
  const file = join(diskDir, 'nodes', `${node}.paths.json`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return null;
  }
  if (size > SIM_MD_MAX_DISK_FILE_BYTES) throw new OpError('E_SIM_DISK_INVALID', `${file} is too large`, { file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new OpError('E_SIM_DISK_INVALID', `${file} is not JSON`, { file, cause: String(e) });
  }
  const map = nodeMapSchema.safeParse(parsed);
  if (!map.success) throw new OpError('E_SIM_DISK_INVALID', `${file} is not a map of path -> disk id`, { file });
  return map.data;
}

export function createSimDriver(opts: CreateSimDriverOptions): SimMdDriver {
  const logger = opts.logger ?? silentLogger;
  const nodeMap = readNodePathMap(opts.diskDir, opts.node);
  const store = new FileDiskStore(opts.diskDir, { nodeMap: nodeMap ?? undefined, logger });
  return new SimMdDriver({ store, deps: realSimDeps(logger), hostName: opts.node, speed: opts.speed });
}

/** Creates the listed disks in `diskDir` unless they exist already (existing ones are kept). */
export function ensureSimDisks(diskDir: string, disks: readonly NewDiskSpec[]): void {
  const store = new FileDiskStore(diskDir);
  const existing = new Set(store.listDiskIds());
  for (const d of disks) if (!existing.has(d.diskId)) store.createDisk(d);
}
