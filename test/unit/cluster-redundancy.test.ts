// Unit tests of the md redundancy rules (daemon/src/cluster/redundancy.ts): which sets of
// in-sync slots keep an array usable, per level, as md itself decides (md(4): raid1 runs on
// any one mirror, raid4/5 lose at most one device, raid6 two, raid0/linear none, raid10 near
// layouts need one copy of every chunk among the consecutive slots holding its copies).
import { describe, expect, it } from 'vitest';
import { arrayUsable, degradedCount, raid10Copies } from '../../daemon/src/cluster/redundancy.js';
import type { MdLevel } from '../../daemon/src/md/types.js';

const slots = (...s: number[]): ReadonlySet<number> => new Set(s);
/** Every subset of 0..n-1 as a set of slots. */
function subsets(n: number): Set<number>[] {
  const out: Set<number>[] = [];
  for (let mask = 0; mask < 1 << n; mask++) out.push(new Set(Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i))));
  return out;
}

describe('raid10Copies', () => {
  it('reads the copy count of near, far and offset layouts; 2 when absent or not understood', () => {
    expect(raid10Copies('n2')).toBe(2);
    expect(raid10Copies('n3')).toBe(3);
    expect(raid10Copies('f3')).toBe(3);
    expect(raid10Copies('o4')).toBe(4);
    expect(raid10Copies(null)).toBe(2);
    expect(raid10Copies('x3')).toBe(2); // not a raid10 layout letter
    expect(raid10Copies('n1')).toBe(2); // one copy is no raid10 layout
    expect(raid10Copies('n10')).toBe(2); // the whole string must match
    expect(raid10Copies('an3')).toBe(2);
    expect(raid10Copies('n3x')).toBe(2);
  });
});

describe('arrayUsable', () => {
  it('raid1 runs on any single in-sync mirror and not on none', () => {
    expect(arrayUsable('raid1', 3, null, slots(2))).toBe(true);
    expect(arrayUsable('raid1', 3, null, slots())).toBe(false);
  });

  it('parity levels tolerate as many missing devices as they have parity', () => {
    const cases: [MdLevel, number][] = [['raid4', 1], ['raid5', 1], ['raid6', 2]];
    for (const [level, parity] of cases) {
      for (const s of subsets(5)) expect(arrayUsable(level, 5, null, s)).toBe(5 - s.size <= parity);
    }
  });

  it('raid0 and linear need every device', () => {
    for (const level of ['raid0', 'linear'] as const) {
      expect(arrayUsable(level, 3, null, slots(0, 1, 2))).toBe(true);
      expect(arrayUsable(level, 3, null, slots(0, 2))).toBe(false);
    }
  });

  it('raid10 near-2 on 4 devices survives one loss per mirror pair, not a whole pair', () => {
    for (const layout of ['n2', null]) {
      expect(arrayUsable('raid10', 4, layout, slots(0, 2))).toBe(true); // one of each pair (0,1) (2,3)
      expect(arrayUsable('raid10', 4, layout, slots(1, 3))).toBe(true);
      expect(arrayUsable('raid10', 4, layout, slots(2, 3))).toBe(false); // pair (0,1) gone
      expect(arrayUsable('raid10', 4, layout, slots(0, 1))).toBe(false); // pair (2,3) gone
    }
  });

  it('raid10 near-2 on 3 devices: copies sit in consecutive slots modulo 3, so any two adjacent survive', () => {
    // chunk copies: (0,1), (2,0), (1,2), ... every pair of slots holds some chunk's both copies
    for (const s of subsets(3)) expect(arrayUsable('raid10', 3, 'n2', s)).toBe(s.size >= 2);
  });

  it('raid10 near-3 on 6 devices needs one device of each group of three', () => {
    expect(arrayUsable('raid10', 6, 'n3', slots(2, 3))).toBe(true);
    expect(arrayUsable('raid10', 6, 'n3', slots(0, 1, 2))).toBe(false);
    expect(arrayUsable('raid10', 6, 'n3', slots(3, 4, 5))).toBe(false);
  });

  it('raid10 far and offset layouts are judged conservatively: at most copies - 1 devices missing', () => {
    for (const layout of ['f2', 'o2']) {
      expect(arrayUsable('raid10', 4, layout, slots(0, 1, 2))).toBe(true);
      expect(arrayUsable('raid10', 4, layout, slots(0, 2))).toBe(false); // two missing, even one per pair
    }
    expect(arrayUsable('raid10', 6, 'f3', slots(0, 1, 2, 3))).toBe(true);
    expect(arrayUsable('raid10', 6, 'f3', slots(0, 1, 2))).toBe(false);
  });
});

describe('degradedCount', () => {
  it('counts slots without an in-sync member, never below 0', () => {
    expect(degradedCount(4, slots(0, 2))).toBe(2);
    expect(degradedCount(2, slots(0, 1))).toBe(0);
    expect(degradedCount(2, slots(0, 1, 2))).toBe(0);
  });
});
