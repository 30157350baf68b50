// The list of driver-agnostic md scenarios, for the sim unit test and the kernel lane's
// differential test (run each on both drivers, compare the reports).
// Owns: scenario names and the components each needs.
// Invariant: every scenario needs `components` distinct equal-size devices (64 MiB in the
// reference runs) and leaves no array running when it ends.
import type { ScenarioEnv, ScenarioReport } from './harness.js';
import { raid1BitmapReaddScenario } from './raid1-bitmap-readd.js';
import { raid1LifecycleScenario } from './raid1-lifecycle.js';

export interface ScenarioDef {
  name: string;
  components: number;
  /** Size every component must have for the report to match the reference, MiB. */
  componentMiB: number;
  run(env: ScenarioEnv): Promise<ScenarioReport>;
}

export const MD_SCENARIOS: readonly ScenarioDef[] = [
  { name: 'raid1-lifecycle', components: 3, componentMiB: 64, run: raid1LifecycleScenario },
  { name: 'raid1-bitmap-readd', components: 2, componentMiB: 64, run: raid1BitmapReaddScenario },
];

export type { ScenarioEnv, ScenarioReport, ScenarioStep, NormalizedArray, NormalizedMember } from './harness.js';
