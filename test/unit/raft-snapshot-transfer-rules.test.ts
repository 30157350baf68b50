// Follower-side rules of chunked snapshot transfer (daemon/src/raft/snapshot-transfer.ts):
// strict in-order reassembly per (leader term, index, term, size), gaps and duplicates
// counted and never stored, foreign transfers refused unless they start at offset 0, the
// stored chunk is a copy, an empty snapshot installs, and a snapshot at the commit index is
// not installed. Each test drives one follower RawNode with hand-built MsgSnap messages.
import { describe, expect, it } from 'vitest';
import { RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS, SNAPSHOT_CHUNK_BYTES, SNAPSHOT_KEEP_TRAILING_ENTRIES } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { RawNode } from '../../daemon/src/raft/rawnode.js';
import type { Message, MsgSnap, MsgSnapResp } from '../../daemon/src/raft/types.js';
import { Net, bytes } from '../paper/harness.js';

const CONF = { voters: [nodeId('a'), nodeId('b'), nodeId('c')], learners: [] };

interface Shape { leaderTerm?: number; index?: number; snapTerm?: number; totalBytes?: number }

function follower(): { rb: RawNode; t: number } {
  const net = new Net({ voters: ['a', 'b', 'c'] });
  net.elect('a');
  const rb = net.rn('b');
  rb.ready(); // discard anything pending
  return { rb, t: rb.status().term };
}

function chunk(t: number, offsetBytes: number, data: number[], s: Shape = {}): MsgSnap {
  return { type: 'snap', from: nodeId('a'), to: nodeId('b'), term: term(s.leaderTerm ?? t),
    meta: { index: logIndex(s.index ?? 100), term: term(s.snapTerm ?? t), conf: CONF },
    offsetBytes, totalBytes: s.totalBytes ?? 4, chunk: Uint8Array.from(data) };
}

function out(rb: RawNode): Message[] {
  if (!rb.hasReady()) return [];
  const rd = rb.ready();
  const msgs = rd.messages;
  rb.advance(rd);
  return msgs;
}

function lastSnapResp(msgs: Message[]): MsgSnapResp {
  const r = msgs.filter((m): m is MsgSnapResp => m.type === 'snap-resp');
  expect(r.length).toBeGreaterThan(0);
  return r[r.length - 1]!;
}

