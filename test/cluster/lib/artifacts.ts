// Evidence of a failed cluster-lane test, saved for people to read: per node, the daemon log,
// the agent log and the writer logs (from the bus dir), and for each live guest its kernel's
// /proc/mdstat, the daemon's /mdstat and /api/v1/status, the unit runner's record; for ended
// guests the console tail.
// Owns: the layout test/cluster/.cache/artifacts/<label>/node<i>/ (replaced on each save).
// Invariant: saving never throws (a dead guest or a missing file is noted in the file instead),
// so it cannot hide the test failure that triggered it; every live query is time-bounded.
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labPaths } from '../../kernel/lab/config.js';
import { busLayout } from '../guest/protocol.js';
import type { LaneCluster } from './cluster.js';

const QUERY_TIMEOUT_MS = 20_000;

export function artifactsRoot(): string {
  return join(labPaths().repoRoot, 'test', 'cluster', '.cache', 'artifacts');
}

async function safe(what: () => Promise<string>): Promise<string> {
  try {
    return await what();
  } catch (e) {
    return `<unavailable: ${(e as Error).message}>\n`;
  }
}

async function saveNode(c: LaneCluster, i: number, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const nodeDir = join(c.busDir, busLayout.nodeDir(i));
  if (existsSync(nodeDir)) {
    for (const f of readdirSync(nodeDir)) await copyFile(join(nodeDir, f), join(dir, f)).catch(() => undefined);
  }
  for (const g of c.allIncarnations().filter((x) => x.index === i)) {
    const tag = `inc${g.incarnation}`;
    if (g.endedWallMs !== null) {
      await writeFile(join(dir, `${tag}-console.txt`), g.result?.console ?? '<no result>');
      await writeFile(join(dir, `${tag}-agent-stderr.txt`), g.result?.stderr ?? '');
      continue;
    }
    const rpc = g.rpc;
    const sh = async (script: string) => {
      const r = await rpc.exec(['sh', '-c', script], QUERY_TIMEOUT_MS);
      return r.stdout + (r.stderr ? `--- stderr ---\n${r.stderr}` : '');
    };
    await writeFile(join(dir, `${tag}-proc-mdstat.txt`), await safe(() => sh('cat /proc/mdstat')));
    await writeFile(join(dir, `${tag}-cluster-mdstat.txt`), await safe(async () => (await rpc.http('/mdstat?stale=1', QUERY_TIMEOUT_MS)).body));
    await writeFile(join(dir, `${tag}-status.json`), await safe(async () => (await rpc.http('/api/v1/status?stale=1', QUERY_TIMEOUT_MS)).body));
    await writeFile(join(dir, `${tag}-sysfs.txt`), await safe(() => sh('for f in /sys/block/md*/md/array_state /sys/block/md*/md/sync_action /sys/block/md*/md/sync_completed /sys/block/md*/md/degraded /sys/block/md*/md/dev-*/state /sys/block/md*/md/dev-*/slot; do [ -e "$f" ] && echo "$f=$(cat $f)"; done')));
    await writeFile(join(dir, `${tag}-unit.json`), await safe(async () => JSON.stringify(await rpc.unit(), null, 2)));
    await writeFile(join(dir, `${tag}-dmesg.txt`), await safe(() => sh('dmesg | tail -n 200')));
  }
}

/** Saves every node's evidence under artifacts/<label>; returns the directory. */
export async function saveArtifacts(c: LaneCluster, label: string): Promise<string> {
  const root = join(artifactsRoot(), label.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120));
  try {
    await rm(root, { recursive: true, force: true });
    await Promise.all(c.indexes.map((i) => saveNode(c, i, join(root, `node${i}`)).catch(() => undefined)));
  } catch { /* best effort: never mask the failure */ }
  return root;
}
