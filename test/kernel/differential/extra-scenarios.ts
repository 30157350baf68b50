// Driver-agnostic scenarios of the differential lane beyond test/md-scenarios, run on both the
// simulated driver and the kernel driver, every state compared (reports and /proc/mdstat):
// - raid5-basics / raid10-basics: the md-basics sequences (test/kernel/scenarios/raid5.sh,
//   raid10.sh) through an MdDriver instead of mdadm: create (throttled initial sync running)
//   -> finished -> fail one member -> remove it -> add it back (stale superblock of this array,
//   no bitmap: md makes it a spare and recovers fully, throttled) -> recovered -> stop;
// - raid1-degraded-assemble: a clean raid1 stopped and assembled read-write from one member
//   (Events across the driver's read-auto -> read-write switch), then a re-add of the other;
// - raid1-replace-check: write-mostly on and off, replace of a member by the spare, a check,
//   and the re-add of a failed member that is still bound (bitmap array): refused while a
//   frozen array leaves it in its slot, accepted once md took it out.
// Invariants: same harness and normalization as test/md-scenarios (StepRecorder); exact
// values only where md is deterministic; every wait bounded; no array left running.
import type { ScenarioDef, ScenarioEnv, ScenarioReport } from '../../md-scenarios/index.js';
import { StepRecorder, isIdle, isOutOfSlot, normalizeArray, waitFor } from '../../md-scenarios/harness.js';
import type { MdLevel } from '../../../daemon/src/md/types.js';

const SLOW = { minKiBps: 1, maxKiBps: 1000 };
const FAST = { minKiBps: 1, maxKiBps: 200_000 };

interface LevelSpec {
  scenario: string;
  level: MdLevel;
  chunkKiB: number;
  layout?: string;
  /** Index of the component that is failed, removed and added back. */
  victim: number;
}

async function levelScenario(env: ScenarioEnv, spec: LevelSpec): Promise<ScenarioReport> {
  const { driver: d, device } = env;
  const members = env.components.slice(0, 4);
  const victim = members[spec.victim];
  const r = new StepRecorder(env);
  const syncRunning = (a: { syncAction: string; syncCompleted: unknown }) => a.syncAction !== 'idle' && a.syncCompleted !== null;
  await d.setSpeedLimits(SLOW);
  await r.run('create-sync-running', async () => {
    await d.create({
      device, level: spec.level, raidDevices: 4, spareDevices: 0, members, bitmap: 'none', chunkKiB: spec.chunkKiB,
      ...(spec.layout === undefined ? {} : { layout: spec.layout }),
    });
    await waitFor(env, 'initial sync running', syncRunning);
  });
  await d.setSpeedLimits(FAST);
  await r.run('initial-sync-done', () => waitFor(env, 'initial sync done', (a) => isIdle(a) && a.degraded === 0));
  await r.run(`fail-c${spec.victim}`, async () => {
    await d.setFaulty(device, victim);
    await waitFor(env, 'member out of its slot', isOutOfSlot(victim, 'faulty'));
  });
  await r.run(`remove-c${spec.victim}`, () => d.hotRemove(device, victim), { events: true });
  await d.setSpeedLimits(SLOW);
  await r.run(`add-c${spec.victim}-recovery-running`, async () => {
    await d.hotAdd(device, victim);
    await waitFor(env, 'recovery running', (a) => a.syncAction === 'recover' && a.syncCompleted !== null);
  });
  await d.setSpeedLimits(FAST);
  await r.run('recovered', () => waitFor(env, 'recovery done', (a) => isIdle(a) && a.degraded === 0));
  await r.run('stop', () => d.stop(device));
  return { scenario: spec.scenario, steps: r.steps };
}

/**
 * Clean raid1 of c0+c1, stopped; assembled read-write from c0 alone (its Events against its
 * superblock's before the assembly); re-add of c1 (fresh or not is md's call); settled; stop.
 */
