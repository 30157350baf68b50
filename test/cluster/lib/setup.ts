// What each cluster-lane guest gets before its daemon starts: the mdclusterd.toml of node i
// (kernel md driver, mutual TLS, peers at 10.0.0.1..N), the cluster certificates, and a
// private ext4 data disk. Owns: rendering the guest config and writing the setup files into
// the bus dir (the agent copies them to /etc/mdclusterd).
// Invariants: every value written is one the daemon's schema accepts (strings JSON-quoted);
// READY is written last, so an agent never reads a half-written setup; certificates come from
// the daemon's own generateClusterCerts (CN = node id, SAN = its 10.0.0.i address).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeId, type NodeId } from '../../../daemon/src/common/types.js';
import { generateClusterCerts, CA_CERT_FILE, nodeCertFile, nodeKeyFile } from '../../../daemon/src/transport/certs.js';
import { ensureDiskFile } from '../../kernel/lab/disks.js';
import { guestIp } from '../../kernel/lab/qemu-args.js';
import { busLayout } from '../guest/protocol.js';

export const PEER_PORT = 8401;
export const STATUS_PORT = 8400;
export const CONTROL_SOCKET = '/run/mdclusterd/control.sock';

/** Raft and peer-link timing in the daemon's config terms. */
export interface LaneTiming {
  tickMs: number;
  heartbeatTicks: number;
  electionTicks: number;
  leaseTicks: number;
  driftBoundTicks: number;
  pingIntervalMs: number;
  deadAfterMs: number;
}

/** The shipped etc/mdclusterd.toml (sub-second failover on a LAN of real machines). */
export const SHIPPED_TIMING: LaneTiming = { tickMs: 10, heartbeatTicks: 5, electionTicks: 30, leaseTicks: 20, driftBoundTicks: 2, pingIntervalMs: 500, deadAfterMs: 2000 };

/**
 * The lane's default. Under TCG on a shared 2-core machine a guest's event loop stalls for
 * seconds at times (seen: p50 1.4 s, max 3.1 s at load 15-17; each guest's single vCPU runs
 * node at a few percent of native speed, and an mdctl run starves the daemon beside it). With
 * the shipped 300 ms election timeout the three nodes never kept a leader (a new term every
 * second), and with a 2 s lease the master's writer role flapped every few seconds, each flap
 * costing a stop + re-assembly. So: the shipped ratios, scaled to a 5 s lease and an 8-16 s
 * election timeout; 50 ms ticks (fewer wake-ups of a slow vCPU); peer links declared dead only
 * after 15 s of silence. Failover times measured with it are TCG numbers, not LAN numbers.
 */
export const TCG_TIMING: LaneTiming = { tickMs: 50, heartbeatTicks: 4, electionTicks: 160, leaseTicks: 100, driftBoundTicks: 8, pingIntervalMs: 1000, deadAfterMs: 15_000 };

/**
 * A shorter profile for a quiet host (CLUSTER_TIMING=fast): 1-2 s election timeout, 600 ms
 * lease. Same ratios as the shipped timing, scaled for TCG's slower event loop.
 */
export const FAST_TCG_TIMING: LaneTiming = { tickMs: 20, heartbeatTicks: 5, electionTicks: 50, leaseTicks: 30, driftBoundTicks: 3, pingIntervalMs: 500, deadAfterMs: 4000 };

/**
 * The lane's failover target for a timing: a crash of the master guest -> another guest's
 * kernel writable. A follower notices the silence after one randomized election timeout (at
 * most 2x election ticks); a split vote costs one more; promotion (lease already over by then,
 * md switched read-write) adds well under a second, plus 2 s of slack for a TCG vCPU.
 */
export function failoverTargetMs(t: LaneTiming): number {
  return 2 * (2 * t.electionTicks * t.tickMs) + 2000;
}

