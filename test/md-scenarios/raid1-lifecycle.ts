// Scenario "raid1-lifecycle": one RAID1 through its whole life on any MdDriver, reported in
// normalized form for the differential test (simulated driver vs the real kernel).
// Owns: the fixed operation sequence: create 2 + 1 spare (no bitmap), freeze the initial
// resync, set sync_max, resume and park, finish; fail a member so md recovers onto the
// spare; remove; add back as a spare; fail + remove it again and try a re-add (refused before
// any ioctl: its superblock now names it a spare, not a slot); read-only, read-only again, add
// while read-only (refused), read-write; stop; assemble the two in-sync members (read-write:
// the driver switches md's auto-read-only start to read-write); stop.
// Invariants: exact values only where md is deterministic: states, slots, desc numbers,
// flags, errors, the parked position (exactly sync_max) and the Events deltas of the
// idle-array steps (remove/add +1, read-only 0, read-write +1).
import type { ScenarioEnv, ScenarioReport } from './harness.js';
import { StepRecorder, isIdle, isOutOfSlot, waitFor } from './harness.js';
import { sectors } from '../../daemon/src/common/types.js';

/** Where the initial resync is parked: sector 65536 of a 64 MiB member's 129024. */
export const LIFECYCLE_SYNC_MAX_SECTORS = 65536;
const SLOW = { minKiBps: 1, maxKiBps: 1000 };
const FAST = { minKiBps: 1, maxKiBps: 200_000 };

export async function raid1LifecycleScenario(env: ScenarioEnv): Promise<ScenarioReport> {
  const { driver: d, device } = env;
  const [c0, c1, c2] = env.components;
  const r = new StepRecorder(env);
  await d.setSpeedLimits(SLOW);
  await r.run('create', () => d.create({
    device, level: 'raid1', raidDevices: 2, spareDevices: 1, members: [c0, c1, c2], bitmap: 'none',
  }));
  await r.expectError('lower-sync_max-while-resyncing', () => d.setSyncMax(device, sectors(LIFECYCLE_SYNC_MAX_SECTORS)));
  await r.run('freeze', () => d.setSyncAction(device, 'frozen'));
  await r.run('set-sync_max-while-frozen', () => d.setSyncMax(device, sectors(LIFECYCLE_SYNC_MAX_SECTORS)));
  await d.setSpeedLimits(FAST);
  await r.run('resume-and-park', async () => {
    await d.setSyncAction(device, 'idle');
    await waitFor(env, 'resync parked at sync_max', (a) => a.syncCompleted?.doneSectors === LIFECYCLE_SYNC_MAX_SECTORS);
  }, { exactSync: true });
  await r.run('release-sync_max', async () => {
    await d.setSyncMax(device, 'max');
    await waitFor(env, 'initial resync done', isIdle);
  });
  await d.setSpeedLimits(SLOW);
  await r.run('fail-c1', async () => {
    await d.setFaulty(device, c1);
    await waitFor(env, 'recovery onto the spare started', (a) => a.syncAction === 'recover' && isOutOfSlot(c1, 'faulty')(a));
  });
  await d.setSpeedLimits(FAST);
  await r.run('recovered-onto-spare', () => waitFor(env, 'recovery onto the spare done', isIdle));
  await r.run('remove-c1', () => d.hotRemove(device, c1), { events: true });
  await r.run('add-c1-as-spare', () => d.hotAdd(device, c1), { events: true });
  await r.run('fail-spare-c1', async () => {
    await d.setFaulty(device, c1);
    await waitFor(env, 'spare marked faulty', isOutOfSlot(c1, 'faulty'));
  });
  await r.run('remove-c1-again', () => d.hotRemove(device, c1), { events: true });
  await r.expectError('re-add-stale-c1-without-bitmap', () => d.reAdd(device, c1));
  await r.run('readonly', () => d.setReadOnly(device), { events: true });
  await r.run('readonly-again', () => d.setReadOnly(device), { events: true });
  await r.expectError('add-while-readonly', () => d.hotAdd(device, c1));
  await r.run('readwrite', () => d.setReadWrite(device), { events: true });
  await r.run('stop', () => d.stop(device));
  await r.run('assemble-c0-c2', () => d.assemble({ device, members: [c0, c2], readOnly: false }));
  await r.run('stop-again', () => d.stop(device));
  return { scenario: 'raid1-lifecycle', steps: r.steps };
}
