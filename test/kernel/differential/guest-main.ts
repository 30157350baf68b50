// Differential lane, guest side (runs INSIDE a kernel-lab guest with real md and 64 MiB disks
// /dev/vda..): `node dist/test/kernel/differential/guest-main.js`. Runs every differential
// scenario (test/md-scenarios plus extra-scenarios.ts) on the kernel driver wrapped in the
// mdstat probe, and writes the normalized reports and the probe results to
// $LAB_OUT/differential.json for the host to compare with the simulated driver.
// Owns: the order of the scenarios and the clean slate between them.
// Invariants:
// - Every scenario starts on blank components (no array running, no md superblock), as the
//   simulated driver's fresh disks do; a scenario that throws is recorded and the next one
//   still runs on a clean slate.
// - Environment: DIFF_SCENARIOS=a,b limits the run to those scenario names.
// - Exit status 0 iff every selected scenario ran to its end (the comparison is the host's).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import type { ScenarioDef } from '../../md-scenarios/index.js';
import { GUEST_OUTPUT_FILE, type GuestOutput, type GuestScenarioRun } from './guest-output.js';
import { ProbeDriver } from './probe-driver.js';
import { DIFF_COMPONENT_PATHS, selectedScenarios } from './scenarios.js';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function mdadmQuiet(args: string[]): void {
  try {
    execFileSync('mdadm', args, { stdio: 'ignore' });
  } catch {
    // nothing to stop / no superblock: the slate is clean already
  }
}

/** No array running and no md superblock on the components. */
function cleanSlate(components: readonly string[]): void {
  mdadmQuiet(['--stop', '--scan']);
  for (const c of components) mdadmQuiet(['--zero-superblock', '--force', c]);
}

async function runOne(driver: ProbeDriver, s: ScenarioDef): Promise<GuestScenarioRun> {
  const components = DIFF_COMPONENT_PATHS.slice(0, s.components);
  cleanSlate(DIFF_COMPONENT_PATHS);
  driver.scenario = s.name;
  const t0 = performance.now();
  try {
    const report = await s.run({ driver, components, device: 'md0', sleep });
    const left = await driver.listArrays();
    if (left.length > 0) throw new Error(`scenario left arrays running: ${left.join(', ')}`);
    return { name: s.name, report, error: null, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}${'code' in err ? ` [${String((err as { code: unknown }).code)}]` : ''}` : String(err);
    console.log(`scenario ${s.name} failed: ${error}`);
    return { name: s.name, report: null, error, ms: Math.round(performance.now() - t0) };
  }
}

async function main(): Promise<number> {
  const t0 = performance.now();
  // md's module is loaded on first use of /dev/mdX; the speed limits (set before any array
  // exists) need /proc/sys/dev/raid, as on a node where the daemon starts before any array.
  execFileSync('modprobe', ['md_mod'], { stdio: 'inherit' });
  const kernel = new KernelMdDriver();
  const driver = new ProbeDriver(kernel);
  const runs: GuestScenarioRun[] = [];
  try {
    for (const s of selectedScenarios(process.env.DIFF_SCENARIOS)) {
      const run = await runOne(driver, s);
      console.log(`scenario ${s.name}: ${run.error === null ? 'ran' : 'FAILED'} in ${run.ms} ms`);
      runs.push(run);
    }
  } finally {
    await driver.close();
    cleanSlate(DIFF_COMPONENT_PATHS);
  }
  const out: GuestOutput = {
    kernelRelease: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    runs, probe: driver.stats, totalMs: Math.round(performance.now() - t0),
  };
  writeFileSync(`${process.env.LAB_OUT ?? '/tmp'}/${GUEST_OUTPUT_FILE}`, `${JSON.stringify(out, null, 1)}\n`);
  const p = driver.stats;
  console.log(`mdstat probes: ${p.probes} (${p.matchExact} exact, ${p.matchFinishSpeedMasked} finish/speed masked, `
    + `${p.matchProgressMasked} progress masked, ${p.mismatches} mismatched, ${p.unstable} unstable)`);
  return runs.every((r) => r.error === null) ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
