// The simulated clients. Owns: the stream of client proposals (unique payloads) and
// linearizable reads, their acknowledgements, and the liveness-phase probe (one fresh proposal
// that must reach every live voter).
// Invariants: a payload id is proposed once (network duplication may still commit it twice,
// which Raft allows); an ack is recorded only when the node the client talked to applies the
// entry (so it is committed); a read answered with an index below what was committed when the
// read began is a linearizability violation.
import { SIM_MAX_PENDING_PROPOSALS, SIM_MAX_PENDING_READS } from '../lib/limits.js';
import type { Entry, ReadState } from '../../daemon/src/raft/types.js';
import type { Checkers } from './checkers.js';
import { SimViolation } from './checkers.js';
import type { Rand } from './rand.js';

const TAG_CLIENT = 0x50; // 'P'
const TAG_PROBE = 0x4c; // 'L'
const PAYLOAD_BYTES = 5;

function payload(tag: number, id: number): Uint8Array {
  const b = new Uint8Array(PAYLOAD_BYTES);
  b[0] = tag;
  new DataView(b.buffer).setUint32(1, id);
  return b;
}

/** The payload's [tag, id], or null when the entry is not a client payload. */
function parsePayload(e: Entry): [number, number] | null {
  if (e.type !== 'normal' || e.data.length !== PAYLOAD_BYTES) return null;
  return [e.data[0], new DataView(e.data.buffer, e.data.byteOffset, PAYLOAD_BYTES).getUint32(1)];
}

/** What the clients need from the simulator. */
export interface ClientPort {
  readonly nowUs: number;
  leader(): string | null;
  runningIds(): string[];
  propose(at: string, data: Uint8Array, what: string): boolean;
  readIndex(at: string, ctx: string): void;
  note(kind: string, node: string, detail: string): void;
}

export class Clients {
  /** Proposal id -> the node it was handed to (awaiting its apply there). */
  private readonly pending = new Map<number, string>();
  /** Read ctx -> node asked, and the committed index it must at least return. */
  private readonly reads = new Map<string, { node: string; minIndex: number }>();
  private nextId = 1;
  private nextRead = 1;
  proposed = 0;
  acked = 0;
  readsDone = 0;
  /** Liveness probe: nodes that applied it, and the attempt count. */
  readonly probeAppliedBy = new Set<string>();
  probeAttempts = 0;
  private lastProbeUs = -Infinity;

  constructor(private readonly rand: Rand, private readonly checkers: Checkers, private readonly readFraction: number) {}

  /** One client operation at the believed leader (sometimes at any node, which forwards). */
  act(p: ClientPort): void {
    const up = p.runningIds();
    if (up.length === 0) return;
    const l = p.leader();
    const at = l !== null && this.rand.chance(0.85) ? l : this.rand.pick(up);
    if (this.rand.chance(this.readFraction)) {
      this.read(p, at);
      return;
    }
    const id = this.nextId++;
    if (this.pending.size >= SIM_MAX_PENDING_PROPOSALS) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(id, at);
    this.proposed++;
    p.propose(at, payload(TAG_CLIENT, id), `p${id}`);
  }

  private read(p: ClientPort, at: string): void {
    if (this.reads.size >= SIM_MAX_PENDING_READS) this.reads.delete(this.reads.keys().next().value!);
    const ctx = `r${this.nextRead++}`;
    this.reads.set(ctx, { node: at, minIndex: this.checkers.maxCommittedIndex });
    p.readIndex(at, ctx);
  }

  /** Hook: `node` applied `e`. */
  onApplied(node: string, e: Entry, p: ClientPort): void {
    const parsed = parsePayload(e);
    if (parsed === null) return;
    const [tag, id] = parsed;
    if (tag === TAG_PROBE) {
      this.probeAppliedBy.add(node);
      return;
    }
    if (tag !== TAG_CLIENT || this.pending.get(id) !== node) return;
    this.pending.delete(id);
    this.acked++;
    this.checkers.onAck(e.index, `p${id}`);
    p.note('ack', node, `p${id} committed at ${e.index}`);
  }

  /** Hook: `node` confirmed a read. */
  onReadState(node: string, rs: ReadState): void {
    const r = this.reads.get(rs.requestCtx);
    if (r === undefined || r.node !== node) return;
    this.reads.delete(rs.requestCtx);
    this.readsDone++;
    if (rs.index < r.minIndex) {
      throw new SimViolation('linearizable-read', `${node} answered read ${rs.requestCtx} at index ${rs.index}, below index ${r.minIndex} committed before the read began`);
    }
  }

  /** Liveness phase: (re)proposes the probe at the leader every retryUs until it is applied. */
  probe(p: ClientPort, retryUs: number): void {
    if (this.probeAppliedBy.size > 0 && p.nowUs - this.lastProbeUs < retryUs * 4) return;
    if (p.nowUs - this.lastProbeUs < retryUs) return;
    const l = p.leader();
    if (l === null) return;
    this.lastProbeUs = p.nowUs;
    this.probeAttempts++;
    p.propose(l, payload(TAG_PROBE, this.probeAttempts), `probe#${this.probeAttempts}`);
  }
}
