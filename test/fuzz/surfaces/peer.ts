// Fuzz surface (a): what a peer can send once its TLS handshake passed: one websocket binary
// message = one frame (transport/frame.ts) whose payload starts with the node's frame type
// (node/ready-loop.ts: 1 Raft message, 2 gossip). Raft payloads are decoded with raft/codec.ts
// (and conf entries with codec-conf.ts) and stepped into a real RawNode of a 3-voter cluster
// (the leader n1 or the follower n2, alternating per world), whose Readies are persisted to
// memory, applied and advanced as the Ready loop does; gossip bodies go to a real Gossip.
// Owns: the world the fuzzer talks to and the structure-aware message generator.
// Invariants checked per input (a violation is a crash): decodeFrame/decodeMessage/
// decodeConfChange never throw; step/ready/advance never throw; the node's term and commit
// index never go back; committed entries are applied in index order without gaps.
// The world is rebuilt every WORLD_INPUTS inputs so terms and logs stay near the generator's
// range (a fuzzed term of 2^40 would otherwise mute every later message).
import fc from 'fast-check';
import { nodeId } from '../../../daemon/src/common/types.js';
import { decodeFrame, encodeFrame, FrameKind } from '../../../daemon/src/transport/frame.js';
import { decodeConfChange, decodeMessage, encodeConfChange, encodeMessage } from '../../../daemon/src/raft/codec.js';
import { Gossip, type GossipHooks } from '../../../daemon/src/node/gossip.js';
import type { Entry, Message } from '../../../daemon/src/raft/types.js';
import { bytes, Net } from '../../paper/harness.js';
import type { Surface, Target } from '../engine.js';

/** Node-level frame types (node/ready-loop.ts). */
const FRAME_RAFT = 1;
const FRAME_GOSSIP = 2;
const WORLD_INPUTS = 500;
/** Inputs between two ticks of the node (timeouts, lease expiry, heartbeats fire). */
const TICK_EVERY = 3;
const IDS = ['n1', 'n2', 'n3'];

class World {
  readonly net = new Net({ voters: IDS });
  readonly target: string;
  readonly gossip: Gossip;
  private lastTerm = 0;
  private lastCommit = 0;

  constructor(readonly generation: number) {
    this.target = generation % 2 === 0 ? 'n1' : 'n2';
    this.net.elect('n1');
    for (let i = 0; i < 5; i++) this.net.rn('n1').propose(bytes(`seed ${i}`));
    this.net.stabilize();
    if (generation % 4 === 1) this.net.compact('n1', bytes('snapshot'));
    const st = this.net.rn(this.target).status();
    this.lastTerm = st.term;
    this.lastCommit = st.commit;
    const hooks: GossipHooks = { term: () => 1, writableDevices: () => [], writableGeneration: () => 0, send: () => undefined, peerIds: () => [nodeId('n2'), nodeId('n3')], voters: () => IDS.map(nodeId) };
    this.gossip = new Gossip(hooks, { monoMs: () => 0, wallMs: () => 0 }, { setInterval: () => ({ cancel() {} }), setTimeout: () => ({ cancel() {} }) }, 10);
  }

  /** One websocket message from a peer. */
  deliver(ws: Uint8Array, tick: boolean): void {
    const frame = decodeFrame(ws);
    if (!frame.ok) return;
    const payload = frame.payload;
    if (payload.length < 1) return;
    const from = payload[0] === FRAME_GOSSIP ? nodeId(this.target === 'n1' ? 'n2' : 'n1') : null;
    if (from !== null) { this.gossip.received(from, payload.subarray(1)); return; }
    if (payload[0] !== FRAME_RAFT) return;
    const msg = decodeMessage(payload.subarray(1));
    // The link's peer is authenticated: the Ready loop drops a message whose from is not it.
    if (msg === null || msg.from === this.target || !IDS.includes(msg.from)) return;
    for (const e of 'entries' in msg ? msg.entries : []) if (e.type === 'conf') decodeConfChange(e.data);
    const n = this.net.node(this.target);
    n.rn.step(msg);
    if (tick) n.rn.tick();
    this.net.drainReadies();
    this.net.queue = [];
    this.check(n.applied);
  }

  private check(applied: Entry[]): void {
    const st = this.net.rn(this.target).status();
    if (st.term < this.lastTerm) throw new Error(`term went back from ${this.lastTerm} to ${st.term}`);
    if (st.commit < this.lastCommit) throw new Error(`commit went back from ${this.lastCommit} to ${st.commit}`);
    const idx = applied.map((e) => e.index);
    for (let i = 1; i < idx.length; i++) if (idx[i] !== idx[i - 1]! + 1) throw new Error(`applied ${idx[i - 1]} then ${idx[i]}`);
    this.lastTerm = st.term;
    this.lastCommit = st.commit;
  }
}

