// `npm start`: a local 3-node mdclusterd cluster on the simulated md driver, as three separate
// OS processes on 127.0.0.1. Owns: the .demo/ layout (certs, shared simulated disks, one folder
// per node with its config, pid file, control socket, data and log), first-start creation of
// /dev/md0 (raid1, 2 members + 1 spare), and Ctrl-C shutdown. Nodes killed from outside are not
// restarted: restart one by hand with `mdclusterd --config .demo/node2/mdclusterd.toml`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../../mdctl/src/client.js';
import type { NodeId } from './common/types.js';
import { ensureSimDisks } from './md/sim/driver.js';
import { generateClusterCerts } from './transport/certs.js';

const ROOT = resolve(process.env.MDCLUSTERD_DEMO_DIR ?? '.demo');
const NODES = ['node1', 'node2', 'node3'] as NodeId[];
const STATUS_PORT = (i: number) => 8401 + i;
const PEER_PORT = (i: number) => 9401 + i;
const DISKS = ['sda', 'sdb', 'sdc', 'sdd'];
const DISK_SECTORS = 256 * 1024 * 2; // 256 MiB each
const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const START_TIMEOUT_MS = 30_000;

function config(i: number, id: NodeId): string {
  const dir = join(ROOT, id);
  return `# Written by npm start (daemon/src/demo.ts) for the local demo cluster.
node-id = "${id}"
data-dir = "${join(dir, 'data')}"

[listen]
peer = "127.0.0.1:${PEER_PORT(i)}"
status = "127.0.0.1:${STATUS_PORT(i)}"
control-socket = "${join(dir, 'control.sock')}"

[peers]
${NODES.map((n, j) => `${n} = "127.0.0.1:${PEER_PORT(j)}"`).join('\n')}

[tls]
ca = "${join(ROOT, 'tls', 'ca.crt')}"
cert = "${join(ROOT, 'tls', `${id}.crt`)}"
key = "${join(ROOT, 'tls', `${id}.key`)}"

[md]
driver = "sim"
sim-disk-dir = "${join(ROOT, 'disks')}"
`;
}

async function prepare(): Promise<void> {
  mkdirSync(ROOT, { recursive: true });
  if (!existsSync(join(ROOT, 'tls', 'ca.crt'))) {
    await generateClusterCerts({ dir: join(ROOT, 'tls'), nodes: NODES, hosts: new Map(NODES.map((n) => [n, ['127.0.0.1', 'localhost']])) });
  }
  ensureSimDisks(join(ROOT, 'disks'), DISKS.map((d, i) => ({ diskId: d, sizeSectors: DISK_SECTORS, kernelName: d, major: 8, minor: i * 16 })));
  NODES.forEach((id, i) => {
    mkdirSync(join(ROOT, id), { recursive: true });
    writeFileSync(join(ROOT, id, 'mdclusterd.toml'), config(i, id));
  });
}

function startNode(id: NodeId): ChildProcess {
  const dir = join(ROOT, id);
  const log = createWriteStream(join(dir, 'mdclusterd.log'), { flags: 'a' });
  const child = spawn(process.execPath, [MAIN, '--config', join(dir, 'mdclusterd.toml'), '--pid-file', join(dir, 'mdclusterd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.on('data', (d: Buffer) => { process.stderr.write(`[${id}] ${d.toString()}`); log.write(d); });
  child.on('exit', (code, sig) => console.log(`[${id}] exited (${sig ?? `code ${code}`})`));
  return child;
}

async function getJson(url: string): Promise<Record<string, unknown> | null> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function waitForMaster(): Promise<string> {
  const start = Date.now();
  while (Date.now() - start < START_TIMEOUT_MS) {
    const s = await getJson(`http://127.0.0.1:${STATUS_PORT(0)}/api/v1/status`);
    if (s && typeof s.master === 'string') return s.master;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no master elected within ${START_TIMEOUT_MS} ms (see ${ROOT}/node*/mdclusterd.log)`);
}

async function createMd0(): Promise<void> {
  const c = new Client(join(ROOT, 'node1', 'control.sock'));
  await c.connect();
  const st = await c.request<{ state: { arrays: { device: string }[] } }>('state');
  if (st.state.arrays.some((a) => a.device === 'md0')) { c.close(); return; }
  for (const id of NODES) {
    const n = new Client(join(ROOT, id, 'control.sock'));
    await n.connect();
    for (const d of ['sda', 'sdb', 'sdc']) await n.request('confirm', { path: `/dev/${d}` });
    n.close();
  }
  await c.request('propose', {
    command: { op: 'create', device: 'md0', uuid: 'd3e0c0de:0a1b2c3d:4e5f6071:8293a4b5', name: 'demo:0', level: 'raid1', raidDevices: 2, members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null },
    waitAll: true, timeoutMs: 30_000,
  });
  c.close();
  console.log('created /dev/md0: raid1 with /dev/sda, /dev/sdb and spare /dev/sdc');
}

async function main(): Promise<void> {
  await prepare();
  const children = new Map(NODES.map((id) => [id, startNode(id)]));
  const shutdown = () => {
    console.log('\nstopping the demo cluster ...');
    for (const c of children.values()) if (c.exitCode === null) c.kill('SIGTERM');
    setTimeout(() => process.exit(0), 5000).unref();
    Promise.all([...children.values()].map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const master = await waitForMaster();
  await createMd0();
  const mdctl = join(dirname(MAIN), '..', '..', 'mdctl', 'src', 'main.js');
  console.log(`
mdclusterd demo: 3 nodes on 127.0.0.1, master ${master}. Files under ${ROOT}/node1 ... node3.
  dashboard:            http://127.0.0.1:8401/   (also :8402, :8403; live over the watch websocket)
  cluster-wide mdstat:  curl http://127.0.0.1:8401/mdstat   (also :8402, :8403)
  status JSON:          curl http://127.0.0.1:8402/api/v1/status
  mdctl on node2:       node ${mdctl} --socket ${join(ROOT, 'node2', 'control.sock')} --detail /dev/md0
                        (or export MDCTL_SOCKET=${join(ROOT, 'node2', 'control.sock')})
  fail a disk:          node ${mdctl} --socket ${join(ROOT, 'node3', 'control.sock')} /dev/md0 --fail /dev/sdb
  kill the master:      kill -9 $(cat ${join(ROOT, master, 'mdclusterd.pid')})   (not restarted by the demo)
Ctrl-C stops all three.`);
}

main().catch((e) => {
  console.error(`demo: ${(e as Error).message}`);
  process.exit(1);
});
