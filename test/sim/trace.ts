// The event trace of one simulated run. Owns: a bounded ring of the most recent events (what a
// violation report prints) and the optional live sink (--verbose).
// Invariants: the ring never holds more than its capacity (older events are overwritten, the
// count of overwritten ones is kept); details are formatted lazily, only when an event is
// printed, so tracing costs little when nobody reads the trace.
import type { Message } from '../../daemon/src/raft/types.js';

/** A detail: a string, or a thunk producing it when printed. */
export type Detail = string | (() => string);

export interface TraceEvent {
  /** Invariant: simulated real time in microseconds. */
  atUs: number;
  /** Short category: deliver, drop, crash, restart, partition, role, propose, ack, ... */
  kind: string;
  /** The node concerned, or '-' for cluster-wide events. */
  node: string;
  detail: Detail;
}

export function formatEvent(e: TraceEvent): string {
  const ms = (e.atUs / 1000).toFixed(3).padStart(10);
  const detail = typeof e.detail === 'string' ? e.detail : e.detail();
  return `${ms}ms ${e.kind.padEnd(9)} ${e.node.padEnd(4)} ${detail}`;
}

export class Trace {
  private readonly ring: TraceEvent[] = [];
  private next = 0;
  /** Invariant: total events ever recorded (ring holds the last min(total, capacity)). */
  private totalEvents = 0;

  /** Invariant: capacityEvents >= 1. sink, when set, receives every formatted event. */
  constructor(
    private readonly capacityEvents: number,
    private readonly sink: ((line: string) => void) | null = null,
  ) {}

  record(atUs: number, kind: string, node: string, detail: Detail): void {
    const e: TraceEvent = { atUs, kind, node, detail };
    if (this.ring.length < this.capacityEvents) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % this.capacityEvents;
    this.totalEvents++;
    if (this.sink !== null) this.sink(formatEvent(e));
  }

  get total(): number {
    return this.totalEvents;
  }

  /** The last n events, oldest first. */
  last(n: number): TraceEvent[] {
    const ordered = this.ring.length < this.capacityEvents
      ? this.ring.slice()
      : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.slice(Math.max(0, ordered.length - n));
  }
}

/** A one-line summary of a Raft message for the trace. */
export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} prev=${m.index}/${m.logTerm} n=${m.entries.length} commit=${m.commit} round=${m.round}@${m.roundTick}`;
    case 'app-resp':
      return `${head} index=${m.index}${m.reject ? ` REJECT hint=${m.rejectHint}/${m.logTerm}` : ''} round=${m.round}`;
    case 'heartbeat':
      return `${head} commit=${m.commit} round=${m.round}@${m.roundTick}`;
    case 'heartbeat-resp':
      return `${head} round=${m.round}`;
    case 'vote':
    case 'pre-vote':
      return `${head} last=${m.index}/${m.logTerm}${m.transfer ? ' transfer' : ''}`;
    case 'vote-resp':
    case 'pre-vote-resp':
      return `${head}${m.reject ? ' REJECT' : ' grant'}`;
    case 'snap':
      return `${head} snap=${m.meta.index}/${m.meta.term} ${m.offsetBytes}+${m.chunk.length}/${m.totalBytes}`;
    case 'snap-resp':
      return `${head} index=${m.index} next=${m.nextOffsetBytes}${m.reject ? ' REJECT' : ''}`;
    case 'prop':
      return `${head} n=${m.entries.length}`;
    case 'read-index':
      return `${head} ctx=${m.requestCtx}`;
    case 'read-index-resp':
      return `${head} ctx=${m.requestCtx} index=${m.index}`;
    case 'timeout-now':
      return head;
    case 'transfer-leader':
      return `${head} target=${m.target}`;
  }
}
