// Kernel lane: mdctl --grow against real mdadm 4.2 (issue #17). One guest with ten 64 MiB
// disks runs a one-node mdclusterd (kernel md driver) and the grow cases of
// mdctl-grow-guest.ts; this file prints every case's verdict (identical / differs with the
// first differing line) and asserts the cases in EXPECT_IDENTICAL: exit codes, stdout and
// stderr of each command (mdadm's prefix -> mdctl's, B's names -> A's, mdctl's trailing
// "[E_CODE]" dropped), and the bitmap facts (mdstat line, --detail lines). Host side:
// modes-setup.ts.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCaptures } from '../lab/captures.js';
import { labPaths } from '../lab/config.js';
import { bootGuest, describeResult, type GuestResult } from '../lab/index.js';
import { GROW_RESULT_FILE, judge, type ModesRecord } from './mdctl-modes-cases.js';
import { prepareModesSetup } from './modes-setup.js';

// 25 min: the chunk restripe and its check pass come after the raid5 reshape (TCG on a loaded host).
const GUEST_TIMEOUT_MS = 25 * 60 * 1000;
/** vda..vdj: two raid1 and two raid0 arrays, two spares, then two raid5 (see the guest). */
const GROW_DISKS = 10;
/** Cases mdctl must answer exactly as mdadm does. */
// Not listed: 'create' (mdctl --create does not print mdadm's "largest drive exceeds size by
// more than 1%" warning: create mode, not grow).
const EXPECT_IDENTICAL = [
  'grow-bitmap-internal', 'grow-bitmap-internal-view', 'grow-bitmap-internal-again', 'grow-bitmap-none', 'grow-bitmap-none-view',
  'grow-bitmap-none-again', 'grow-bitmap-raid0', 'grow-bitmap-short', 'grow-no-change', 'grow-size', 'grow-size-same', 'grow-size-too-big',
  'grow-size-max', 'grow-size-max-again', 'grow-size-raid0', 'grow-raid-devices-raid1', 'grow-raid-devices-no-spare', 'grow-raid-devices-same',
  'grow-raid-devices-raid5', 'grow-raid-devices-raid5-check', 'grow-chunk-raid1', 'grow-chunk-same', 'grow-chunk-not-dividing', 'grow-chunk-raid5',
  'grow-chunk-raid5-check',
];

let setupDir = '';
let guest: GuestResult | null = null;
let rec: ModesRecord | null = null;

beforeAll(async () => {
  const { repoRoot } = labPaths();
  setupDir = await prepareModesSetup('mdctl-grow');
  guest = await bootGuest({
    name: 'mdctl-grow', cmd: ['node', 'dist/test/kernel/differential/mdctl-grow-guest.js'], cwd: repoRoot,
    env: { MDCTL_LAB_SETUP: setupDir }, disks: Array.from({ length: GROW_DISKS }, () => ({ sizeMiB: 64 })),
    memMiB: 768, timeoutMs: GUEST_TIMEOUT_MS,
  });
  const where = await saveCaptures('mdctl-grow', guest.files);
  const text = guest.files[GROW_RESULT_FILE];
  rec = text === undefined ? null : (JSON.parse(text) as ModesRecord);
  console.log(`mdctl-grow: ${guest.outcome}, daemon ready ${rec?.daemonReadyMs ?? -1} ms; outputs kept in ${where}`);
  for (const c of rec?.cases ?? []) {
    const v = judge(c, false);
    console.log(`  ${c.mode} [${c.name}]: ${v.kind === 'identical' ? 'identical' : `DIFFERS ${v.line}`}`);
    if (c.factsA !== undefined) console.log(`    facts mdadm: ${c.factsA.replace(/\n/g, '\\n')}\n    facts mdctl: ${(c.factsB ?? '').replace(/\n/g, '\\n')}`);
  }
  if (rec?.error) console.log(`  guest error: ${rec.error}`);
}, GUEST_TIMEOUT_MS + 120_000);

afterAll(() => { if (setupDir) rmSync(setupDir, { recursive: true, force: true }); });

describe('mdctl --grow vs mdadm 4.2', () => {
  it('the guest ran every case', () => {
    expect(rec, guest ? describeResult(guest) : 'no guest').not.toBeNull();
    expect(rec!.error, describeResult(guest!)).toBeNull();
    expect(guest!.exitCode, describeResult(guest!)).toBe(0);
  });
  for (const name of EXPECT_IDENTICAL) {
    it(`${name}: mdctl answers as mdadm`, () => {
      const c = rec?.cases.find((x) => x.name === name);
      expect(c, `case ${name} recorded`).toBeDefined();
      const v = judge(c!, false);
      expect(v.kind === 'identical' ? 'identical' : v.line).toBe('identical');
    });
  }
});
