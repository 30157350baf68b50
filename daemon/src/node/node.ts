// The node shell: the only async code around the pure Raft core and the pure cluster state.
// Owns: ticking Raft, persisting Ready batches, sending messages, applying committed entries
// to the ClusterState, answering proposals/reads, and driving the reconcile loop and the
// writer role. Invariants:
// - Ready batches are handled one at a time, in order: persist (fsync when mustSync), then
//   send, then apply, then advance (etcd's rules; see raft/types.ts).
// - The ClusterState is changed only by applying committed entries (cluster/apply.ts).
// - Input from peers is decoded and validated before it reaches Raft; bad frames are counted.
import { OpError, type ErrorCode } from '../common/errors.js';
import type { LogIndex, NodeId, Term } from '../common/types.js';
import { applyEntry, type ApplyResult } from '../cluster/apply.js';
import { decodeCommand, type Command } from '../cluster/commands.js';
import type { SessionRef } from '../cluster/sessions.js';
import { emptyClusterState, type ClusterState } from '../cluster/types.js';
import type { MdDriver } from '../md/driver.js';
import { decodeMessage, encodeMessage } from '../raft/codec.js';
import { RawNode } from '../raft/rawnode.js';
import type { Entry, Prng, RaftConfig, Ready } from '../raft/types.js';
import type { Clock, Logger, PeerTransport, RaftStorage, Timers } from './deps.js';
import { Reconciler } from './reconcile.js';
import { AppliedWaiters, WaiterMap, proposalBound, type ProposalOutcome } from './waiters.js';
import { RequestPath, type SubmitOptions } from './requests.js';
import { WriterLog } from './writer-log.js';
import { WriterRole, type WriterSettings } from './writer.js';
import { ClusterEvents } from './events.js';
import { MEMBERSHIP_PEER_LINGER_ELECTIONS, NODE_MAX_PENDING_LOCAL_EVENTS, RAFT_MAX_CATCHUP_TICKS, RECONCILE_INTERVAL_MS } from '../common/limits.js';
import type { MdEvent } from '../md/types.js';
import { decodeConfChange } from '../raft/codec-conf.js';
import { Membership } from './membership.js';
import { PeerDirectory } from './peers.js';

const FRAME_RAFT = 1;
const FRAME_GOSSIP = 2;
/** Ticks between two unsolicited gossip frames (applied index, term, writable arrays). */
const GOSSIP_INTERVAL_TICKS = 5;

export interface NodeSettings {
  id: NodeId;
  /** Every configured member, including this node, with peer addresses ("host:port"). */
  peers: { id: NodeId; address: string }[];
  /**
   * A node joining an existing cluster: it starts without a founding membership (no bootstrap
   * conf entries) and waits for the master to add it (add-node); it never campaigns before.
   * Ignored once the log holds a membership. Default false: `peers` are the founding voters.
   */
  join?: boolean;
  tickMs: number;
  raft: Omit<RaftConfig, 'id'>;
  writer: WriterSettings;
  writerLogFile: string | null;
  /** Applied entries between snapshots (SNAPSHOT_EVERY_ENTRIES in production). */
  snapshotEveryEntries: number;
}

export interface NodeDeps {
  clock: Clock;
  timers: Timers;
  logger: Logger;
  transport: PeerTransport;
  storage: RaftStorage;
  driver: MdDriver;
  prng: Prng;
}

export class ClusterNode {
  readonly raft: RawNode;
  state: ClusterState = emptyClusterState();
  readonly writerLog: WriterLog;
  readonly writer: WriterRole;
  readonly reconciler: Reconciler;
  readonly events: ClusterEvents;
  /** The one proposal path (node/requests.ts). */
  readonly requests: RequestPath;
  private readonly reads: WaiterMap<number>;
  private readonly appliedWaiters: AppliedWaiters;
  private busy = false;
  private again = false;
  private readSeq = 0;
  private readonly readPrefix: string;
  private ticker: { cancel(): void } | null = null;
  private slowTimer: { cancel(): void } | null = null;
  /** Peer id -> last applied index it gossiped. */
  readonly peerApplied = new Map<string, number>();
  readonly peerUp = new Map<string, boolean>();
  /** Who this node talks to, following applied membership changes (node/peers.ts). */
  readonly peers: PeerDirectory;
  /** add-node / remove-node, run on the master (node/membership.ts). */
  readonly membership: Membership;
  droppedFrames = 0;
  stopped = false;

