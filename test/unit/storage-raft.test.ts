// Integration of DiskStorage with the real Raft core: 3 RawNodes, each on its own DiskStorage
// (real files, fdatasync on), with application snapshots and segment compaction as the node
// shell does them. A follower cut off while the leader compacts catches up through a
// snapshot that its storage persists; then the whole cluster restarts from disk only and
// continues under another leader. Every node must end with the same replicated state.
import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS, SNAPSHOT_KEEP_TRAILING_ENTRIES } from '../../daemon/src/common/limits.js';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import { DiskStorage } from '../../daemon/src/storage/disk-storage.js';
import { parseSegmentFileName } from '../../daemon/src/storage/segment.js';
import { BenchCluster, type ClusterOptions } from '../../bench/raft-cluster.js';
import { CaptureLogger, cleanupTempDirs, tempDir } from './storage-fixtures.js';

afterAll(cleanupTempDirs);

const WAIT_MS = 30_000;

async function until(what: string, cond: () => boolean, cluster: BenchCluster): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (cluster.failure !== null) throw cluster.failure;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Proposes `n` distinct entries on `leader` in batches and waits until the leader applied them. */
async function proposeAll(cluster: BenchCluster, leader: NodeId, n: number, tag: string): Promise<void> {
  const app = cluster.nodes.get(leader)!.app;
  const target = app.count + n;
  for (let k = 0; k < n; k++) {
    cluster.propose(leader, new TextEncoder().encode(`${tag}-${k}`));
    if (k % 500 === 499) await until(`${tag} batch ${k}`, () => app.count > target - n + k - 500, cluster);
  }
  await until(`${tag} applied on ${leader}`, () => app.count >= target, cluster);
  expect(app.count).toBe(target);
}

function digests(cluster: BenchCluster): string[] {
  return [...cluster.nodes.values()].map((n) => n.app.digest());
}

describe('DiskStorage under the Raft core', () => {
  it('snapshots, compaction, snapshot catch-up and a full restart keep every node identical', async () => {
    const dirs = [await tempDir('n1'), await tempDir('n2'), await tempDir('n3')];
    const opts: ClusterOptions = {
      size: 3, useCodec: true, tickIntervalMs: 20, dataDirs: dirs, snapshotEveryEntries: 400,
      storage: { segmentBytes: 64 * 1024, keepTrailingEntries: 100 },
      // Elections of 1-2 s: an event-loop stall of a loaded machine must not depose the leader
      // mid-batch (a dropped proposal is not what this test is about; it timed out at load 16).
      raft: { electionTimeoutTicks: 50, heartbeatTicks: 1, leaseTicks: 30, clockDriftBoundTicks: 2,
        maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS, maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND, checkQuorum: true, preVote: true },
    };
    const n1 = nodeId('n1');
    const n2 = nodeId('n2');
    const n3 = nodeId('n3');

    let cluster = await BenchCluster.start(opts);
    try {
      await cluster.elect(n1, WAIT_MS);
      await proposeAll(cluster, n1, 1000, 'a');
      cluster.blocked.add(n3);
      // Enough entries that the leader's log no longer holds what n3 needs.
      await proposeAll(cluster, n1, SNAPSHOT_KEEP_TRAILING_ENTRIES + 1500, 'b');
      cluster.blocked.delete(n3);
      const leaderApp = cluster.nodes.get(n1)!.app;
      await until('n3 to catch up', () => cluster.nodes.get(n3)!.app.appliedIndex >= leaderApp.appliedIndex, cluster);
      await until('followers to apply everything', () => new Set(digests(cluster)).size === 1, cluster);
      const counters = cluster.counters();
      expect(counters.n3.snapshotsInstalled).toBeGreaterThanOrEqual(1);
      expect(counters.n1.snapshotsTaken).toBeGreaterThan(5);
      expect(counters.n1.segmentsCompacted).toBeGreaterThan(0);
    } finally {
      await cluster.stop();
    }
    const expectedCount = 1000 + SNAPSHOT_KEEP_TRAILING_ENTRIES + 1500;

    // Each node's directory recovers on its own: snapshot + the log after it, commit within it.
    for (const [k, dir] of dirs.entries()) {
      const logger = new CaptureLogger();
      const { storage, recovered } = await DiskStorage.open(dir, logger, opts.storage);
      expect(logger.warnings()).toEqual([]);
      expect(recovered.snapshot).not.toBeNull();
      const last = recovered.entries.length > 0 ? recovered.entries[recovered.entries.length - 1].index : recovered.snapshot!.meta.index;
      expect(recovered.hardState!.commit).toBeLessThanOrEqual(last);
      expect(recovered.hardState!.commit).toBeGreaterThanOrEqual(recovered.snapshot!.meta.index);
      const firstSeq = Math.min(...(await readdir(dir)).map(parseSegmentFileName).filter((id) => id !== null).map((id) => id.seq));
      // n1 and n2 compacted whole segments away; n3 (cut off) took the leader's snapshot instead.
      if (k < 2) expect(firstSeq).toBeGreaterThan(0);
      else expect(recovered.snapshot!.meta.index).toBeGreaterThan(1000 + SNAPSHOT_KEEP_TRAILING_ENTRIES);
      await storage.close();
    }

    // Restart everything from disk; another node leads; the cluster keeps going.
    cluster = await BenchCluster.start(opts);
    try {
      await cluster.elect(n2, WAIT_MS);
      await until('restarted nodes to re-apply', () => cluster.nodes.get(n2)!.app.count >= expectedCount, cluster);
      await proposeAll(cluster, n2, 300, 'c');
      await until('all nodes to converge after restart', () => new Set(digests(cluster)).size === 1, cluster);
      for (const n of cluster.nodes.values()) expect(n.app.count).toBe(expectedCount + 300);
    } finally {
      await cluster.stop();
    }
  });
});
