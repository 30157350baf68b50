// Rules of the leader's per-follower flow control (raft/inflights.ts, raft/progress.ts), tested on
// the classes directly: the inflight window against a naive queue model, and the probe /
// replicate / snapshot state machine's next/match rules (etcd's Progress, Raft §5.3 next index).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Inflights } from '../../daemon/src/raft/inflights.js';
import { Progress, type SnapshotSend } from '../../daemon/src/raft/progress.js';
import { RAFT_MAX_INFLIGHT_APPENDS } from '../../daemon/src/common/limits.js';

type Op = { kind: 'add' } | { kind: 'freeLE'; back: number } | { kind: 'freeFirstOne' } | { kind: 'reset' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Op>({ kind: 'add' }) },
  { weight: 2, arbitrary: fc.nat({ max: 6 }).map((back): Op => ({ kind: 'freeLE', back })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'freeFirstOne' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'reset' }) },
);

function snap(index: number): SnapshotSend {
  return { index, term: 1, totalBytes: 10, sentOffsetBytes: 0, ackedOffsetBytes: 0, ackedSinceHeartbeat: false, sentAny: false };
}

describe('inflight window (flow control: at most capacity unacknowledged appends, freed oldest first)', () => {
  it('behaves as a bounded FIFO of increasing last indexes: full at capacity, freeLE frees the acknowledged prefix', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (cap, ops) => {
      const w = new Inflights(cap);
      const model: number[] = [];
      let last = 0;
      for (const o of ops) {
        if (o.kind === 'add') {
          if (model.length === cap) {
            expect(() => w.add(last + 1)).toThrow();
            continue;
          }
          last += 1 + (last % 3);
          w.add(last);
          model.push(last);
        } else if (o.kind === 'freeLE') {
          const upTo = last - o.back;
          w.freeLE(upTo);
          while (model.length > 0 && model[0]! <= upTo) model.shift();
        } else if (o.kind === 'freeFirstOne') {
          w.freeFirstOne();
          model.shift();
        } else {
          w.reset();
          model.length = 0;
        }
        expect(w.size()).toBe(model.length);
        expect(w.full()).toBe(model.length === cap);
      }
    }));
  });

  it('refuses an append whose last index does not increase, and a capacity outside 1..RAFT_MAX_INFLIGHT_APPENDS', () => {
    const w = new Inflights(3);
    w.add(5);
    expect(() => w.add(5)).toThrow(/increase/);
    expect(() => w.add(4)).toThrow(/increase/);
    // After wrapping around the ring, the newest is still the one compared against.
    w.add(6);
    w.add(7);
    w.freeLE(6);
    w.add(9);
    expect(() => w.add(8)).toThrow(/increase/);
    w.freeFirstOne();
    w.freeFirstOne();
    w.freeFirstOne();
    expect(w.size()).toBe(0);
    w.add(1); // an empty window compares against nothing
    expect(() => new Inflights(0)).toThrow();
    expect(() => new Inflights(RAFT_MAX_INFLIGHT_APPENDS + 1)).toThrow();
    expect(() => new Inflights(1.5)).toThrow();
    expect(new Inflights(RAFT_MAX_INFLIGHT_APPENDS).capacity).toBe(RAFT_MAX_INFLIGHT_APPENDS);
  });
});