  constructor(readonly settings: NodeSettings, readonly deps: NodeDeps) {
    const restored = deps.storage.restored();
    const voters = settings.peers.map((p) => p.id);
    const initialConf = settings.join === true ? undefined : { voters, learners: [] };
    this.raft = new RawNode({ ...settings.raft, id: settings.id }, { ...restored, initialConf }, deps.prng);
    if (restored.snapshot) {
      this.restoreSnapshot(restored.snapshot.data);
      this.lastSnapshotIndex = restored.snapshot.meta.index;
    }
    const lingerMs = settings.tickMs * settings.raft.electionTimeoutTicks * MEMBERSHIP_PEER_LINGER_ELECTIONS;
    this.peers = new PeerDirectory(settings.id, new Map(settings.peers.map((p) => [p.id, p.address])), deps.transport, deps.logger, lingerMs);
    this.membership = new Membership(this);
    const incarnation = `${Math.floor(deps.clock.wallMs()).toString(36)}.${deps.prng.nextU32().toString(36)}`;
    this.readPrefix = `${settings.id}:${incarnation}:`;
    this.requests = new RequestPath(settings.id, incarnation, {
      state: () => this.state,
      propose: (data) => { const r = this.raft.propose(data); this.kick(); return r; },
      waitAllApplied: (index, deadline) => this.waitAllApplied(index, deadline),
      resubmitMs: () => this.settings.tickMs * this.settings.raft.electionTimeoutTicks,
      retryNoLeaderMs: () => this.settings.tickMs * 2,
      stopped: () => this.stopped,
    }, deps.clock, deps.timers, deps.logger);
    this.reads = new WaiterMap(deps.timers, proposalBound, 'read');
    this.appliedWaiters = new AppliedWaiters(deps.timers);
    this.writerLog = new WriterLog(deps.clock, settings.writerLogFile);
    this.events = new ClusterEvents(settings.id, deps.clock);
    this.writer = new WriterRole(this, settings.writer, deps);
    this.reconciler = new Reconciler(settings.id, deps.driver, {
      state: () => this.state,
      writer: () => ({ writer: this.writer.isWriter(), term: this.raft.status().term }),
      propose: (cmd) => this.proposeInternal(cmd),
    }, this.writerLog, deps.clock, deps.logger, deps.timers);
  }

  async start(): Promise<void> {
    this.deps.transport.onMessage((from, payload) => this.onFrame(from, payload));
    this.deps.transport.onPeerState((peer, up) => {
      this.peerUp.set(peer, up);
      this.events.onPeerState(peer, up, this.raft.status().conf.voters, (id) => this.peerUp.get(id) === true);
      if (!up) this.raft.reportUnreachable(peer);
    });
    this.watch = this.deps.driver.watch((ev) => this.onMdEvent(ev));
    this.syncPeers();
    await this.deps.transport.start();
    this.tickBaseMs = this.deps.clock.monoMs();
    this.ticker = this.deps.timers.setInterval(() => this.onTick(), this.settings.tickMs);
    this.slowTimer = this.deps.timers.setInterval(() => this.reconciler.request(), RECONCILE_INTERVAL_MS);
    this.reconciler.request();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ticker?.cancel();
    this.slowTimer?.cancel();
    const err = new OpError('E_SHUTTING_DOWN');
    this.requests.failAll(err);
    this.reads.failAll(err);
    this.appliedWaiters.failAll(err);
    await this.watch?.close();
    await this.deps.transport.close();
    await this.deps.storage.close();
  }

  private watch: { close(): Promise<void> } | null = null;
  /** "device member" pairs proposed faulty by this node and not yet applied. */
  private readonly localFaults = new Set<string>();

  /**
   * A member that fails on this node is proposed faulty for the whole cluster, once. Without
   * force: like md itself (which refuses to fail the last in-sync member and marks the array
   * broken instead), the cluster must not record the last in-sync member as faulty - a forced
   * fail there leaves a record no node can assemble from (cluster simulator seeds 35 and 42).
   */
  private onMdEvent(ev: MdEvent): void {
    if (ev.type !== 'member-faulty') {
      this.reconciler.request();
      return;
    }
    const rec = this.state.arrays.find((a) => a.device === ev.device);
    const m = rec?.members.find((x) => x.path === ev.member || x.localPaths[this.settings.id] === ev.member);
    if (!rec || !m || m.role === 'faulty' || m.role === 'removed') return;
    const key = `${ev.device} ${m.path}`;
    if (this.localFaults.has(key) || this.localFaults.size >= NODE_MAX_PENDING_LOCAL_EVENTS) return;
    this.localFaults.add(key);
    this.deps.logger.warn({ device: ev.device, member: m.path }, 'member failed on this node; proposing it faulty cluster-wide');
    void this.propose({ op: 'set-faulty', device: ev.device, member: m.path, force: false } as Command, { timeoutMs: 10_000 })
      .catch((e) => this.deps.logger.warn({ err: (e as Error).message }, 'faulty proposal failed'))
      .finally(() => this.localFaults.delete(key));
  }

