// What the differential lane's guest writes to $LAB_OUT/differential.json and the host test
// reads back. Owns: that file's shape (types only).
// Invariant: a scenario has exactly one of report / error.
import type { ScenarioReport } from '../../md-scenarios/index.js';
import type { ProbeStats } from './probe-driver.js';

export const GUEST_OUTPUT_FILE = 'differential.json';

export interface GuestScenarioRun {
  name: string;
  report: ScenarioReport | null;
  /** The scenario threw (a wait timed out, an unexpected error): its message. */
  error: string | null;
  ms: number;
}

export interface GuestOutput {
  kernelRelease: string;
  runs: GuestScenarioRun[];
  probe: ProbeStats;
  totalMs: number;
}