describe('progress state machine (next/match per follower)', () => {
  it('probe: one append in flight pauses the follower until an answer; replicate: only a full window pauses; snapshot: always paused', () => {
    const p = new Progress(5, 2);
    expect(p.state).toBe('probe');
    expect(p.isPaused()).toBe(false);
    p.sentEntries(7);
    expect(p.isPaused()).toBe(true);
    expect(p.next).toBe(5); // a probe does not advance next optimistically
    expect(p.maybeUpdate(7)).toBe(true);
    expect(p.isPaused()).toBe(false);
    expect([p.match, p.next]).toEqual([7, 8]);
    p.becomeReplicate();
    expect(p.next).toBe(8);
    p.sentEntries(9);
    expect(p.next).toBe(10); // optimistic
    expect(p.isPaused()).toBe(false);
    p.sentEntries(11);
    expect(p.isPaused()).toBe(true);
    p.becomeSnapshot(snap(20));
    expect(p.isPaused()).toBe(true);
    expect(p.inflights.size()).toBe(0);
  });

  it('match only grows; next never goes below match + 1 on an ack; a repeated ack reports no update', () => {
    const p = new Progress(10, 4);
    expect(p.maybeUpdate(6)).toBe(true);
    expect([p.match, p.next]).toEqual([6, 10]);
    expect(p.maybeUpdate(6)).toBe(false);
    expect(p.maybeUpdate(3)).toBe(false);
    expect(p.match).toBe(6);
    expect(p.maybeUpdate(12)).toBe(true);
    expect([p.match, p.next]).toEqual([12, 13]);
  });

  it('an ack keeps a probe paused only if it advanced nothing (the probe it answered may still be lost)', () => {
    const p = new Progress(5, 2);
    p.maybeUpdate(4);
    p.sentEntries(6);
    expect(p.maybeUpdate(4)).toBe(false);
    expect(p.isPaused()).toBe(true);
  });

  it('a rejection in replicate goes back to match + 1 unless it is stale (at or below match)', () => {
    const p = new Progress(1, 4);
    p.maybeUpdate(5);
    p.becomeReplicate();
    p.sentEntries(8);
    expect(p.maybeDecrTo(5, 3)).toBe(false);
    expect(p.maybeDecrTo(4, 3)).toBe(false);
    expect(p.next).toBe(9);
    expect(p.maybeDecrTo(6, 3)).toBe(true);
    expect(p.next).toBe(6);
  });

  it('a rejection in probe counts only for the probe sent (prevLogIndex next - 1); next drops to the hint but not below match + 1', () => {
    const p = new Progress(10, 4);
    p.maybeUpdate(3);
    p.sentEntries(12);
    expect(p.maybeDecrTo(8, 5)).toBe(false); // not the probe in flight
    expect([p.next, p.isPaused()]).toEqual([10, true]);
    expect(p.maybeDecrTo(9, 6)).toBe(true);
    expect([p.next, p.isPaused()]).toEqual([6, false]);
    p.sentEntries(9);
    expect(p.maybeDecrTo(5, 1)).toBe(true);
    expect(p.next).toBe(4); // hint 1 is below match + 1
    p.sentEntries(4);
    expect(p.maybeDecrTo(3, 9)).toBe(true);
    expect(p.next).toBe(4); // min(rejected 3, hint 9) = 3, then max with match + 1
  });

  it('becomeProbe after a snapshot resumes after the snapshot (or after match if higher); otherwise at match + 1', () => {
    const p = new Progress(1, 4);
    p.maybeUpdate(3);
    p.becomeSnapshot(snap(20));
    p.becomeProbe();
    expect([p.state, p.next, p.snap]).toEqual(['probe', 21, null]);
    p.maybeUpdate(30);
    p.becomeSnapshot(snap(20));
    p.becomeProbe();
    expect(p.next).toBe(31);
    p.becomeReplicate();
    p.sentEntries(40);
    p.becomeProbe();
    expect([p.next, p.isPaused(), p.inflights.size()]).toEqual([31, false, 0]);
  });

  it('every state change clears the probe pause, the window and the snapshot in flight', () => {
    const p = new Progress(1, 2);
    p.sentEntries(1);
    p.becomeReplicate();
    expect(p.isPaused()).toBe(false);
    p.sentEntries(1);
    p.sentEntries(2);
    p.becomeSnapshot(snap(9));
    expect(p.inflights.size()).toBe(0);
    p.becomeReplicate();
    expect([p.snap, p.isPaused()]).toEqual([null, false]);
    p.becomeProbe();
    p.sentEntries(3);
    p.becomeSnapshot(snap(9));
    p.becomeProbe();
    expect(p.isPaused()).toBe(false);
  });

  it('round acks (lease R1) only move forward, round and tick each', () => {
    const p = new Progress(1, 1);
    expect([p.ackedRound, p.ackedRoundTick]).toEqual([-1, -1]);
    p.ackRound(3, 40);
    p.ackRound(2, 50);
    expect([p.ackedRound, p.ackedRoundTick]).toEqual([3, 50]);
    p.ackRound(4, 10);
    expect([p.ackedRound, p.ackedRoundTick]).toEqual([4, 50]);
  });
});
