// Kernel lane: the differential test of the md layer. One kernel-lab guest (four 64 MiB virtio
// disks) runs every differential scenario (test/md-scenarios + extra-scenarios.ts) on the
// kernel driver (guest-main.ts); the host runs the same scenarios on the simulated driver and
// compares the two normalized reports step by step. The guest also probed /proc/mdstat in
// every state the scenarios read: the kernel's text against renderMdstat(mdstatFromArrays(
// kernel driver readArray ...)) (probe-driver.ts, mdstat-judge.ts for what is masked).
// Owns: the verdicts. The kernel is right when the two drivers differ.
// Environment: DIFF_SCENARIOS=a,b (a subset, for iterating).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MD_SCENARIOS, type ScenarioReport } from '../../md-scenarios/index.js';
import { bootGuest, describeResult, type GuestResult } from '../lab/index.js';
import { labPaths } from '../lab/config.js';
import { GUEST_OUTPUT_FILE, type GuestOutput } from './guest-output.js';
import { diffReports, formatDifference } from './report-diff.js';
import { DIFF_DISK_MIB, DIFF_DISKS, selectedScenarios } from './scenarios.js';
import { runOnSim } from './sim-run.js';

const SELECTED = selectedScenarios(process.env.DIFF_SCENARIOS);
/** Most probes that may stay 'unstable' (the state kept moving over every retry), as a fraction. */
const MAX_UNSTABLE_FRACTION = 0.05;

let guest: GuestResult;
let out: GuestOutput | null = null;

beforeAll(async () => {
  const root = labPaths().repoRoot;
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'test/kernel/differential/tsconfig.json')], { cwd: root, stdio: 'inherit' });
  guest = await bootGuest({
    name: 'differential',
    cmd: ['node', 'dist/test/kernel/differential/guest-main.js'],
    cwd: root,
    env: { DIFF_SCENARIOS: SELECTED.map((s) => s.name).join(',') },
    disks: Array.from({ length: DIFF_DISKS }, () => ({ sizeMiB: DIFF_DISK_MIB })),
    memMiB: 512,
    timeoutMs: 12 * 60 * 1000,
  });
  const text = guest.files[GUEST_OUTPUT_FILE];
  out = text === undefined ? null : (JSON.parse(text) as GuestOutput);
  if (text !== undefined) writeFileSync(join(tmpdir(), 'mdclusterd-differential.json'), text);
  console.log(`differential guest: ${guest.outcome} in ${Math.round(guest.totalMs)} ms (boot ${guest.bootToCommandMs} ms)`);
  for (const r of out?.runs ?? []) console.log(`  ${r.name}: ${r.error ?? 'ran'} (${r.ms} ms on the kernel)`);
});

function kernelReport(name: string): ScenarioReport {
  const run = out?.runs.find((r) => r.name === name);
  expect(run, `guest output for ${name}\n${describeResult(guest)}`).toBeDefined();
  expect(run!.error, `${name} on the kernel\n${describeResult(guest)}`).toBeNull();
  return run!.report!;
}

describe('the guest', () => {
  it('ran every selected scenario on the kernel driver', () => {
    expect(out, describeResult(guest)).not.toBeNull();
    expect(out!.runs.map((r) => r.name)).toEqual(SELECTED.map((s) => s.name));
    expect(guest.outcome, describeResult(guest)).toBe('exited');
    expect(guest.exitCode, describeResult(guest)).toBe(0);
  });
});

describe.each(SELECTED.map((s) => [s.name, s] as const))('scenario %s', (name, s) => {
  it('the kernel driver and the simulated driver report the same steps and states', async () => {
    const kernel = kernelReport(name);
    const sim = await runOnSim(s);
    const diffs = diffReports(sim, kernel);
    for (const d of diffs) console.log(`DIFF ${name}: ${formatDifference(d)}`);
    expect(diffs.map(formatDifference)).toEqual([]);
    expect(kernel.steps.length).toBeGreaterThan(3);
  });

  if (MD_SCENARIOS.some((m) => m.name === name)) {
    it('the kernel report equals the reference report (test/md-scenarios/expected)', () => {
      const path = join(labPaths().repoRoot, 'test/md-scenarios/expected', `${name}.json`);
      const reference = JSON.parse(readFileSync(path, 'utf8')) as ScenarioReport;
      expect(diffReports(reference, kernelReport(name)).map(formatDifference)).toEqual([]);
    });
  }
});

describe('/proc/mdstat from the kernel driver state', () => {
  it('matches the kernel byte for byte in every probed state (running syncs: finish=/speed= masked)', () => {
    const p = out!.probe;
    console.log(`mdstat probes: ${p.probes}: ${p.matchExact} exact, ${p.matchFinishSpeedMasked} running sync (finish/speed masked), `
      + `${p.matchProgressMasked} running sync that moved between the reads (progress masked too), ${p.mismatches} mismatched, `
      + `${p.unstable} unstable after retries (${p.retries} retries); ${p.distinctStates} distinct states; `
      + `personalities guessed from the arrays in ${p.personalitiesGuessed}`);
    for (const m of p.mismatchSamples) console.log(`MDSTAT ${m.verdict} ${m.where} (${m.level}):\n${m.diff.join('\n')}`);
    expect(p.mismatchSamples.filter((m) => m.verdict === 'mismatch').map((m) => `${m.where}: ${m.diff.join(' ')}`)).toEqual([]);
    expect(p.mismatches).toBe(0);
  });

  it('probed idle states and running syncs, and rarely caught the state moving', () => {
    const p = out!.probe;
    expect(p.matchExact).toBeGreaterThan(0);
    expect(p.matchFinishSpeedMasked + p.matchProgressMasked).toBeGreaterThan(0);
    expect(p.unstable).toBeLessThanOrEqual(Math.ceil(p.probes * MAX_UNSTABLE_FRACTION));
  });
});
