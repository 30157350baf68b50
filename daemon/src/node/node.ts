// The node shell: composes the parts around the pure Raft core and the pure cluster state, and
// is the one surface its consumers use (control/, status/, daemon.ts read it through view()).
// Owns: the wiring between the parts (each sees the others only through its narrow hooks
// interface, built here), the two timers (the wake-up timer, node/ticker.ts, armed for the
// earliest thing due; slow reconcile) and start/stop order.
// The parts, each in its own file:
//   ready-loop.ts  persist -> send -> apply -> advance; the only talker to storage and transport
//   requests.ts    the one proposal path (sessions, re-submission, waiting for apply / md)
//   reads.ts       linearizable reads (ReadIndex) and waits for the applied index
//   gossip.ts      applied indexes and writable arrays exchanged with the peers
//   writer.ts      the writer role (lease, master claim, fencing, demotion, checkpoints)
//   membership.ts  add-node / remove-node on the master
//   handover.ts    planned step-down (the control request and SIGTERM)
//   reconcile.ts   the reconcile loop: kernel view -> md actions and conditional observations
//   local-faults.ts  md events of this node's kernel
// Invariants:
// - Arrows point one way: node.ts -> parts -> pure core; no part imports node.ts or reads
//   another part's fields (.dependency-cruiser.cjs forbids the cycles).
// - Each wake-up (onTick), in order: catch up Raft time, writer check, expire peers, gossip
//   when it changed or is due (node/gossip.ts), write a commit index no write carried, drive
//   the Ready loop. Nothing a request waits for happens on a wake-up (test/unit/node-commit-path.test.ts).
//   The next wake-up is the earliest of: Raft's next deadline (RawNode.ticksUntilDue), the
//   writer's (WriterRole.due), the next tick with spare groups or an unwritten commit index, a
//   lingering peer's expiry, the gossip refresh; re-armed after every Raft input. Raft time is
//   caught up before every call into Raft (node/raft-time.ts). Tick lag: how late a wake-up
//   ran after the instant it was armed for.
import { assert } from '../common/assert.js';
import { OpError } from '../common/errors.js';
import { NODE_MAX_SLEEP_MS, RECONCILE_INTERVAL_MS } from '../common/limits.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import type { RawNode } from '../raft/rawnode.js';
import { exitOnFatal, systemCommands, type NodeDeps } from './deps.js';
import { ClusterEvents } from './events.js';
import { Gossip } from './gossip.js';
import { handOver, type HandoverHooks, type HandoverOptions, type HandoverResult } from './handover.js';
import { LocalFaults } from './local-faults.js';
import { Membership } from './membership.js';
import { ReadyLoop } from './ready-loop.js';
import { Reads } from './reads.js';
import { Reconciler } from './reconcile.js';
import { RequestPath, type SubmitOptions } from './requests.js';
import type { NodeView } from './view.js';
import type { ProposalOutcome } from './waiters.js';
import { WriterLog } from './writer-log.js';
import { WriterRole } from './writer.js';
import { BootDegraded } from './boot-degraded.js';
import { SpareMover } from './spare-mover.js';
import { Ticker } from './ticker.js';
import type { NodeSettings } from './settings.js';
import type { NodeId } from '../common/types.js';

export type { NodeDeps } from './deps.js';

export type { NodeSettings } from './settings.js';

export class ClusterNode {
  readonly events: ClusterEvents;
  readonly writerLog: WriterLog;
  readonly writer: WriterRole;
  readonly reconciler: Reconciler;
  /** The one proposal path (node/requests.ts). */
  readonly requests: RequestPath;
  /** add-node / remove-node, run on the master (node/membership.ts). */
  readonly membership: Membership;
  private readonly loop: ReadyLoop;
  private readonly gossip: Gossip;
  private readonly reads: Reads;
  private readonly localFaults: LocalFaults;
  private readonly spareMover: SpareMover;
  /** The last log index when start() ran: arrays the record started by then are "at boot" (node/boot-degraded.ts). */
  private bootIndex: number | null = null;
  private readonly handoverHooks: HandoverHooks;
  private readonly ticker: Ticker;
  private slowTimer: { cancel(): void } | null = null;
  private watch: { close(): Promise<void> } | null = null;

