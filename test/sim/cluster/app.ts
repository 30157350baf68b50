// The application on top of md0 in the cluster simulator: what a filesystem user does on the
// host whose kernel has md0 writable. Owns: mounting (an opener: md then refuses STOP_ARRAY_RO
// and STOP_ARRAY with EBUSY, so a demotion must escalate to the fence action) and periodic
// writes (the array goes dirty, then clean after safe_mode_delay; a crash while dirty leaves a
// resync to do). It talks to the simulated kernels directly, never to the daemons.
// Invariants: it acts only on kernels where md0 is writable right now; a write the kernel
// refuses (the array went read-only meanwhile) is counted, never thrown; every choice is
// fixed by the world (no randomness of its own).
import type { SimHost } from './host.js';
import { kernelWritable, peekSimArray } from './kernel.js';
import type { Scheduler } from './scheduler.js';
import { ARRAY_DEVICE } from './world.js';

export interface AppStats {
  mounts: number;
  writes: number;
  refusedWrites: number;
}

export class SimApp {
  readonly stats: AppStats = { mounts: 0, writes: 0, refusedWrites: 0 };

  constructor(
    private readonly hosts: readonly SimHost[],
    private readonly sched: Scheduler,
    private readonly mount: boolean,
    private readonly writeEveryUs: number | null,
  ) {}

  /** Starts the periodic writes (if any). */
  start(): void {
    if (this.writeEveryUs === null) return;
    const period = this.writeEveryUs;
    const tick = (): void => {
      this.writeEverywhereWritable();
      this.sched.after(period, tick);
    };
    this.sched.after(period, tick);
  }

  /** After every event: mounts md0 where it just became writable. */
  afterEvent(): void {
    if (!this.mount) return;
    for (const h of this.hosts) {
      const sim = h.live?.kernel.sim;
      if (sim === undefined || !kernelWritable(sim, ARRAY_DEVICE)) continue;
      if (peekSimArray(sim, ARRAY_DEVICE)!.openCount > 0) continue;
      this.stats.mounts++;
      void sim.setOpenCount(ARRAY_DEVICE, 1);
    }
  }

  private writeEverywhereWritable(): void {
    for (const h of this.hosts) {
      const sim = h.live?.kernel.sim;
      if (sim === undefined || !kernelWritable(sim, ARRAY_DEVICE)) continue;
      this.stats.writes++;
      sim.writeToArray(ARRAY_DEVICE, 8).catch(() => { this.stats.refusedWrites++; });
    }
  }
}
