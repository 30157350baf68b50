// The Ready loop: the one part of the node shell that talks to Raft storage and the peer
// transport. Owns: the Raft core (RawNode), the applied ClusterState, Raft time (ticks), peer
// frames in and out (node/peers.ts keeps the transport's peer set), and the Ready batches.
// Invariants:
// - Ready batches are handled one at a time, in order: persist (fsync when mustSync), then
//   send, then apply, then advance (etcd's rules; see raft/types.ts), except that what needs
//   nothing of the write is sent and applied while it runs (node/ready-order.ts: a leader's
//   appends, a commit-only Ready, entries durable from earlier Readys); the next Ready waits
//   for the write. The hooks that follow an apply (sessions, waiters, gossip, reconcile) run
//   right after it for an early part, after advance for the rest; a snapshot after advance.
//   No step waits for a tick or a timer (test/unit/node-commit-path.test.ts).
// - The ClusterState is changed only by applying committed entries (node/apply-entries.ts,
//   cluster/apply.ts) or by installing a snapshot once it is durable.
// - Input from peers is decoded and validated before it reaches Raft (node/peer-input.ts).
// - A storage failure or an apply that throws stops the loop and goes to the fatal handler,
//   named by its cause (storage, invariant): continuing could acknowledge what is not durable.
import type { NodeId } from '../common/types.js';
import { MEMBERSHIP_PEER_LINGER_ELECTIONS } from '../common/limits.js';
import { RaftTime } from './raft-time.js';
import { PeerInput } from './peer-input.js';
import { applyEntry, type Applied, type ApplyContext } from './apply-entries.js';
import type { SessionRef } from '../cluster/sessions.js';
import { emptyClusterState, type ClusterState } from '../cluster/types.js';
import { encodeMessage } from '../raft/codec.js';
import { RawNode } from '../raft/rawnode.js';
import type { Entry, Prng, Ready, SoftState } from '../raft/types.js';
import type { Clock, FatalCause, FatalHandler, Logger, PeerTransport, RaftStorage } from './deps.js';
import type { ClusterEvents } from './events.js';
import { PeerDirectory } from './peers.js';
import { RaftWrites, splitReady, StorageFailure } from './ready-order.js';

import type { NodeSettings } from './settings.js';

const FRAME_RAFT = 1;
const FRAME_GOSSIP = 2;

/** The part of NodeSettings (node.ts: one definition) the Ready loop reads. */
export type ReadyLoopSettings = Pick<NodeSettings, 'id' | 'peers' | 'join' | 'tickMs' | 'raft' | 'snapshotEveryEntries'>;

export interface ReadyLoopDeps {
  clock: Clock;
  logger: Logger;
  transport: PeerTransport;
  storage: RaftStorage;
  prng: Prng;
  fatal: FatalHandler;
}

/** What the loop tells the rest of the node: narrow, one way (the loop never reads them). */
export interface ReadyHooks {
  readAnswered(requestCtx: string, index: number): void;
  roleChanged(ss: SoftState): void;
  /** The sessions of the entries just applied (undefined: a snapshot replaced the state). */
  sessionsApplied(sessions: SessionRef[] | undefined): void;
  /** This node applied up to `index` (entries or a snapshot). */
  appliedUpTo(index: number): void;
  /** The state or the role changed: the kernel may need reconciling. */
  stateChanged(): void;
  gossipReceived(from: NodeId, body: Uint8Array): void;
  peerState(peer: NodeId, up: boolean): void;
  /** Raft took input or handled a Ready batch: its deadlines may have moved (node/ticker.ts). */
  raftChanged(): void;
}

export class ReadyLoop {
  readonly raft: RawNode;
  state: ClusterState = emptyClusterState();
  /** Who this node talks to, following applied membership changes (node/peers.ts). */
  /** The peer set (active and lingering peers, addresses): read through here, changed only by the loop. */
  readonly peers: PeerDirectory;
  /** Checks every peer frame before Raft sees it (node/peer-input.ts). */
  private readonly input: PeerInput;
  /** Peer frames refused before they reached Raft. */
  get droppedFrames(): number {
    return this.input.dropped;
  }
  private halted = false;
  private busy = false;
  private again = false;
  private lastSnapshotIndex = 0;
  /** Raft storage calls, in order, and what is durable (node/ready-order.ts). */
  private readonly writes: RaftWrites;
  private fatalReported = false;
  private readonly applyCtx: ApplyContext;
  /** Raft time: ticks follow the monotonic clock from start() on (node/raft-time.ts). */
  readonly time: RaftTime;

