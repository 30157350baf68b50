// The order in which the kernel lists md devices, for the replicated array records.
// Owns: newestStartedFirst. Invariant: no runtime imports, so mdctl can sort arrays without
// loading the cluster state module and what it pulls in (sessions, limits): mdctl's start-up
// cost counts every module it loads (mdctl/src/main.ts). Pure: no node: import, no clock.

/**
 * Arrays in the order the kernel lists md devices: newest started first (ties, e.g. records
 * from before startedIndex existed: the later in the given order first). Does not modify `arrays`.
 */
export function newestStartedFirst<T extends { startedIndex?: number }>(arrays: readonly T[]): T[] {
  return arrays.map((a, i) => ({ a, i })).sort((x, y) => (y.a.startedIndex ?? 0) - (x.a.startedIndex ?? 0) || y.i - x.i).map(({ a }) => a);
}
