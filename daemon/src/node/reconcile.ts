// The reconcile loop: brings this node's kernel md state in line with the replicated state by
// running plan() (cluster/plan.ts) and carrying out its actions through the MdDriver.
// Owns: executing md actions, the writer log entries they imply, and re-read/re-plan rounds.
// Invariants:
// - One pass at a time (passes are serialized; a request during a pass schedules one more).
// - Each array gets at most RECONCILE_MAX_ROUNDS plan/act rounds per pass; an action that fails
//   ends that array's pass (logged with its error code) and is retried on the next pass.
// - The writer log interval opens before read-write/create and closes after read-only/stop.
// - settled(device) resolves only after the action in flight on the device returned.
import { OpError } from '../common/errors.js';
import { REASSEMBLE_MIN_INTERVAL_MS, RECONCILE_MAX_ROUNDS } from '../common/limits.js';
import type { Term } from '../common/types.js';
import type { Command } from '../cluster/commands.js';
import { localPath as localPathOf, plan, type MdAction } from '../cluster/plan.js';
import type { ArrayRecord, ClusterState } from '../cluster/types.js';
import type { MdDriver } from '../md/driver.js';
import type { ArrayState } from '../md/types.js';
import type { Clock, Logger, Timers } from './deps.js';
import type { WriterLog } from './writer-log.js';
import { MdOpReporter } from './md-op-reporter.js';

export interface ReconcileHooks {
  state(): ClusterState;
  /** Writer role right now, and its fencing token. */
  writer(): { writer: boolean; term: Term };
  /** Propose a command discovered by reconciling (observe); deduplicated by the caller. */
  propose(cmd: Command): void;
  /** Told of each kernel read and each converged array (node/boot-degraded.ts: DegradedAtBoot). */
  boot?: { read(rec: ArrayRecord, runningInKernel: boolean): void; converged(rec: ArrayRecord, w: { writer: boolean; term: Term }): void };
}

export async function readOrNull(driver: MdDriver, device: string): Promise<ArrayState | null> {
  try {
    const a = await driver.readArray(device);
    return a.arrayState === 'clear' ? null : a;
  } catch (e) {
    if (e instanceof OpError && e.code === 'E_NO_SUCH_ARRAY') return null;
    throw e;
  }
}

export class Reconciler {
  private running = false;
  private again = false;
  /** Arrays re-assembled from their superblocks since this node last gained the writer role. */
  private readonly fresh = new Set<string>();
  /** device -> mono ms of the last standby re-assembly (rate bound). */
  private readonly lastReassembleMs = new Map<string, number>();
  /** The term in which `fresh` was filled. */
  private freshTerm = -1;
  /** The pass scheduled for when a rate-bounded re-assembly is allowed again (at most one). */
  private retryTimer: { cancel(): void } | null = null;
  /** device -> the md action being carried out on it (at most one: passes are serialized). */
  private readonly inFlight = new Map<string, Promise<void>>();
  passes = 0;
  failures = 0;
  /** md's verdicts on pending client commands, reported by the master (node/md-op-reporter.ts). */
  private readonly mdOps: MdOpReporter;

  constructor(
    private readonly node: string,
    private readonly driver: MdDriver,
    private readonly hooks: ReconcileHooks,
    private readonly writerLog: WriterLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Without timers a rate-bounded re-assembly waits for the next slow pass or request. */
    private readonly timers: Timers | null = null,
  ) {
    this.mdOps = new MdOpReporter(node, (cmd) => hooks.propose(cmd), logger);
  }

  /** Schedules a pass; coalesces requests made while a pass runs. */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  private async pass(): Promise<void> {
    this.passes++;
    const w = this.hooks.writer();
    // A new term means another node may have been master in between: re-read everything. A lapse
    // and return of the writer role within one term needs no re-read (no other node can hold
    // the role in this term: the master entry is term-stamped), which avoids re-assembling every
    // array each time a loaded master's lease briefly lapses.
    if (w.writer && w.term !== this.freshTerm) {
      this.fresh.clear();
      this.freshTerm = w.term;
    }
    for (const rec of this.hooks.state().arrays) {
      try {
        await this.reconcileArray(rec.device);
      } catch (e) {
        this.failures++;
        const code = e instanceof OpError ? e.code : 'E_INTERNAL';
        this.logger.warn({ device: rec.device, code, err: (e as Error).message }, 'reconcile action failed; will retry');
      }
    }
  }

