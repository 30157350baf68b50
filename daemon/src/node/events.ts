// Cluster events for monitors (mdctl --monitor, the websocket feed). Owns: turning applied
// commands into mdadm-style events (through array-events.ts) with stable keys, this node's
// view of peer health (NodeDown/NodeUp, QuorumLost/QuorumRegained), history and subscribers.
// Invariants:
// - Array and membership events come only from applied log entries, keyed by the Raft index:
//   every node derives the same events with the same keys, so a monitor raises each once,
//   whichever node it watches. The Ready loop (ready-loop.ts) calls capture() right before
//   applying an entry, so an event compares the array exactly before and after that entry.
// - Peer-health events are this node's own observation (a partition is seen differently on
//   each side); their keys carry this node's id and a sequence number, so each occurrence is
//   raised once by a monitor of this node. Only transitions between known states raise them.
// - History and subscribers are bounded (NODE_EVENT_HISTORY, NODE_MAX_SUBSCRIBERS).
import { NODE_EVENT_HISTORY, NODE_MAX_SUBSCRIBERS } from '../common/limits.js';
import { OpError } from '../common/errors.js';
import type { ApplyResult } from '../cluster/apply.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import type { ClusterEvent } from '../control/protocol.js';
import { arrayEvents, snapOf, type ArraySnap } from './array-events.js';
import type { Clock } from './deps.js';

type Listener = (e: ClusterEvent) => void;

export class ClusterEvents {
  /** Invariant: length <= NODE_EVENT_HISTORY. */
  readonly history: ClusterEvent[] = [];
  private readonly listeners = new Set<Listener>();
  /** The array an entry is about to change, as it was before (set by capture()). */
  private captured: { device: string; snap: ArraySnap | null } | null = null;
  /** The node-add being applied names a node already recorded at that address (set by capture()). */
  private nodeKnown = false;
  /** Devices started but not yet looked at for DegradedArray (bounded by the arrays in the state). */
  private readonly lookPending = new Set<string>();
  /** Peer reachability as last reported; absent = not yet known. */
  private readonly peerUp = new Map<string, boolean>();
  private quorum = true;
  private healthSeq = 0;

  constructor(private readonly node: string, private readonly clock: Clock) {}

  subscribe(l: Listener): () => void {
    if (this.listeners.size >= NODE_MAX_SUBSCRIBERS) throw new OpError('E_TOO_LARGE', `at most ${NODE_MAX_SUBSCRIBERS} subscribers`);
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: Omit<ClusterEvent, 'node' | 'timeMs'>): void {
    const ev: ClusterEvent = { ...e, node: this.node, timeMs: Math.round(this.clock.wallMs()) };
    this.history.push(ev);
    if (this.history.length > NODE_EVENT_HISTORY) this.history.shift();
    for (const l of this.listeners) {
      try { l(ev); } catch { /* a listener's failure is its own */ }
    }
  }

  /** Called right before an entry carrying `cmd` is applied to `state`. */
  capture(cmd: Command | null, state: ClusterState): void {
    this.captured = cmd !== null && 'device' in cmd ? { device: cmd.device, snap: snapOf(state.arrays.find((a) => a.device === cmd.device)) } : null;
    // A node-add of a node already recorded at that address (the master re-proposed it before
    // the first was applied) changes nothing: no NodeUp for it.
    this.nodeKnown = cmd !== null && cmd.op === 'node-add' && state.nodes.some((n) => n.id === cmd.node && n.address === cmd.address);
  }