describe('snapshot transfer, follower side', () => {
  it('a gap and a duplicate are counted, not stored, and answered with the offset still needed', () => {
    const { rb, t } = follower();
    const d0 = rb.status().droppedMessages;
    rb.step(chunk(t, 0, [1, 2]));
    expect(lastSnapResp(out(rb))).toMatchObject({ nextOffsetBytes: 2, reject: false, index: 100 });
    expect(rb.status().droppedMessages).toBe(d0);
    rb.step(chunk(t, 3, [9])); // gap
    expect(lastSnapResp(out(rb))).toMatchObject({ nextOffsetBytes: 2, reject: false });
    expect(rb.status().droppedMessages).toBe(d0 + 1);
    rb.step(chunk(t, 0, [7, 7])); // duplicate of the first chunk, different bytes
    expect(lastSnapResp(out(rb))).toMatchObject({ nextOffsetBytes: 2, reject: false });
    expect(rb.status().droppedMessages).toBe(d0 + 2);
    rb.step(chunk(t, 2, [3, 4])); // the last chunk
    const rd = rb.ready();
    expect(rd.snapshot?.data).toEqual(Uint8Array.from([1, 2, 3, 4]));
    expect(rd.messages.find((m) => m.type === 'app-resp')).toMatchObject({ index: 100, reject: false });
    expect(rb.status().droppedMessages).toBe(d0 + 2);
  });

  it('the stored chunk is a copy: the sender reusing its buffer does not change the snapshot', () => {
    const { rb, t } = follower();
    const first = chunk(t, 0, [1, 2]);
    rb.step(first);
    first.chunk.fill(0xee);
    rb.step(chunk(t, 2, [3, 4]));
    expect(rb.ready().snapshot?.data).toEqual(Uint8Array.from([1, 2, 3, 4]));
  });

  const foreign: [string, Shape][] = [
    ['a newer leader term', { leaderTerm: 99 }],
    ['another snapshot index', { index: 101 }],
    ['another snapshot term', { snapTerm: 1 }],
    ['another total size', { totalBytes: 5 }],
  ];
  for (const [what, shape] of foreign) {
    it(`a middle chunk of ${what} is refused with offset 0, counted, and not stored`, () => {
      const { rb, t } = follower();
      rb.step(chunk(t, 0, [1, 2]));
      out(rb);
      const d0 = rb.status().droppedMessages;
      const m = chunk(t, 2, [3, 4], shape);
      rb.step(m);
      const msgs = out(rb);
      expect(msgs.some((x) => x.type === 'app-resp')).toBe(false);
      expect(lastSnapResp(msgs)).toMatchObject({ nextOffsetBytes: 0, reject: false, index: m.meta.index });
      expect(rb.status().droppedMessages).toBe(d0 + 1);
      // the partial copy of the first transfer survived: its last chunk completes it (not
      // checkable after a newer leader term: the old leader's chunk is then stale)
      if (shape.leaderTerm === undefined) {
        rb.step(chunk(t, 2, [3, 4]));
        expect(rb.ready().snapshot?.data).toEqual(Uint8Array.from([1, 2, 3, 4]));
      }
    });

    it(`a first chunk of ${what} restarts reassembly`, () => {
      const { rb, t } = follower();
      rb.step(chunk(t, 0, [1, 2]));
      out(rb);
      const total = shape.totalBytes ?? 4;
      rb.step(chunk(t, 0, [5, 6], shape));
      expect(lastSnapResp(out(rb))).toMatchObject({ nextOffsetBytes: 2 });
      rb.step(chunk(t, 2, total === 5 ? [7, 8, 9] : [7, 8], shape));
      const rd = rb.ready();
      expect(rd.snapshot?.data).toEqual(Uint8Array.from(total === 5 ? [5, 6, 7, 8, 9] : [5, 6, 7, 8]));
    });
  }

  it('an empty snapshot (0 bytes) installs from its single empty chunk', () => {
    const { rb, t } = follower();
    rb.step(chunk(t, 0, [], { totalBytes: 0 }));
    const rd = rb.ready();
    expect(rd.snapshot?.data).toEqual(new Uint8Array(0));
    expect(rd.snapshot?.meta.index).toBe(100);
    expect(rd.messages.find((m) => m.type === 'app-resp')).toMatchObject({ index: 100 });
  });

  it('a snapshot whose index equals the follower commit is not installed; the commit is reported', () => {
    const { rb, t } = follower();
    const commit = rb.status().commit;
    // only the first of two chunks: reassembling it would answer with a snap-resp instead
    rb.step(chunk(t, 0, [1], { index: commit, totalBytes: 2 }));
    const rd = rb.ready();
    expect(rd.snapshot).toBeNull();
    expect(rd.messages.find((m) => m.type === 'app-resp')).toMatchObject({ index: commit, reject: false });
  });
});

// ---- leader side ----

function laggingFollower(snapData: Uint8Array): Net {
  const net = new Net({ voters: ['a', 'b', 'c'] });
  net.elect('a');
  net.crash('c');
  for (let i = 0; i < SNAPSHOT_KEEP_TRAILING_ENTRIES + 50; i++) {
    net.rn('a').propose(bytes(`v${i}`));
    if (i % 500 === 499) net.stabilize();
  }
  net.stabilize();
  expect(net.compact('a', snapData)).not.toBeNull();
  net.restart('c');
  return net;
}

/** Ticks and delivers until a first snapshot chunk to c is in flight; returns the undelivered chunks to c. */
function firstBurst(net: Net): MsgSnap[] {
  for (let i = 0; i < 20; i++) {
    net.tick('a');
    net.tick('c');
    const q = net.flush();
    const snaps = q.filter((m): m is MsgSnap => m.type === 'snap' && m.to === 'c');
    if (snaps.length > 0) return snaps;
    for (const m of q) net.deliver(m);
  }
  throw new Error('no snapshot sent');
}