  constructor(readonly settings: NodeSettings, readonly deps: NodeDeps) {
    const s = settings;
    const electionMs = s.tickMs * s.raft.electionTimeoutTicks;
    this.events = new ClusterEvents(s.id, deps.clock);
    this.loop = new ReadyLoop(s, { ...deps, fatal: deps.fatal ?? exitOnFatal(deps.logger) }, this.events, {
      readAnswered: (ctx, index) => this.reads.answered(ctx, index),
      roleChanged: (ss) => {
        this.writer.onSoftState(ss);
        if (ss.lead !== null) this.requests.leaderChanged();
      },
      sessionsApplied: (sessions) => this.requests.afterApply(sessions),
      appliedUpTo: (index) => { this.reads.appliedUpTo(index); this.gossip.announce(index); },
      stateChanged: () => this.reconciler.request(),
      gossipReceived: (from, body) => this.gossip.received(from, body),
      raftChanged: () => this.ticker.arm(),
      peerState: (peer, up) => {
        this.gossip.linkChanged(peer, up);
        if (up) this.gossip.announce(this.state.appliedIndex); // what the peer missed while the link was down
        this.events.onPeerState(peer, up, this.raft.status().conf.voters, (id) => this.gossip.isUp(id));
      },
    });
    const raft = this.loop.raft;
    this.gossip = new Gossip({
      term: () => raft.status().term,
      writableDevices: () => this.writerLog.openDevices(),
      writableGeneration: () => this.writerLog.generation,
      send: (body) => this.loop.sendGossip(body),
      peerIds: () => this.loop.peers.ids(),
      voters: () => raft.status().conf.voters,
    }, deps.clock, deps.timers, s.tickMs);
    const incarnation = `${Math.floor(deps.clock.wallMs()).toString(36)}.${deps.prng.nextU32().toString(36)}`;
    this.requests = new RequestPath(s.id, incarnation, {
      state: () => this.state,
      propose: (data) => { this.loop.time.sync(); const r = raft.propose(data); this.loop.kick(); return r; },
      waitAllApplied: (index, deadline) => this.gossip.waitAllApplied(index, deadline),
      resubmitMs: () => electionMs,
      retryNoLeaderMs: () => s.tickMs * 2,
      stopped: () => this.loop.stopped,
    }, deps.clock, deps.timers, deps.logger);
    this.reads = new Reads(`${s.id}:${incarnation}:`, {
      state: () => this.state,
      readIndex: (ctx) => { this.loop.time.sync(); const r = raft.readIndex(ctx); this.loop.kick(); return r; },
      resendMs: () => electionMs,
      retryNoLeaderMs: () => s.tickMs * 2,
    }, deps.clock, deps.timers);
    this.writerLog = new WriterLog(deps.clock, s.writerLogFile, deps.files);
    this.writer = new WriterRole({
      syncTicks: () => this.loop.time.sync(),
      raftStatus: () => raft.status(),
      leaseValid: () => raft.leaseValid(),
      state: () => this.state,
      saidNoneWritable: (node, term) => this.gossip.saidNoneWritable(node, term),
      saidStillWritable: (node, term) => this.gossip.saidStillWritable(node, term),
      propose: (cmd) => this.proposeInternal(cmd),
      requestReconcile: () => this.reconciler.request(),
      mdSettled: (device) => this.reconciler.settled(device),
      configuredPeers: () => s.peers,
    }, this.writerLog, s.writer, { ...deps, commands: deps.commands ?? systemCommands });
    this.reconciler = new Reconciler(s.id, deps.driver, {
      state: () => this.state,
      writer: () => ({ writer: this.writer.isWriter(), term: raft.status().term }),
      propose: (cmd) => this.proposeInternal(cmd),
      boot: new BootDegraded({
        bootIndex: () => this.bootIndex,
        peerWritable: () => this.state.nodes.some((n) => n.id !== s.id && this.gossip.saidStillWritable(n.id, 0)),
        propose: (cmd) => this.proposeInternal(cmd),
      }),
    }, this.writerLog, deps.clock, deps.logger, deps.timers);
    this.spareMover = new SpareMover({
      state: () => this.state,
      writer: () => ({ writer: this.writer.isWriter(), term: raft.status().term, nowTick: raft.status().nowTick }),
      propose: (cmd) => this.proposeInternal(cmd),
    }, s.spareGroups ?? []);
    const peerApplied = (id: NodeId): number | undefined => this.gossip.appliedOf(id);
    this.handoverHooks = {
      raftStatus: () => raft.status(),
      state: () => this.state,
      peerUp: (id) => this.gossip.isUp(id),
      peerApplied,
      suspendWriter: () => this.writer.suspendForStepDown(),
      resumeWriter: () => this.writer.resume(),
      transferLeadership: (to) => { this.loop.time.sync(); const r = raft.transferLeadership(to); this.loop.kick(); return r; },
    };
    this.membership = new Membership({
      ...this.handoverHooks,
      proposeConfChange: (cc) => {
        this.loop.time.sync();
        const r = raft.proposeConfChange(cc);
        if (!r.ok) return r;
        const index = raft.status().lastIndex;
        this.loop.kick();
        return { ok: true, index };
      },
      propose: (cmd, opts) => this.propose(cmd, opts),
      waitApplied: (index, timeoutMs) => this.waitApplied(index, timeoutMs),
      peerAddress: (id) => this.loop.peers.address(id),
    }, { ...deps, tickMs: s.tickMs });
    this.ticker = new Ticker(deps.clock, deps.timers, NODE_MAX_SLEEP_MS, () => this.onTick(), () => this.dueMs(), (lateMs) => deps.onTickLagMs?.(lateMs));
    this.localFaults = new LocalFaults(s.id, {
      state: () => this.state,
      propose: (cmd, opts) => this.propose(cmd, opts),
      requestReconcile: () => this.reconciler.request(),
    }, deps.logger);
  }

