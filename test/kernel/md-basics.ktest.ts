// md-basics: real Linux md under qemu, driven by mdadm and sysfs inside one guest per
// scenario (test/kernel/scenarios/*.sh), in the spirit of mdadm's numbered tests. Owns: the
// expected kernel state after every step (raid1 resync frozen/parked/resumed, fail, remove,
// add + recovery, read-only, read-write, assemble; raid1 bitmap re-add; raid5; raid10) and
// the check that our /proc/mdstat parser + renderer reproduce the kernel's bytes exactly in
// every captured state.
// Invariants: a scenario's guest runs once (memoised) and every state check reads its
// captures; the set of captured states must equal the expected set exactly, so a step that
// silently did not run fails here.
import { describe, expect, it } from 'vitest';
import { parseMdstat, renderMdstat, type MdstatArray, type MdstatDoc } from '../../daemon/src/md/format/mdstat.js';
import { type CapturedState, capturedStates, parseFacts, saveCaptures } from './lab/captures.js';
import { bootGuest, describeResult } from './lab/index.js';

type Facts = Record<string, string>;
type StateCheck = (s: CapturedState, facts: Facts) => void;

interface Scenario {
  script: string;
  disks: number;
  diskMiB: number;
  states: Record<string, StateCheck>;
  facts?: (facts: Facts) => void;
}

function doc(s: CapturedState): MdstatDoc {
  const p = parseMdstat(s.mdstat);
  if (!p.ok) throw new Error(`mdstat of ${s.name} did not parse: ${p.error.message}\n${s.mdstat}`);
  return p.value;
}

function md0(s: CapturedState): MdstatArray {
  const a = doc(s).arrays.find((x) => x.device === 'md0');
  if (a === undefined) throw new Error(`no md0 in mdstat of ${s.name}:\n${s.mdstat}`);
  return a;
}

function sys(s: CapturedState): Record<string, string> {
  const v = s.sysfs.get('md0');
  if (v === undefined) throw new Error(`no md0 sysfs capture in ${s.name}`);
  return v;
}

/** "[2/1] [U_]" from the parsed status (the kernel's own notation). */
function summary(a: MdstatArray): string {
  const st = a.status;
  if (st === null || !('disks' in st)) return 'none';
  return `[${st.disks.raidDisks}/${st.disks.workingDisks}] [${st.disks.slotsUp.map((u) => (u ? 'U' : '_')).join('')}]`;
}

/** "vdb[1](F) vda[0]" from the parsed members, in the kernel's order. */
function members(a: MdstatArray): string {
  return a.members.map((m) => `${m.name}[${m.descNumber}]${m.faulty ? '(F)' : ''}${m.spare ? '(S)' : ''}`).join(' ');
}

function syncKind(a: MdstatArray): string | null {
  if (a.sync === null) return null;
  return a.sync.kind === 'progress' ? a.sync.action : `${a.sync.word}=${a.sync.state}`;
}

/**
 * The progress line agrees with sysfs sync_completed on the total (sectors = 2 x KiB). The
 * done counts differ by design: mdstat shows curr_resync less the I/O in flight, sysfs the
 * last completed checkpoint, and sysfs was read later.
 */
function expectProgressMatchesSysfs(s: CapturedState): void {
  const a = md0(s);
  if (a.sync?.kind !== 'progress') return;
  const m = /^([0-9]+) \/ ([0-9]+)$/.exec(sys(s).sync_completed ?? '');
  expect(m, `sync_completed in ${s.name}`).not.toBeNull();
  expect(Number(m![2])).toBe(a.sync.totalKiB * 2);
  expect(Number(m![1])).toBeLessThanOrEqual(Number(m![2]));
  expect(a.sync.doneKiB).toBeLessThanOrEqual(a.sync.totalKiB);
}

