// Membership change rules (raft/conf.ts): single-server changes (dissertation §4.1) with
// learners. Every node derives the membership from the same log, so applyConfChange must be total
// (an inapplicable change is a no-op) and produce disjoint, sorted, bounded member lists.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyConfChange, cloneConf, confChangeError, confEquals, emptyConf, isLearner, isMember, isVoter, members, normalizeConf }
  from '../../daemon/src/raft/conf.js';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import { RAFT_MAX_MEMBERS } from '../../daemon/src/common/limits.js';
import type { ConfChange, ConfState } from '../../daemon/src/raft/types.js';
import { decodeConfChange, encodeConfChange } from '../../daemon/src/raft/codec-conf.js';

const ids = (...s: string[]): NodeId[] => s.map(nodeId);
const conf = (voters: string[], learners: string[] = []): ConfState => ({ voters: ids(...voters), learners: ids(...learners) });
const cc = (type: ConfChange['type'], node: string): ConfChange => ({ type, node: nodeId(node) });
const many = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('membership change rules', () => {
  it('add-learner: refuses a node that is already a voter or learner, and a change past RAFT_MAX_MEMBERS', () => {
    const c = conf(['a', 'b'], ['c']);
    expect(confChangeError(c, cc('add-learner', 'a'))).toBe('E_INVALID_STATE');
    expect(confChangeError(c, cc('add-learner', 'c'))).toBe('E_INVALID_STATE');
    expect(confChangeError(c, cc('add-learner', 'd'))).toBeNull();
    const almost = conf(many(RAFT_MAX_MEMBERS - 2, 'v'), ['l0']);
    expect(confChangeError(almost, cc('add-learner', 'x'))).toBeNull();
    const fullV = conf(many(RAFT_MAX_MEMBERS - 1, 'v'), ['l0']);
    expect(confChangeError(fullV, cc('add-learner', 'x'))).toBe('E_TOO_LARGE');
    const fullL = conf(['v0'], many(RAFT_MAX_MEMBERS - 1, 'l'));
    expect(confChangeError(fullL, cc('add-learner', 'x'))).toBe('E_TOO_LARGE');
  });

  it('promote: only a learner becomes a voter; a voter is refused as invalid, a stranger as unknown', () => {
    const c = conf(['a'], ['b']);
    expect(confChangeError(c, cc('promote', 'b'))).toBeNull();
    expect(confChangeError(c, cc('promote', 'a'))).toBe('E_INVALID_STATE');
    expect(confChangeError(c, cc('promote', 'z'))).toBe('E_UNKNOWN_NODE');
    expect(applyConfChange(c, cc('promote', 'b'))).toEqual(conf(['a', 'b']));
  });

  it('remove: never the last voter; a learner may go even beside a single voter; a stranger is unknown', () => {
    expect(confChangeError(conf(['a']), cc('remove', 'a'))).toBe('E_INVALID_STATE');
    expect(confChangeError(conf(['a'], ['b']), cc('remove', 'b'))).toBeNull();
    expect(confChangeError(conf(['a', 'b']), cc('remove', 'a'))).toBeNull();
    expect(confChangeError(conf(['a']), cc('remove', 'z'))).toBe('E_UNKNOWN_NODE');
    expect(applyConfChange(conf(['a', 'b'], ['c']), cc('remove', 'a'))).toEqual(conf(['b'], ['c']));
    expect(applyConfChange(conf(['a', 'b'], ['c']), cc('remove', 'c'))).toEqual(conf(['a', 'b']));
  });

  it('an inapplicable change leaves the membership as it is (the same object: every node skips it alike)', () => {
    const c = conf(['a'], ['b']);
    // removing a: the last voter (b is only a learner)
    for (const x of [cc('add-learner', 'a'), cc('promote', 'a'), cc('promote', 'z'), cc('remove', 'z'), cc('remove', 'a')]) {
      expect(applyConfChange(c, x)).toBe(c);
    }
  });

  it('applied changes keep voters and learners sorted, disjoint and within RAFT_MAX_MEMBERS, and never touch the input', () => {
    const node = fc.constantFrom(...many(RAFT_MAX_MEMBERS + 2, 'n'));
    const change = fc.record({ type: fc.constantFrom<ConfChange['type']>('add-learner', 'promote', 'remove'), node }).map((x) => cc(x.type, x.node));
    fc.assert(fc.property(fc.array(change, { maxLength: 40 }), (changes) => {
      let c = conf(['n0']);
      for (const x of changes) {
        const before = JSON.stringify(c);
        const err = confChangeError(c, x);
        const next = applyConfChange(c, x);
        expect(JSON.stringify(c)).toBe(before);
        if (err !== null) {
          expect(next).toBe(c);
          continue;
        }
        for (const list of [next.voters, next.learners]) expect(list).toEqual([...list].sort());
        expect(new Set(members(next)).size).toBe(members(next).length);
        expect(members(next).length).toBeLessThanOrEqual(RAFT_MAX_MEMBERS);
        expect(next.voters.length).toBeGreaterThanOrEqual(1);
        if (x.type === 'add-learner') expect([isLearner(next, x.node), members(next).length]).toEqual([true, members(c).length + 1]);
        if (x.type === 'promote') expect([isVoter(next, x.node), isLearner(next, x.node), members(next).length]).toEqual([true, false, members(c).length]);
        if (x.type === 'remove') expect([isMember(next, x.node), members(next).length]).toEqual([false, members(c).length - 1]);
        c = next;
      }
    }));
  });

  it('normalizeConf sorts a copy and refuses duplicates (also across voters and learners) and more than RAFT_MAX_MEMBERS', () => {
    const input = conf(['c', 'a'], ['d', 'b']);
    expect(normalizeConf(input)).toEqual(conf(['a', 'c'], ['b', 'd']));
    expect(input).toEqual(conf(['c', 'a'], ['d', 'b']));
    expect(normalizeConf(conf(['a', 'a']))).toBeNull();
    expect(normalizeConf(conf(['a'], ['a']))).toBeNull();
    expect(normalizeConf(conf(['a'], ['b', 'b']))).toBeNull();
    expect(normalizeConf(conf(many(RAFT_MAX_MEMBERS - 1, 'v'), ['l']))).not.toBeNull();
    expect(normalizeConf(conf(many(RAFT_MAX_MEMBERS, 'v'), ['l']))).toBeNull();
    expect(normalizeConf(emptyConf())).toEqual(conf([]));
  });

  it('confEquals ignores order but not the voter/learner split or an extra member', () => {
    expect(confEquals(conf(['b', 'a'], ['d', 'c']), conf(['a', 'b'], ['c', 'd']))).toBe(true);
    expect(confEquals(conf(['a', 'b']), conf(['a'], ['b']))).toBe(false);
    expect(confEquals(conf(['a'], ['b']), conf(['a'], ['c']))).toBe(false);
    expect(confEquals(conf(['a']), conf(['a', 'b']))).toBe(false);
    expect(confEquals(conf(['a', 'b']), conf(['a']))).toBe(false);
    expect(confEquals(conf(['a'], []), conf(['a'], ['b']))).toBe(false);
  });

  it('confEquals needs every member to match: one differing member of the same count is a different conf; no learners on both sides is equal', () => {
    expect(confEquals(conf(['a', 'b']), conf(['a', 'c']))).toBe(false);
    expect(confEquals(conf(['a'], ['b', 'c']), conf(['a'], ['b', 'd']))).toBe(false);
    expect(confEquals(conf(['b', 'a']), conf(['a', 'b']))).toBe(true);
  });

  it('cloneConf copies the lists; members lists voters then learners', () => {
    const c = conf(['a'], ['b']);
    const d = cloneConf(c);
    d.voters.push(nodeId('x'));
    d.learners.push(nodeId('y'));
    expect(c).toEqual(conf(['a'], ['b']));
    expect(members(conf(['b', 'c'], ['a']))).toEqual(ids('b', 'c', 'a'));
    expect(emptyConf()).toEqual({ voters: [], learners: [] });
    expect([isVoter(c, nodeId('b')), isLearner(c, nodeId('a')), isMember(c, nodeId('z'))]).toEqual([false, false, false]);
  });
});

