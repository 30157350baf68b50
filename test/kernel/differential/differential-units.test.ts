// Pure unit tests of the differential lane's judges (host only, no guest): what the mdstat
// probe masks and when (mdstat-judge.ts), the step-by-step report comparison (report-diff.ts)
// and the scenario selection (scenarios.ts). They show that the lane's verdicts can fail: a
// masked field never hides a difference outside the masked numbers.
import { describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../md-scenarios/index.js';
import { judgeMdstat, lineDiff, maskLevelFor, maskProgress, personalitiesOf } from './mdstat-judge.js';
import { diffReports, formatDifference } from './report-diff.js';
import { DIFF_SCENARIOS, selectedScenarios } from './scenarios.js';

const IDLE = 'Personalities : [raid1] \nmd0 : active raid1 vdc[2](S) vdb[1] vda[0]\n      64512 blocks super 1.2 [2/2] [UU]\n      \nunused devices: <none>\n';
const SYNC = (bar: string, pct: string, done: number, finish: string, speed: number, members = 'vdc[2](S) vdb[1] vda[0]', total = 64512): string =>
  `Personalities : [raid1] \nmd0 : active raid1 ${members}\n      64512 blocks super 1.2 [2/2] [UU]\n`
  + `      [${bar}]  resync =${pct}% (${done}/${total}) finish=${finish}min speed=${speed}K/sec\n      \nunused devices: <none>\n`;
const BAR0 = '>....................';
const BAR2 = '==>..................';

describe('judgeMdstat', () => {
  it('an idle state must match byte for byte', () => {
    expect(judgeMdstat(IDLE, IDLE, IDLE)).toEqual({ kind: 'match', level: 'exact' });
    const reordered = IDLE.replace('vdc[2](S) vdb[1] vda[0]', 'vda[0] vdb[1] vdc[2](S)');
    expect(judgeMdstat(IDLE, reordered, IDLE)).toEqual({ kind: 'mismatch', level: 'exact' });
    expect(judgeMdstat(IDLE, IDLE.replace('<none>\n', '<none>'), IDLE).kind).toBe('mismatch');
  });

  it('a state that changed between the two kernel reads is unstable, never a match', () => {
    const failed = IDLE.replace('vdb[1]', 'vdb[1](F)').replace('[2/2] [UU]', '[2/1] [U_]');
    expect(judgeMdstat(IDLE, IDLE, failed)).toEqual({ kind: 'unstable' });
    expect(judgeMdstat(SYNC(BAR0, '  3.1', 2048, '0.5', 2048), IDLE, IDLE)).toEqual({ kind: 'unstable' });
  });

  it('a running sync masks finish= and speed= only, while the progress did not move', () => {
    const k = SYNC(BAR0, '  3.1', 2048, '0.5', 2048);
    expect(judgeMdstat(k, SYNC(BAR0, '  3.1', 2048, '0.9', 1152), k)).toEqual({ kind: 'match', level: 'finish-speed' });
    // The sysfs checkpoint instead of the live position: caught.
    expect(judgeMdstat(k, SYNC(BAR0, '  0.0', 1, '0.5', 2048), k)).toEqual({ kind: 'mismatch', level: 'finish-speed' });
    // Only speed moved between the reads: still finish-speed.
    expect(maskLevelFor(k, SYNC(BAR0, '  3.1', 2048, '0.4', 2300))).toBe('finish-speed');
  });

  it('masks bar, percentage and done count only when they moved, and nothing else', () => {
    const before = SYNC(BAR0, '  3.1', 2048, '0.5', 2048);
    const after = SYNC(BAR2, ' 12.5', 8192, '0.1', 8192);
    expect(maskLevelFor(before, after)).toBe('progress');
    expect(judgeMdstat(before, SYNC(BAR2, ' 10.0', 6528, '0.2', 3000), after)).toEqual({ kind: 'match', level: 'progress' });
    expect(judgeMdstat(before, SYNC(BAR2, ' 10.0', 6528, '0.2', 3000, 'vda[0] vdb[1] vdc[2](S)'), after).kind).toBe('mismatch');
    expect(judgeMdstat(before, SYNC(BAR2, ' 10.0', 6528, '0.2', 3000, undefined, 64000), after).kind).toBe('mismatch');
    expect(judgeMdstat(before, SYNC(BAR2, ' 10.0', 6528, '0.2', 3000).replace('resync =', 'recovery ='), after).kind).toBe('mismatch');
    expect(maskProgress(before)).toContain('[*]  resync =*% (*/64512) finish=*min speed=*K/sec');
  });

  it('reads the personalities header and diffs lines', () => {
    expect(personalitiesOf('Personalities : [raid1] [raid6] [raid5] [raid4] \nunused devices: <none>\n')).toEqual(['raid1', 'raid6', 'raid5', 'raid4']);
    expect(personalitiesOf('Personalities : \nunused devices: <none>\n')).toEqual([]);
    expect(personalitiesOf('garbage')).toEqual([]);
    expect(lineDiff('a\nb\n', 'a\nc\n')).toEqual(['-"b"', '+"c"']);
    expect(lineDiff(IDLE, IDLE)).toEqual([]);
  });
});

function report(steps: ScenarioReport['steps']): ScenarioReport {
  return { scenario: 's', steps };
}

const STATE = {
  level: 'raid1', raidDisks: 2, arrayState: 'clean', degraded: 0, syncAction: 'idle', lastSyncAction: null, syncWaiting: null,
  syncCompleted: null, resyncStart: null, syncMax: 'max' as const, consistencyPolicy: 'resync', componentSizeKiB: 64512, arraySizeKiB: 64512,
  members: [
    { component: 'c0', slot: 0, descNumber: 0, flags: ['in_sync' as const], recoveryStart: 'none' as const },
    { component: 'c1', slot: 1, descNumber: 1, flags: ['in_sync' as const], recoveryStart: 'none' as const },
  ],
};

describe('diffReports', () => {
  it('equal reports have no difference', () => {
    const r = report([{ step: 'a', state: STATE }, { step: 'b', error: { code: 'E_KERNEL', errno: 'EBUSY' } }, { step: 'c', state: null }]);
    expect(diffReports(r, structuredClone(r))).toEqual([]);
  });

  it('names the step and the path of every differing leaf', () => {
    const sim = report([{ step: 'a', state: STATE, eventsDelta: 1 }]);
    const kernel = report([{ step: 'a', state: { ...STATE, arrayState: 'read-auto', members: [STATE.members[0], { ...STATE.members[1], flags: ['faulty' as const] }] }, eventsDelta: 2 }]);
    expect(diffReports(sim, kernel).map(formatDifference)).toEqual([
      'a: eventsDelta: sim 1 / kernel 2',
      'a: state.arrayState: sim "clean" / kernel "read-auto"',
      'a: state.members[1].flags: sim ["in_sync"] / kernel ["faulty"]',
    ]);
  });

  it('a missing, extra or renamed step, an error instead of a state, or a lost member is a difference', () => {
    const base = report([{ step: 'a', state: STATE }, { step: 'b', state: null }]);
    expect(diffReports(base, report([{ step: 'a', state: STATE }]))).toHaveLength(1);
    expect(diffReports(report([{ step: 'a', state: STATE }]), base)).toHaveLength(1);
    expect(diffReports(base, report([{ step: 'a', state: STATE }, { step: 'x', state: null }]))[0].path).toBe('step');
    expect(diffReports(base, report([{ step: 'a', error: { code: 'E_KERNEL', errno: 'EINVAL' } }, { step: 'b', state: null }])).length).toBeGreaterThan(0);
    const lost = diffReports(base, report([{ step: 'a', state: { ...STATE, members: [STATE.members[0]] } }, { step: 'b', state: null }]));
    expect(lost.map((d) => d.path)).toContain('state.members.length');
    expect(diffReports(base, { ...base, scenario: 't' })[0].path).toBe('scenario');
  });
});

describe('scenario selection', () => {
  it('runs every scenario by default, a named subset on request, and refuses unknown names', () => {
    expect(selectedScenarios(undefined).map((s) => s.name)).toEqual(DIFF_SCENARIOS.map((s) => s.name));
    expect(selectedScenarios(' raid5-basics , raid1-lifecycle').map((s) => s.name)).toEqual(['raid5-basics', 'raid1-lifecycle']);
    expect(() => selectedScenarios('raid1-lifecycle,nope')).toThrow(/unknown differential scenario/);
    expect(new Set(DIFF_SCENARIOS.map((s) => s.name)).size).toBe(DIFF_SCENARIOS.length);
  });
});