  onApplied(cmd: Command, result: ApplyResult, index: number, prevMaster: ClusterState['master'], state: ClusterState): void {
    const captured = this.captured;
    this.captured = null;
    if (!result.ok) return;
    const key = String(index);
    switch (cmd.op) {
      case 'master':
        if (prevMaster?.node !== cmd.node) this.emit({ key, name: 'MasterChanged', device: null, component: null, detail: `${prevMaster?.node ?? 'none'} -> ${cmd.node} (term ${cmd.term})` });
        return;
      case 'node-add':
        if (!this.nodeKnown) this.emit({ key, name: 'NodeUp', device: null, component: null, detail: `${cmd.node} joined the cluster` });
        return;
      case 'node-remove': this.emit({ key, name: 'NodeDown', device: null, component: null, detail: `${cmd.node} left the cluster` }); return;
      case 'demote-failed':
        this.emit({ key, name: 'DemoteFailed', device: `/dev/${cmd.array}`, component: null, detail: `${cmd.node} could not switch it read-only (term ${cmd.term}): ${cmd.message}; escalation: ${cmd.action}` });
        return;
      case 'fence-ran':
        this.emit({ key, name: 'FenceRan', device: null, component: null, detail: `${cmd.by} fenced ${cmd.node} (term ${cmd.term}): ${cmd.status === null ? 'no exit status (killed, timed out or not started)' : `exit status ${cmd.status}`}${cmd.message ? `: ${cmd.message}` : ''}` });
        return;
      case 'move-spare':
        // mdadm: alert("MoveSpare", to, from): the array that got the spare, then the one it came from.
        this.emit({ key, name: 'MoveSpare', device: `/dev/${cmd.to}`, component: `/dev/${cmd.from}`, detail: `${cmd.member} moved from /dev/${cmd.from} to /dev/${cmd.to}` });
        return;
      case 'degraded-at-boot': {
        const snap = snapOf(state.arrays.find((a) => a.device === cmd.array));
        if (snap !== null && snap.running && snap.materialized && snap.degraded > 0) this.emit({ key, name: 'DegradedAtBoot', device: `/dev/${cmd.array}`, component: null });
        return;
      }
      case 'md-done':
        // md refused an operation after commit: the client gets md's error, and monitors get an
        // event (from the applied entry, so once per cluster, keyed by its index).
        if (!cmd.ok) {
          this.emit({ key, name: 'OpRefused', device: `/dev/${cmd.device}`, component: null,
            detail: `operation ${cmd.client}#${cmd.seq} refused by md: ${cmd.code ?? 'E_KERNEL'}${cmd.message ? `: ${cmd.message}` : ''}` });
        }
        break;
      default: break;
    }
    if (!('device' in cmd)) return;
    const rec = state.arrays.find((a) => a.device === cmd.device);
    const after = snapOf(rec);
    if (!rec || !after) return;
    const before = captured !== null && captured.device === cmd.device ? captured.snap : null;
    const r = arrayEvents(rec.device, before, after, this.lookPending.has(rec.device), rec);
    if (r.lookPending) this.lookPending.add(rec.device); else this.lookPending.delete(rec.device);
    for (const e of r.events) this.emit({ key, ...e });
  }

  /**
   * This node's link to `peer` went up or down. `voters` is the current configuration; the
   * quorum is reachable while this node plus the voters it reaches are a majority.
   */
  onPeerState(peer: string, up: boolean, voters: readonly string[], reachable: (id: string) => boolean): void {
    const was = this.peerUp.get(peer);
    this.peerUp.set(peer, up);
    if (was !== undefined && was !== up) {
      this.emit({ key: `health:${this.node}:${++this.healthSeq}`, name: up ? 'NodeUp' : 'NodeDown', device: null, component: null, detail: `${peer} ${up ? 'reachable again' : 'unreachable'} from ${this.node}` });
    }
    if (!voters.includes(this.node) || voters.length === 0) return;
    const seen = voters.filter((v) => v === this.node || reachable(v)).length;
    const has = seen * 2 > voters.length;
    if (has === this.quorum) return;
    this.quorum = has;
    this.emit({ key: `health:${this.node}:${++this.healthSeq}`, name: has ? 'QuorumRegained' : 'QuorumLost', device: null, component: null, detail: `${this.node} reaches ${seen} of ${voters.length} voters` });
  }

  /** Drops what is known about a peer that left the membership (no event). */
  forgetPeer(peer: string): void {
    this.peerUp.delete(peer);
  }
}
