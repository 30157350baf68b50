// The writer role: only the Raft leader, holding a valid lease, whose master entry of its own
// term is applied, may run arrays read-write. Owns: claiming the master role (with the fence
// hook) and fast demotion before the lease ends (with escalation); while writer it drives the
// master's periodic entries (node/master-progress.ts).
// Invariants:
// - isWriter() is false whenever the lease has fewer than demoteMarginTicks ticks left, so
//   demotion starts before the lease ends (the margin covers the STOP_ARRAY_RO call).
// - The fencing token is the Raft term; a master entry is proposed once per term (retried).
// - Demotion failure is escalated as configured (stop-array | reboot | none), always loudly, and
//   recorded as a demote-failed entry (node/writer-reports.ts); with "reboot" the entry is
//   proposed first but commits only if it left this node before the reboot.
// - Each fence command run is recorded as a fence-ran entry with its exit status (writer-reports.ts).
// - The writer reaches the rest of the node only through WriterHooks, the md driver, the
//   writer log and the injected fence command runner (deps.ts).
import type { NodeId, Term } from '../common/types.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import type { MdDriver } from '../md/driver.js';
import type { RaftStatus, SoftState } from '../raft/types.js';
import type { Clock, CommandRunner, Logger } from './deps.js';
import { MasterProgress } from './master-progress.js';
import type { WriterLog } from './writer-log.js';
import type { MasterConfig } from '../config/config.js';
import { WriterReports } from './writer-reports.js';
import { FenceRunner } from './fence-runner.js';

/** The [master] settings as configured (config/config.ts: one definition), plus what the node derives. */
export type WriterSettings = MasterConfig & {
  demoteMarginTicks: number;
  /** Production: sync + sysrq reboot; tests: exit the process. */
  reboot: () => void;
};

/** What the writer role needs from the rest of the node: narrow, one way. */
export interface WriterHooks {
  /** Replays missed Raft ticks (node/raft-time.ts) before a lease decision. */
  syncTicks(): void;
  raftStatus(): RaftStatus;
  leaseValid(): boolean;
  state(): ClusterState;
  /** `node` gossiped in `term` or later that it holds no writable array (node/gossip.ts). */
  saidNoneWritable(node: string, term: number): boolean;
  /** `node` said, in `term` or later, that it holds a writable array. */
  saidStillWritable(node: string, term: number): boolean;
  /** Fire-and-forget proposal through the request path. */
  propose(cmd: Command): void;
  requestReconcile(): void;
  /** Resolves once the reconcile loop's md action in flight on `device`, if any, returned. */
  mdSettled(device: string): Promise<void>;
  /** Every configured member with its address (node settings). */
  configuredPeers(): readonly { id: NodeId; address: string }[];
}

export interface WriterDeps {
  clock: Clock;
  logger: Logger;
  driver: MdDriver;
  commands: CommandRunner;
}

/** Ticks a new master waits for the old one's "no writable arrays" before fencing it. */
const FENCE_AFTER_TICKS = 10;
/** Ticks before an unapplied master claim or master-cleared entry is proposed again. */
const CLAIM_RETRY_TICKS = 20;

export class WriterRole {
  private writerNow = false;
  private claimedTerm = -1;
  private claimTick = 0;
  /** When this node's claim in claimedTerm was made (the unconfirmed grace counts from it). */
  private claimMonoMs = 0;
  private readonly fences: FenceRunner;
  /** "node:term" -> tick a master-cleared entry was last proposed (re-proposed after CLAIM_RETRY_TICKS). Reset per claim. */
  private readonly clearProposedTick = new Map<string, number>();
  /** The master's own periodic entries: node records and sync checkpoints (node/master-progress.ts). */
  private readonly progress: MasterProgress;
  /** The demotion under way, if any (callers wait for it rather than start another). */
  private demoting: Promise<void> | null = null;
  /** Set by a planned step-down: the writer role is given up before leadership is transferred. */
  private suspendedTerm = -1;
  /** demote-failed and fence-ran entries (node/writer-reports.ts). */
  private readonly reports: WriterReports;
  fenceActions = 0;

