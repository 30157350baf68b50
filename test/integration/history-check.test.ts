// The history checks (lib/history-check.ts) on small hand-made histories: each check passes a
// correct history and reports the planted violation, so the cluster test cannot pass vacuously.
import { describe, expect, test } from 'vitest';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import type { OpRecord } from './lib/history-clients.js';
import { checkAcked, checkDuplicates, checkRealTimeOrder, checkRegisters } from './lib/history-check.js';
import { requestKey, type RequestTrace } from './lib/history-log.js';

const wm = (on: boolean): Record<string, unknown> => ({ op: 'write-mostly', device: 'md0', member: '/dev/sdb', on });
function op(client: string, seq: number, command: Record<string, unknown>, invoke: number, complete: number, outcome: OpRecord['outcome'], index?: number): OpRecord {
  return { client, seq, command, invokeWallMs: invoke, completeWallMs: complete, outcome, index, md: outcome === 'ok' ? 'done' : undefined, nodes: ['n1'], ...(outcome === 'refused' ? { code: 'E_INVALID_STATE' } : {}) };
}
function trace(client: string, seq: number, appliedAt: number[], applyOk = true): [string, RequestTrace] {
  return [requestKey(client, seq), { client, seq, op: 'write-mostly', appliedAt, duplicateAt: [], expiredAt: [], applyOk: appliedAt.length ? applyOk : null, applyCode: null }];
}
function stateWith(writeMostly: boolean): ClusterState {
  const s = emptyClusterState();
  s.arrays.push({ device: 'md0', members: [{ path: '/dev/sdb', role: 'active', writeMostly }] } as unknown as ClusterState['arrays'][number]);
  return s;
}

describe('history checks', () => {
  test('duplicates: one application passes, two are reported', () => {
    expect(checkDuplicates(new Map([trace('a', 1, [10])]))).toEqual([]);
    expect(checkDuplicates(new Map([trace('a', 1, [10, 12])]))).toHaveLength(1);
  });

  test('acked ops: applied once at the answered index passes; missing, moved, refused or undone is reported', () => {
    const o = [op('a', 1, wm(true), 0, 10, 'ok', 10)];
    const s = stateWith(true);
    expect(checkAcked(o, new Map([trace('a', 1, [10])]), new Map(), s)).toEqual([]);
    expect(checkAcked(o, new Map(), new Map(), s)).toHaveLength(1);
    expect(checkAcked(o, new Map([trace('a', 1, [11])]), new Map(), s)).toHaveLength(1);
    expect(checkAcked(o, new Map([trace('a', 1, [10], false)]), new Map(), s)).toHaveLength(1);
    expect(checkAcked(o, new Map([trace('a', 1, [10])]), new Map([[requestKey('a', 1), [{ index: 12, ok: false }]]]), s)).toHaveLength(1);
    // A refusal the log shows applied (and not undone) is a lie.
    const r = [op('a', 1, wm(true), 0, 10, 'refused')];
    expect(checkAcked(r, new Map(), new Map(), s)).toEqual([]);
    expect(checkAcked(r, new Map([trace('a', 1, [10])]), new Map(), s).map((v) => v.check)).toEqual(['lying refusal']);
  });

  test('real-time order: an op invoked after another completed must get a higher index', () => {
    const ok = [op('a', 1, wm(true), 0, 10, 'ok', 5), op('b', 1, wm(false), 11, 20, 'ok', 7)];
    expect(checkRealTimeOrder(ok)).toEqual([]);
    expect(checkRealTimeOrder([op('a', 1, wm(true), 0, 10, 'ok', 8), op('b', 1, wm(false), 11, 20, 'ok', 7)])).toHaveLength(1);
    // Overlapping ops may be ordered either way.
    expect(checkRealTimeOrder([op('a', 1, wm(true), 0, 10, 'ok', 8), op('b', 1, wm(false), 5, 20, 'ok', 7)])).toEqual([]);
  });

  test('registers: the last write holds; overlapping writes allow either value; a stale value is reported', () => {
    const seqd = [op('a', 1, wm(true), 0, 10, 'ok', 5), op('b', 1, wm(false), 11, 20, 'ok', 7)];
    expect(checkRegisters(seqd, new Map(), stateWith(false)).violations).toEqual([]);
    expect(checkRegisters(seqd, new Map(), stateWith(true)).violations).toHaveLength(1);
    const overlapping = [op('a', 1, wm(true), 0, 10, 'ok', 8), op('b', 1, wm(false), 5, 20, 'ok', 7)];
    expect(checkRegisters(overlapping, new Map(), stateWith(true)).violations).toEqual([]);
    expect(checkRegisters(overlapping, new Map(), stateWith(false)).violations).toEqual([]);
    // An indeterminate write counts only if the log shows it applied.
    const indet = [...seqd, op('c', 1, wm(true), 21, 50, 'indeterminate')];
    expect(checkRegisters(indet, new Map(), stateWith(true)).violations).toHaveLength(1);
    expect(checkRegisters(indet, new Map([trace('c', 1, [30])]), stateWith(true)).violations).toEqual([]);
  });
});
