// The master's own periodic entries while it holds the writer role: a node record for every
// founding Raft member that has none, and resync/recovery checkpoints of the arrays it runs
// writable (rate-bounded: at least every checkpoint interval or every 1 %; the idle checkpoint
// carries md's mismatch count). Owns: the per-device time of the last checkpoint (bounded by the
// arrays this node ran writable) and the sampling cadence: every 100 ms while an array syncs,
// else every checkpoint interval. Called by node/writer.ts, never on its own.
import type { NodeId, Sectors } from '../common/types.js';
import type { CheckpointAction } from '../cluster/types.js';
import type { MdDriver } from '../md/driver.js';
import type { ArrayState } from '../md/types.js';
import { reshapeDone } from '../cluster/grow.js';
import type { Clock } from './deps.js';
import { readOrNull } from './reconcile.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import type { RaftStatus } from '../raft/types.js';

/** What the master's periodic entries need (a subset of node/writer.ts WriterHooks). */
export interface ProgressHooks {
  raftStatus(): RaftStatus;
  state(): ClusterState;
  propose(cmd: Command): void;
  configuredPeers(): readonly { id: NodeId; address: string }[];
}

/**
 * The sync the master records for its kernel's view of an array: idle unless md runs one and
 * reports sync_completed. A reshape's checkpoint is md's reshape_position (array sectors in the
 * new layout, what the superblocks say) against the reshaped array's size (cluster/types.ts
 * CheckpointAction).
 */
export function kernelSync(k: ArrayState): { action: CheckpointAction; doneSectors: number; totalSectors: number } | null {
  const act = k.syncAction;
  const action: CheckpointAction = act === 'resync' || act === 'recover' || act === 'check' || act === 'repair' || act === 'reshape' ? act : 'idle';
  if (action === 'idle' || !k.syncCompleted) return null;
  const { doneSectors, totalSectors } = (action === 'reshape' ? reshapeDone(k) : null) ?? k.syncCompleted;
  return { action, doneSectors, totalSectors };
}

/** Checkpoint sampling while an array syncs; with none syncing, every checkpoint interval. */
const CHECKPOINT_MIN_INTERVAL_MS = 100;

export class MasterProgress {
  private readonly lastCheckpointMs = new Map<string, number>();
  private lastSampleMs = 0;
  private sampleEveryMs = CHECKPOINT_MIN_INTERVAL_MS;

  constructor(
    private readonly hooks: ProgressHooks,
    private readonly deps: { driver: MdDriver; clock: Clock; checkpointIntervalMs: number },
  ) {}

  /** The writer's periodic call: node records and checkpoints, when the next sampling is due. */
  maybeSample(devices: () => readonly string[], logger: { warn(o: object, msg: string): void }): void {
    const now = this.deps.clock.monoMs();
    if (now - this.lastSampleMs < this.sampleEveryMs) return;
    this.lastSampleMs = now;
    this.ensureNodes();
    void this.sampleCheckpoints(devices()).then((syncing) => {
      this.sampleEveryMs = syncing ? CHECKPOINT_MIN_INTERVAL_MS : Math.max(CHECKPOINT_MIN_INTERVAL_MS, this.deps.checkpointIntervalMs);
    }, (e: unknown) => logger.warn({ err: (e as Error).message }, 'checkpoint sampling failed'));
  }

  /** Monotonic ms at which maybeSample next samples. */
  nextSampleMs(): number {
    return this.lastSampleMs + this.sampleEveryMs;
  }

  /**
   * The master records the configured address of every Raft member that has no node record
   * yet (the founding members). Once recorded, the replicated record is authoritative: it is
   * changed by add-node/remove-node only, never overwritten from a local config file, and a
   * removed node (no longer in the Raft membership) is not recorded again.
   */
  ensureNodes(): void {
    const known = new Set(this.hooks.state().nodes.map((n) => n.id as string));
    const conf = this.hooks.raftStatus().conf;
    const members = new Set<string>([...conf.voters, ...conf.learners]);
    for (const p of this.hooks.configuredPeers()) {
      if (!known.has(p.id) && members.has(p.id)) this.hooks.propose({ op: 'node-add', node: p.id, address: p.address });
    }
  }

  /**
   * Records resync/recovery progress as Raft entries (rate-bounded, >= every interval or 1 %).
   * Resolves true when an array syncs or its record still shows a sync (sample again soon).
   */
  async sampleCheckpoints(devices: readonly string[]): Promise<boolean> {
    const term = this.hooks.raftStatus().term;
    let syncing = false;
    for (const device of devices) {
      const rec = this.hooks.state().arrays.find((a) => a.device === device);
      const k = await readOrNull(this.deps.driver, device);
      if (!rec || !k) continue;
      const ks = kernelSync(k);
      if (ks !== null || rec.sync.action !== 'idle') syncing = true;
      const now = this.deps.clock.monoMs();
      const last = this.lastCheckpointMs.get(device) ?? 0;
      if (ks === null) {
        if (rec.sync.action !== 'idle') {
          const total = rec.sync.totalSectors;
          this.hooks.propose({ op: 'checkpoint', device, term, action: 'idle', doneSectors: total, totalSectors: total, speedKiBps: 0, mismatchCount: k.mismatchCount });
          this.lastCheckpointMs.set(device, now);
        }
        continue;
      }
      const { action, doneSectors, totalSectors } = ks;
      const step = Math.max(1, Math.floor(totalSectors / 100));
      const changedAction = rec.sync.action !== action || rec.sync.totalSectors !== totalSectors;
      const due = now - last >= this.deps.checkpointIntervalMs || Math.abs(doneSectors - rec.sync.doneSectors) >= step;
      if ((changedAction || due) && doneSectors !== rec.sync.doneSectors) {
        this.hooks.propose({ op: 'checkpoint', device, term, action, doneSectors: doneSectors as Sectors, totalSectors: totalSectors as Sectors, speedKiBps: k.syncSpeedKiBps });
        this.lastCheckpointMs.set(device, now);
      }
    }
    return syncing;
  }
}
