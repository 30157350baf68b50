// Kernel lane: mdctl against real mdadm on the real kernel. One guest with six disks runs a
// one-node mdclusterd (kernel md driver) and the same operation sequence (steps.ts) twice:
// with mdadm on array A (md0 over vda..vdc) and with mdctl on array B (md1 over vdd..vdf).
// After each step this file checks, from the raw outputs the guest recorded:
//   - `mdadm --detail /dev/md0` vs `mdctl --detail /dev/md1`, normalising only times, UUIDs,
//     names, Events and device names/numbers; mdctl's text must be mdadm's fields, with only
//     its Cluster section after them; the same for `--detail --export`;
//   - the exit codes of `--detail --test` (A vs B);
//   - `mdadm --detail /dev/md1` (B's kernel truth) vs `mdctl --detail /dev/md1` (B's cluster
//     view): the same array, so only times and Events may differ;
//   - `--detail --scan`: mdadm's ARRAY line for md1 equals mdctl's, byte for byte;
//   - for a few steps, `--examine` of B's members and `--query`, mdadm vs mdctl.
// Host side: cluster certificates (generateClusterCerts) and the node's config are written
// under the lab cache (the guest sees the host's tree read-only, but not the host's /tmp),
// the guest program is compiled with its own tsconfig, and the guest runs it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../../daemon/src/common/types.js';
import { CA_CERT_FILE, generateClusterCerts, nodeCertFile, nodeKeyFile } from '../../../daemon/src/transport/certs.js';
import { saveCaptures } from '../lab/captures.js';
import { labPaths } from '../lab/config.js';
import { bootGuest, describeResult, type GuestResult } from '../lab/index.js';
import { compareDetail, compareExport, describeDifference, IDENTITY, splitClusterSection } from './normalize.js';
import { normalizeExamine, normalizeQuery, scanLineFor } from './compare-misc.js';
import { RESULT_FILE, type CmdResult, type GuestRecord, type StepRecord } from './results.js';
import { B_NAMES, STEPS } from './steps.js';

const GUEST_TIMEOUT_MS = 19 * 60 * 1000;
const NODE = nodeId('node1');

function renderConfig(dir: string): string {
  return [
    '# mdadm-vs-mdctl kernel test: one-node cluster, kernel md driver',
    `node-id = "${NODE}"`,
    'data-dir = "/var/lib/mdclusterd"',
    '[listen]', 'peer = "127.0.0.1:8401"', 'status = "127.0.0.1:8400"', 'control-socket = "/run/mdclusterd/control.sock"',
    '[peers]', `${NODE} = "127.0.0.1:8401"`,
    '[tls]', `ca = ${JSON.stringify(join(dir, CA_CERT_FILE))}`, `cert = ${JSON.stringify(join(dir, nodeCertFile(NODE)))}`, `key = ${JSON.stringify(join(dir, nodeKeyFile(NODE)))}`,
    '[md]', 'driver = "kernel"',
    // A TCG guest's event loop stalls for seconds at times: slow ticks, long election.
    '[timing]', 'tick-ms = 50', 'heartbeat-ticks = 2', 'election-ticks = 60', 'lease-ticks = 40', 'drift-bound-ticks = 4',
    '[master]', 'checkpoint-interval-ms = 1000',
    '[alerts]', 'syslog = false',
    '[log]', 'level = "info"', 'journal-prefix = "off"', '',
  ].join('\n');
}

let setupDir = '';
let guest: GuestResult | null = null;
let rec: GuestRecord | null = null;
const startedMs = performance.now();

beforeAll(async () => {
  const { repoRoot, cacheDir } = labPaths();
  if (/^\/run(\/|$)/.test(cacheDir)) throw new Error(`lab cache ${cacheDir} is not visible inside a guest (its /run is private; /tmp is kept for a checkout under /tmp)`);
  setupDir = join(cacheDir, `mdctl-setup-${process.pid}`);
  rmSync(setupDir, { recursive: true, force: true });
  mkdirSync(setupDir, { recursive: true });
  await generateClusterCerts({ dir: setupDir, nodes: [NODE], hosts: new Map([[NODE, ['127.0.0.1']]]) });
  writeFileSync(join(setupDir, 'mdclusterd.toml'), renderConfig(setupDir));
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', join(repoRoot, 'test/kernel/mdctl/tsconfig.json')], { cwd: repoRoot, stdio: 'inherit' });
  guest = await bootGuest({
    name: 'mdctl-vs-mdadm', cmd: ['node', 'dist/test/kernel/mdctl/guest.js'], cwd: repoRoot,
    env: { MDCTL_LAB_SETUP: setupDir }, disks: Array.from({ length: 6 }, () => ({ sizeMiB: 64 })),
    memMiB: 768, timeoutMs: GUEST_TIMEOUT_MS,
  });
  const where = await saveCaptures('mdctl-vs-mdadm', guest.files);
  const text = guest.files[RESULT_FILE];
  rec = text === undefined ? null : (JSON.parse(text) as GuestRecord);
  if (rec) {
    console.log(`mdadm-vs-mdctl: boot-to-command ${Math.round(guest.bootToCommandMs ?? -1)} ms, daemon ready ${rec.daemonReadyMs} ms, ` +
      `guest program ${rec.totalMs} ms, ${rec.mdctlRuns} mdctl runs (mean ${rec.mdctlMeanMs} ms), host load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; outputs kept in ${where}`);
    for (const s of rec.steps) console.log(`  ${s.name}: settle ${s.settleMs} ms, view agreed after ${s.convergeMs} ms / ${s.polls} polls: ${s.agreed ? 'agreed' : 'DIFFERS'}`);
  }
}, GUEST_TIMEOUT_MS + 120_000);

