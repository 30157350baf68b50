// Cluster events for monitors (mdctl --monitor, the websocket feed), derived from applied
// commands. Owns: turning state transitions into mdadm-style events with stable keys.
// Invariants: events come only from applied log entries, so every node derives the same events
// with the same keys (the Raft index): a monitor raises each once, whichever node it watches.
// History and subscribers are bounded (NODE_EVENT_HISTORY, NODE_MAX_SUBSCRIBERS).
import { NODE_EVENT_HISTORY, NODE_MAX_SUBSCRIBERS } from '../common/limits.js';
import { OpError } from '../common/errors.js';
import type { ApplyResult } from '../cluster/apply.js';
import type { Command } from '../cluster/commands.js';
import { degradedCount } from '../cluster/redundancy.js';
import type { ArrayRecord, ClusterState } from '../cluster/types.js';
import { inSyncSlots } from '../cluster/validate.js';
import type { ClusterEvent } from '../control/protocol.js';
import type { Clock } from './deps.js';

type Listener = (e: ClusterEvent) => void;

export class ClusterEvents {
  /** Invariant: length <= NODE_EVENT_HISTORY. */
  readonly history: ClusterEvent[] = [];
  private readonly listeners = new Set<Listener>();
  /** device -> degraded count and sync action before the last applied command. */
  private readonly last = new Map<string, { degraded: number; action: string; spares: number }>();

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

  onApplied(cmd: Command, result: ApplyResult, index: number, prevMaster: ClusterState['master'], state: ClusterState): void {
    if (!result.ok) return;
    const key = String(index);
    switch (cmd.op) {
      case 'master':
        if (prevMaster?.node !== cmd.node) this.emit({ key, name: 'MasterChanged', device: null, component: null, detail: `${prevMaster?.node ?? 'none'} -> ${cmd.node} (term ${cmd.term})` });
        return;
      case 'node-add': this.emit({ key, name: 'NodeUp', device: null, component: null, detail: cmd.node }); return;
      case 'node-remove': this.emit({ key, name: 'NodeDown', device: null, component: null, detail: cmd.node }); return;
      case 'create': case 'assemble': this.emit({ key, name: 'NewArray', device: `/dev/${cmd.device}`, component: null }); break;
      case 'stop': this.emit({ key, name: 'DeviceDisappeared', device: `/dev/${cmd.device}`, component: null }); break;
      case 'set-faulty':
        this.emit({ key, name: 'Fail', device: `/dev/${cmd.device}`, component: cmd.member });
        break;
      default: break;
    }
    if ('device' in cmd) {
      const rec = state.arrays.find((a) => a.device === cmd.device);
      if (rec) this.onArrayChanged(rec, key);
    }
  }

  private onArrayChanged(rec: ArrayRecord, key: string): void {
    const dev = `/dev/${rec.device}`;
    const degraded = degradedCount(rec.raidDisks, inSyncSlots(rec));
    const spares = rec.members.filter((m) => m.role === 'spare').length;
    const action = rec.sync.action;
    const prev = this.last.get(rec.device) ?? { degraded: 0, action: 'idle', spares };
    if (rec.materialized && degraded > 0 && prev.degraded === 0) this.emit({ key, name: 'DegradedArray', device: dev, component: null });
    if (degraded < prev.degraded) this.emit({ key, name: 'SpareActive', device: dev, component: null });
    const rebuilding = (a: string) => a === 'recover' || a === 'resync';
    if (rebuilding(action) && !rebuilding(prev.action)) this.emit({ key, name: 'RebuildStarted', device: dev, component: null });
    if (rebuilding(action) && rec.sync.totalSectors > 0) {
      this.emit({ key, name: 'Rebuild', device: dev, component: null, percent: Math.floor((rec.sync.doneSectors * 100) / rec.sync.totalSectors) });
    }
    if (!rebuilding(action) && rebuilding(prev.action)) this.emit({ key, name: 'RebuildFinished', device: dev, component: null });
    this.last.set(rec.device, { degraded, action, spares });
  }
}
