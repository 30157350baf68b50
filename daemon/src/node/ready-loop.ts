// The Ready loop: the one part of the node shell that talks to Raft storage and the peer
// transport. Owns: the Raft core (RawNode), the applied ClusterState, Raft time (ticks), peer
// frames in and out (node/peers.ts keeps the transport's peer set), and the Ready batches.
// Invariants:
// - Ready batches are handled one at a time, in order: persist (fsync when mustSync), then
//   send, then apply, then advance (etcd's rules; see raft/types.ts); the hooks that follow
//   an apply (sessions, waiters, gossip, snapshot, reconcile) run after advance, in that order.
// - The ClusterState is changed only by applying committed entries (cluster/apply.ts) or by
//   installing a snapshot once it is durable.
// - Input from peers is decoded and validated before it reaches Raft (node/peer-input.ts).
// - A storage failure or an apply that throws stops the loop and goes to the fatal handler,
//   named by its cause (storage, invariant): continuing could acknowledge what is not durable.
import type { NodeId } from '../common/types.js';
import { MEMBERSHIP_PEER_LINGER_ELECTIONS } from '../common/limits.js';
import { RaftTime } from './raft-time.js';
import { PeerInput } from './peer-input.js';
import { applyDecoded, type ApplyResult } from '../cluster/apply.js';
import { decodeCommand } from '../cluster/commands.js';
import type { SessionRef } from '../cluster/sessions.js';
import { emptyClusterState, type ClusterState } from '../cluster/types.js';
import { encodeMessage } from '../raft/codec.js';
import { decodeConfChange } from '../raft/codec-conf.js';
import { RawNode } from '../raft/rawnode.js';
import type { Entry, Prng, Ready, SoftState } from '../raft/types.js';
import type { Clock, FatalCause, FatalHandler, Logger, PeerTransport, RaftStorage } from './deps.js';
import type { ClusterEvents } from './events.js';
import { PeerDirectory } from './peers.js';

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

/** A storage call failed; drain() hands it to the fatal handler as 'storage'. */
class StorageFailure extends Error {}

export class ReadyLoop {
  readonly raft: RawNode;
  state: ClusterState = emptyClusterState();
  /** Who this node talks to, following applied membership changes (node/peers.ts). */
  private readonly peers: PeerDirectory;
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
  /** Raft time: ticks follow the monotonic clock from start() on (node/raft-time.ts). */
  readonly time: RaftTime;

  constructor(private readonly s: ReadyLoopSettings, private readonly deps: ReadyLoopDeps,
    private readonly events: ClusterEvents, private readonly hooks: ReadyHooks) {
    const restored = deps.storage.restored();
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

  /** The active peers (never this node, never a lingering one), and a peer's address. */
  peerIds(): NodeId[] {
    return this.peers.ids();
  }

  peerAddress(id: NodeId): string | null {
    return this.peers.address(id);
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
    await this.deps.storage.close();
  }

  /** Sends one gossip frame to every active peer (node/gossip.ts builds the body). */
  sendGossip(body: Uint8Array): void {
    for (const id of this.peers.ids()) this.sendFrame(id, FRAME_GOSSIP, body);
  }

  /** Monotonic ms at which a lingering peer is due to be forgotten (null: none lingers). */
  nextPeerExpiryMs(): number | null {
    return this.peers.nextExpiryMs();
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
      const cause: FatalCause = e instanceof StorageFailure ? 'storage' : 'invariant';
      this.halted = true; // nothing more is persisted, sent or applied, whatever the handler does
      this.deps.fatal(cause, e as Error);
    } finally {
      this.busy = false;
      this.hooks.raftChanged();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      const batch = { hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot, mustSync: rd.mustSync };
      await this.storageCall('could not persist the Raft log', () => this.deps.storage.save(batch));
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
    for (const rs of rd.readStates) this.hooks.readAnswered(rs.requestCtx, rs.index);
    if (rd.softState) {
      this.deps.logger.info({ role: rd.softState.role, lead: rd.softState.lead, term: this.raft.status().term }, 'raft role changed');
      this.hooks.roleChanged(rd.softState);
    }
    if (rd.snapshot || rd.entries.length > 0 || rd.committedEntries.length > 0) this.syncPeers();
    this.raft.advance(rd);
    if (rd.snapshot) this.hooks.sessionsApplied(undefined);
    if (rd.committedEntries.length > 0) {
      this.hooks.sessionsApplied(sessions);
      this.hooks.appliedUpTo(this.state.appliedIndex);
      await this.maybeSnapshot();
    } else if (rd.snapshot) {
      this.hooks.appliedUpTo(this.state.appliedIndex); // a learner that caught up by snapshot says so at once
    }
    if (appliedAny || rd.softState || rd.snapshot) this.hooks.stateChanged();
  }

  private async storageCall(what: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (e) {
      throw new StorageFailure(`${what}: ${(e as Error).message}`);
    }
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
    const result: ApplyResult = applyDecoded(this.state, d, e.index); // decoded once, above
    if (d && d.ok) this.events.onApplied(d.command, result, e.index, before, this.state);
    if (d?.session) sessions.push(d.session);
    if (d?.ok && d.command.op === 'md-done') sessions.push({ client: d.command.client, seq: d.command.seq });
    if (d?.ok && d.command.op === 'node-remove' && d.command.node === this.s.id && result.ok) {
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
    if (applied - this.lastSnapshotIndex < this.s.snapshotEveryEntries) return;
    const data = new TextEncoder().encode(JSON.stringify(this.state));
    const snap = this.raft.compact(applied, data);
    this.lastSnapshotIndex = applied;
    if (!snap) return;
    await this.storageCall('could not save a snapshot', () => this.deps.storage.saveSnapshot(snap));
    await this.storageCall('could not compact the Raft log', () => this.deps.storage.compact(snap.meta.index));
  }
}
