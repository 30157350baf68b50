// Membership changes end to end with real daemon processes: a 3-node cluster with md0, a 4th
// node started with `[cluster] join = true` (its config lists the members, theirs do not list
// it), `mdctl --cluster add-node` refused on a standby (E_NOT_LEADER naming the master) and
// run on the master, the joiner catching up by snapshot (the log is filled past the leader's
// compaction point first) and becoming a voter that assembles md0 read-only, the cluster
// surviving kill -9 of its master (4 voters, 3 left: every commit now needs the new node),
// the new node taking the master role, removal of the dead node, and the master removing
// itself (it hands over). Writer intervals of all four nodes never overlap.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SNAPSHOT_KEEP_TRAILING_ENTRIES } from '../../daemon/src/common/limits.js';
import { nodeId } from '../../daemon/src/common/types.js';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { type Cluster, freePort, waitFor, type StatusJson } from './harness.js';
import { createRaid1, type KernelArray, kernelWritable } from './lib/arrays.js';
import { ClientError, ControlConn } from './lib/control.js';
import { DaemonProc } from './lib/daemon-proc.js';
import { fillLog } from './lib/fill.js';
import { httpGet } from './lib/http.js';
import { runMdctl } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT, renderNodeConfig } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';
import { findOverlaps, describeOverlaps, mergeWriterLogs } from './lib/writer-intervals.js';

const SNAPSHOT_EVERY = 200;
const DISKS = ['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: 65_536 }));
const WAIT_MS = 20_000;

/** The 4th node: config, process, control connection and status port. */
interface Joiner {
  id: string;
  peerPort: number;
  statusPort: number;
  socket: string;
  dataDir: string;
  proc: DaemonProc;
  conn: ControlConn;
}

let joiner: Joiner | null = null;

const cluster = useCluster({
  name: 'membership', size: 3, proxies: false, disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT,
  env: { MDCLUSTERD_SNAPSHOT_EVERY_ENTRIES: String(SNAPSHOT_EVERY) },
}, async (c) => {
  const m = await c.waitForMaster();
  await createRaid1(c, m.id, { device: 'md0', members: ['/dev/sda', '/dev/sdb'], raidDevices: 2, spares: 0, assumeClean: true });
});

afterAll(async () => {
  joiner?.conn.close();
  await joiner?.proc.kill();
});

/** Writes n4's certificate (same CA), config (join = true, every member listed) and starts it. */
async function startJoiner(c: Cluster): Promise<Joiner> {
  const id = 'n4';
  await generateClusterCerts({ dir: c.tlsDir(), nodes: [nodeId(id)], hosts: new Map([[nodeId(id), ['127.0.0.1']]]) });
  const dir = join(c.dir, id);
  mkdirSync(dir, { recursive: true });
  const peerPort = await freePort();
  const statusPort = await freePort();
  const peers = new Map([...c.ids.map((o) => [o, `127.0.0.1:${c.peerPort(o)}`] as const), [id, `127.0.0.1:${peerPort}`] as const]);
  const socket = join(dir, 'control.sock');
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'mdclusterd.toml');
  writeFileSync(configFile, renderNodeConfig({
    id, dataDir, peerListenPort: peerPort, statusPort, controlSocket: socket, peers, tlsDir: c.tlsDir(), simDiskDir: c.diskDir,
    timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT, checkpointIntervalMs: 1000, logLevel: 'info',
  }) + '\n[cluster]\njoin = true\n');
  const proc = new DaemonProc(id, configFile, join(dir, 'daemon.log'), join(dir, 'daemon.pid'), join(dataDir, 'writer.log'), { MDCLUSTERD_SNAPSHOT_EVERY_ENTRIES: String(SNAPSHOT_EVERY) });
  const j: Joiner = { id, peerPort, statusPort, socket, dataDir, proc, conn: new ControlConn(socket) };
  joiner = j; // afterAll kills it even if it never answers (no daemon outlives a failed run)
  proc.spawn();
  await waitFor(`${id} to answer on its status port`, async () => {
    if (!proc.running) throw new Error(`${id} exited: ${proc.logTail(2000)}`);
    return JSON.parse(await httpGet(statusPort, '/api/v1/status?stale=1', 1000)) as StatusJson;
  }, WAIT_MS, 50);
  return j;
}

/** Status of any node by id (the harness only knows n1..n3). */
async function statusOf(c: Cluster, id: string): Promise<StatusJson> {
  if (joiner && id === joiner.id) return JSON.parse(await httpGet(joiner.statusPort, '/api/v1/status?stale=1', 2000)) as StatusJson;
  return c.status(id, 2000);
}