afterAll(() => {
  if (setupDir !== '') rmSync(setupDir, { recursive: true, force: true });
  console.log(`mdadm-vs-mdctl: lane time ${Math.round((performance.now() - startedMs) / 1000)} s`);
});

function step(name: string): StepRecord {
  expect(rec, guest ? describeResult(guest) : 'the guest did not run').not.toBeNull();
  const s = rec!.steps.find((x) => x.name === name);
  expect(s, `step ${name} did not run: ${rec!.error ?? ''}\n${guest ? describeResult(guest) : ''}\n${guest?.files['daemon.log']?.slice(-4000) ?? ''}`).toBeDefined();
  return s!;
}

const show = (r: CmdResult): string => `${r.argv.join(' ')} -> exit ${r.code}\n${r.stdout}${r.stderr}`;

/** Same exit code and, for a successful run, equal normalised text; else the same stdout. */
function expectSameDetail(x: CmdResult, y: CmdResult, mapY: typeof IDENTITY, what: string, numberMayDiffer: readonly string[] = []): void {
  expect(y.code, `${what}: exit codes\n${show(x)}\n${show(y)}`).toBe(x.code);
  if (x.code !== 0) { expect(y.stdout, `${what}: stdout`).toBe(x.stdout); return; }
  const c = compareDetail(x.stdout, y.stdout, IDENTITY, mapY, numberMayDiffer);
  expect(c.equal, `${what}:\n${c.diff}`).toBe(true);
  expect(splitClusterSection(y.stdout).cluster, `${what}: mdctl's Cluster section follows mdadm's fields\n${y.stdout}`).not.toBeNull();
}

function expectSameExport(x: CmdResult, y: CmdResult, mapY: typeof IDENTITY, what: string): void {
  expect(y.code, `${what}: exit codes\n${show(x)}\n${show(y)}`).toBe(x.code);
  if (x.code !== 0) { expect(y.stdout, `${what}: stdout`).toBe(x.stdout); return; }
  const c = compareExport(x.stdout, y.stdout, IDENTITY, mapY);
  expect(c.equal, `${what}:\n${c.diff}`).toBe(true);
}

describe('mdadm vs mdctl on real md (one guest, one-node mdclusterd)', () => {
  it('the guest ran every step', () => {
    expect(guest, 'guest booted').not.toBeNull();
    expect(rec, describeResult(guest!)).not.toBeNull();
    expect(rec!.error, `${rec!.error}\n${guest!.files['daemon.log']?.slice(-4000) ?? ''}`).toBeNull();
    expect(rec!.steps.map((s) => s.name)).toEqual(STEPS.map((s) => s.name));
    expect(guest!.outcome, describeResult(guest!)).toBe('exited');
  });

  for (const s of STEPS) {
    describe(`step ${s.name}: mdadm ${s.mdadm.join(' ')}`, () => {
      const differ = s.numberMayDiffer ? ` (descriptor Number of ${s.numberMayDiffer.members.join(', ')} masked: ${s.numberMayDiffer.why})` : '';
      it(`--detail: mdctl on B equals mdadm on A, normalised${differ}`, () => {
        const r = step(s.name);
        expectSameDetail(r.a.detail, r.b.detail, B_NAMES, 'A mdadm vs B mdctl', s.numberMayDiffer?.members);
      });
      it('--detail: mdctl on B equals mdadm on B (the same array: only times and Events differ)', () => {
        const r = step(s.name);
        expectSameDetail(r.bKernel.detail, r.b.detail, IDENTITY, 'B mdadm vs B mdctl');
      });
      it('--detail --export: mdctl on B equals mdadm on A (normalised) and mdadm on B', () => {
        const r = step(s.name);
        expectSameExport(r.a.export, r.b.export, B_NAMES, 'A mdadm vs B mdctl');
        expectSameExport(r.bKernel.export, r.b.export, IDENTITY, 'B mdadm vs B mdctl');
      });
      it('--detail --test: the same exit code', () => {
        const r = step(s.name);
        expect(r.b.test.code, `${show(r.a.test)}\n${show(r.b.test)}`).toBe(r.a.test.code);
        expect(r.b.test.code, `${show(r.bKernel.test)}\n${show(r.b.test)}`).toBe(r.bKernel.test.code);
      });
      it('--detail --scan: mdctl prints mdadm\'s ARRAY line for md1', () => {
        const r = step(s.name);
        expect(r.scanB.code, show(r.scanB)).toBe(0);
        expect(r.scanB.stdout, `${show(r.scanA)}\n${show(r.scanB)}`).toBe(scanLineFor(r.scanA.stdout, '/dev/md1'));
      });
      if (s.examine) {
        it('--examine and --query: mdctl prints what mdadm prints', () => {
          const r = step(s.name);
          expect(r.examine.length).toBeGreaterThan(0);
          for (const e of r.examine) {
            expect(e.mdctl.code, `${show(e.mdadm)}\n${show(e.mdctl)}`).toBe(e.mdadm.code);
            const want = normalizeExamine(e.mdadm.stdout);
            const got = normalizeExamine(e.mdctl.stdout);
            expect(got === want, describeDifference(want, got, `mdadm --examine ${e.member}`, `mdctl --examine ${e.member}`)).toBe(true);
          }
          for (const q of r.query) {
            expect(q.mdctl.code, `${show(q.mdadm)}\n${show(q.mdctl)}`).toBe(q.mdadm.code);
            expect(normalizeQuery(q.mdctl.stdout), `${show(q.mdadm)}\n${show(q.mdctl)}`).toBe(normalizeQuery(q.mdadm.stdout));
          }
        });
      }
    });
  }
});