  constructor(private readonly hooks: WriterHooks, private readonly writerLog: WriterLog, private readonly s: WriterSettings, private readonly deps: WriterDeps) {
    this.reports = new WriterReports((cmd) => hooks.propose(cmd));
    this.fences = new FenceRunner(s, deps.commands, deps.logger, this.reports, () => hooks.raftStatus().id, () => this.claimedTerm);
    this.progress = new MasterProgress(hooks, { driver: deps.driver, clock: deps.clock, checkpointIntervalMs: s.checkpointIntervalMs });
  }

  /** Lease-guarded writer check; cheap, called on every tick and by every plan. */
  isWriter(): boolean {
    this.hooks.syncTicks();
    const st = this.hooks.raftStatus();
    if (st.role !== 'leader' || !this.hooks.leaseValid() || st.leaseEndTick === null) return false;
    if (st.leaseEndTick - st.nowTick < this.s.demoteMarginTicks) return false;
    if (this.suspendedTerm === st.term) return false;
    const m = this.hooks.state().master;
    if (m === null || m.node !== st.id || m.term !== st.term) return false;
    return this.previousMastersClear(st.term);
  }

  /**
   * Every earlier master on the replicated record's uncleared list (cluster/types.ts MasterRecord:
   * the one this claim replaced and any its predecessors never cleared) holds no writable array.
   * A frozen old master cannot demote itself; this gate (with fencing) is what keeps it from
   * overlapping with this node, also when a master in between never became writer.
   */
  private previousMastersClear(term: number): boolean {
    const self = this.hooks.raftStatus().id;
    return this.uncleared().every((old) => old === self || this.oneClear(old, term));
  }

  /** The replicated list of earlier masters this node's claim must clear. */
  private uncleared(): readonly string[] {
    return this.hooks.state().master?.uncleared ?? [];
  }

  /** `old` said, in this term, that it holds nothing writable, or was fenced in this term. */
  private proven(old: string, term: number): boolean {
    return this.hooks.saidNoneWritable(old, term) || this.fences.fencedIn(old, term);
  }

  /**
   * One earlier master is clear: proven (above), or fencing is not required and the configured
   * grace for an unconfirmed master has passed. The grace is for an old master that does not
   * answer; one that says, in this term, that it still holds a writable array is never clear by
   * waiting (cluster simulator, slow-md world). Grace clears for this term only: it is never
   * recorded, so the next master waits again.
   */
  private oneClear(old: string, term: number): boolean {
    if (this.proven(old, term)) return true;
    if (this.hooks.saidStillWritable(old, term)) return false;
    if (this.s.fenceRequired) return false;
    return this.deps.clock.monoMs() - this.claimMonoMs >= this.s.unconfirmedGraceMs;
  }

  onSoftState(ss: SoftState): void {
    if (ss.role !== 'leader') this.check();
    else this.maybeClaim();
  }

  onTick(): void {
    this.check();
    if (this.hooks.raftStatus().role === 'leader') {
      this.maybeClaim();
      this.recordClears();
    }
    if (this.writerNow) this.progress.maybeSample(() => this.writerLog.openDevices(), this.deps.logger);
  }

  /** When onTick next has work (node/ticker.ts): ticks (Infinity: none before an input) and checkpoint sampling ms.
   * A writer: the first tick inside the demotion margin; claiming, clearing, fencing, demoting: every tick. */
  due(): { ticks: number; sampleAtMs: number | null } {
    const st = this.hooks.raftStatus();
    const sampleAtMs = this.writerNow ? this.progress.nextSampleMs() : null;
    if (st.role !== 'leader') return { ticks: this.writerNow ? 1 : Infinity, sampleAtMs };
    if (!this.writerNow || st.leaseEndTick === null || this.uncleared().some((old) => old !== st.id)) return { ticks: 1, sampleAtMs };
    return { ticks: Math.max(1, st.leaseEndTick - this.s.demoteMarginTicks + 1 - st.nowTick), sampleAtMs };
  }

  /**
   * Fences each earlier master on the uncleared list that has not confirmed, within
   * FENCE_AFTER_TICKS of this node's claim, that it holds no writable array - whatever its link
   * looks like (a frozen process keeps its TCP connections up).
   */
  private maybeFence(): void {
    const st = this.hooks.raftStatus();
    if (!this.ownRecord(st) || this.s.fenceCommand.length === 0) return;
    if (st.nowTick - this.claimTick < FENCE_AFTER_TICKS) return;
    for (const old of this.uncleared()) {
      if (old === st.id || this.fences.running(old, st.term) || this.proven(old, st.term)) continue;
      void this.fences.run(old, st.term);
    }
  }