async function degradedAssembleScenario(env: ScenarioEnv): Promise<ScenarioReport> {
  const { driver: d, device } = env;
  const [c0, c1] = env.components;
  const r = new StepRecorder(env);
  await d.setSpeedLimits(FAST);
  await r.run('create-and-sync', async () => {
    await d.create({ device, level: 'raid1', raidDevices: 2, spareDevices: 0, members: [c0, c1], bitmap: 'none' });
    await waitFor(env, 'initial resync done', isIdle);
  });
  await r.run('stop', () => d.stop(device));
  const eventsBefore = (await d.readSuperblock(c0)).events;
  await d.assemble({ device, members: [c0], readOnly: false, run: true });
  await env.sleep(env.settleMs ?? 300);
  const a = await d.readArray(device);
  r.steps.push({ step: 'assemble-c0-alone', state: normalizeArray(env, a), eventsDelta: a.events - eventsBefore });
  await r.expectError('re-add-c1', () => d.reAdd(device, c1));
  await r.run('settled', () => waitFor(env, 'no sync running', isIdle));
  await r.run('stop-again', () => d.stop(device));
  return { scenario: 'raid1-degraded-assemble', steps: r.steps };
}

/** Write-mostly, replace, check and a bound re-add on a bitmap raid1 of c0+c1 with spare c2. */
async function replaceCheckScenario(env: ScenarioEnv): Promise<ScenarioReport> {
  const { driver: d, device } = env;
  const [c0, c1, c2] = env.components;
  const r = new StepRecorder(env);
  await d.setSpeedLimits(FAST);
  await r.run('create-and-sync', async () => {
    await d.create({ device, level: 'raid1', raidDevices: 2, spareDevices: 1, members: [c0, c1, c2], bitmap: 'internal' });
    await waitFor(env, 'initial resync done', isIdle);
  });
  await r.run('write-mostly-c1', () => d.setWriteMostly(device, c1, true), { events: true });
  await r.run('write-mostly-c1-off', () => d.setWriteMostly(device, c1, false), { events: true });
  await d.setSpeedLimits(SLOW);
  await r.run('replace-c0-with-c2-running', async () => {
    await d.replace(device, c0, c2);
    await waitFor(env, 'replacement running', (a) => a.syncAction === 'recover' && a.syncCompleted !== null);
  });
  await d.setSpeedLimits(FAST);
  await r.run('replaced', () => waitFor(env, 'replacement done', (a) => isIdle(a) && a.members.some((m) => m.devPath === c0 && m.flags.includes('faulty'))));
  await r.run('remove-c0', () => d.hotRemove(device, c0), { events: true });
  await r.run('check', async () => {
    await d.setSyncAction(device, 'check');
    await waitFor(env, 'check done', (a) => isIdle(a) && a.lastSyncAction === 'check');
  });
  await r.run('freeze', () => d.setSyncAction(device, 'frozen'));
  await r.run('fail-c1-while-frozen', () => d.setFaulty(device, c1));
  await r.expectError('re-add-c1-still-in-its-slot', () => d.reAdd(device, c1));
  await r.run('unfreeze', async () => {
    await d.setSyncAction(device, 'idle');
    await waitFor(env, 'member out of its slot', isOutOfSlot(c1, 'faulty'));
  });
  await r.expectError('re-add-bound-c1', () => d.reAdd(device, c1));
  await r.run('settled', () => waitFor(env, 'no sync running', isIdle));
  await r.run('stop', () => d.stop(device));
  return { scenario: 'raid1-replace-check', steps: r.steps };
}

const RAID5: LevelSpec = { scenario: 'raid5-basics', level: 'raid5', chunkKiB: 64, victim: 2 };
const RAID10: LevelSpec = { scenario: 'raid10-basics', level: 'raid10', chunkKiB: 128, layout: 'n2', victim: 1 };

export const EXTRA_SCENARIOS: readonly ScenarioDef[] = [
  { name: 'raid1-degraded-assemble', components: 2, componentMiB: 64, run: degradedAssembleScenario },
  { name: 'raid1-replace-check', components: 3, componentMiB: 64, run: replaceCheckScenario },
  { name: RAID5.scenario, components: 4, componentMiB: 64, run: (env) => levelScenario(env, RAID5) },
  { name: RAID10.scenario, components: 4, componentMiB: 64, run: (env) => levelScenario(env, RAID10) },
];
