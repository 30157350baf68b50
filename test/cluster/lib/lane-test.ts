// Vitest wiring of one cluster-lane test file: boots its LaneCluster before the first test,
// saves every node's evidence when a test fails, and ends all guests after the last test.
// Owns: the hooks. Invariant: the cluster is shut down even when booting or a test failed;
// artifacts are saved before shutdown, while the guests can still be queried.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { saveArtifacts } from './artifacts.js';
import { LaneCluster, type LaneClusterSpec } from './cluster.js';

/**
 * How long one guest may run: a safety net against a hung guest, not a test bound. A guest that
 * is never crashed lives for its whole test file, and every boot (reboots after crashes too) now
 * installs the package (~70 s under TCG), so 19 min no longer covered the failover file on a
 * loaded host; the lane's own bound (run.sh CLUSTER_LANE_TIMEOUT_S) still caps the whole run.
 */
export const LANE_GUEST_TIMEOUT_MS = 40 * 60_000;

export function useLaneCluster(spec: LaneClusterSpec): () => LaneCluster {
  let cluster: LaneCluster | null = null;
  beforeAll(async () => {
    const t0 = performance.now();
    cluster = await LaneCluster.boot(spec);
    console.log(`[${spec.name}] ${spec.nodes} guests booted, agents ready in ${Math.round(performance.now() - t0)} ms (run dir ${cluster.runDir})`);
  });
  afterEach(async (ctx) => {
    if (cluster === null || ctx.task.result?.state !== 'fail') return;
    const dir = await saveArtifacts(cluster, `${spec.name}/${ctx.task.name.slice(0, 60)}`);
    console.log(`[${spec.name}] test failed: node logs, /proc/mdstat and /mdstat saved in ${dir}`);
  });
  afterAll(async () => {
    if (cluster !== null) await cluster.shutdown();
  });
  return () => {
    if (cluster === null) throw new Error(`lane ${spec.name}: the cluster did not boot`);
    return cluster;
  };
}
