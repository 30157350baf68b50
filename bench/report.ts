// Shared benchmark reporting. Owns: the machine facts recorded with every result, latency
// percentiles, and writing (and reading back) bench/results/<name>.json at the repository root.
// Invariant: results always land in <repo>/bench/results (found by walking up from this module
// to package.json), whether run from dist/ or elsewhere.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MachineFacts {
  node: string;
  platform: string;
  arch: string;
  kernel: string;
  cpus: number;
  cpuModel: string;
  totalMemBytes: number;
  /** 1/5/15-minute load averages when the facts were taken (other work on the machine). */
  loadAverage: number[];
}

export function machineFacts(): MachineFacts {
  const c = cpus();
  return { node: process.version, platform: platform(), arch: arch(), kernel: release(), cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown', totalMemBytes: totalmem(), loadAverage: loadavg() };
}

/** The p-th percentile (0..100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

const resultsDir = (): string => join(repoRoot(), 'bench', 'results');

/** The parsed bench/results/<name>.json, or null when there is none (or it is not JSON). */
export async function readResult(name: string): Promise<unknown> {
  try { return JSON.parse(await readFile(join(resultsDir(), `${name}.json`), 'utf8')) as unknown; } catch { return null; }
}

/** Writes bench/results/<name>.json and returns its path. */
export async function writeResult(name: string, result: unknown): Promise<string> {
  const dir = resultsDir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}