  constructor(private readonly s: ReadyLoopSettings, private readonly deps: ReadyLoopDeps,
    private readonly events: ClusterEvents, private readonly hooks: ReadyHooks) {
    const restored = deps.storage.restored();
    this.writes = new RaftWrites(deps.storage, restored, (e) => this.fail('storage', e));
    this.applyCtx = { id: s.id, events, logger: deps.logger, conf: () => this.raft.status().conf };
    const voters = s.peers.map((p) => p.id);
    const initialConf = s.join === true ? undefined : { voters, learners: [] };
    this.raft = new RawNode({ ...s.raft, id: s.id }, { ...restored, initialConf }, deps.prng);
    this.time = new RaftTime(deps.clock, s.tickMs, () => this.raft.tick());
    if (restored.snapshot) {
      this.restoreSnapshot(restored.snapshot.data);
      this.lastSnapshotIndex = restored.snapshot.meta.index;
    }
    this.input = new PeerInput(deps.logger, deps.clock);
    const lingerMs = s.tickMs * s.raft.electionTimeoutTicks * MEMBERSHIP_PEER_LINGER_ELECTIONS;
    this.peers = new PeerDirectory(s.id, new Map(s.peers.map((p) => [p.id, p.address])), deps.transport, deps.logger, lingerMs);
  }

  get id(): NodeId {
    return this.s.id;
  }

  /** Nothing more is persisted, sent or applied once set (stop(), or a fatal error). */
  get stopped(): boolean {
    return this.halted;
  }

  /** Stops handling Ready batches and frames now; stop() later closes the transport and storage. */
  halt(): void {
    this.halted = true;
  }

  /** Takes the transport's frames and link changes (before start()). */
  attach(): void {
    this.deps.transport.onMessage((from, payload) => this.onFrame(from, payload));
    this.deps.transport.onPeerState((peer, up) => {
      this.hooks.peerState(peer, up);
      if (!up) this.raft.reportUnreachable(peer);
    });
    // A refused dial: if it is our leader, campaign soon (raft/leader-gone.ts; safe if wrong).
    this.deps.transport.onPeerGone?.((peer) => {
      if (this.stopped) return;
      this.time.sync();
      this.raft.leaderGone(peer);
      this.kick();
    });
  }

  /** Pushes the peer set, starts the transport; Raft time starts now. */
  async start(): Promise<void> {
    this.syncPeers();
    await this.deps.transport.start();
    this.time.start();
  }

  async stop(): Promise<void> {
    this.halted = true;
    await this.deps.transport.close();
    await this.writes.close();
  }

  /** Sends one gossip frame to every active peer (node/gossip.ts builds the body). */
  sendGossip(body: Uint8Array): void {
    for (const id of this.peers.ids()) this.sendFrame(id, FRAME_GOSSIP, body);
  }

  /** Peers that left the membership and lingered long enough are forgotten; returns them. */
  expirePeers(): NodeId[] {
    return this.peers.expire(this.deps.clock.monoMs());
  }

  private onFrame(from: NodeId, payload: Uint8Array): void {
    if (this.stopped || payload.length < 1) return;
    // Raft time is real time when a frame is stepped: after a stall the socket callbacks can run
    // before the late tick timer, and a heartbeat stepped at the stale tick would be recorded as
    // heard earlier than it was, ending this node's vote lease before the leader's lease.
    this.time.sync();
    if (payload[0] === FRAME_GOSSIP) {
      this.hooks.gossipReceived(from, payload.subarray(1));
      return;
    }
    const msg = this.input.raftMessage(from, payload, FRAME_RAFT, this.raft.currentTerm);
    if (msg === null) return;
    const droppedBefore = this.raft.droppedMessages;
    this.raft.step(msg);
    if (this.raft.droppedMessages > droppedBefore) this.input.raftRefused(from, msg);
    this.kick();
  }

  /** A commit index waits for flushCommit() (the next wake-up is then due at the next tick). */
  commitUnwritten(): boolean {
    return !this.stopped && this.writes.commitUnwritten;
  }

  /** Writes a commit index that no write carried yet (on a wake-up; node/ready-order.ts). */
  flushCommit(): void {
    if (!this.stopped) this.writes.flushCommit();
  }

