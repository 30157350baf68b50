// Kernel lane: mdctl against real mdadm 4.2, mode by mode (issue #17). One guest with eight
// 64 MiB disks runs a one-node mdclusterd (kernel md driver) and the cases of
// mdctl-modes-cases.ts (mdctl-modes-guest.ts); this file prints every case's verdict
// (identical / differs with the first differing line) and asserts the cases listed in
// EXPECT_IDENTICAL. Host side: modes-setup.ts.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCaptures } from '../lab/captures.js';
import { labPaths } from '../lab/config.js';
import { bootGuest, describeResult, type GuestResult } from '../lab/index.js';
import { judge, MODES_DISKS, MODES_RESULT_FILE, SAME_DEVICE_CASES, type ModesRecord } from './mdctl-modes-cases.js';
import { prepareModesSetup } from './modes-setup.js';

const GUEST_TIMEOUT_MS = 15 * 60 * 1000;
/** Cases mdctl must answer exactly as mdadm does (after renaming B to A and the tool's name). */
const EXPECT_IDENTICAL = [
  'create-unknown-level', 'examine-brief', 'examine-scan', 'examine-scan-verbose', 'wait-clean', 'zero-superblock-busy', 'stop-scan',
  'zero-superblock-stopped-force', 'zero-superblock-blank', 'assemble-scan-conf', 'stop-named', 'examine-090',
];

let setupDir = '';
let guest: GuestResult | null = null;
let rec: ModesRecord | null = null;

beforeAll(async () => {
  const { repoRoot } = labPaths();
  setupDir = await prepareModesSetup('mdctl-modes');
  guest = await bootGuest({
    name: 'mdctl-modes', cmd: ['node', 'dist/test/kernel/differential/mdctl-modes-guest.js'], cwd: repoRoot,
    env: { MDCTL_LAB_SETUP: setupDir }, disks: Array.from({ length: MODES_DISKS }, () => ({ sizeMiB: 64 })),
    memMiB: 768, timeoutMs: GUEST_TIMEOUT_MS,
  });
  const where = await saveCaptures('mdctl-modes', guest.files);
  const text = guest.files[MODES_RESULT_FILE];
  rec = text === undefined ? null : (JSON.parse(text) as ModesRecord);
  console.log(`mdctl-modes: ${guest.outcome}, daemon ready ${rec?.daemonReadyMs ?? -1} ms; outputs kept in ${where}`);
  for (const c of rec?.cases ?? []) {
    const v = judge(c, SAME_DEVICE_CASES.has(c.name));
    console.log(`  ${c.mode} [${c.name}]: ${v.kind === 'identical' ? 'identical' : `DIFFERS ${v.line}`}`);
  }
  if (rec?.error) console.log(`  guest error: ${rec.error}`);
}, GUEST_TIMEOUT_MS + 120_000);

afterAll(() => { if (setupDir) rmSync(setupDir, { recursive: true, force: true }); });

describe('mdctl vs mdadm 4.2 by mode', () => {
  it('the guest ran every case', () => {
    expect(rec, guest ? describeResult(guest) : 'no guest').not.toBeNull();
    expect(rec!.error, describeResult(guest!)).toBeNull();
    expect(guest!.exitCode, describeResult(guest!)).toBe(0);
  });
  it('ddf-container-refused: mdctl will not manage a DDF container (exit 1, E_EXTERNAL_METADATA)', () => {
    const c = rec?.cases.find((x) => x.name === 'ddf-container-refused');
    expect(c, 'case recorded').toBeDefined();
    expect(c!.mdctl[0].code).toBe(1);
    expect(c!.mdctl[0].stderr).toMatch(/external metadata \(external:ddf\).*\[E_EXTERNAL_METADATA\]/);
  });
  for (const name of EXPECT_IDENTICAL) {
    it(`${name}: mdctl answers as mdadm`, () => {
      const c = rec?.cases.find((x) => x.name === name);
      expect(c, `case ${name} recorded`).toBeDefined();
      const v = judge(c!, SAME_DEVICE_CASES.has(name));
      expect(v.kind === 'identical' ? 'identical' : v.line).toBe('identical');
    });
  }
});
