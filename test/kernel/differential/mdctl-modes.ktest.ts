// Kernel lane: mdctl against real mdadm 4.2, mode by mode (issue #17). One guest with eight
// 64 MiB disks runs a one-node mdclusterd (kernel md driver) and the cases of
// mdctl-modes-cases.ts (mdctl-modes-guest.ts); this file prints every case's verdict
// (identical / differs with the first differing line) and asserts the cases listed in
// EXPECT_IDENTICAL. Host side: TLS files and the node config under the lab cache (the guest
// sees the host's tree, not its /tmp); the guest program is compiled with its own tsconfig.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../../daemon/src/common/types.js';
import { CA_CERT_FILE, generateClusterCerts, nodeCertFile, nodeKeyFile } from '../../../daemon/src/transport/certs.js';
import { saveCaptures } from '../lab/captures.js';
import { labPaths } from '../lab/config.js';
import { bootGuest, describeResult, type GuestResult } from '../lab/index.js';
import { judge, MODES_DISKS, MODES_RESULT_FILE, SAME_DEVICE_CASES, type ModesRecord } from './mdctl-modes-cases.js';

const GUEST_TIMEOUT_MS = 15 * 60 * 1000;
const NODE = nodeId('node1');
/** Cases mdctl must answer exactly as mdadm does (after renaming B to A and the tool's name). */
const EXPECT_IDENTICAL = [
  'create-unknown-level', 'examine-brief', 'examine-scan', 'examine-scan-verbose', 'wait-clean', 'zero-superblock-busy', 'stop-scan',
  'zero-superblock-stopped-force', 'zero-superblock-blank', 'assemble-scan-conf', 'stop-named',
];

function renderConfig(dir: string): string {
  return [
    `node-id = "${NODE}"`, 'data-dir = "/var/lib/mdclusterd"',
    '[listen]', 'peer = "127.0.0.1:8401"', 'status = "127.0.0.1:8400"', 'control-socket = "/run/mdclusterd/control.sock"',
    '[peers]', `${NODE} = "127.0.0.1:8401"`,
    '[tls]', `ca = ${JSON.stringify(join(dir, CA_CERT_FILE))}`, `cert = ${JSON.stringify(join(dir, nodeCertFile(NODE)))}`, `key = ${JSON.stringify(join(dir, nodeKeyFile(NODE)))}`,
    '[md]', 'driver = "kernel"',
    '[timing]', 'tick-ms = 50', 'heartbeat-ticks = 2', 'election-ticks = 60', 'lease-ticks = 40', 'drift-bound-ticks = 4',
    '[master]', 'checkpoint-interval-ms = 1000', '[alerts]', 'syslog = false', '[log]', 'level = "info"', 'journal-prefix = "off"', '',
  ].join('\n');
}

let setupDir = '';
let guest: GuestResult | null = null;
let rec: ModesRecord | null = null;

beforeAll(async () => {
  const { repoRoot, cacheDir } = labPaths();
  setupDir = join(cacheDir, `mdctl-modes-setup-${process.pid}`);
  rmSync(setupDir, { recursive: true, force: true });
  mkdirSync(setupDir, { recursive: true });
  await generateClusterCerts({ dir: setupDir, nodes: [NODE], hosts: new Map([[NODE, ['127.0.0.1']]]) });
  writeFileSync(join(setupDir, 'mdclusterd.toml'), renderConfig(setupDir));
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', join(repoRoot, 'test/kernel/differential/tsconfig-modes.json')], { cwd: repoRoot, stdio: 'inherit' });
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
  for (const name of EXPECT_IDENTICAL) {
    it(`${name}: mdctl answers as mdadm`, () => {
      const c = rec?.cases.find((x) => x.name === name);
      expect(c, `case ${name} recorded`).toBeDefined();
      const v = judge(c!, SAME_DEVICE_CASES.has(name));
      expect(v.kind === 'identical' ? 'identical' : v.line).toBe('identical');
    });
  }
});