/** The timing this lane run uses: CLUSTER_TIMING=tcg (default) | fast | shipped. */
export function laneTiming(): LaneTiming {
  const name = process.env.CLUSTER_TIMING ?? 'tcg';
  const profiles: Record<string, LaneTiming> = { tcg: TCG_TIMING, fast: FAST_TCG_TIMING, shipped: SHIPPED_TIMING };
  const t = profiles[name];
  if (t === undefined) throw new Error(`CLUSTER_TIMING=${name}: expected one of ${Object.keys(profiles).join(', ')}`);
  return t;
}

export interface GuestConfigSpec {
  node: number;
  nodes: number;
  timing: LaneTiming;
  checkpointIntervalMs: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export const laneNodeId = (i: number): NodeId => nodeId(`node${i}`);
const q = (s: string): string => JSON.stringify(s);

export function renderGuestConfig(s: GuestConfigSpec): string {
  const id = laneNodeId(s.node);
  const peers = Array.from({ length: s.nodes }, (_, k) => `node${k + 1} = ${q(`${guestIp(k + 1)}:${PEER_PORT}`)}`);
  return [
    `# written by test/cluster/lib/setup.ts for ${id}`,
    `node-id = ${q(id)}`,
    `data-dir = "/var/lib/mdclusterd"`,
    '',
    '[listen]',
    `peer = ${q(`${guestIp(s.node)}:${PEER_PORT}`)}`,
    `status = ${q(`127.0.0.1:${STATUS_PORT}`)}`,
    `control-socket = ${q(CONTROL_SOCKET)}`,
    '',
    '[peers]',
    ...peers,
    '',
    '[tls]',
    `ca = "/etc/mdclusterd/tls/${CA_CERT_FILE}"`,
    `cert = ${q(`/etc/mdclusterd/tls/${nodeCertFile(id)}`)}`,
    `key = ${q(`/etc/mdclusterd/tls/${nodeKeyFile(id)}`)}`,
    '',
    '[md]',
    'driver = "kernel"',
    '',
    '[timing]',
    `tick-ms = ${s.timing.tickMs}`,
    `heartbeat-ticks = ${s.timing.heartbeatTicks}`,
    `election-ticks = ${s.timing.electionTicks}`,
    `lease-ticks = ${s.timing.leaseTicks}`,
    `drift-bound-ticks = ${s.timing.driftBoundTicks}`,
    '',
    '[transport]',
    `ping-interval-ms = ${s.timing.pingIntervalMs}`,
    `dead-after-ms = ${s.timing.deadAfterMs}`,
    '',
    '[master]',
    'fence-action = "stop-array"',
    `checkpoint-interval-ms = ${s.checkpointIntervalMs}`,
    '',
    '[alerts]',
    'syslog = false',
    '',
    '[log]',
    `level = ${q(s.logLevel)}`,
    'journal-prefix = "off"',
    '',
  ].join('\n');
}

/** Generates the cluster CA and node certificates into certDir and writes every node's setup. */
export async function writeSetup(busDir: string, certDir: string, base: Omit<GuestConfigSpec, 'node'>): Promise<void> {
  const ids = Array.from({ length: base.nodes }, (_, k) => laneNodeId(k + 1));
  const hosts = new Map(ids.map((id, k) => [id, [guestIp(k + 1)]]));
  await generateClusterCerts({ dir: certDir, nodes: ids, hosts });
  for (let i = 1; i <= base.nodes; i++) {
    const dir = join(busDir, busLayout.setupDir(i));
    mkdirSync(dir, { recursive: true });
    const id = laneNodeId(i);
    for (const f of [CA_CERT_FILE, nodeCertFile(id), nodeKeyFile(id)]) copyFileSync(join(certDir, f), join(dir, f));
    writeFileSync(join(dir, 'mdclusterd.toml'), renderGuestConfig({ ...base, node: i }));
    writeFileSync(join(dir, 'READY'), '');
  }
}

/** A fresh private data disk: a sparse file with an ext4 file system (host mke2fs on the file). */
export async function makeDataDisk(path: string, sizeMiB: number): Promise<void> {
  await ensureDiskFile(path, sizeMiB);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'mdcl-data', path], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}
