// Golden and unit tests for mdstatFromArrays (daemon/src/md/format/mdstat-from-arrays.ts):
// the /proc/mdstat a node's driver state renders to.
// Golden: for every capture, ArrayState is rebuilt from sysfs.txt + ioctl.txt + examine.txt +
// case.txt (test/unit/format-sample-loader.ts lists the few facts taken elsewhere) and
// renderMdstat(mdstatFromArrays(...)) must equal mdstat.txt. Not derivable, hence compared
// separately: on a progress line the done count, percentage, bar, finish= and speed= (mdstat
// was read first; sysfs sync_completed is the checkpoint, seconds later, not curr_resync).
// Those are checked instead by feeding the kernel's own done/total/speed into the arithmetic.
// Every capture is covered, case 58 (md multipath) included.
import { describe, expect, it } from 'vitest';
import {
  mdstatFromArrays, parseMdstat, renderMdstat, syncPerMille, syncProgress, type MdstatDoc,
} from '../../daemon/src/md/format/mdstat.js';
import { bitmapPagesTotal, defaultPersonalities, finishTenthsFromSec, syncFinishSec } from '../../daemon/src/md/format/mdstat-from-arrays.js';
import { renderBar } from '../../daemon/src/md/format/mdstat-render.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { sectors } from '../../daemon/src/common/types.js';
import { listSampleCases, loadSampleCase, readSampleFile } from './format-sample-loader.js';

const PROGRESS_RE = /^( {6})\[[=>.]+\] {2}(\w+) = *[0-9.]+% \([0-9]+\/([0-9]+)\) finish=[0-9.]+min speed=[0-9]+K\/sec$/gm;

/** Keeps a progress line's action word and total; masks the time-dependent fields. */
function maskProgress(text: string): string {
  return text.replace(PROGRESS_RE, '$1[progress] $2 (…/$3)');
}

