// The simulated network between simulated nodes. Owns: per-message delay, loss, duplication
// and reordering, and directed-link partitions (a blocked link either drops traffic or holds it
// like a transport queue while the link is down, to release it when the link heals).
// Invariants:
// - Without reordering a link is FIFO: a message is never scheduled to arrive before one sent
//   earlier on the same directed link.
// - A held queue never exceeds PEER_MAX_QUEUED_FRAMES per link (the oldest is dropped, as the
//   real transport does).
// - Every decision draws from this network's own PRNG stream, so runs are reproducible.
import { PEER_MAX_QUEUED_FRAMES } from '../../daemon/src/common/limits.js';
import type { Rand } from './rand.js';

export type PartitionMode = 'drop' | 'hold';

/** Delay spread once faults stop (liveness phase). */
export const CALM_DELAY_SPREAD_US = 2_000;

export interface NetParams {
  /** Invariant: 0 <= minDelayUs <= maxDelayUs. */
  minDelayUs: number;
  maxDelayUs: number;
  /** Probabilities in [0, 1). */
  lossRate: number;
  dupRate: number;
  reorderRate: number;
  /** Extra delay bound of a reordered message. */
  reorderExtraUs: number;
  partitionMode: PartitionMode;
}

export interface Delivery<P> {
  from: string;
  to: string;
  payload: P;
  sentUs: number;
}

export interface NetStats {
  sent: number;
  lost: number;
  duplicated: number;
  held: number;
  droppedByPartition: number;
  delivered: number;
}

/** How the simulator is told to deliver `d` at `atUs`; false when its queue is full. */
export type Scheduler<P> = (atUs: number, d: Delivery<P>) => boolean;

const linkKey = (from: string, to: string): string => `${from}>${to}`;

export class SimNetwork<P> {
  /** Invariant: keys are "from>to" of currently blocked directed links. */
  private readonly blocked = new Set<string>();
  /** Latest scheduled arrival per directed link (FIFO floor). */
  private readonly fifoFloorUs = new Map<string, number>();
  /** Messages held at the sender while their link is blocked (hold mode). */
  private readonly held = new Map<string, Delivery<P>[]>();
  /** False in the liveness phase: no loss, duplication or reordering, and delays capped to
   * minDelayUs + CALM_DELAY_SPREAD_US (Raft's liveness needs delays well under the election timeout). */
  private faultsEnabled = true;
  readonly stats: NetStats = { sent: 0, lost: 0, duplicated: 0, held: 0, droppedByPartition: 0, delivered: 0 };

  constructor(
    readonly params: NetParams,
    private readonly rand: Rand,
    private readonly schedule: Scheduler<P>,
  ) {}

  /** Sends one message; false when the simulator's event queue overflowed. */
  send(nowUs: number, from: string, to: string, payload: P): boolean {
    this.stats.sent++;
    const d: Delivery<P> = { from, to, payload, sentUs: nowUs };
    if (this.isBlocked(from, to)) return this.onBlocked(d);
    if (this.faultsEnabled && this.rand.chance(this.params.lossRate)) {
      this.stats.lost++;
      return true;
    }
    if (!this.dispatch(nowUs, d)) return false;
    if (this.faultsEnabled && this.rand.chance(this.params.dupRate)) {
      this.stats.duplicated++;
      return this.dispatch(nowUs, { ...d });
    }
    return true;
  }

  /** Called when a delivery comes due: true if it reaches the receiver now. */
  arrive(d: Delivery<P>): boolean {
    if (this.isBlocked(d.from, d.to)) {
      this.onBlocked(d);
      return false;
    }
    this.stats.delivered++;
    return true;
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to));
  }

  block(from: string, to: string): void {
    if (from !== to) this.blocked.add(linkKey(from, to));
  }

  /** Unblocks one link and releases what was held on it. */
  unblock(nowUs: number, from: string, to: string): boolean {
    const key = linkKey(from, to);
    this.blocked.delete(key);
    const q = this.held.get(key);
    if (q === undefined) return true;
    this.held.delete(key);
    for (const d of q) if (!this.dispatch(nowUs, d)) return false;
    return true;
  }

  /** Heals every partition; false when releasing held traffic overflowed the queue. */
  healAll(nowUs: number): boolean {
    for (const key of [...this.blocked]) {
      const [from, to] = key.split('>');
      if (!this.unblock(nowUs, from, to)) return false;
    }
    return true;
  }

  blockedLinks(): string[] {
    return [...this.blocked].sort();
  }

  /** A crashed sender loses its in-memory send queues. */
  dropHeldFrom(node: string): void {
    for (const key of [...this.held.keys()]) if (key.startsWith(`${node}>`)) this.held.delete(key);
  }

  setFaultsEnabled(on: boolean): void {
    this.faultsEnabled = on;
  }

  private onBlocked(d: Delivery<P>): boolean {
    if (this.params.partitionMode === 'drop') {
      this.stats.droppedByPartition++;
      return true;
    }
    const key = linkKey(d.from, d.to);
    let q = this.held.get(key);
    if (q === undefined) {
      q = [];
      this.held.set(key, q);
    }
    if (q.length >= PEER_MAX_QUEUED_FRAMES) {
      q.shift();
      this.stats.droppedByPartition++;
    }
    q.push(d);
    this.stats.held++;
    return true;
  }

  private dispatch(nowUs: number, d: Delivery<P>): boolean {
    const p = this.params;
    if (this.faultsEnabled && p.reorderRate > 0 && this.rand.chance(p.reorderRate)) {
      return this.schedule(nowUs + this.rand.int(p.minDelayUs, p.maxDelayUs) + this.rand.int(0, p.reorderExtraUs), d);
    }
    const maxDelayUs = this.faultsEnabled ? p.maxDelayUs : Math.min(p.maxDelayUs, p.minDelayUs + CALM_DELAY_SPREAD_US);
    let atUs = nowUs + this.rand.int(p.minDelayUs, maxDelayUs);
    const key = linkKey(d.from, d.to);
    const floor = this.fifoFloorUs.get(key) ?? 0;
    if (atUs < floor) atUs = floor;
    this.fifoFloorUs.set(key, atUs);
    return this.schedule(atUs, d);
  }
}
