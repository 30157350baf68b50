// The 3-guest kernel cluster of `npm run test:cluster`: N qemu guests (kernel lab) sharing raw
// disk files (cache=none, file.locking=off, share-rw=on) on one private L2 segment in a netns,
// each running the guest agent, which installs the lane's mdclusterd .deb (CLUSTER_DEB, built by
// run.sh) and runs the daemon from the installed unit (kernel md driver, mutual TLS) as node<i>
// at 10.0.0.<i>. Owns: the run dir (shared disks, per-node ext4 data disks, certificates), boot,
// reboot of a crashed or powered-off node as a new incarnation, orderly power-off, and teardown.
// Invariants:
// - Shared disks come first in every guest (/dev/vda, ...) in the same order; node i's data
//   disk follows them; every disk file outlives its guests, so a rebooted node finds its Raft
//   state and the shared md superblocks as the crash left them.
// - The netns and the bus dir belong to this cluster, not to any guest (the lab's own
//   startCluster removes them once its first guests ended, which would strand rebooted
//   incarnations): they live until shutdown() ended every guest; the run dir is removed then
//   unless LAB_KEEP_RUNS=1.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestHandle, GuestResult } from '../../kernel/lab/index.js';
import { startGuest } from '../../kernel/lab/guest.js';
import { createNetns, deleteNetns } from '../../kernel/lab/netns.js';
import { keepRuns, labPaths } from '../../kernel/lab/config.js';
import { ensureDiskFile } from '../../kernel/lab/disks.js';
import type { DiskSpec, GuestSpec } from '../../kernel/lab/types.js';
import { waitFor } from '../../integration/lib/wait.js';
import { busLayout } from '../guest/protocol.js';
import { saveArtifacts } from './artifacts.js';
import { estimateOffset, type ClockOffset } from './clock.js';
import { AgentClient } from './rpc.js';
import { makeDataDisk, laneTiming, STATUS_PORT, writeSetup, type LaneTiming } from './setup.js';

/** Guest RAM: the daemon, the agent and an mdctl run at once stay well under this. */
const GUEST_MEM_MIB = 448;
const DATA_DISK_MIB = 64;
/** Boot + agent start (node under TCG takes seconds) + dpkg -i (about 65 s for one guest alone
 * on a loaded 2-core host, three at once share the cores) + setup + the unit's ExecStartPre. */
const AGENT_READY_TIMEOUT_MS = 600_000;
/** Bound on an orderly power-off: the unit's stop (TimeoutStopSec + ExecStopPost) and md stop. */
const POWER_OFF_TIMEOUT_MS = 240_000;

/** The .deb every guest installs: CLUSTER_DEB, set by test/cluster/run.sh (npm run package). */
export function laneDeb(): string {
  const deb = process.env.CLUSTER_DEB ?? '';
  if (deb === '' || !existsSync(deb) || !deb.startsWith('/')) throw new Error(`CLUSTER_DEB=${JSON.stringify(deb)}: the lane needs the absolute path of the built .deb (test/cluster/run.sh builds it)`);
  return deb;
}

export interface LaneClusterSpec {
  /** Label for the run dir and artifacts, e.g. "raid1". */
  name: string;
  nodes: number;
  sharedDisksMiB: number[];
  timing?: LaneTiming;
  checkpointIntervalMs?: number;
  /** Every guest is killed by then (the lab's whole-guest bound). */
  guestTimeoutMs: number;
}

/** One live incarnation of node<i>: its qemu guest and agent client. */
export interface LaneGuest {
  index: number;
  incarnation: number;
  guest: GuestHandle;
  rpc: AgentClient;
  /** Host wall time (ms) just before qemu was started. */
  bootWallMs: number;
  /** Host wall time (ms) when qemu exited; null while it runs. */
  endedWallMs: number | null;
  result: GuestResult | null;
  /** Done: the guest's GuestResult once qemu exited (never rejects). */
  done: Promise<GuestResult>;
  /** This incarnation's clock against the host's, estimated when its agent became ready. */
  clock: ClockOffset | null;
}

export class LaneCluster {
  /** Invariant: incarnations.get(i) lists node i's guests, oldest first; the last is current. */
  private readonly incarnations = new Map<number, LaneGuest[]>();
  /** Invariant: set once start() created it; deleted by shutdown() after every guest ended. */
  private netnsName: string | null = null;
  readonly busDir: string;
  private constructor(readonly spec: LaneClusterSpec, readonly runDir: string) {
    this.busDir = join(runDir, 'bus');
  }

  get indexes(): number[] {
    return Array.from({ length: this.spec.nodes }, (_, k) => k + 1);
  }

  /** The current incarnation of node i. */
  guest(i: number): LaneGuest {
    const list = this.incarnations.get(i);
    if (!list || list.length === 0) throw new Error(`lane: no guest for node${i}`);
    return list[list.length - 1]!;
  }

  allIncarnations(): LaneGuest[] {
    return [...this.incarnations.values()].flat();
  }

  alive(i: number): boolean {
    return this.guest(i).endedWallMs === null;
  }

  static async boot(spec: LaneClusterSpec): Promise<LaneCluster> {
    const runDir = await mkdtemp(join(labPaths().runParent, `mdlab-${process.pid}-lane-${spec.name}-`));
    const c = new LaneCluster(spec, runDir);
    try {
      await c.start();
    } catch (e) {
      if (c.netnsName !== null) console.log(`[${spec.name}] boot failed; evidence in ${await saveArtifacts(c, `${spec.name}/boot`)}`);
      await c.shutdown();
      throw e;
    }
    return c;
  }