function mustParse(text: string): MdstatDoc {
  const r = parseMdstat(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('mdstatFromArrays golden (driver state rebuilt from sysfs/ioctl/examine)', () => {
  for (const c of listSampleCases()) {
    it(`${c}: rendered mdstat equals mdstat.txt (progress timing masked)`, () => {
      const lc = loadSampleCase(c);
      const got = renderMdstat(mdstatFromArrays(lc.arrays.map((a) => a.state), { personalities: lc.personalities }));
      const want = readSampleFile(c, 'mdstat.txt');
      expect(maskProgress(got)).toBe(maskProgress(want));
      expect(got.split('\n').length).toBe(want.split('\n').length);
    });
  }
});

describe('status_resync arithmetic against every captured progress line', () => {
  let lines = 0;
  let finishExact = 0;
  for (const c of listSampleCases()) {
    for (const a of mustParse(readSampleFile(c, 'mdstat.txt')).arrays) {
      const s = a.sync;
      if (s?.kind !== 'progress') continue;
      it(`${c} ${a.device}: per-mille, bar, counts and speed exact; finish within 1%`, () => {
        const p = syncProgress(s.action, s.doneKiB * 2, s.totalKiB * 2, s.speedKiBps);
        expect(p).toMatchObject({ kind: 'progress', action: s.action, perMille: s.perMille, doneKiB: s.doneKiB, totalKiB: s.totalKiB, speedKiBps: s.speedKiBps });
        if (p.kind !== 'progress') return;
        lines++;
        if (p.finishTenthsMin === s.finishTenthsMin) finishExact++;
        expect(Math.abs(p.finishTenthsMin - s.finishTenthsMin)).toBeLessThanOrEqual(Math.max(1, s.finishTenthsMin / 100));
      });
    }
  }
  it('finish= is exact for all but the multi-day estimates', () => {
    expect(lines).toBeGreaterThanOrEqual(20);
    expect(finishExact).toBeGreaterThanOrEqual(lines - 2);
  });
});

describe('status_resync edge rules', () => {
  it('rounds the per-mille down with the kernel divisor (total>>10)+1', () => {
    expect(syncPerMille(1024 * 999, 1024 * 1000)).toBe(998);
    expect(syncPerMille(1023, 1_000_000)).toBe(0);
    expect(syncPerMille(2 * 1073609728, 2 * 1073609728)).toBe(999);
  });
  it('draws 20 cells plus the arrow, filling one cell per 5%', () => {
    expect(renderBar(0)).toBe('[>....................]');
    expect(renderBar(49)).toBe('[>....................]');
    expect(renderBar(50)).toBe('[=>...................]');
    expect(renderBar(999)).toBe('[===================>.]');
  });
  it('shows a just-started sync as 1 KiB done and clamps done to the total', () => {
    expect(syncProgress('resync', 0, 2048, 0)).toMatchObject({ doneKiB: 1, perMille: 0 });
    expect(syncProgress('check', 5000, 2048, 10)).toMatchObject({ doneKiB: 1024, perMille: 666 });
  });
  it('estimates finish from the remaining sectors and the speed', () => {
    expect(syncFinishSec(0, 2 * 60_000, 1000)).toBe(59); // 120000 / (2000/32 + 1) = 1904, >> 5
    expect(finishTenthsFromSec(60)).toBe(10);
    expect(finishTenthsFromSec(59)).toBe(9);
    expect(finishTenthsFromSec(5)).toBe(0);
    expect(syncFinishSec(0, 320, 0)).toBe(10);
  });
});

function baseArray(over: Partial<ArrayState> = {}): ArrayState {
  return {
    device: 'md0', uuid: '01234567:89abcdef:01234567:89abcdef', name: 'h:0', level: 'raid1', raidDisks: 2, layout: 0,
    chunkSizeBytes: 0, arraySizeKiB: 1024, componentSizeKiB: 1024, metadataVersion: '1.2', arrayState: 'clean', degraded: 0,
    syncAction: 'idle', lastSyncAction: null, syncCompleted: null, syncWaiting: null, syncSpeedKiBps: 0,
    resyncStartSectors: null, syncMinSectors: sectors(0), syncMaxSectors: 'max', consistencyPolicy: 'resync', bitmap: null,
    events: 1, ctimeSec: 0, utimeSec: 0, mismatchCount: 0,
    members: [0, 1].map((i) => ({
      name: `sd${'ab'[i]}`, devPath: `/dev/sd${'ab'[i]}`, major: 8, minor: 16 * i, slot: i, descNumber: i, flags: ['in_sync'],
      errors: 0, recoveryStartSectors: null, deviceUuid: null, dataOffsetSectors: sectors(2048), sizeKiB: 1024,
    })),
    ...over,
  };
}

describe('mdstatFromArrays unit rules', () => {
  it('prints a frozen running sync with the last action word', () => {
    const a = baseArray({ syncAction: 'frozen', lastSyncAction: 'check', syncCompleted: { doneSectors: sectors(1024), totalSectors: sectors(2048) } });
    expect(renderMdstat(mdstatFromArrays([a]))).toContain('  check = 33.3% (512/1024)');
  });
  it('prints the live position (syncPositionSectors) when the state carries it, else the checkpoint', () => {
    const a = baseArray({ syncAction: 'resync', syncCompleted: { doneSectors: sectors(8192), totalSectors: sectors(129024) } });
    expect(renderMdstat(mdstatFromArrays([a]))).toContain('  resync =  6.2% (4096/64512)');
    expect(renderMdstat(mdstatFromArrays([{ ...a, syncPositionSectors: sectors(9600 * 2) }]))).toContain('  resync = 14.1% (9600/64512)');
    expect(renderMdstat(mdstatFromArrays([{ ...a, syncPositionSectors: undefined }]))).toContain('(4096/64512)');
    // md's sync thread runs (sync_completed "0 / N") but has no position yet: no progress line.
    expect(renderMdstat(mdstatFromArrays([{ ...a, syncPositionSectors: null }]))).not.toContain('resync =');
  });
  it('prints repair as resync, and REMOTE with the action word', () => {
    const a = baseArray({ syncAction: 'repair', syncCompleted: { doneSectors: sectors(1024), totalSectors: sectors(2048) } });
    expect(renderMdstat(mdstatFromArrays([a]))).toContain('  resync = 33.3%');
    expect(renderMdstat(mdstatFromArrays([baseArray({ syncAction: 'recover', syncWaiting: 'REMOTE' })]))).toContain('      \trecover=REMOTE\n');
  });
  it('prints no resync line for raid0/linear and nothing for an empty inactive array', () => {
    const r0 = baseArray({ level: 'raid0', chunkSizeBytes: 65536, syncWaiting: 'PENDING' });
    expect(renderMdstat(mdstatFromArrays([r0]))).toBe('Personalities : [raid0] \nmd0 : active raid0 sda[0] sdb[1]\n      1024 blocks super 1.2 64k chunks\n      \nunused devices: <none>\n');
    expect(mdstatFromArrays([baseArray({ arrayState: 'inactive', members: [], raidDisks: 0 })]).arrays).toEqual([]);
  });
  it('prints raid10 devices per set for the version-2 far layout', () => {
    const a = baseArray({ level: 'raid10', raidDisks: 4, layout: (2 << 17) | (2 << 8) | 1, chunkSizeBytes: 524288 });
    expect(renderMdstat(mdstatFromArrays([a]))).toContain(' 512K chunks 2 far-copies 2 devices per set [4/4]');
  });
  it('counts the bitmap pages as md does (2048 counters per page)', () => {
    expect(bitmapPagesTotal(2 * 1073609728, 65536)).toBe(8);
    expect(bitmapPagesTotal(2 * 4294703104, 65536)).toBe(32);
    expect(bitmapPagesTotal(2 * 64512, 65536)).toBe(1);
    expect(bitmapPagesTotal(100, 0)).toBe(0);
  });
  it('defaults the personalities to the modules of running arrays, oldest first', () => {
    const arrays = [baseArray({ device: 'md2', level: 'raid10' }), baseArray({ device: 'md1', level: 'raid5' }), baseArray({ level: 'raid1' }),
      baseArray({ device: 'md9', level: 'raid0', arrayState: 'inactive' })];
    expect(defaultPersonalities(arrays)).toEqual(['raid1', 'raid6', 'raid5', 'raid4', 'raid10']);
  });
});
