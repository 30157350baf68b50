// Scenario "raid1-bitmap-readd": a RAID1 with an internal bitmap loses a member and gets it
// back with a re-add (bitmap-based recovery, same slot and desc number), on any MdDriver.
// Owns: the fixed sequence create 2 (bitmap) -> wait -> fail c1 -> remove c1 -> re-add c1 ->
// wait -> stop, and its normalized report.
// Invariants: nothing is written to the array in between, so the re-add has nothing (or
// almost nothing) to copy; the report keeps states, slots, desc numbers and flags exact.
import type { ScenarioEnv, ScenarioReport } from './harness.js';
import { StepRecorder, isIdle, isOutOfSlot, waitFor } from './harness.js';

export async function raid1BitmapReaddScenario(env: ScenarioEnv): Promise<ScenarioReport> {
  const { driver: d, device } = env;
  const [c0, c1] = env.components;
  const r = new StepRecorder(env);
  await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 200_000 });
  await r.run('create-and-sync', async () => {
    await d.create({ device, level: 'raid1', raidDevices: 2, spareDevices: 0, members: [c0, c1], bitmap: 'internal' });
    await waitFor(env, 'initial resync done', isIdle);
  });
  await r.run('fail-c1', async () => {
    await d.setFaulty(device, c1);
    await waitFor(env, 'member out of its slot', isOutOfSlot(c1, 'faulty'));
  });
  await r.run('remove-c1', () => d.hotRemove(device, c1), { events: true });
  await r.run('re-add-c1', async () => {
    await d.reAdd(device, c1);
    await waitFor(env, 'bitmap recovery done', (a) => isIdle(a) && a.degraded === 0);
  });
  await r.run('stop', () => d.stop(device));
  return { scenario: 'raid1-bitmap-readd', steps: r.steps };
}
