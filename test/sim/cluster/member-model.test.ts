// The member register model and its linearizability search (member-model.ts) on hand-made
// histories: each rule the history checker relies on has a history that breaks it and must be
// refused, next to one that keeps it and must be accepted.
import { describe, expect, it } from 'vitest';
import { envReaches, linearizable, opNext, type HistoryOp, type MemberOp, type MemberState, type Outcome } from './member-model.js';

const IN: MemberState = { pres: 'in', wm: false, sticky: false, ro: false };
const OUT: MemberState = { pres: 'out', wm: false, sticky: false, ro: false };
const at = (s: Partial<MemberState>): MemberState => ({ ...IN, ...s });
const ok: Outcome = { ok: true };
const no = (code: string): Outcome => ({ ok: false, code });

function op(name: string, m: MemberOp, invokeUs: number, completeUs: number, outcome: Outcome): HistoryOp {
  return { name, op: m, invokeUs, completeUs, outcome };
}

describe('member model', () => {
  it('allows what md allows and nothing else', () => {
    expect(opNext(OUT, { op: 'hot-add' }, ok)).toEqual([IN]);
    expect(opNext(OUT, { op: 'hot-add' }, no('E_SESSIONS_FULL'))).toEqual([OUT]);
    expect(opNext(at({ pres: 'out', ro: true }), { op: 'hot-add' }, ok)).toEqual([]);
    expect(opNext(at({ ro: true }), { op: 'set-faulty' }, ok)).toEqual([at({ pres: 'faulty', ro: true })]);
    expect(opNext(IN, { op: 'read-only' }, ok)).toEqual([at({ ro: true })]);
    expect(opNext(IN, { op: 'hot-add' }, ok)).toEqual([]);
    expect(opNext(IN, { op: 'hot-add' }, no('E_DEVICE_BUSY'))).toEqual([IN]);
    expect(opNext(IN, { op: 'set-faulty' }, no('E_LAST_IN_SYNC'))).toEqual([IN]);
    expect(opNext(OUT, { op: 'set-faulty' }, ok)).toEqual([]);
    expect(opNext(IN, { op: 'write-mostly', on: true }, ok)).toEqual([at({ wm: true, sticky: true })]);
    expect(opNext(IN, { op: 'hot-remove' }, no('E_TIMEOUT'))).toEqual([]);
    expect(opNext(at({ pres: 'faulty' }), { op: 'write-mostly', on: true }, ok)).toEqual([]);
    expect(opNext(at({ pres: 'faulty' }), { op: 'write-mostly', on: true }, no('E_INVALID_STATE'))).toEqual([at({ pres: 'faulty' })]);
  });

  it('lets the environment fail or drop a member, never bring it back or revert a client write-mostly', () => {
    expect(envReaches(IN, at({ pres: 'faulty' }))).toBe(true);
    expect(envReaches(IN, OUT)).toBe(true);
    expect(envReaches(OUT, IN)).toBe(false);
    expect(envReaches(at({ pres: 'faulty' }), IN)).toBe(false);
    expect(envReaches(at({ wm: true, sticky: true }), at({ wm: false, sticky: true }))).toBe(false);
    expect(envReaches(at({ wm: true }), at({ wm: false }))).toBe(true);
    expect(envReaches(IN, at({ ro: true }))).toBe(false);
  });
});