  /** The Raft core, for tests and simulators that check its invariants; consumers use view(). */
  get raft(): RawNode {
    return this.loop.raft;
  }

  /** The applied replicated state (changed only by the Ready loop). */
  get state(): ClusterState {
    return this.loop.state;
  }

  async start(): Promise<void> {
    this.loop.attach();
    this.watch = this.deps.driver.watch((ev) => this.localFaults.onMdEvent(ev));
    this.bootIndex = this.raft.status().lastIndex;
    await this.loop.start();
    this.ticker.start();
    this.slowTimer = this.deps.timers.setInterval(() => this.reconciler.request(), RECONCILE_INTERVAL_MS);
    this.reconciler.request();
  }

  async stop(): Promise<void> {
    this.loop.halt();
    this.ticker.stop();
    this.slowTimer?.cancel();
    const err = new OpError('E_SHUTTING_DOWN');
    this.requests.failAll(err);
    this.reads.failAll(err);
    await this.watch?.close();
    await this.loop.stop();
  }

  private onTick(): void {
    if (this.loop.stopped) { this.ticker.stop(); return; }
    this.loop.time.sync();
    this.writer.onTick();
    this.spareMover.onTick();
    for (const id of this.loop.expirePeers()) {
      this.gossip.forget(id);
      this.events.forgetPeer(id);
    }
    this.gossip.maybeAnnounce(this.state.appliedIndex);
    this.loop.flushCommit();
    this.loop.kick();
  }

  /** The earliest monotonic ms at which onTick has something to do (see the invariants above). */
  private dueMs(): number {
    const now = this.deps.clock.monoMs();
    const w = this.writer.due();
    const ticks = this.spareMover.active || this.loop.commitUnwritten() ? 1 : Math.min(this.raft.ticksUntilDue(), w.ticks);
    let at = ticks === Infinity ? Infinity : this.loop.time.tickDueMs(ticks) ?? now;
    for (const t of [w.sampleAtMs, this.gossip.refreshDueMs() ?? now, this.loop.peers.nextExpiryMs()]) if (t !== null && t < at) at = t;
    return at;
  }

  /** The read model: one consistent snapshot of what the node knows (node/view.ts). */
  view(): NodeView {
    const writer = this.writer.isWriter(); // catches Raft time up first
    const st = this.raft.status();
    return {
      id: st.id, role: st.role, term: st.term, lead: st.lead, commit: st.commit, lastIndex: st.lastIndex,
      conf: { voters: [...st.conf.voters], learners: [...st.conf.learners] },
      lease: { valid: this.raft.leaseValid(), endTick: st.leaseEndTick, nowTick: st.nowTick },
      writer,
      state: this.state,
      peers: this.gossip.views(),
      counters: {
        droppedFrames: this.loop.droppedFrames + this.gossip.dropped + st.droppedMessages,
        reconcilePasses: this.reconciler.passes, reconcileFailures: this.reconciler.failures, fenceActions: this.writer.fenceActions,
      },
      writerLog: this.writerLog.recent(),
      stopping: this.loop.stopped,
    };
  }

  /**
   * Proposes a command through the one request path (node/requests.ts) and resolves with its
   * outcome as the log recorded it; with a session, exactly once however often it is asked.
   */
  propose(cmd: Command, opts: SubmitOptions): Promise<ProposalOutcome> {
    return this.requests.submit(cmd, opts);
  }

  /** Fire-and-forget proposal from the node itself (observations, local failures, master claims): the same path. */
  private proposeInternal(cmd: Command): void {
    this.requests.submitInternal(cmd, this.settings.tickMs * this.settings.raft.electionTimeoutTicks * 2);
  }

  /** A linearizable read of the state (ReadIndex), or a local one. */
  readState(opts: { local: boolean; timeoutMs: number }): Promise<ClusterState> {
    return this.reads.readState(opts);
  }

  /** Resolves once this node applied `index` (E_TIMEOUT after timeoutMs). */
  waitApplied(index: number, timeoutMs: number): Promise<void> {
    return this.reads.waitApplied(index, timeoutMs);
  }

  /** Planned hand-over of the master role (node/handover.ts): the step-down request and SIGTERM. */
  stepDown(opts: HandoverOptions): Promise<HandoverResult> {
    return handOver(this.handoverHooks, { ...this.deps, tickMs: this.settings.tickMs }, opts);
  }

  /** Switches every array this node made writable to read-only, now (shutdown). */
  demote(reason: string): Promise<void> {
    return this.writer.demote(reason);
  }

  /** The fence command and timeout the writer role uses from its next fence on (SIGHUP reload). */
  setFenceCommand(command: string[], timeoutMs: number): void {
    assert(!this.settings.writer.fenceRequired || command.length > 0, 'fence-required needs a fence command');
    this.settings.writer.fenceCommand = [...command];
    this.settings.writer.fenceTimeoutMs = timeoutMs;
  }
}
