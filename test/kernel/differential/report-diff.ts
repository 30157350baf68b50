// Step-by-step comparison of two normalized scenario reports (test/md-scenarios): the simulated
// driver's and the real kernel's. Pure (host-testable). Owns: the form of a difference.
// Invariants:
// - Steps are paired by position and must carry the same step name; a missing or extra step
//   is itself a difference, so a scenario that stopped early can never compare equal.
// - Every leaf value is compared exactly (the reports are normalized already); a difference
//   names the step and the JSON path of the leaf.
import type { ScenarioReport } from '../../md-scenarios/index.js';

export interface ReportDifference {
  step: string;
  /** JSON path inside the step, e.g. "state.members[1].flags". */
  path: string;
  sim: unknown;
  kernel: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function leafEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Appends the differences between `sim` and `kernel` below `path`. */
function diffValue(step: string, path: string, sim: unknown, kernel: unknown, out: ReportDifference[]): void {
  if (Array.isArray(sim) && Array.isArray(kernel) && sim.every(isObject) && kernel.every(isObject)) {
    // Arrays of objects (members): pairwise, so one changed member does not hide the others.
    if (sim.length !== kernel.length) {
      out.push({ step, path: `${path}.length`, sim: sim.length, kernel: kernel.length });
    }
    for (let i = 0; i < Math.min(sim.length, kernel.length); i++) diffValue(step, `${path}[${i}]`, sim[i], kernel[i], out);
    return;
  }
  if (isObject(sim) && isObject(kernel)) {
    const keys = [...new Set([...Object.keys(sim), ...Object.keys(kernel)])].sort();
    for (const k of keys) diffValue(step, path === '' ? k : `${path}.${k}`, sim[k], kernel[k], out);
    return;
  }
  if (!leafEqual(sim, kernel)) out.push({ step, path: path === '' ? '(step)' : path, sim, kernel });
}

export function diffReports(sim: ScenarioReport, kernel: ScenarioReport): ReportDifference[] {
  const out: ReportDifference[] = [];
  if (sim.scenario !== kernel.scenario) out.push({ step: '(report)', path: 'scenario', sim: sim.scenario, kernel: kernel.scenario });
  const n = Math.max(sim.steps.length, kernel.steps.length);
  for (let i = 0; i < n; i++) {
    const s = sim.steps[i];
    const k = kernel.steps[i];
    const name = s?.step ?? k?.step ?? `#${i}`;
    if (s === undefined || k === undefined || s.step !== k.step) {
      out.push({ step: `#${i} ${name}`, path: 'step', sim: s?.step ?? null, kernel: k?.step ?? null });
      continue;
    }
    const { step: _s, ...simRest } = s;
    const { step: _k, ...kernelRest } = k;
    diffValue(name, '', simRest, kernelRest, out);
  }
  return out;
}

export function formatDifference(d: ReportDifference): string {
  return `${d.step}: ${d.path}: sim ${JSON.stringify(d.sim)} / kernel ${JSON.stringify(d.kernel)}`;
}
