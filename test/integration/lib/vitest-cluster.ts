// Vitest wiring for a Cluster shared by the tests of one file: started in beforeAll, destroyed
// in afterAll (always, even after a failure), and every failing test prints the daemons' log
// tails. Owns: the cluster's lifetime within a test file. Invariant: the directory of a
// cluster whose file had a failure is kept (its path is printed) for post-mortems.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Cluster, type ClusterOptions } from '../harness.js';
import { LOCK_WAIT_TIMEOUT_MS } from './cluster-lock.js';

/** Cluster start-up budget: waiting for another cluster's lock, certificates, N processes, an election. */
export const CLUSTER_START_TIMEOUT_MS = LOCK_WAIT_TIMEOUT_MS + 60_000;

export function useCluster(opts: ClusterOptions, setup?: (c: Cluster) => Promise<void>): () => Cluster {
  let cluster: Cluster | null = null;
  let failed = false;
  beforeAll(async () => {
    cluster = await Cluster.start(opts);
    if (setup) {
      try {
        await setup(cluster);
      } catch (e) {
        failed = true;
        throw new Error(`${(e as Error).message}\n${cluster.failureReport()}`);
      }
    }
  }, CLUSTER_START_TIMEOUT_MS);
  beforeEach((ctx) => {
    ctx.onTestFailed(() => {
      failed = true;
      if (cluster) process.stderr.write(`\n${cluster.failureReport()}\n`);
    });
  });
  afterAll(async () => {
    await cluster?.destroy({ keepDir: failed });
    if (failed && cluster) process.stderr.write(`kept the failed cluster's directory: ${cluster.dir}\n`);
  }, CLUSTER_START_TIMEOUT_MS);
  return () => {
    if (!cluster) throw new Error('the cluster did not start (see beforeAll)');
    return cluster;
  };
}