  private sharedDisks(): DiskSpec[] {
    return this.spec.sharedDisksMiB.map((sizeMiB, k) => ({ path: join(this.runDir, `shared${k}.img`), sizeMiB, shared: true }));
  }

  /** The data disk's device name in the guest: the first letter after the shared disks. */
  private dataDev(): string {
    return `/dev/vd${String.fromCharCode('a'.charCodeAt(0) + this.spec.sharedDisksMiB.length)}`;
  }

  private guestSpec(i: number, incarnation: number): Omit<GuestSpec, 'netIndex' | 'hostname'> {
    return {
      name: incarnation === 0 ? `node${i}` : `node${i}-r${incarnation}`,
      cmd: ['node', 'dist/test/cluster/guest/agent.js'],
      cwd: labPaths().repoRoot,
      env: {
        CLUSTER_INCARNATION: String(incarnation), CLUSTER_DATA_DEV: this.dataDev(), CLUSTER_STATUS_PORT: String(STATUS_PORT), CLUSTER_DEB: laneDeb(),
        LAB_NODE_INDEX: String(i), LAB_NODES: String(this.spec.nodes),
      },
      disks: [...this.sharedDisks(), { path: join(this.runDir, `data${i}.img`), sizeMiB: DATA_DISK_MIB }],
      memMiB: GUEST_MEM_MIB,
      timeoutMs: this.spec.guestTimeoutMs,
    };
  }

  private track(i: number, incarnation: number, guest: GuestHandle, bootWallMs: number): LaneGuest {
    const lg: LaneGuest = {
      index: i, incarnation, guest, bootWallMs, endedWallMs: null, result: null, done: guest.done, clock: null,
      rpc: new AgentClient(this.busDir, i, incarnation, () => lg.endedWallMs === null),
    };
    void guest.done.then((r) => { lg.endedWallMs = Date.now(); lg.result = r; });
    const list = this.incarnations.get(i) ?? [];
    list.push(lg);
    this.incarnations.set(i, list);
    return lg;
  }

  private async start(): Promise<void> {
    for (const d of this.sharedDisks()) await ensureDiskFile(d.path!, d.sizeMiB);
    for (const i of this.indexes) await makeDataDisk(join(this.runDir, `data${i}.img`), DATA_DISK_MIB);
    await mkdir(this.busDir);
    this.netnsName = await createNetns();
    for (const i of this.indexes) await this.startIncarnation(i, 0);
    await writeSetup(this.busDir, join(this.runDir, 'tls'), {
      nodes: this.spec.nodes, timing: this.spec.timing ?? laneTiming(),
      checkpointIntervalMs: this.spec.checkpointIntervalMs ?? 1000, logLevel: 'info',
    });
    await Promise.all(this.indexes.map((i) => this.waitAgent(this.guest(i))));
  }

  private async startIncarnation(i: number, incarnation: number): Promise<LaneGuest> {
    const wiring = { netns: this.netnsName, busDir: this.busDir };
    const bootWallMs = Date.now();
    const guest = await startGuest({ ...this.guestSpec(i, incarnation), netIndex: i, hostname: `node${i}` }, wiring);
    return this.track(i, incarnation, guest, bootWallMs);
  }

  private async waitAgent(g: LaneGuest): Promise<void> {
    const ready = join(this.busDir, busLayout.agentReady(g.index, g.incarnation));
    await waitFor(`node${g.index} agent (incarnation ${g.incarnation}) ready`, () => {
      if (g.endedWallMs !== null) throw new Error(`node${g.index} guest ended: ${g.result?.outcome} ${g.result?.stderr.slice(-2000)}`);
      return existsSync(ready) ? true : undefined;
    }, AGENT_READY_TIMEOUT_MS, 100);
    g.clock = await estimateOffset(g.rpc);
  }

  /** Boots node i again (after a crash) as a new incarnation on the same disks and address. */
  async reboot(i: number): Promise<LaneGuest> {
    const prev = this.guest(i);
    if (prev.endedWallMs === null) throw new Error(`lane: node${i} is still running`);
    const lg = await this.startIncarnation(i, prev.incarnation + 1);
    await this.waitAgent(lg);
    return lg;
  }

  /**
   * Shuts node i down in order: the agent stops the unit (SIGTERM: the daemon hands leadership
   * over; then ExecStopPost), the guest's init stops md and powers off.
   */
  async powerOff(i: number): Promise<GuestResult> {
    const g = this.guest(i);
    if (g.endedWallMs !== null) throw new Error(`lane: node${i} is not running`);
    g.rpc.send({ kind: 'exit' });
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`node${i} did not power off within ${POWER_OFF_TIMEOUT_MS} ms`)), POWER_OFF_TIMEOUT_MS); });
    try {
      return await Promise.race([g.done, bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends every guest, then deletes the netns and (unless LAB_KEEP_RUNS=1) the run dir. */
  async shutdown(): Promise<GuestResult[]> {
    const all = this.allIncarnations();
    await Promise.all(all.filter((g) => g.endedWallMs === null).map((g) => g.guest.powerCut().catch(() => undefined)));
    const results = await Promise.all(all.map((g) => g.done));
    if (this.netnsName !== null) await deleteNetns(this.netnsName).catch(() => undefined);
    if (!keepRuns()) await rm(this.runDir, { recursive: true, force: true });
    return results;
  }
}