function controlOf(c: Cluster, id: string) {
  return <T>(type: string, body: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> =>
    joiner && id === joiner.id ? joiner.conn.request<T>(type, body, timeoutMs) : c.control<T>(id, type, body, timeoutMs);
}

/** A master that every node of `among` names, which is leader and writer. */
async function agreedMaster(c: Cluster, among: string[], notNode?: string): Promise<StatusJson> {
  return waitFor(`a master agreed by ${among.join(', ')}`, async () => {
    const all = await Promise.all(among.map((id) => statusOf(c, id)));
    const m = all.find((s) => s.role === 'leader' && s.writer && s.master === s.node);
    if (!m || m.node === notNode || !all.every((s) => s.leader === m.node && s.master === m.node)) return undefined;
    return m;
  }, WAIT_MS, 25);
}

async function kernelMd0(c: Cluster, id: string): Promise<KernelArray | null> {
  const r = await controlOf(c, id)<{ arrays: KernelArray[] }>('kernel', { device: 'md0' });
  return r.arrays.find((a) => a.device === 'md0') ?? null;
}

/** Proposes an idempotent entry through `via` and waits until every node of `among` applied it. */
async function commitEverywhere(c: Cluster, via: string, among: string[]): Promise<number> {
  const r = await controlOf(c, via)<{ index: number }>('propose', { command: { op: 'device-seen', node: via, path: '/dev/sdc' }, timeoutMs: 10_000 });
  await waitFor(`index ${r.index} applied on ${among.join(', ')}`, async () => {
    const all = await Promise.all(among.map((id) => statusOf(c, id)));
    return all.every((s) => s.appliedIndex >= r.index) ? true : undefined;
  }, WAIT_MS, 25);
  return r.index;
}

function assertNoWriterOverlap(c: Cluster): void {
  const logs = c.ids.map((id) => ({ node: id, file: join(c.dataDir(id), 'writer.log'), incarnations: c.proc(id).incarnations }));
  if (joiner) logs.push({ node: joiner.id, file: join(joiner.dataDir, 'writer.log'), incarnations: joiner.proc.incarnations });
  const overlaps = findOverlaps(mergeWriterLogs(logs, Date.now()));
  if (overlaps.length > 0) throw new Error(`writer intervals overlap:\n${describeOverlaps(overlaps)}`);
}

describe('cluster membership: add-node, remove-node', () => {
  test('a joining node is added as a learner, catches up by snapshot and becomes a voter', async () => {
    const c = cluster();
    const m = await agreedMaster(c, c.ids);
    const standby = c.ids.find((id) => id !== m.node)!;
    // Past the compaction point: the joiner's empty log can only be served by a snapshot.
    const filled = await fillLog(c.controlSocket(m.node), m.node, '/dev/sdc', SNAPSHOT_KEEP_TRAILING_ENTRIES + 2 * SNAPSHOT_EVERY + 100);
    joiner = await startJoiner(c);
    const j = joiner;
    const before = await statusOf(c, j.id);
    expect(before).toMatchObject({ role: 'follower', leader: null, appliedIndex: 0, nodes: [] });
    expect((await statusOf(c, m.node)).nodes.map((n) => n.id)).toEqual(c.ids);

    const viaStandby = await runMdctl(c.controlSocket(standby), ['--cluster', 'add-node', `${j.id}=127.0.0.1:${j.peerPort}`]);
    expect(viaStandby.code).toBe(1);
    expect(viaStandby.stderr).toContain('[E_NOT_LEADER]');
    expect(viaStandby.stderr).toContain(`run it on the master ${m.node} (127.0.0.1:${c.peerPort(m.node)})`);

    const added = await runMdctl(c.controlSocket(m.node), ['--cluster', 'add-node', `${j.id}=127.0.0.1:${j.peerPort}`]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^${j.id} \\(127\\.0\\.0\\.1:${j.peerPort}\\) is a voting member: node-add, add-learner, promote; caught up in \\d+ ms`));

    const st = await waitFor('n4 shown as a healthy standby everywhere', async () => {
      const all = await Promise.all([...c.ids, j.id].map((id) => statusOf(c, id)));
      const ok = all.every((s) => s.nodes.some((n) => n.id === j.id && n.role === 'standby' && n.healthy && n.address === `127.0.0.1:${j.peerPort}`));
      return ok ? all : undefined;
    }, WAIT_MS);
    const mine = st[st.length - 1];
    expect(mine).toMatchObject({ node: j.id, role: 'follower', leader: m.node, master: m.node });
    expect(mine.appliedIndex).toBeGreaterThanOrEqual(filled);
    const snaps = j.proc.logText().split('\n').filter((l) => l.includes('installed a snapshot from the leader'));
    expect(snaps.length).toBeGreaterThanOrEqual(1);
    // It runs md0 like every standby: assembled, read-only.
    const md0 = await waitFor('md0 assembled on n4', async () => (await kernelMd0(c, j.id)) ?? undefined, WAIT_MS);
    expect(kernelWritable(md0)).toBe(false);
    expect(await httpGet(j.statusPort, '/mdstat?stale=1')).toBe(await c.mdstat(m.node));
    // add-node again is a no-op; a clashing address is refused.
    const again = await controlOf(c, m.node)<{ steps: string[] }>('add-node', { node: j.id, address: `127.0.0.1:${j.peerPort}` });
    expect(again.steps).toEqual([]);
    await expect(controlOf(c, m.node)('add-node', { node: 'n9', address: `127.0.0.1:${j.peerPort}` })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(controlOf(c, m.node)('add-node', { node: 'bad id!', address: 'x' })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
  });

  test('restarts keep the new membership: a member whose config lacks n4 relearns it, n4 stays a voter', async () => {
    const c = cluster();
    const j = joiner!;
    const all = [...c.ids, j.id];
    const m = await agreedMaster(c, all);
    const standby = c.ids.find((id) => id !== m.node)!;
    await c.kill(standby);
    await c.restart(standby);
    j.conn.close();
    await j.proc.kill();
    j.proc.spawn();
    const index = await commitEverywhere(c, m.node, all);
    await waitFor(`${standby} and n4 linked again`, async () => {
      const [s, n4] = await Promise.all([statusOf(c, standby), statusOf(c, j.id)]);
      const healthy = (st: StatusJson, id: string): boolean => st.nodes.some((n) => n.id === id && n.healthy && n.role !== 'down');
      return healthy(s, j.id) && healthy(n4, standby) && n4.role === 'follower' && n4.appliedIndex >= index ? true : undefined;
    }, WAIT_MS);
    // n4 restarted from its own log: no second snapshot, and it did not found a cluster of its own.
    const st = await statusOf(c, j.id);
    expect(st.nodes.map((n) => n.id)).toEqual(all);
    expect(st.leader).toBe(m.node);
  });

  test('with 4 voters the cluster survives kill -9 of its master, and the new node can be master', async () => {
    const c = cluster();
    const j = joiner!;
    const all = [...c.ids, j.id];
    const m = await agreedMaster(c, all);
    await c.kill(m.node);
    const live = all.filter((id) => id !== m.node);
    const next = await agreedMaster(c, live, m.node);
    // 3 of 4 voters live: every commit needs all three, the new node included.
    await commitEverywhere(c, next.node, live);
    if (next.node !== j.id) {
      const r = await controlOf(c, next.node)<{ master: string }>('step-down', { to: j.id });
      expect(r.master).toBe(j.id);
    }
    const nm = await agreedMaster(c, live);
    expect(nm.node).toBe(j.id);
    await waitFor('md0 writable on n4 only', async () => {
      for (const id of live) if (kernelWritable(await kernelMd0(c, id)) !== (id === j.id)) return undefined;
      return true;
    }, WAIT_MS);
    await commitEverywhere(c, j.id, live);
    assertNoWriterOverlap(c);
    // Stash the dead node's id for the next test.
    deadNode = m.node;
  });

  test('remove-node drops the dead node; then the master removes itself and hands over', async () => {
    const c = cluster();
    const j = joiner!;
    const live = [...c.ids, j.id].filter((id) => id !== deadNode);
    const m = await agreedMaster(c, live);
    const ctl = controlOf(c, m.node);
    await expect(ctl('remove-node', { node: 'zz' })).rejects.toMatchObject({ code: 'E_UNKNOWN_NODE' });
    const gone = await ctl<{ steps: string[]; handedOver: boolean }>('remove-node', { node: deadNode });
    expect(gone).toMatchObject({ steps: ['conf-remove', 'node-remove'], handedOver: false });
    await waitFor('the dead node gone from every node list', async () => {
      const sts = await Promise.all(live.map((id) => statusOf(c, id)));
      return sts.every((s) => s.nodes.map((n) => n.id).sort().join() === [...live].sort().join()) ? true : undefined;
    }, WAIT_MS);
    await commitEverywhere(c, m.node, live);

    // The master removes itself: it gives up md0 first and hands leadership over.
    const out = await runMdctl(j.id === m.node ? j.socket : c.controlSocket(m.node), ['--cluster', 'remove-node', m.node]);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain(`${m.node} removed from the cluster (node-remove, conf-remove)`);
    expect(out.stdout).toContain('handed leadership over');
    const rest = live.filter((id) => id !== m.node);
    const after = await agreedMaster(c, rest, m.node);
    expect(after.nodes.map((n) => n.id).sort()).toEqual([...rest].sort());
    await commitEverywhere(c, after.node, rest);
    await waitFor(`md0 writable on ${after.node} only`, async () => {
      for (const id of rest) if (kernelWritable(await kernelMd0(c, id)) !== (id === after.node)) return undefined;
      return kernelWritable(await kernelMd0(c, m.node)) ? undefined : true;
    }, WAIT_MS);
    // Two voters left, both needed: a standby still cannot remove the master.
    const standby = rest.find((id) => id !== after.node)!;
    const refused = await controlOf(c, standby)('remove-node', { node: after.node }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).code).toBe('E_NOT_LEADER');
    assertNoWriterOverlap(c);
  });
});

let deadNode = '';
