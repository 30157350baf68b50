// The integration-test cluster: N real mdclusterd processes on loopback, each with its own
// config, data directory, control socket and status port, sharing one directory of simulated
// disks (like hosts on shared storage), with a cuttable TCP proxy on every directed peer link.
// Owns: the temp directory, certificates, disks, configs, processes and proxies of one cluster,
// and the operations tests need (control requests, status, kill -9, SIGTERM, restart,
// partition, merged writer logs).
// Partitions: node A's [peers] entry for B is the address of proxy A->B, which forwards to B's
// real listener; a node's own inbound links arrive through the other nodes' proxies. Cutting
// every proxy into and out of a node silences all its links (see lib/proxy.ts), which is what
// a real network partition looks like to both sides.
// Invariants: every wait is bounded; destroy() SIGKILLs every process it started and closes
// every proxy, even after a failure; no process outlives the test process (daemon-proc.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { RAFT_MAX_MEMBERS } from '../../daemon/src/common/limits.js';
import { nodeId } from '../../daemon/src/common/types.js';
import { ensureSimDisks } from '../../daemon/src/md/sim/driver.js';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { ControlConn } from './lib/control.js';
import { DaemonProc } from './lib/daemon-proc.js';
import { httpGet, httpRequest } from './lib/http.js';
import { DEFAULT_TEST_TIMING, DEFAULT_TEST_TRANSPORT, renderNodeConfig, type TestTiming, type TestTransportTiming } from './lib/node-config.js';
import { LinkProxy } from './lib/proxy.js';
import { waitFor } from './lib/wait.js';
import { describeOverlaps, findOverlaps, mergeWriterLogs, type Overlap, type WriterInterval } from './lib/writer-intervals.js';
import type { StatusJson } from './lib/status-types.js';

export type { StatusJson, ArrayStatus } from './lib/status-types.js';
export { sleep, waitFor, withTimeout } from './lib/wait.js';
export { ClientError } from './lib/control.js';

/** How long a started daemon may take to answer on its status port. */
const START_TIMEOUT_MS = 15_000;
/** Default bound for a master to be elected and writable. */
export const MASTER_TIMEOUT_MS = 15_000;

export interface DiskSpec {
  id: string;
  sizeSectors: number;
}

export interface ClusterOptions {
  size?: number;
  /** Simulated disks created in the shared disk directory; each is /dev/<id> on every node. */
  disks?: DiskSpec[];
  timing?: Partial<TestTiming>;
  transport?: Partial<TestTransportTiming>;
  checkpointIntervalMs?: number;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** false: nodes dial each other directly (no partitions possible, no proxy hop). */
  proxies?: boolean;
  /** A label for the temp directory. */
  name?: string;
}

interface NodeInfo {
  id: string;
  peerPort: number;
  statusPort: number;
  controlSocket: string;
  dataDir: string;
  proc: DaemonProc;
  conn: ControlConn;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class Cluster {
  readonly ids: string[];
  private readonly nodes = new Map<string, NodeInfo>();
  /** "a->b" -> the proxy node a dials b through. */
  private readonly proxies = new Map<string, LinkProxy>();
  private destroyed = false;

  private constructor(readonly dir: string, readonly diskDir: string, ids: string[]) {
    this.ids = ids;
  }

  /** Builds the cluster on disk, starts every daemon and waits for a writable master. */
  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const size = opts.size ?? 3;
    if (!Number.isInteger(size) || size < 1 || size > RAFT_MAX_MEMBERS) throw new Error(`cluster size ${size} outside 1..${RAFT_MAX_MEMBERS}`);
    const dir = mkdtempSync(join(tmpdir(), `mdci-${opts.name ?? 'cluster'}-`));
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const c = new Cluster(dir, join(dir, 'disks'), ids);
    try {
      await c.build(opts);
      for (const id of ids) c.nodes.get(id)!.proc.spawn();
      for (const id of ids) await c.waitUp(id);
      await c.waitForMaster();
      return c;
    } catch (e) {
      const report = c.failureReport();
      await c.destroy({ keepDir: true });
      throw new Error(`${(e as Error).message}\n${report}`);
    }
  }