  // ---------------------------------------------------------------- raft driving
  private onTick(): void {
    if (this.stopped) return;
    this.syncTicks();
    this.writer.onTick();
    this.expirePeers();
    if (++this.tickCallbacks % GOSSIP_INTERVAL_TICKS === 0) this.gossipApplied();
    this.kick();
  }
  private tickCallbacks = 0;
  /** Peer id -> what it last said about its writable arrays (gossip), with its term. */
  readonly peerWritable = new Map<string, { term: number; writableCount: number; atMonoMs: number }>();

  /**
   * Raft time follows the monotonic clock, not the number of timer callbacks: after the event
   * loop stalled (GC, a slow synchronous call, SIGSTOP), the missed ticks are replayed at once,
   * so the lease (counted in ticks) expires in real time and the writer role is dropped before
   * anything else runs. Called on every timer tick and before every writer decision.
   */
  syncTicks(): void {
    const due = Math.floor((this.deps.clock.monoMs() - this.tickBaseMs) / this.settings.tickMs);
    const missed = Math.min(due - this.ticksDone, RAFT_MAX_CATCHUP_TICKS);
    for (let i = 0; i < missed; i++) this.raft.tick();
    if (due > this.ticksDone) this.ticksDone = due;
  }
  /** Monotonic ms at which tick 0 happened, and ticks handed to Raft since. */
  private tickBaseMs = 0;
  private ticksDone = 0;

  private onFrame(from: NodeId, payload: Uint8Array): void {
    if (this.stopped || payload.length < 1) return;
    if (payload[0] === FRAME_GOSSIP) {
      this.onGossip(from, payload.subarray(1));
      return;
    }
    if (payload[0] !== FRAME_RAFT) { this.droppedFrames++; return; }
    const msg = decodeMessage(payload.subarray(1));
    if (msg === null || msg.from !== from) { this.droppedFrames++; return; }
    this.raft.step(msg);
    this.kick();
  }

  private onGossip(from: NodeId, body: Uint8Array): void {
    try {
      const g = JSON.parse(new TextDecoder().decode(body)) as { applied?: unknown; term?: unknown; writable?: unknown };
      if (typeof g.applied === 'number' && Number.isSafeInteger(g.applied) && g.applied >= 0) {
        this.peerApplied.set(from, g.applied);
        if (typeof g.term === 'number' && Number.isSafeInteger(g.term) && Array.isArray(g.writable) && g.writable.length <= 4096) {
          this.peerWritable.set(from, { term: g.term, writableCount: g.writable.length, atMonoMs: this.deps.clock.monoMs() });
        }
        this.wakeGossipWaiters();
      } else this.droppedFrames++;
    } catch {
      this.droppedFrames++;
    }
  }