function expectMd0(s: CapturedState, want: { active?: string; summary: string; members: string; sync: string | null }): void {
  const a = md0(s);
  expect(a.personality).toBe(want.active ?? a.personality);
  expect(summary(a)).toBe(want.summary);
  expect(members(a)).toBe(want.members);
  expect(syncKind(a)).toBe(want.sync);
  expectProgressMatchesSysfs(s);
}

const idleClean = (s: CapturedState): void => {
  expect(sys(s)).toMatchObject({ sync_action: 'idle', degraded: '0', resync_start: 'none', sync_completed: 'none' });
};

const SCENARIOS: Record<string, Scenario> = {
  raid1: {
    script: 'raid1.sh', disks: 3, diskMiB: 32,
    states: {
      '01-resync-running': (s) => {
        expectMd0(s, { active: 'raid1', summary: '[2/2] [UU]', members: 'vdb[1] vda[0]', sync: 'resync' });
        expect(sys(s)).toMatchObject({ level: 'raid1', raid_disks: '2', sync_action: 'resync', degraded: '0' });
      },
      '02-resync-frozen': (s, f) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vdb[1] vda[0]', sync: 'resync=PENDING' });
        expect(sys(s)).toMatchObject({ sync_action: 'frozen', sync_completed: 'none', resync_start: f.checkpoint });
        expect(Number(f.checkpoint)).toBeGreaterThanOrEqual(8192);
      },
      '03-resync-parked': (s, f) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vdb[1] vda[0]', sync: 'resync' });
        const total = Number(sys(s).component_size) * 2;
        expect(sys(s)).toMatchObject({ sync_action: 'resync', sync_max: f.park, sync_completed: `${f.park} / ${total}` });
        const a = md0(s);
        expect(a.sync?.kind === 'progress' && a.sync.doneKiB).toBe(Number(f.park) / 2);
        expect(f.parked_completed).toBe(`${f.park} / ${total}`);
        // Resumed from the checkpoint, not from 0: the restart crawled at 10 KB/s, so its first
        // reported position is its starting point (a restart from 0 would read far below).
        expect(Number(f.resumed_at)).toBeGreaterThanOrEqual(Number(f.checkpoint));
        expect(Number(f.resumed_at)).toBeLessThan(Number(f.park));
      },
      '04-clean': (s) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vdb[1] vda[0]', sync: null });
        idleClean(s);
        expect(sys(s).sync_max).toBe('max');
      },
      '05-failed': (s) => {
        expectMd0(s, { summary: '[2/1] [U_]', members: 'vdb[1](F) vda[0]', sync: null });
        expect(sys(s)).toMatchObject({ degraded: '1', 'dev-vdb/state': 'faulty', 'dev-vdb/slot': 'none', 'dev-vda/state': 'in_sync' });
      },
      '06-removed': (s) => {
        expectMd0(s, { summary: '[2/1] [U_]', members: 'vda[0]', sync: null });
        expect(sys(s).degraded).toBe('1');
        expect(Object.keys(sys(s)).some((k) => k.startsWith('dev-vdb/'))).toBe(false);
      },
      '07-recovery-running': (s) => {
        expectMd0(s, { summary: '[2/1] [U_]', members: 'vdc[2] vda[0]', sync: 'recovery' });
        expect(sys(s)).toMatchObject({ sync_action: 'recover', resync_start: 'none', 'dev-vdc/state': 'spare', 'dev-vdc/slot': '1' });
        expect(sys(s)['dev-vdc/recovery_start']).toMatch(/^[0-9]+$/);
      },
      '08-recovered': (s) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vdc[2] vda[0]', sync: null });
        idleClean(s);
        expect(sys(s)).toMatchObject({ 'dev-vdc/state': 'in_sync', 'dev-vdc/slot': '1', 'dev-vdc/recovery_start': 'none' });
      },
      '09-readonly': (s, f) => {
        expect(md0(s).readOnly).toBe('read-only');
        expect(sys(s).array_state).toBe('readonly');
        expect(f.readonly_write).toBe('refused=yes');
      },
      '10-readwrite': (s) => {
        expect(md0(s).readOnly).toBeNull();
        expect(['clean', 'active']).toContain(sys(s).array_state);
      },
      '11-stopped': (s) => {
        expect(doc(s).arrays).toEqual([]);
        expect(s.sysfs.size).toBe(0);
      },
      '12-assembled': (s) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vda[0] vdc[2]', sync: null });
        expect(md0(s).readOnly).toBe('auto-read-only');
        expect(sys(s).array_state).toBe('read-auto');
      },
    },
  },
  'raid1-bitmap': {
    script: 'raid1-bitmap.sh', disks: 2, diskMiB: 32,
    states: {
      '01-clean': (s) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vdb[1] vda[0]', sync: null });
        expect(md0(s).bitmap).toMatchObject({ chunk: 1024, chunkUnit: 'KB', file: null });
        expect(sys(s)).toMatchObject({ 'bitmap/chunksize': '1048576', 'bitmap/metadata': 'internal', consistency_policy: 'bitmap' });
      },
      '02-degraded-written': (s) => {
        expectMd0(s, { summary: '[2/1] [U_]', members: 'vda[0]', sync: null });
      },
      '03-readded': (s) => {
        // A re-add keeps the member's descriptor number and slot (an --add would give vdb[2]).
        expect(members(md0(s))).toBe('vdb[1] vda[0]');
        expect(sys(s)['dev-vdb/slot']).toBe('1');
        expectProgressMatchesSysfs(s);
      },
      '04-clean-again': (s) => {
        expectMd0(s, { summary: '[2/2] [UU]', members: 'vdb[1] vda[0]', sync: null });
        idleClean(s);
      },
    },
    facts: (f) => {
      expect(f.mirrors_equal).toBe('yes');
      // 8 MiB dirty at 1000 KB/s takes ~8 s; a full 31 MiB recovery at that limit needs >= 31 s.
      expect(Number(f.readd_seconds)).toBeLessThan(22);
    },
  },
  raid5: {
    script: 'raid5.sh', disks: 4, diskMiB: 32,
    states: {
      '01-initial-recovery': (s) => {
        expectMd0(s, { active: 'raid5', summary: '[4/3] [UUU_]', members: 'vdd[4] vdc[2] vdb[1] vda[0]', sync: 'recovery' });
        expect(md0(s).status).toMatchObject({ kind: 'raid456', level: 5, chunkKiB: 64, algorithm: 2 });
        expect(sys(s)).toMatchObject({ sync_action: 'recover', 'dev-vdd/state': 'spare', 'dev-vdd/slot': '3', chunk_size: '65536' });
      },
      '02-clean': (s) => { expectMd0(s, { summary: '[4/4] [UUUU]', members: 'vdd[4] vdc[2] vdb[1] vda[0]', sync: null }); idleClean(s); },
      '03-failed': (s) => {
        expectMd0(s, { summary: '[4/3] [UU_U]', members: 'vdd[4] vdc[2](F) vdb[1] vda[0]', sync: null });
        expect(sys(s)).toMatchObject({ degraded: '1', 'dev-vdc/state': 'faulty' });
      },
      '04-removed': (s) => { expectMd0(s, { summary: '[4/3] [UU_U]', members: 'vdd[4] vdb[1] vda[0]', sync: null }); },
      '05-recovery-running': (s) => {
        expectMd0(s, { summary: '[4/3] [UU_U]', members: 'vdc[5] vdd[4] vdb[1] vda[0]', sync: 'recovery' });
        expect(sys(s)).toMatchObject({ sync_action: 'recover', 'dev-vdc/state': 'spare', 'dev-vdc/slot': '2' });
      },
      '06-recovered': (s) => { expectMd0(s, { summary: '[4/4] [UUUU]', members: 'vdc[5] vdd[4] vdb[1] vda[0]', sync: null }); idleClean(s); },
    },
  },
  raid10: {
    script: 'raid10.sh', disks: 4, diskMiB: 32,
    states: {
      '01-resync-running': (s) => {
        expectMd0(s, { active: 'raid10', summary: '[4/4] [UUUU]', members: 'vdd[3] vdc[2] vdb[1] vda[0]', sync: 'resync' });
        expect(md0(s).status).toMatchObject({ kind: 'raid10', chunkKiB: 128, nearCopies: 2, farCopies: null });
        expect(sys(s)).toMatchObject({ sync_action: 'resync', layout: '258' });
      },
      '02-clean': (s) => { expectMd0(s, { summary: '[4/4] [UUUU]', members: 'vdd[3] vdc[2] vdb[1] vda[0]', sync: null }); idleClean(s); },
      '03-failed': (s) => {
        expectMd0(s, { summary: '[4/3] [U_UU]', members: 'vdd[3] vdc[2] vdb[1](F) vda[0]', sync: null });
        expect(sys(s)).toMatchObject({ degraded: '1', 'dev-vdb/state': 'faulty' });
      },
      '04-removed': (s) => { expectMd0(s, { summary: '[4/3] [U_UU]', members: 'vdd[3] vdc[2] vda[0]', sync: null }); },
      '05-recovery-running': (s) => {
        expectMd0(s, { summary: '[4/3] [U_UU]', members: 'vdb[4] vdd[3] vdc[2] vda[0]', sync: 'recovery' });
        expect(sys(s)).toMatchObject({ sync_action: 'recover', 'dev-vdb/state': 'spare', 'dev-vdb/slot': '1' });
      },
      '06-recovered': (s) => { expectMd0(s, { summary: '[4/4] [UUUU]', members: 'vdb[4] vdd[3] vdc[2] vda[0]', sync: null }); idleClean(s); },
    },
  },
};