  private async build(opts: ClusterOptions): Promise<void> {
    const tlsDir = join(this.dir, 'tls');
    await generateClusterCerts({ dir: tlsDir, nodes: this.ids.map(nodeId), hosts: new Map(this.ids.map((id) => [nodeId(id), ['127.0.0.1']])) });
    mkdirSync(this.diskDir, { recursive: true });
    ensureSimDisks(this.diskDir, (opts.disks ?? []).map((d) => ({ diskId: d.id, sizeSectors: d.sizeSectors })));
    const ports = new Map<string, { peer: number; status: number }>();
    for (const id of this.ids) ports.set(id, { peer: await freePort(), status: await freePort() });
    const useProxies = opts.proxies ?? true;
    if (useProxies) {
      for (const a of this.ids) for (const b of this.ids) {
        if (a === b) continue;
        const p = new LinkProxy(`${a}->${b}`, '127.0.0.1', ports.get(b)!.peer);
        await p.listen();
        this.proxies.set(`${a}->${b}`, p);
      }
    }
    for (const id of this.ids) {
      const nodeDir = join(this.dir, id);
      mkdirSync(nodeDir, { recursive: true });
      const peers = new Map(this.ids.map((o) => [o, `127.0.0.1:${o === id || !useProxies ? ports.get(o)!.peer : this.proxies.get(`${id}->${o}`)!.port}`]));
      const dataDir = join(nodeDir, 'data');
      const controlSocket = join(nodeDir, 'control.sock');
      const configFile = join(nodeDir, 'mdclusterd.toml');
      writeFileSync(configFile, renderNodeConfig({
        id, dataDir, peerListenPort: ports.get(id)!.peer, statusPort: ports.get(id)!.status, controlSocket, peers, tlsDir,
        simDiskDir: this.diskDir, timing: { ...DEFAULT_TEST_TIMING, ...opts.timing }, transport: { ...DEFAULT_TEST_TRANSPORT, ...opts.transport },
        checkpointIntervalMs: opts.checkpointIntervalMs ?? 1000, logLevel: opts.logLevel ?? 'info',
      }));
      const proc = new DaemonProc(id, configFile, join(nodeDir, 'daemon.log'), join(nodeDir, 'daemon.pid'), join(dataDir, 'writer.log'));
      this.nodes.set(id, { id, peerPort: ports.get(id)!.peer, statusPort: ports.get(id)!.status, controlSocket, dataDir, proc, conn: new ControlConn(controlSocket) });
    }
  }

