// Paper tests: log compaction and InstallSnapshot (§7), with chunked transfer.
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_KEEP_TRAILING_ENTRIES, SNAPSHOT_MAX_BYTES } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { MsgSnap } from '../../daemon/src/raft/types.js';
import { BOOT3, Net, bytes } from './harness.js';

function fill(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** a leads; c is down while `count` entries commit; then a compacts at its applied index. */
function laggingFollower(count: number, snapData: Uint8Array): Net {
  const net = new Net({ voters: ['a', 'b', 'c'] });
  net.elect('a');
  net.crash('c');
  for (let i = 0; i < count; i++) {
    net.rn('a').propose(bytes(`v${i}`));
    if (i % 500 === 499) net.stabilize();
  }
  net.stabilize();
  expect(net.compact('a', snapData)).not.toBeNull();
  return net;
}

describe('§7 log compaction', () => {
  it('§7 compact() records a snapshot and discards covered entries, keeping SNAPSHOT_KEEP_TRAILING_ENTRIES', () => {
    const net = laggingFollower(SNAPSHOT_KEEP_TRAILING_ENTRIES + 100, bytes('state'));
    const applied = net.rn('a').status().applied;
    // b lags by one trailing window: it is served from the log, not with a snapshot.
    net.crash('b');
    net.restart('b');
    net.tickAll(3);
    expect(net.sent.filter((m) => m.type === 'snap' && m.to === 'b')).toHaveLength(0);
    // c lags beyond the trailing window: it needs the snapshot.
    net.restart('c');
    net.tickAll(5);
    const snaps = net.sent.filter((m): m is MsgSnap => m.type === 'snap' && m.to === 'c');
    expect(snaps.length).toBeGreaterThan(0);
    expect(snaps[0]!.meta.index).toBe(applied);
    expect(net.node('c').snapshotData).toEqual(bytes('state'));
    expect(net.rn('c').status().commit).toBe(net.rn('a').status().commit);
    // the compacted prefix is gone from c's durable log: it starts after the snapshot
    expect(net.node('c').storage.snapshot?.meta.index).toBe(applied);
    expect(net.node('c').storage.entries.every((e) => e.index > applied)).toBe(true);
  });

  it('§7 compact() is refused beyond what was handed out for applying, and ignored when not newer', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    const applied = net.rn('a').status().applied;
    expect(() => net.rn('a').compact(applied + 1, bytes('s'))).toThrow();
    expect(net.rn('a').compact(applied, bytes('s'))).not.toBeNull();
    expect(net.rn('a').compact(applied, bytes('s2'))).toBeNull();
  });
});

describe('§7 InstallSnapshot', () => {
  it('§7 a snapshot larger than one chunk is sent in SNAPSHOT_CHUNK_BYTES pieces and reassembled', () => {
    const data = fill(2 * SNAPSHOT_CHUNK_BYTES + 1234, 7);
    const net = laggingFollower(SNAPSHOT_KEEP_TRAILING_ENTRIES + 50, data);
    net.restart('c');
    net.tickAll(5);
    const snaps = net.sent.filter((m): m is MsgSnap => m.type === 'snap' && m.to === 'c');
    expect(snaps.map((m) => m.offsetBytes)).toEqual([0, SNAPSHOT_CHUNK_BYTES, 2 * SNAPSHOT_CHUNK_BYTES]);
    expect(snaps.every((m) => m.chunk.length <= SNAPSHOT_CHUNK_BYTES)).toBe(true);
    expect(net.node('c').snapshotData).toEqual(data);
    net.rn('a').propose(bytes('after'));
    net.stabilize();
    expect(net.appliedData('c')).toContain('after');
  });

  it('§7 a lost chunk is resent and the transfer completes', () => {
    const data = fill(3 * SNAPSHOT_CHUNK_BYTES, 3);
    const net = laggingFollower(SNAPSHOT_KEEP_TRAILING_ENTRIES + 50, data);
    let dropped = 0;
    net.filter = (m) => {
      if (m.type === 'snap' && m.offsetBytes === SNAPSHOT_CHUNK_BYTES && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    net.restart('c');
    net.tickAll(10);
    expect(dropped).toBe(1);
    expect(net.node('c').snapshotData).toEqual(data);
    expect(net.log('c')).toEqual(net.log('a').filter((e) => Number(e.split('@')[0]) > net.node('c').storage.snapshot!.meta.index));
  });

  it('§7 a follower that restarts in the middle of a transfer gets the snapshot again from the start', () => {
    const data = fill(6 * SNAPSHOT_CHUNK_BYTES + 10, 5);
    const net = laggingFollower(SNAPSHOT_KEEP_TRAILING_ENTRIES + 50, data);
    let chunksToC = 0;
    net.filter = (m) => {
      if (m.type === 'snap' && m.to === 'c') chunksToC++;
      // after four chunks were acknowledged, c crashes and restarts (its partial copy is lost)
      if (m.type === 'snap' && m.to === 'c' && chunksToC === 6) {
        net.crash('c');
        net.restart('c');
        return false;
      }
      return true;
    };
    net.restart('c');
    net.tickAll(10);
    net.filter = null;
    net.tickAll(5);
    expect(net.node('c').snapshotData).toEqual(data);
    expect(net.rn('c').status().commit).toBe(net.rn('a').status().commit);
  });

  it('§7 a snapshot no newer than the follower\'s commit is not installed; the follower reports its commit', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    const rb = net.rn('b');
    const commit = rb.status().commit;
    rb.step({ type: 'snap', from: nodeId('a'), to: nodeId('b'), term: term(2), meta: { index: logIndex(BOOT3), term: term(1),
      conf: { voters: [nodeId('a'), nodeId('b'), nodeId('c')], learners: [] } }, offsetBytes: 0, totalBytes: 1, chunk: bytes('s') });
    const rd = rb.ready();
    expect(rd.snapshot).toBeNull();
    expect(rd.messages[0]).toMatchObject({ type: 'app-resp', index: commit, reject: false });
  });

  it('§7 a snapshot claiming more than SNAPSHOT_MAX_BYTES is dropped and counted', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const rb = net.rn('b');
    rb.step({ type: 'snap', from: nodeId('a'), to: nodeId('b'), term: term(2), meta: { index: logIndex(100), term: term(2),
      conf: { voters: [nodeId('a'), nodeId('b'), nodeId('c')], learners: [] } }, offsetBytes: 0, totalBytes: SNAPSHOT_MAX_BYTES + 1, chunk: bytes('s') });
    expect(rb.status().droppedMessages).toBe(1);
    expect(rb.ready().messages).toEqual([]);
  });

  it('§7 a node restarts from its snapshot plus the entries after it', () => {
    const net = laggingFollower(SNAPSHOT_KEEP_TRAILING_ENTRIES + 20, bytes('S'));
    net.restart('c');
    net.tickAll(5);
    net.crash('c');
    net.restart('c');
    const st = net.rn('c').status();
    expect(st.lastIndex).toBe(net.rn('a').status().lastIndex);
    expect(net.node('c').snapshotData).toEqual(bytes('S'));
    net.tickAll(3);
    expect(net.rn('c').status().applied).toBe(net.rn('a').status().applied);
  });
});
