// Shared set-up for the simulated md driver tests: shared in-memory (or directory) disks, a
// manual clock, and one SimMdDriver per simulated host.
// Owns: nothing the driver itself relies on; only test conveniences (disk sizes in MiB,
// advancing time until a condition holds, collecting events).
// Invariant: every host of one fixture shares the same disks and the same ManualTime.
import { expect } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import type { ArrayState, MdEvent } from '../../daemon/src/md/types.js';
import { ManualTime, manualSimDeps } from '../../daemon/src/md/sim/deps.js';
import type { DiskStore, PathMap } from '../../daemon/src/md/sim/disk-store.js';
import { MemoryDiskStore, MemoryDisks } from '../../daemon/src/md/sim/disk-store.js';
import { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';

export const MIB_SECTORS = 2048;

export class SimFixture {
  readonly time = new ManualTime();
  readonly disks = new MemoryDisks();
  private seed = 1;

  /** Creates /dev/<name> disks of `sizeMiB` each (vda, vdb, ... style minors 0, 16, 32 ...). */
  addDisks(names: readonly string[], sizeMiB = 64): void {
    const store = new MemoryDiskStore(this.disks);
    for (const name of names) {
      store.createDisk({ diskId: name, sizeSectors: sizeMiB * MIB_SECTORS, major: 254, minor: 16 * this.disks.records.size });
    }
  }

  host(opts: { name?: string; nodeMap?: PathMap; store?: DiskStore; speed?: { minKiBps: number; maxKiBps: number } } = {}): SimMdDriver {
    const store = opts.store ?? new MemoryDiskStore(this.disks, opts.nodeMap ?? null);
    return new SimMdDriver({
      store, deps: manualSimDeps(this.time, this.seed++), hostName: opts.name ?? 'labhost', speed: opts.speed,
    });
  }

  /** Advances time in `stepMs` steps until `cond` holds on the array, at most `maxMs`. */
  async advanceUntil(driver: SimMdDriver, device: string, cond: (a: ArrayState) => boolean, maxMs = 600_000, stepMs = 50): Promise<ArrayState> {
    for (let t = 0; t <= maxMs; t += stepMs) {
      const a = await driver.readArray(device);
      if (cond(a)) return a;
      this.time.advance(stepMs);
    }
    throw new Error(`condition not reached on ${device} within ${maxMs} ms`);
  }

  /** Advances until no sync runs and none is pending. */
  async untilIdle(driver: SimMdDriver, device: string, maxMs = 600_000): Promise<ArrayState> {
    return this.advanceUntil(driver, device, (a) => a.syncAction === 'idle' && a.syncCompleted === null, maxMs);
  }
}

/** Collects every event a driver delivers. */
export function collectEvents(driver: SimMdDriver): MdEvent[] {
  const out: MdEvent[] = [];
  driver.watch((e) => out.push(e));
  return out;
}

/** Runs `p` and returns the OpError it rejects with (fails the test if it resolves). */
export async function opError(p: Promise<unknown>): Promise<OpError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OpError);
    return e as OpError;
  }
  throw new Error('expected the operation to fail');
}

/** The member of `a` whose devPath is `path`. */
export function member(a: ArrayState, path: string): ArrayState['members'][number] {
  const m = a.members.find((x) => x.devPath === path);
  if (m === undefined) throw new Error(`${path} is not a member of ${a.device}`);
  return m;
}