  private info(id: string): NodeInfo {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id} in this cluster (${this.ids.join(', ')})`);
    return n;
  }

  proc(id: string): DaemonProc { return this.info(id).proc; }
  statusPort(id: string): number { return this.info(id).statusPort; }
  peerPort(id: string): number { return this.info(id).peerPort; }
  controlSocket(id: string): string { return this.info(id).controlSocket; }
  dataDir(id: string): string { return this.info(id).dataDir; }
  tlsDir(): string { return join(this.dir, 'tls'); }
  running(): string[] { return this.ids.filter((id) => this.info(id).proc.running); }

  // ------------------------------------------------------------------ requests
  control<T = unknown>(id: string, type: string, body: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    return this.info(id).conn.request<T>(type, body, timeoutMs);
  }

  async status(id: string, timeoutMs?: number): Promise<StatusJson> {
    return JSON.parse(await httpGet(this.statusPort(id), '/api/v1/status', timeoutMs)) as StatusJson;
  }

  mdstat(id: string, timeoutMs?: number): Promise<string> {
    return httpGet(this.statusPort(id), '/mdstat', timeoutMs);
  }

  http(id: string, method: string, path: string, body?: string): ReturnType<typeof httpRequest> {
    return httpRequest(this.statusPort(id), method, path, body);
  }

  /** Every device path confirmed on every running node (md-cluster's --cluster-confirm). */
  async confirmEverywhere(paths: readonly string[]): Promise<void> {
    for (const id of this.running()) for (const p of paths) await this.control(id, 'confirm', { path: p });
  }

  // ------------------------------------------------------------------ processes
  private async waitUp(id: string): Promise<void> {
    const proc = this.info(id).proc;
    await waitFor(`${id} to answer on its status port`, async () => {
      if (!proc.running) throw new Error(`${id} exited during start-up: ${JSON.stringify(proc.incarnations.at(-1))}`);
      const r = await httpRequest(this.statusPort(id), 'GET', '/healthz', undefined, 1000);
      return r.status > 0 ? true : undefined;
    }, START_TIMEOUT_MS, 25);
  }

  /** kill -9 and wait until reaped. */
  async kill(id: string): Promise<void> {
    this.info(id).conn.close();
    await this.info(id).proc.kill();
  }

  /** SIGTERM (planned shutdown); returns the exit code. */
  async terminate(id: string): Promise<number | null> {
    this.info(id).conn.close();
    return this.info(id).proc.terminate();
  }

  /** Starts a stopped node again with the same config and data, and waits until it answers. */
  async restart(id: string): Promise<void> {
    const n = this.info(id);
    n.conn.close();
    n.proc.spawn();
    await this.waitUp(id);
  }

  // ------------------------------------------------------------------ partitions
  private linkProxy(from: string, to: string): LinkProxy {
    const p = this.proxies.get(`${from}->${to}`);
    if (!p) throw new Error(`no proxy ${from}->${to}: the cluster was started with proxies: false`);
    return p;
  }

  /** Cuts every link into and out of `id` (a full partition of that node). */
  isolate(id: string): void {
    for (const o of this.ids) if (o !== id) { this.linkProxy(id, o).cutLink(); this.linkProxy(o, id).cutLink(); }
  }

  /** Heals every link of `id`. */
  rejoin(id: string): void {
    for (const o of this.ids) if (o !== id) { this.linkProxy(id, o).heal(); this.linkProxy(o, id).heal(); }
  }

  cutLink(from: string, to: string): void { this.linkProxy(from, to).cutLink(); }
  healLink(from: string, to: string): void { this.linkProxy(from, to).heal(); }
  healAll(): void { for (const p of this.proxies.values()) p.heal(); }

  // ------------------------------------------------------------------ cluster-level waits
  /**
   * Waits until one node among `among` (default: running nodes) is leader, master and writer,
   * and every other node of `among` names it as leader and master. Returns it with its term.
   */
  async waitForMaster(opts: { among?: string[]; minTerm?: number; notNode?: string; timeoutMs?: number } = {}): Promise<{ id: string; term: number; status: StatusJson }> {
    return waitFor('a master agreed by every node', async () => {
      const among = opts.among ?? this.running();
      const all = await Promise.all(among.map((id) => this.status(id, 1000)));
      const m = all.find((s) => s.role === 'leader' && s.writer && s.master === s.node);
      if (!m || m.node === opts.notNode || (opts.minTerm !== undefined && m.term < opts.minTerm)) return undefined;
      if (!all.every((s) => s.leader === m.node && s.master === m.node)) return undefined;
      return { id: m.node, term: m.term, status: m };
    }, opts.timeoutMs ?? MASTER_TIMEOUT_MS, 10);
  }

  /** Waits until `read(id)` gives the same text on every node of `among`; returns it. */
  async waitSame(what: string, read: (id: string) => Promise<string>, among = this.running(), timeoutMs = MASTER_TIMEOUT_MS): Promise<string> {
    return waitFor(`${what} identical on ${among.join(', ')}`, async () => {
      const texts = await Promise.all(among.map(read));
      return texts.every((t) => t === texts[0]) ? texts[0] : undefined;
    }, timeoutMs, 25);
  }

  // ------------------------------------------------------------------ writer logs
  writerIntervals(): WriterInterval[] {
    return mergeWriterLogs(this.ids.map((id) => ({ node: id, file: join(this.dataDir(id), 'writer.log'), incarnations: this.proc(id).incarnations })), Date.now());
  }

  writerOverlaps(): Overlap[] {
    return findOverlaps(this.writerIntervals());
  }

  /** Throws with the overlapping intervals if two nodes ever had one array writable at once. */
  assertNoWriterOverlap(): WriterInterval[] {
    const all = this.writerIntervals();
    const o = findOverlaps(all);
    if (o.length > 0) throw new Error(`writer intervals overlap:\n${describeOverlaps(o)}`);
    return all;
  }

  // ------------------------------------------------------------------ teardown
  failureReport(): string {
    const parts = [`cluster directory: ${this.dir}`];
    for (const id of this.ids) {
      const n = this.nodes.get(id);
      if (!n) continue;
      parts.push(`----- ${id} (${n.proc.running ? `pid ${n.proc.pid}` : 'not running'}; incarnations ${n.proc.incarnations.length}) log tail -----`, n.proc.logTail());
    }
    return parts.join('\n');
  }

  /** Kills every daemon, closes every proxy; removes the directory unless keepDir or MDCI_KEEP=1. */
  async destroy(opts: { keepDir?: boolean } = {}): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const n of this.nodes.values()) n.conn.close();
    await Promise.allSettled([...this.nodes.values()].map((n) => n.proc.kill()));
    await Promise.allSettled([...this.proxies.values()].map((p) => p.close()));
    if (!opts.keepDir && process.env.MDCI_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}