  private async reconcileArray(device: string): Promise<void> {
    for (let round = 0; round < RECONCILE_MAX_ROUNDS; round++) {
      if (!this.hooks.state().arrays.some((a) => a.device === device)) return;
      const actual = await readOrNull(this.driver, device);
      // The record and the writer role as they are now, after the kernel read (fresh each round):
      // the plan compares the newest record with the kernel, and an observation says which
      // applied index it was checked against (its base: cluster/apply.ts applyObserve).
      const state = this.hooks.state();
      const rec = state.arrays.find((a) => a.device === device);
      if (!rec) return;
      const base = state.appliedIndex;
      const w = this.hooks.writer();
      this.hooks.boot?.read(rec, actual !== null);
      const actions = plan(rec, { node: this.node, writer: w.writer, term: w.term, freshSincePromotion: this.fresh.has(device), base }, actual);
      if (actions.length > 0 && !w.writer && actions[0].kind === 'stop' && actions[1]?.kind === 'assemble' && !this.mayReassemble(device)) return;
      for (const a of actions) {
        // A writer's round re-checks the role before each action: md calls can be slow, and an
        // action planned as writer (read-write above all) must not run after the role is gone
        // (cluster simulator seed 711: a read-write issued after the lease lapsed overlapped
        // the next master). The next round plans as what this node is then.
        if (w.writer && !this.stillWriter(w.term)) return;
        const call = this.act(rec, a, w);
        this.inFlight.set(device, call);
        try {
          await call;
        } catch (e) {
          if (w.writer) this.mdOps.failed(rec, a, e, w.term);
          throw e;
        } finally {
          if (this.inFlight.get(device) === call) this.inFlight.delete(device);
        }
      }
      if (actions.every((a) => a.kind === 'observe')) {
        if (w.writer) this.mdOps.converged(rec, base, w.term);
        if (actions.length === 0) this.hooks.boot?.converged(rec, w);
        return;
      }
    }
    this.logger.warn({ device, rounds: RECONCILE_MAX_ROUNDS }, 'array did not converge in one pass');
  }

  /**
   * Resolves once the md action this loop has in flight on `device` (if any) returned, however
   * it ended. A demotion waits for it (node/writer.ts): a read-write still in flight would
   * otherwise land after the demotion's read-only and leave the array writable (cluster
   * simulator seed 711, slow-md world).
   */
  settled(device: string): Promise<void> {
    const call = this.inFlight.get(device);
    return call === undefined ? Promise.resolve() : call.then(() => undefined, () => undefined);
  }

  /** The writer role is still held, in the term the round was planned in. */
  private stillWriter(term: Term): boolean {
    const now = this.hooks.writer();
    return now.writer && now.term === term;
  }

  /**
   * Adds a member as mdadm --add does: a re-add the kernel refuses (EINVAL: no bitmap, or the
   * device was a spare / is too stale) falls back to a plain add with full recovery. An add that
   * still fails for good is withdrawn from the record (proposed hot-remove), so one bad device
   * cannot block every later action and observation of the array.
   */
  private async add(rec: ArrayRecord, kind: 'hot-add' | 're-add', member: string, writer: boolean): Promise<void> {
    try {
      if (kind === 're-add') {
        try {
          await this.driver.reAdd(rec.device, member);
          return;
        } catch (e) {
          if (!(e instanceof OpError) || !(e.details.errno === 'EINVAL' || e.code === 'E_INVALID_STATE')) throw e;
          this.logger.warn({ device: rec.device, member, code: e.code }, 're-add refused (no bitmap, a former spare, or too stale); adding with full recovery instead');
        }
      }
      await this.driver.hotAdd(rec.device, member);
    } catch (e) {
      const permanent = e instanceof OpError && (e.code === 'E_NO_SUCH_DEVICE' || e.code === 'E_INVALID_ARGUMENT' || e.code === 'E_INVALID_STATE' ||
        (e.code === 'E_KERNEL' && ['EINVAL', 'ENXIO', 'ENODEV', 'ENOSPC', 'EEXIST'].includes(String(e.details.errno))) || e.code === 'E_MDADM_FAILED');
      const m = rec.members.find((x) => localPathOf(x, this.node) === member);
      // A client's add is answered by the master's md-done verdict, whose undo withdraws it
      // (node/md-op-reporter.ts); only an add no client waits for is withdrawn here.
      const tracked = m !== undefined && (rec.pendingMd ?? []).some((p) => 'member' in p.target && p.target.member === m.path);
      if (permanent && writer && m && !tracked) {
        this.logger.error({ device: rec.device, member, err: (e as Error).message }, 'adding the member failed for good; withdrawing it');
        this.hooks.propose({ op: 'hot-remove', device: rec.device, member: m.path } as Command);
      }
      throw e;
    }
  }