  /** Schedules Ready processing; coalesces while a batch is in flight. */
  kick(): void {
    if (this.busy) { this.again = true; return; }
    if (!this.raft.hasReady()) return;
    this.busy = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.stopped && this.raft.hasReady()) await this.handleReady(this.raft.ready());
      } while (this.again && !this.stopped);
    } catch (e) {
      // Storage failure: continuing could acknowledge what is not durable. Crash loudly.
      this.deps.logger.error({ err: (e as Error).message }, 'fatal: could not persist the Raft log');
      process.exit(70);
    } finally {
      this.busy = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      await this.deps.storage.save({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, mustSync: rd.mustSync });
    }
    // Restored only once durable: an applied index reported by this node is on its disk.
    if (rd.snapshot) {
      this.restoreSnapshot(rd.snapshot.data);
      this.lastSnapshotIndex = rd.snapshot.meta.index; // counts as a snapshot here: no immediate re-snapshot
      this.deps.logger.info({ index: rd.snapshot.meta.index, term: rd.snapshot.meta.term }, 'installed a snapshot from the leader');
    }
    for (const m of rd.messages) this.sendFrame(m.to, FRAME_RAFT, encodeMessage(m));
    let appliedAny = false;
    const sessions: SessionRef[] = [];
    for (const e of rd.committedEntries) appliedAny = this.applyOne(e, sessions) || appliedAny;
    for (const rs of rd.readStates) this.reads.settle(rs.requestCtx, rs.index);
    if (rd.softState) {
      this.deps.logger.info({ role: rd.softState.role, lead: rd.softState.lead, term: this.raft.status().term }, 'raft role changed');
      this.writer.onSoftState(rd.softState);
      if (rd.softState.lead !== null) this.requests.leaderChanged();
    }
    if (rd.snapshot || rd.entries.length > 0 || rd.committedEntries.length > 0) this.syncPeers();
    this.raft.advance(rd);
    if (rd.snapshot) this.requests.afterApply(undefined);
    if (rd.committedEntries.length > 0) {
      const applied = this.state.appliedIndex;
      this.requests.afterApply(sessions);
      this.appliedWaiters.applied(applied);
      this.gossipApplied(applied);
      await this.maybeSnapshot();
    } else if (rd.snapshot) {
      this.appliedWaiters.applied(this.state.appliedIndex);
      this.gossipApplied(this.state.appliedIndex); // a learner that caught up by snapshot says so at once
    }
    if (appliedAny || rd.softState || rd.snapshot) this.reconciler.request();
  }

  private sendFrame(to: NodeId, kind: number, body: Uint8Array): void {
    const frame = new Uint8Array(body.length + 1);
    frame[0] = kind;
    frame.set(body, 1);
    this.deps.transport.send(to, frame);
  }

  /**
   * Tells every peer this node's applied index, its term and the arrays it holds writable (its
   * open writer-log intervals): a new master promotes only once the old one said "none" in the
   * new term (or was fenced). Sent after applying and every GOSSIP_INTERVAL_TICKS.
   */
  gossipApplied(applied: number = this.state.appliedIndex): void {
    const body = new TextEncoder().encode(JSON.stringify({ applied, term: this.raft.status().term, writable: this.writerLog.openDevices() }));
    for (const id of this.peers.ids()) this.sendFrame(id, FRAME_GOSSIP, body);
  }

  /** Follows membership changes (applied node records, the log's conf) in the transport. */
  private syncPeers(): void {
    this.peers.sync(this.state.nodes, this.raft.status().conf, this.deps.clock.monoMs());
  }

  /** Peers that left the membership and lingered long enough are forgotten. */
  private expirePeers(): void {
    for (const id of this.peers.expire(this.deps.clock.monoMs())) {
      this.peerUp.delete(id);
      this.peerApplied.delete(id);
      this.events.forgetPeer(id);
    }
  }

  /** Applies one committed entry (its session, if any, goes to `sessions`); returns true if it was a cluster command. */
  private applyOne(e: Entry, sessions: SessionRef[]): boolean {
    if (e.index <= this.state.appliedIndex) return false; // already in the snapshot
    if (e.type === 'conf') {
      this.state.appliedIndex = e.index;
      const cc = decodeConfChange(e.data);
      if (cc) this.deps.logger.info({ index: e.index, change: cc.type, node: cc.node, conf: this.raft.status().conf }, 'membership change applied');
      return false;
    }
    const before = this.state.master;
    const d = e.data.length > 0 ? decodeCommand(e.data) : null;
    this.events.capture(d && d.ok ? d.command : null, this.state);
    const result: ApplyResult = applyEntry(this.state, e.data, e.index);
    if (d && d.ok) this.events.onApplied(d.command, result, e.index, before, this.state);
    if (d?.session) sessions.push(d.session);
    if (d?.ok && d.command.op === 'md-done') sessions.push({ client: d.command.client, seq: d.command.seq });
    if (d?.ok && d.command.op === 'node-remove' && d.command.node === this.settings.id && result.ok) {
      this.deps.logger.warn({ index: e.index }, 'this node was removed from the cluster\'s node records');
    }
    if (!result.ok) this.deps.logger.info({ index: e.index, code: result.code, msg: result.message }, 'command refused at apply');
    return e.data.length > 0;
  }

  private restoreSnapshot(data: Uint8Array): void {
    this.state = JSON.parse(new TextDecoder().decode(data)) as ClusterState;
  }

  /** Every snapshotEveryEntries applied entries: snapshot the state, persist it, compact the log. */
  private async maybeSnapshot(): Promise<void> {
    const applied = this.state.appliedIndex;
    if (applied - this.lastSnapshotIndex < this.settings.snapshotEveryEntries) return;
    const data = new TextEncoder().encode(JSON.stringify(this.state));
    const snap = this.raft.compact(applied, data);
    this.lastSnapshotIndex = applied;
    if (!snap) return;
    await this.deps.storage.saveSnapshot(snap);
    await this.deps.storage.compact(snap.meta.index);
  }
  private lastSnapshotIndex = 0;

  // ---------------------------------------------------------------- API for control/status
  /**
   * Proposes a command through the one request path (node/requests.ts) and resolves with its
   * outcome as the log recorded it; with a session, exactly once however often it is asked.
   */
  propose(cmd: Command, opts: SubmitOptions): Promise<ProposalOutcome> {
    return this.requests.submit(cmd, opts);
  }

  /** Fire-and-forget proposal from the node itself (observations, local failures, master claims): the same path. */
  proposeInternal(cmd: Command): void {
    this.requests.submitInternal(cmd, this.settings.tickMs * this.settings.raft.electionTimeoutTicks * 2);
  }

  private async waitAllApplied(index: number, deadline: number): Promise<void> {
    for (;;) {
      // Voters only: a learner still catching up (perhaps by snapshot) does not hold callers up.
      const voters = this.raft.status().conf.voters;
      const lagging = this.peers.ids().filter((id) => voters.includes(id) && this.peerUp.get(id) === true && (this.peerApplied.get(id) ?? 0) < index);
      if (lagging.length === 0) return;
      if (this.deps.clock.monoMs() > deadline) throw new OpError('E_TIMEOUT', `not applied on ${lagging.join(', ')} in time`);
      // Woken by the next applied-index gossip (or after a tick: links may go up or down).
      await new Promise<void>((res) => {
        const t = this.deps.timers.setTimeout(() => { this.gossipWaiters.delete(wake); res(); }, this.settings.tickMs);
        const wake = (): void => { t.cancel(); res(); };
        this.gossipWaiters.add(wake);
      });
    }
  }

  /** waitAllApplied callers sleeping until the next gossip. Invariant: each removes itself when woken (size <= pending proposals). */
  private readonly gossipWaiters = new Set<() => void>();

  private wakeGossipWaiters(): void {
    const ws = [...this.gossipWaiters];
    this.gossipWaiters.clear();
    for (const w of ws) w();
  }

  /** A linearizable read of the state (ReadIndex), or a local one. */
  async readState(opts: { local: boolean; timeoutMs: number }): Promise<ClusterState> {
    if (opts.local) return this.state;
    const ctx = this.readPrefix + 'r' + (++this.readSeq).toString(36);
    const waiting = this.reads.wait(ctx, opts.timeoutMs);
    void this.submitRead(ctx, this.deps.clock.monoMs() + opts.timeoutMs).catch((e: unknown) => this.reads.fail(ctx, e instanceof Error ? e : new Error(String(e))));
    const index = await waiting;
    await this.appliedWaiters.waitFor(index, this.state.appliedIndex, opts.timeoutMs);
    return this.state;
  }

  /**
   * Sends a ReadIndex request until it is answered (its waiter settled) or the deadline passes:
   * without a leader it is retried every 2 ticks, and a request a follower forwarded to a leader
   * that then lost leadership is lost, so it is re-sent after an election timeout. A duplicate
   * answer is harmless (the first settles the waiter).
   */
  private async submitRead(ctx: string, deadline: number): Promise<void> {
    const resendMs = this.settings.tickMs * this.settings.raft.electionTimeoutTicks;
    while (this.reads.has(ctx)) {
      const r = this.raft.readIndex(ctx);
      this.kick();
      if (!r.ok && r.code !== 'E_NO_LEADER') {
        this.reads.fail(ctx, new OpError(r.code as ErrorCode, undefined, { leader: r.leader }));
        return;
      }
      const waitMs = r.ok ? resendMs : this.settings.tickMs * 2;
      if (this.deps.clock.monoMs() + waitMs > deadline) return; // the waiter's own timeout settles it
      await new Promise<void>((res) => this.deps.timers.setTimeout(res, waitMs));
    }
  }

  /** Resolves once this node applied `index` (E_TIMEOUT after timeoutMs). */
  waitApplied(index: number, timeoutMs: number): Promise<void> {
    return this.appliedWaiters.waitFor(index, this.state.appliedIndex, timeoutMs);
  }

  currentTerm(): Term {
    return this.raft.status().term;
  }
  appliedIndex(): LogIndex {
    return this.state.appliedIndex;
  }
}
