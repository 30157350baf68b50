// Every node's writer logs (one file per guest incarnation, on the bus) merged on the host
// clock. Owns: reading them with each incarnation's clock estimate and the end time of open
// intervals (a crashed incarnation's ends at its crash, a live one's at now).
// Invariants: every incarnation has at least the estimate taken when its agent became ready
// (cluster.ts); a later estimate (taken just before a crash or a measurement) replaces it. An
// incarnation whose log is missing or holds no daemon start record throws: "no overlap" is
// never concluded from no data.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busLayout } from '../guest/protocol.js';
import { hasStartRecord } from '../../integration/lib/writer-intervals.js';
import { estimateOffset, hostIntervals, type ClockOffset, type HostInterval } from './clock.js';
import type { LaneCluster, LaneGuest } from './cluster.js';

/** Clock estimates per guest incarnation, kept by the test while the guests live. */
export class LaneClocks {
  private readonly byGuest = new Map<LaneGuest, ClockOffset>();

  async estimate(g: LaneGuest): Promise<ClockOffset> {
    const est = await estimateOffset(g.rpc);
    this.byGuest.set(g, est);
    return est;
  }

  /** Estimates every live incarnation that has no estimate yet. */
  async estimateAll(c: LaneCluster): Promise<void> {
    for (const g of c.allIncarnations()) if (g.endedWallMs === null && !this.byGuest.has(g)) await this.estimate(g);
  }

  get(g: LaneGuest): ClockOffset | undefined {
    return this.byGuest.get(g) ?? g.clock ?? undefined;
  }
}

export function writerLogPath(c: LaneCluster, g: LaneGuest): string {
  return join(c.busDir, busLayout.nodeDir(g.index), `writer-${g.incarnation}.log`);
}

/** All writer intervals of all incarnations, labelled node<i>#<incarnation>, on the host clock. */
export function mergedWriterIntervals(c: LaneCluster, clocks: LaneClocks, crashHostMs: ReadonlyMap<LaneGuest, number> = new Map()): HostInterval[] {
  const out: HostInterval[] = [];
  for (const g of c.allIncarnations()) {
    const path = writerLogPath(c, g);
    if (!existsSync(path)) throw new Error(`node${g.index}#${g.incarnation}: writer log ${path} is missing`);
    const text = readFileSync(path, 'utf8');
    if (!hasStartRecord(text)) throw new Error(`node${g.index}#${g.incarnation}: writer log ${path} is empty or has no daemon start record`);
    const clk = clocks.get(g);
    if (clk === undefined) throw new Error(`node${g.index}#${g.incarnation}: writer log without a clock estimate`);
    const end = crashHostMs.get(g) ?? g.endedWallMs ?? Date.now();
    out.push(...hostIntervals(text, `node${g.index}#${g.incarnation}`, clk, end));
  }
  return out;
}