  private mayReassemble(device: string): boolean {
    const now = this.clock.monoMs();
    const last = this.lastReassembleMs.get(device) ?? -Infinity;
    if (now - last < REASSEMBLE_MIN_INTERVAL_MS) {
      // Retry once the bound allows it. Not `again`: an immediate re-pass would spin (no await
      // in it takes time) until the interval is over.
      if (this.retryTimer === null && this.timers !== null) {
        this.retryTimer = this.timers.setTimeout(() => { this.retryTimer = null; this.request(); }, REASSEMBLE_MIN_INTERVAL_MS - (now - last));
      }
      return false;
    }
    this.lastReassembleMs.set(device, now);
    return true;
  }

  private async act(rec: ArrayRecord, a: MdAction, w: { writer: boolean; term: Term }): Promise<void> {
    const d = rec.device;
    this.logger.info({ device: d, action: a.kind, writer: w.writer }, 'md action');
    switch (a.kind) {
      case 'create':
        this.writerLog.open(d, w.term, 'create');
        try { await this.driver.create(a.spec); } catch (e) { this.writerLog.close(d, 'create failed'); throw e; }
        this.fresh.add(d);
        return;
      case 'assemble':
        await this.driver.assemble(a.spec);
        if (w.writer) this.fresh.add(d);
        return;
      case 'stop':
        await this.driver.stop(d);
        this.writerLog.close(d, 'stop');
        return;
      case 'read-only':
        // Writable here without an open interval: left so by an earlier run of this daemon (or by
        // hand). Log it, so merged writer logs show it; the true start is unknown (at most now).
        if (!this.writerLog.isOpen(d)) this.writerLog.open(d, w.term, 'found writable');
        await this.driver.setReadOnly(d);
        this.writerLog.close(d, 'read-only');
        return;
      case 'read-write':
        this.writerLog.open(d, w.term, 'promote');
        try { await this.driver.setReadWrite(d); } catch (e) { this.writerLog.close(d, 'read-write failed'); throw e; }
        return;
      case 'set-faulty': return this.driver.setFaulty(d, a.member);
      case 'hot-remove': return this.driver.hotRemove(d, a.member);
      case 'hot-add': case 're-add': return this.add(rec, a.kind, a.member, w.writer);
      case 'write-mostly': return this.driver.setWriteMostly(d, a.member, a.on);
      case 'replace': return this.driver.replace(d, a.member, a.with);
      case 'sync-action': return this.driver.setSyncAction(d, a.action);
      case 'resync-start': return this.driver.setResyncStart(d, a.sectors);
      case 'recovery-start': return this.driver.setRecoveryStart(d, a.member, a.sectors);
      case 'grow-bitmap': return this.driver.setBitmap(d, a.bitmap);
      case 'grow-size': return this.driver.setComponentSize(d, a.sizeKiB, a.assumeClean);
      case 'grow-raid-devices': return this.driver.setRaidDisks(d, a.raidDevices, a.backupFile === null ? {} : { backupFile: a.backupFile });
      case 'grow-chunk': return this.driver.setChunkSize(d, a.chunkKiB, a.backupFile === null ? {} : { backupFile: a.backupFile });
      case 'observe':
        this.hooks.propose(a.command);
        return;
    }
  }
}