interface Run {
  states: Map<string, CapturedState>;
  facts: Facts;
}

const runs = new Map<string, Promise<Run>>();

function runScenario(name: string, sc: Scenario): Promise<Run> {
  let p = runs.get(name);
  if (p === undefined) {
    p = (async () => {
      const r = await bootGuest({
        name, cmd: ['sh', `test/kernel/scenarios/${sc.script}`],
        disks: Array.from({ length: sc.disks }, () => ({ sizeMiB: sc.diskMiB })), timeoutMs: 300_000,
      });
      const where = await saveCaptures(`md-basics/${name}`, r.files);
      console.log(`${name}: boot-to-command ${Math.round(r.bootToCommandMs ?? -1)} ms, guest total ${Math.round(r.totalMs)} ms, captures in ${where}`);
      if (r.outcome !== 'exited' || r.exitCode !== 0) throw new Error(describeResult(r));
      return { states: new Map(capturedStates(r.files).map((s) => [s.name, s])), facts: parseFacts(r.files['facts.txt']) };
    })();
    runs.set(name, p);
  }
  return p;
}

for (const [name, sc] of Object.entries(SCENARIOS)) {
  describe(`md-basics ${name}`, () => {
    it('runs to the end in a guest and captures exactly the expected states', async () => {
      const run = await runScenario(name, sc);
      expect([...run.states.keys()]).toEqual(Object.keys(sc.states));
      sc.facts?.(run.facts);
    });

    it('our mdstat parser + renderer reproduce the kernel text byte for byte in every state', async () => {
      const run = await runScenario(name, sc);
      for (const s of run.states.values()) {
        const p = parseMdstat(s.mdstat);
        expect(p.ok, `${s.name}: ${p.ok ? '' : p.error.message}`).toBe(true);
        if (p.ok) expect(renderMdstat(p.value), s.name).toBe(s.mdstat);
      }
    });

    for (const [state, check] of Object.entries(sc.states)) {
      it(`state ${state}`, async () => {
        const run = await runScenario(name, sc);
        const s = run.states.get(state);
        expect(s, `state ${state} was not captured`).toBeDefined();
        check(s!, run.facts);
      });
    }
  });
}
