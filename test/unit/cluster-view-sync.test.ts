// Unit tests of the cluster view's sync fields (cluster/view.ts) and the array order of status
// output (cluster/types.ts newestStartedFirst): which action md shows, where a resync restarts,
// which members show a recovery position, and in which order arrays are listed.
import { describe, expect, it } from 'vitest';
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import { newestStartedFirst, type ArrayRecord, type CheckpointAction } from '../../daemon/src/cluster/types.js';
import { raid10Copies } from '../../daemon/src/cluster/redundancy.js';
import { clusterArrayView } from '../../daemon/src/cluster/view.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

const sync = (action: CheckpointAction, doneSectors: number, totalSectors: number): ArrayRecord['sync'] =>
  ({ action, doneSectors: doneSectors as Sectors, totalSectors: totalSectors as Sectors, term: 1 as Term, speedKiBps: 7 });
/** md0 with sda in sync, sdb active but recovering, sdc a spare. */
const rec = (s: ArrayRecord['sync']): ArrayRecord => arrayRecord({
  sync: s,
  members: [memberRecord('/dev/sda', { slot: 0 }), memberRecord('/dev/sdb', { slot: 1, inSync: false }), memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false })],
});
const recovery = (r: ArrayRecord): (number | null)[] => clusterArrayView(r).members.sort((a, b) => a.devPath.localeCompare(b.devPath)).map((m) => m.recoveryStartSectors);

describe('sync fields of the cluster view', () => {
  it('a resync under way shows as resync, with its position as the restart point', () => {
    const v = clusterArrayView(rec(sync('resync', 10, 100)));
    expect(v).toMatchObject({ syncAction: 'resync', syncCompleted: { doneSectors: 10, totalSectors: 100 }, syncSpeedKiBps: 7, resyncStartSectors: 10 });
    expect(recovery(rec(sync('resync', 10, 100)))).toEqual([null, null, null]);
  });
  it('a check under way shows as check, with no restart point', () => {
    expect(clusterArrayView(rec(sync('check', 10, 100)))).toMatchObject({ syncAction: 'check', resyncStartSectors: null });
  });
  it('a recovery under way shows its position on the recovering active member only, not on spares', () => {
    expect(clusterArrayView(rec(sync('recover', 10, 100))).syncAction).toBe('recover');
    expect(recovery(rec(sync('recover', 10, 100)))).toEqual([null, 10, null]);
  });
  it('a finished sync shows idle, no progress and no recovery position', () => {
    for (const action of ['recover', 'resync'] as const) {
      const v = clusterArrayView(rec(sync(action, 100, 100)));
      expect(v).toMatchObject({ syncAction: 'idle', syncCompleted: null, syncSpeedKiBps: 0, resyncStartSectors: null });
      expect(recovery(rec(sync(action, 100, 100)))).toEqual([null, null, null]);
    }
  });
});

describe('raid10 copies', () => {
  it('only a whole layout name counts: anything after the copy count gives the default', () => {
    expect(raid10Copies('n3x')).toBe(2);
    expect(raid10Copies('n3')).toBe(3);
  });
});

describe('status order of arrays', () => {
  it('newest started first; equal start indexes (or none), the later listed first', () => {
    const arrays = [{ d: 'a', startedIndex: 5 }, { d: 'b', startedIndex: 9 }, { d: 'c', startedIndex: 5 }, { d: 'd' }, { d: 'e' }, { d: 'f', startedIndex: 5 }];
    expect(newestStartedFirst(arrays).map((x) => x.d)).toEqual(['b', 'f', 'c', 'a', 'e', 'd']);
    expect(arrays.map((x) => x.d)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
