// The operation sequence run twice in one kernel-lab guest: with mdadm on array A (md0 over
// vda..vdc) and with mdctl through a one-node mdclusterd on array B (md1 over vdd..vdf).
// Owns: the steps, the argv of both tools for each, and the kernel state each step must reach
// before outputs are compared. Pure data; the guest program (guest.ts) runs it.
// Invariants: every step is written once, for array A, and B's argv and expectations are
// derived by renaming (B_NAMES), so the two sequences cannot drift apart; each step names the
// member states it must produce, so a comparison never runs on a state in flux.
import type { NameMap } from './normalize.js';

/** B's names -> A's (for normalising B's outputs) and the reverse (for deriving B's steps). */
export const B_NAMES: NameMap = { arrays: { md1: 'md0' }, members: { vdd: 'vda', vde: 'vdb', vdf: 'vdc' } };
const A_TO_B: Record<string, string> = { md0: 'md1', vda: 'vdd', vdb: 'vde', vdc: 'vdf' };

/** What a member's sysfs dev-X/state must be after the step ('absent': no dev-X directory). */
export type MemberExpect = 'in_sync' | 'spare' | 'faulty' | 'absent';

export interface StepExpect {
  /** The array exists (false: stopped, /sys/block/mdX gone). */
  running: boolean;
  /** md/array_state must match. */
  arrayState?: RegExp;
  members?: Record<string, MemberExpect>;
}

export interface Step {
  name: string;
  /** argv after "mdadm" for array A. */
  mdadm: string[];
  /** argv after "mdctl" for array A's names (renamed for B). */
  mdctl: string[];
  expect: StepExpect;
  /** Also compare --examine and --query of the members (a few steps: each costs node starts). */
  examine?: boolean;
  /**
   * A's members whose descriptor Number may differ between A (mdadm) and B (mdctl), with the
   * reason. Only the A-vs-B comparison masks them; B's kernel vs B's view stays exact.
   */
  numberMayDiffer?: { members: string[]; why: string };
}

/**
 * Step 09 adds back a disk whose old superblock is this array's but not re-addable (it was a
 * spare when it was failed and removed). mdadm writes it a fresh superblock, so md numbers it
 * from raid_disks up (3); the kernel driver's hot-add re-imports the old superblock with
 * ADD_NEW_DISK, which keeps its old dev_number (1). Same role (spare), same data; the number
 * then stays so through read-only, read-write and re-assembly.
 */
const FRESH_ADD_NUMBER = { members: ['vdb'], why: 'mdadm --add writes a fresh superblock; the kernel driver re-imports the old one (dev_number kept)' };

const ALL3 = ['/dev/vda', '/dev/vdb', '/dev/vdc'];

export const STEPS: readonly Step[] = [
  {
    name: '01-create',
    mdadm: ['--create', '/dev/md0', '--run', '--level=1', '--raid-devices=2', '--spare-devices=1', '--bitmap=internal', ...ALL3],
    mdctl: ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '--spare-devices=1', '--bitmap=internal', ...ALL3],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'in_sync', vdc: 'spare' } }, examine: true,
  },
  {
    name: '02-fail', mdadm: ['/dev/md0', '--fail', '/dev/vdb'], mdctl: ['/dev/md0', '--fail', '/dev/vdb'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'faulty', vdc: 'in_sync' } },
  },
  {
    name: '03-remove', mdadm: ['/dev/md0', '--remove', '/dev/vdb'], mdctl: ['/dev/md0', '--remove', '/dev/vdb'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'absent', vdc: 'in_sync' } },
  },
  {
    name: '04-add', mdadm: ['/dev/md0', '--add', '/dev/vdb'], mdctl: ['/dev/md0', '--add', '/dev/vdb'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'spare', vdc: 'in_sync' } },
  },
  {
    name: '05-fail-remove-spare', mdadm: ['/dev/md0', '--fail', '/dev/vdb', '--remove', '/dev/vdb'], mdctl: ['/dev/md0', '--fail', '/dev/vdb', '--remove', '/dev/vdb'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'absent', vdc: 'in_sync' } },
  },
  {
    name: '06-degraded', mdadm: ['/dev/md0', '--fail', '/dev/vdc'], mdctl: ['/dev/md0', '--fail', '/dev/vdc'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'absent', vdc: 'faulty' } }, examine: true,
  },
  {
    name: '07-remove-failed', mdadm: ['/dev/md0', '--remove', 'failed'], mdctl: ['/dev/md0', '--remove', 'failed'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'absent', vdc: 'absent' } },
  },
  {
    name: '08-re-add', mdadm: ['/dev/md0', '--re-add', '/dev/vdc'], mdctl: ['/dev/md0', '--re-add', '/dev/vdc'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'absent', vdc: 'in_sync' } },
  },
  {
    name: '09-add-spare', mdadm: ['/dev/md0', '--add', '/dev/vdb'], mdctl: ['/dev/md0', '--add', '/dev/vdb'],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'spare', vdc: 'in_sync' } }, numberMayDiffer: FRESH_ADD_NUMBER, examine: true,
  },
  {
    name: '10-readonly', mdadm: ['--readonly', '/dev/md0'], mdctl: ['/dev/md0', '--readonly'],
    expect: { running: true, arrayState: /^readonly$/, members: { vda: 'in_sync', vdb: 'spare', vdc: 'in_sync' } }, numberMayDiffer: FRESH_ADD_NUMBER,
  },
  {
    name: '11-readwrite', mdadm: ['--readwrite', '/dev/md0'], mdctl: ['/dev/md0', '--readwrite'],
    expect: { running: true, arrayState: /^(clean|active)$/, members: { vda: 'in_sync', vdb: 'spare', vdc: 'in_sync' } }, numberMayDiffer: FRESH_ADD_NUMBER,
  },
  { name: '12-stop', mdadm: ['--stop', '/dev/md0'], mdctl: ['--stop', '/dev/md0'], expect: { running: false } },
  {
    name: '13-assemble', mdadm: ['--assemble', '/dev/md0', ...ALL3], mdctl: ['--assemble', '/dev/md0', ...ALL3],
    expect: { running: true, members: { vda: 'in_sync', vdb: 'spare', vdc: 'in_sync' } }, numberMayDiffer: FRESH_ADD_NUMBER, examine: true,
  },
];

/** A's word -> B's: "/dev/md0" -> "/dev/md1", "vdb" -> "vde"; other words unchanged. */
export function toB(word: string): string {
  const m = /^(\/dev\/)?([a-z0-9]+)$/.exec(word);
  if (!m || A_TO_B[m[2]] === undefined) return word;
  return `${m[1] ?? ''}${A_TO_B[m[2]]}`;
}

export function stepForB(s: Step): { argv: string[]; expect: StepExpect } {
  const members = s.expect.members === undefined ? undefined
    : Object.fromEntries(Object.entries(s.expect.members).map(([k, v]) => [toB(k), v]));
  return { argv: s.mdctl.map(toB), expect: { ...s.expect, members } };
}

/** The members step comparisons examine/query (A's names). */
export const EXAMINED = ALL3;