  /**
   * Records, once per earlier master and term (re-proposed after CLAIM_RETRY_TICKS until
   * applied), that this master proved it holds nothing writable, so the next master need not
   * wait for it again. Only proof is recorded, never the grace.
   */
  private recordClears(): void {
    const st = this.hooks.raftStatus();
    if (!this.ownRecord(st)) return;
    for (const old of this.uncleared()) {
      if (old === st.id || !this.proven(old, st.term)) continue;
      const key = `${old}:${st.term}`;
      const last = this.clearProposedTick.get(key);
      if (last !== undefined && st.nowTick - last < CLAIM_RETRY_TICKS) continue;
      this.clearProposedTick.set(key, st.nowTick);
      this.hooks.propose({ op: 'master-cleared', node: old as NodeId, term: st.term as Term });
    }
  }

  /** This node leads in the term its applied master record names. */
  private ownRecord(st: RaftStatus): boolean {
    const m = this.hooks.state().master;
    return st.role === 'leader' && this.claimedTerm === st.term && m !== null && m.node === st.id && m.term === st.term;
  }

  private check(): void {
    this.maybeFence();
    const w = this.isWriter();
    if (w === this.writerNow) {
      if (!w && this.writerLog.openDevices().length > 0 && this.demoting === null) void this.demote('not writer');
      return;
    }
    this.writerNow = w;
    this.deps.logger.info({ writer: w, term: this.hooks.raftStatus().term }, w ? 'writer role gained' : 'writer role lost');
    if (!w) void this.demote('lease or leadership lost');
    this.hooks.requestReconcile();
  }

  /** Planned handoff: give up the writer role for this term and demote, before the transfer. */
  async suspendForStepDown(): Promise<void> {
    this.suspendedTerm = this.hooks.raftStatus().term;
    this.check();
    await this.demote('step-down');
  }

  /** The step-down did not happen: this node may write again in this term. */
  resume(): void {
    this.suspendedTerm = -1;
    this.check();
  }

  /** Switches every array this node made writable to read-only, now, outside the reconcile queue. */
  async demote(reason: string): Promise<void> {
    // A demotion already running: wait for it (a step-down must not hand over before the arrays
    // are read-only; found by the cluster simulator's slow-md world).
    if (this.demoting !== null) return this.demoting;
    this.demoting = this.demoteNow(reason);
    try {
      await this.demoting;
    } finally {
      this.demoting = null;
    }
  }

  private async demoteNow(reason: string): Promise<void> {
    for (const device of this.writerLog.openDevices()) {
      try {
        await this.hooks.mdSettled(device); // a read-write in flight must not land after the read-only
        await this.deps.driver.setReadOnly(device);
        this.writerLog.close(device, reason);
      } catch (e) {
        await this.escalate(device, e as Error);
      }
    }
  }

  private async escalate(device: string, err: Error): Promise<void> {
    this.fenceActions++;
    const action = this.s.fenceAction;
    this.deps.logger.error({ device, err: err.message, fenceAction: action }, 'DEMOTION FAILED: the array could not be switched read-only');
    const st = this.hooks.raftStatus();
    this.reports.demoteFailed(st.id, st.term, device, action, err);
    if (action === 'stop-array') {
      try {
        await this.deps.driver.stop(device);
        this.writerLog.close(device, 'fence stop-array');
      } catch (e) {
        this.deps.logger.error({ device, err: (e as Error).message }, 'fence stop-array failed too; rebooting');
        this.s.reboot();
      }
    } else if (action === 'reboot') {
      this.s.reboot();
    }
  }

  private maybeClaim(): void {
    const st = this.hooks.raftStatus();
    const m = this.hooks.state().master;
    if (this.claimedTerm !== st.term) {
      // A new term's claim: the grace and the fence wait count from here.
      this.claimedTerm = st.term;
      this.claimTick = st.nowTick;
      this.claimMonoMs = this.deps.clock.monoMs();
      this.fences.newClaim();
      this.clearProposedTick.clear();
      this.reports.newClaim();
    } else if (st.nowTick - this.claimTick < CLAIM_RETRY_TICKS) {
      return;
    }
    if (m && m.node === st.id && m.term === st.term) return;
    this.claimTick = st.nowTick;
    this.hooks.propose({ op: 'master', node: st.id, term: st.term });
  }
}