const small = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom(2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER, 2 ** 40));
const peer = fc.constantFrom('n1', 'n2', 'n3', 'n4', 'x');
const entryArb: fc.Arbitrary<Entry> = fc.record({
  term: small, index: small, type: fc.constantFrom('normal' as const, 'conf' as const),
  conf: fc.record({ type: fc.constantFrom('add-learner' as const, 'promote' as const, 'remove' as const), node: peer }),
  data: fc.uint8Array({ maxLength: 16 }),
}).map((e) => ({
  term: e.term, index: e.index, type: e.type,
  data: e.type === 'conf' ? encodeConfChange({ type: e.conf.type, node: nodeId(e.conf.node) }) : e.data,
}) as Entry);
const entries = fc.array(entryArb, { maxLength: 4 });

const messageArb: fc.Arbitrary<Message> = fc.record({
  type: fc.constantFrom('app', 'app-resp', 'heartbeat', 'heartbeat-resp', 'vote', 'vote-resp', 'pre-vote', 'pre-vote-resp',
    'snap', 'snap-resp', 'prop', 'read-index', 'read-index-resp', 'timeout-now', 'transfer-leader'),
  from: peer, to: fc.constantFrom('n1', 'n2', 'n1', 'n2', 'n3', 'x'), term: small, index: small, logTerm: small, commit: small, round: small, roundTick: small,
  reject: fc.boolean(), rejectHint: small, transfer: fc.boolean(), entries,
  meta: fc.record({ index: small, term: small, conf: fc.record({ voters: fc.array(peer, { maxLength: 4 }), learners: fc.array(peer, { maxLength: 2 }) }) }),
  offsetBytes: small, totalBytes: small, chunk: fc.uint8Array({ maxLength: 32 }), nextOffsetBytes: small,
  requestCtx: fc.string({ maxLength: 8 }), target: peer, shape: fc.nat(4),
}).map(({ shape, ...m }) => (shape > 0 ? wellFormed(m) : m) as unknown as Message);

type RawMessage = Record<string, unknown> & { term: number; index: number; logTerm: number; entries: Entry[]; chunk: Uint8Array; meta: { term: number } };

/**
 * Most generated messages keep the relations validateMessage checks (append entries follow
 * index/logTerm with terms up to the message's; a snapshot chunk fits its total), so they get
 * past decoding into the core; the rest test the validation itself.
 */
function wellFormed(m: RawMessage): RawMessage {
  const logTerm = Math.min(m.index, Number.MAX_SAFE_INTEGER - 16) === 0 ? 0 : Math.max(1, Math.min(m.logTerm, m.term));
  const index = Math.min(m.index, Number.MAX_SAFE_INTEGER - 16);
  const entries = m.entries.map((e, i) => ({ ...e, index: index + 1 + i, term: Math.max(logTerm, Math.min(e.term, m.term)) }) as Entry);
  const chunk = m.chunk.length === 0 ? new Uint8Array([1]) : m.chunk;
  return { ...m, index, logTerm, entries, chunk, offsetBytes: 0, totalBytes: chunk.length, meta: { ...m.meta, term: Math.min(m.meta.term, m.term) } };
}

/** A frame the node would receive: mostly well-formed Raft messages to the target, some gossip. */
const frameArb = fc.oneof(
  { weight: 8, arbitrary: messageArb.map((m) => {
    const body = encodeMessage(m);
    return encodeFrame(FrameKind.RAFT, Buffer.concat([Buffer.from([FRAME_RAFT]), body]));
  }) },
  { weight: 1, arbitrary: fc.oneof(fc.json(), fc.record({ applied: small, term: small, writable: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }) }).map((g) => JSON.stringify(g)))
    .map((j) => encodeFrame(FrameKind.RAFT, Buffer.concat([Buffer.from([FRAME_GOSSIP]), Buffer.from(j)]))) },
);

export const peerSurface: Surface = {
  name: 'peer',
  description: 'websocket message bytes -> decodeFrame -> decodeMessage/gossip -> RawNode.step + Ready cycle; refusal: dropped (null), never a throw',
  hangBoundMs: 1000,
  setup(): Promise<Target> {
    let world = new World(0);
    let inputs = 0;
    return Promise.resolve({
      structured: frameArb,
      run: (input: Uint8Array) => {
        if (++inputs % WORLD_INPUTS === 0) world = new World(world.generation + 1);
        world.deliver(input, inputs % TICK_EVERY === 0);
      },
      close: () => Promise.resolve(),
    });
  },
};