describe('snapshot transfer, leader side', () => {
  const CHUNKS = RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS + 2;

  it('at most RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS chunks are unacknowledged; each ack opens the window by one', () => {
    const data = new Uint8Array(CHUNKS * SNAPSHOT_CHUNK_BYTES).map((_, i) => i & 0xff);
    const net = laggingFollower(data);
    const burst = firstBurst(net);
    expect(burst.map((m) => m.offsetBytes)).toEqual(
      Array.from({ length: RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS }, (_, i) => i * SNAPSHOT_CHUNK_BYTES));
    // an ack claiming bytes never sent is ignored: nothing new goes out
    const ra = net.rn('a');
    const resp = (nextOffsetBytes: number, reject = false): Message => ({ type: 'snap-resp', from: nodeId('c'), to: nodeId('a'),
      term: term(ra.status().term), index: burst[0]!.meta.index, nextOffsetBytes, reject });
    ra.step(resp((RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS + 1) * SNAPSHOT_CHUNK_BYTES));
    expect(net.flush().filter((m) => m.type === 'snap')).toEqual([]);
    // an ack for another snapshot index is ignored
    ra.step({ ...resp(SNAPSHOT_CHUNK_BYTES), index: logIndex(burst[0]!.meta.index + 1) } as Message);
    expect(net.flush().filter((m) => m.type === 'snap')).toEqual([]);
    ra.step(resp(SNAPSHOT_CHUNK_BYTES));
    const next = net.flush().filter((m): m is MsgSnap => m.type === 'snap');
    expect(next.map((m) => m.offsetBytes)).toEqual([RAFT_MAX_INFLIGHT_SNAPSHOT_CHUNKS * SNAPSHOT_CHUNK_BYTES]);
    // a reject sends the follower back to probing: the transfer stops
    ra.step(resp(0, true));
    expect(net.flush().filter((m) => m.type === 'snap' && m.offsetBytes !== 0)).toEqual([]);
  });

  it('an ack of everything sent opens the whole window; an ack below the acknowledged offset goes back to it', () => {
    const C = SNAPSHOT_CHUNK_BYTES;
    const net = laggingFollower(new Uint8Array(CHUNKS * C).fill(3));
    const burst = firstBurst(net);
    const ra = net.rn('a');
    const resp = (nextOffsetBytes: number): Message => ({ type: 'snap-resp', from: nodeId('c'), to: nodeId('a'),
      term: term(ra.status().term), index: burst[0]!.meta.index, nextOffsetBytes, reject: false });
    const offsets = (): number[] => net.flush().filter((m): m is MsgSnap => m.type === 'snap').map((m) => m.offsetBytes / C);
    ra.step(resp(4 * C)); // exactly what was sent
    expect(offsets()).toEqual([4, 5]);
    ra.step(resp(5 * C));
    expect(offsets()).toEqual([]);
    ra.step(resp(5 * C)); // same offset again: not a go-back
    expect(offsets()).toEqual([]);
    ra.step(resp(2 * C)); // the follower lost its partial copy beyond 2 chunks
    expect(offsets()).toEqual([2, 3, 4, 5]);
    // heartbeat replies: the first after an ack resends nothing; a second one with no ack in
    // between resends from the acknowledged offset (go-back-N)
    const hb = { type: 'heartbeat-resp', from: nodeId('c'), to: nodeId('a'), term: term(ra.status().term),
      round: 0, roundTick: 0 } as Message;
    ra.step(hb);
    expect(offsets()).toEqual([]);
    ra.step(hb);
    expect(offsets()).toEqual([2, 3, 4, 5]);
  });

  it('a lost burst is resent from the acknowledged offset after a heartbeat interval without acks', () => {
    const C = SNAPSHOT_CHUNK_BYTES;
    const data = new Uint8Array(CHUNKS * C).map((_, i) => (i * 7) & 0xff);
    const net = laggingFollower(data);
    firstBurst(net); // the first window is lost
    const sent: number[] = [];
    net.filter = (m) => {
      if (m.type === 'snap' && m.to === 'c') sent.push(m.offsetBytes / C);
      return true;
    };
    net.tickAll(10);
    expect(net.node('c').snapshotData).toEqual(data);
    expect(sent).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a newer snapshot replaces the one being sent: the transfer restarts from offset 0 with its meta', () => {
    const C = SNAPSHOT_CHUNK_BYTES;
    const net = laggingFollower(new Uint8Array(CHUNKS * C).fill(1));
    const burst = firstBurst(net);
    net.crash('c');
    net.rn('a').propose(bytes('newer'));
    net.stabilize();
    const newer = net.compact('a', new Uint8Array(2 * C).fill(2));
    expect(newer).not.toBeNull();
    expect(newer!.meta.index).toBeGreaterThan(burst[0]!.meta.index);
    const ra = net.rn('a');
    ra.step({ type: 'heartbeat-resp', from: nodeId('c'), to: nodeId('a'), term: term(ra.status().term),
      round: 0, roundTick: 0 } as Message);
    const snaps = net.flush().filter((m): m is MsgSnap => m.type === 'snap' && m.to === 'c');
    expect(snaps.map((m) => [m.meta.index, m.offsetBytes / C])).toEqual([[newer!.meta.index, 0], [newer!.meta.index, 1]]);
  });
});
