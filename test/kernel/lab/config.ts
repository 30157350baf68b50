// Kernel lab settings. Owns: where the lab's files live (repo root, cache, run dirs), the
// default guest size and timeouts, and the environment overrides the lab reads.
// Invariants: every path here is absolute; defaults stay within common/limits.ts bounds;
// the environment is read once, at first use.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Guest RAM when a test does not ask (256 MiB is enough for md plus one node process). */
export const DEFAULT_GUEST_MEM_MIB = 256;
/** Whole-guest wall-clock bound when a test does not ask: boot + command + power-off. */
export const DEFAULT_GUEST_TIMEOUT_MS = 180_000;
/** Bound on one `ip netns ...` or build-guest.sh call. */
export const HOST_COMMAND_TIMEOUT_MS = 300_000;
/** Bound on a QMP exchange (connect + greeting + command). */
export const QMP_TIMEOUT_MS = 10_000;
/** Grace between qemu's SIGTERM and SIGKILL when a guest is stopped from the host. */
export const QEMU_KILL_GRACE_MS = 2_000;
/** Bound on a guest's exit after Alt+SysRq+B (an emulated reboot is quick). */
export const CRASH_EXIT_TIMEOUT_MS = 15_000;
/** The multicast group the guests of one cluster share; its own netns isolates it. */
export const CLUSTER_MCAST_GROUP = '230.0.0.1';
/** The UDP port of that group (any free port works inside a fresh netns). */
export const CLUSTER_MCAST_PORT = 47_001;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'kernel', 'lab', 'build-guest.sh'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('kernel lab: cannot find the repository root (package.json + test/kernel/lab)');
    dir = up;
  }
}

export interface LabPaths {
  /** The repository root (holds package.json). */
  repoRoot: string;
  /** test/kernel/lab in the source tree (scripts live there, not in dist/). */
  labDir: string;
  /** Guest boot files and other reusable outputs (LAB_CACHE_DIR or test/kernel/.cache). */
  cacheDir: string;
  /** Parent of the per-run temp dirs (LAB_RUN_DIR or the OS temp dir). */
  runParent: string;
}

let paths: LabPaths | null = null;

export function labPaths(): LabPaths {
  if (paths !== null) return paths;
  const repoRoot = findRepoRoot();
  const labDir = join(repoRoot, 'test', 'kernel', 'lab');
  paths = {
    repoRoot,
    labDir,
    cacheDir: resolve(process.env.LAB_CACHE_DIR ?? join(repoRoot, 'test', 'kernel', '.cache')),
    runParent: resolve(process.env.LAB_RUN_DIR ?? tmpdir()),
  };
  return paths;
}

/** LAB_KEEP_RUNS=1 keeps every run dir (results, console, disks) for inspection. */
export function keepRuns(): boolean {
  return process.env.LAB_KEEP_RUNS === '1';
}

/** The qemu binary (LAB_QEMU overrides). */
export function qemuBinary(): string {
  return process.env.LAB_QEMU ?? 'qemu-system-x86_64';
}