  /** Schedules Ready processing; coalesces while a batch is in flight. */
  kick(): void {
    if (this.busy) this.again = true;
    else if (this.raft.hasReady()) {
      this.busy = true;
      void this.drain();
    }
    this.hooks.raftChanged();
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.stopped && this.raft.hasReady()) await this.handleReady(this.raft.ready());
      } while (this.again && !this.stopped);
    } catch (e) {
      this.fail(e instanceof StorageFailure ? 'storage' : 'invariant', e as Error);
    } finally {
      this.busy = false;
      this.hooks.raftChanged();
    }
  }

  /** Stops the loop for good and tells the fatal handler, once. */
  private fail(cause: FatalCause, e: Error): void {
    this.halted = true; // nothing more is persisted, sent or applied, whatever the handler does
    if (this.fatalReported) return;
    this.fatalReported = true;
    this.deps.fatal(cause, e);
  }

  private async handleReady(rd: Ready): Promise<void> {
    // The write starts now; what needs nothing of it to be durable goes while it runs, the rest
    // once it is durable (node/ready-order.ts; a commit-only hard state goes with a later write).
    const part = splitReady(rd, this.writes.durable);
    const written = rd.snapshot || rd.entries.length > 0 || rd.hardState ? this.writes.write(rd) : null;
    try {
      for (const m of part.early) this.sendFrame(m.to, FRAME_RAFT, encodeMessage(m));
      this.afterApply(this.applyAll(part.earlyCommitted), true);
    } finally {
      if (written) await written; // a failed write wins over an apply that threw: storage is the cause
    }
    // Restored only once durable: an applied index reported by this node is on its disk.
    if (rd.snapshot) {
      this.restoreSnapshot(rd.snapshot.data);
      this.lastSnapshotIndex = rd.snapshot.meta.index; // counts as a snapshot here: no immediate re-snapshot
      this.deps.logger.info({ index: rd.snapshot.meta.index, term: rd.snapshot.meta.term }, 'installed a snapshot from the leader');
    }
    for (const m of part.after) this.sendFrame(m.to, FRAME_RAFT, encodeMessage(m));
    const late = this.applyAll(part.committedAfter);
    for (const rs of rd.readStates) this.hooks.readAnswered(rs.requestCtx, rs.index);
    if (rd.softState) {
      this.deps.logger.info({ role: rd.softState.role, lead: rd.softState.lead, term: this.raft.status().term }, 'raft role changed');
      this.hooks.roleChanged(rd.softState);
    }
    if (rd.snapshot || rd.entries.length > 0 || rd.committedEntries.length > 0) this.syncPeers();
    this.raft.advance(rd);
    if (rd.snapshot) this.hooks.sessionsApplied(undefined);
    if (late !== null) this.afterApply(late, false);
    else if (rd.snapshot) this.hooks.appliedUpTo(this.state.appliedIndex); // a learner that caught up by snapshot says so at once
    if (rd.committedEntries.length > 0) await this.maybeSnapshot();
    if (late?.commands || rd.softState || rd.snapshot) this.hooks.stateChanged();
  }

  /** Applies committed entries in order; null when there were none. */
  private applyAll(entries: readonly Entry[]): Applied | null {
    if (entries.length === 0) return null;
    const out: Applied = { sessions: [], commands: false };
    for (const e of entries) out.commands = this.applyOne(e, out.sessions) || out.commands;
    return out;
  }

  /** Applies one entry (node/apply-entries.ts); true if it was a cluster command. The cluster simulator observes applies here. */
  private applyOne(e: Entry, sessions: SessionRef[]): boolean {
    return applyEntry(this.state, e, sessions, this.applyCtx);
  }

  /** What follows an apply: waiting sessions, the applied index (reads, gossip), and reconciling if asked. */
  private afterApply(done: Applied | null, reconcile: boolean): void {
    if (done === null) return;
    this.hooks.sessionsApplied(done.sessions);
    this.hooks.appliedUpTo(this.state.appliedIndex);
    if (reconcile && done.commands) this.hooks.stateChanged();
  }

  private sendFrame(to: NodeId, kind: number, body: Uint8Array): void {
    const frame = new Uint8Array(body.length + 1);
    frame[0] = kind;
    frame.set(body, 1);
    this.deps.transport.send(to, frame);
  }

  /** Follows membership changes (applied node records, the log's conf) in the transport. */
  private syncPeers(): void {
    this.peers.sync(this.state.nodes, this.raft.status().conf, this.deps.clock.monoMs());
  }

  private restoreSnapshot(data: Uint8Array): void {
    this.state = JSON.parse(new TextDecoder().decode(data)) as ClusterState;
  }

  /** Every snapshotEveryEntries applied entries: snapshot the state, persist it, compact the log. */
  private async maybeSnapshot(): Promise<void> {
    const applied = this.state.appliedIndex;
    if (applied - this.lastSnapshotIndex < this.s.snapshotEveryEntries) return;
    const data = new TextEncoder().encode(JSON.stringify(this.state));
    const snap = this.raft.compact(applied, data);
    this.lastSnapshotIndex = applied;
    if (!snap) return;
    await this.writes.snapshot(snap);
  }
}