describe('conf change entries (raft/codec-conf.ts): every node must decode the same change or none', () => {
  it('round-trips each change type; the bytes are version 1, the type number, then the node id', () => {
    for (const [i, type] of (['add-learner', 'promote', 'remove'] as const).entries()) {
      const bytes = encodeConfChange(cc(type, 'node-2'));
      expect(Array.from(bytes.slice(0, 2))).toEqual([1, i]);
      expect(decodeConfChange(bytes)).toEqual(cc(type, 'node-2'));
    }
  });

  it('decodes to null: another version, an unknown type number, a bad node id, a truncated or padded entry', () => {
    const good = encodeConfChange(cc('promote', 'b'));
    const patched = (at: number, v: number) => { const b = good.slice(); b[at] = v; return b; };
    expect(decodeConfChange(patched(0, 0))).toBeNull();
    expect(decodeConfChange(patched(0, 2))).toBeNull();
    expect(decodeConfChange(patched(1, 3))).toBeNull();
    expect(decodeConfChange(good.slice(0, good.length - 1))).toBeNull();
    expect(decodeConfChange(new Uint8Array([...good, 0]))).toBeNull();
    expect(decodeConfChange(new Uint8Array(0))).toBeNull();
    expect(decodeConfChange(encodeConfChange({ type: 'remove', node: 'has space' as NodeId }))).toBeNull();
  });
});