describe('linearizability search', () => {
  it('accepts a sequential history the model allows', () => {
    const h = [
      op('c1#1 hot-remove', { op: 'hot-remove' }, 0, 10, ok),
      op('c1#2 hot-add', { op: 'hot-add' }, 20, 30, ok),
      op('c1#3 hot-add', { op: 'hot-add' }, 40, 50, no('E_DEVICE_BUSY')),
    ];
    expect(linearizable(h, IN).ok).toBe(true);
  });

  it('refuses a refusal that reads a state older than an acknowledged change (a stale read)', () => {
    // c1's remove was acknowledged at 10; c2 invoked at 20 was refused "busy" as if the member were still in.
    const h = [
      op('c1#1 hot-remove', { op: 'hot-remove' }, 0, 10, ok),
      op('c2#1 hot-add', { op: 'hot-add' }, 20, 30, no('E_DEVICE_BUSY')),
    ];
    const v = linearizable(h, IN);
    expect(v.ok).toBe(false);
  });

  it('accepts the same two ops when they overlap in time (either order is a linearization)', () => {
    const h = [
      op('c1#1 hot-remove', { op: 'hot-remove' }, 0, 25, ok),
      op('c2#1 hot-add', { op: 'hot-add' }, 20, 30, no('E_DEVICE_BUSY')),
    ];
    expect(linearizable(h, IN).ok).toBe(true);
  });

  it('refuses a member that comes back without an add (the environment cannot do that)', () => {
    const h = [
      op('c1#1 hot-remove', { op: 'hot-remove' }, 0, 10, ok),
      op('c1#2 write-mostly', { op: 'write-mostly', on: true }, 20, 30, ok),
    ];
    expect(linearizable(h, IN).ok).toBe(false);
  });

  it('lets an op with an unknown outcome explain a later answer, or be left out', () => {
    const explained = [
      op('c1#1 hot-remove', { op: 'hot-remove' }, 0, Infinity, null),
      op('c2#1 hot-add', { op: 'hot-add' }, 20, 30, ok),
    ];
    expect(linearizable(explained, IN).ok).toBe(true);
    const leftOut = [
      op('c1#1 hot-add', { op: 'hot-add' }, 0, Infinity, null),
      op('c2#1 hot-add', { op: 'hot-add' }, 20, 30, no('E_DEVICE_BUSY')),
    ];
    expect(linearizable(leftOut, IN).ok).toBe(true);
  });

  it('lets the environment fail a member between two client ops', () => {
    const h = [
      op('c1#1 write-mostly', { op: 'write-mostly', on: true }, 0, 10, ok),
      op('c1#2 hot-remove', { op: 'hot-remove' }, 20, 30, ok), // ok only if md failed it meanwhile or it was a spare
      op('c1#3 re-add', { op: 're-add' }, 40, 50, ok),
    ];
    expect(linearizable(h, IN).ok).toBe(true);
  });

  it('lets an op md refused show its effect for a while (transient), but not keep it', () => {
    // c1's add was applied (c2 saw the member in: busy), then md refused it (undo): c3 adds it fine.
    const h = [
      { ...op('c1#1 hot-add', { op: 'hot-add' }, 0, 50, no('E_KERNEL')), transient: true },
      op('c2#1 hot-add', { op: 'hot-add' }, 10, 20, no('E_DEVICE_BUSY')),
      op('c3#1 hot-add', { op: 'hot-add' }, 60, 70, ok),
    ];
    expect(linearizable(h, OUT).ok).toBe(true);
    // And a refused op's effect cannot outlive its answer.
    const stuck = [h[0], op('c3#1 hot-add', { op: 'hot-add' }, 60, 70, no('E_DEVICE_BUSY'))];
    expect(linearizable(stuck, OUT).ok).toBe(false);
  });

  it('refuses member changes while md0 is read-only, and only then', () => {
    const h = [
      op('c1#1 read-only', { op: 'read-only' }, 0, 10, ok),
      op('c2#1 hot-remove', { op: 'hot-remove' }, 20, 30, no('E_INVALID_STATE')),
      op('c1#2 read-write', { op: 'read-write' }, 40, 50, ok),
      op('c2#2 hot-remove', { op: 'hot-remove' }, 60, 70, ok),
    ];
    expect(linearizable(h, IN).ok).toBe(true);
    expect(linearizable([h[0], h[3]], IN).ok).toBe(false);
  });

  it('handles three concurrent clients with many ops quickly', () => {
    const h: HistoryOp[] = [];
    for (let i = 0; i < 60; i++) {
      const t = i * 10;
      h.push(op(`c${i % 3}#${i}`, i % 2 === 0 ? { op: 'hot-remove' } : { op: 'hot-add' }, t, t + 25, i % 2 === 0 ? ok : ok));
    }
    const v = linearizable(h, IN);
    expect(v.ok).toBe(true);
    expect(v.steps).toBeLessThan(100_000);
  });
});
