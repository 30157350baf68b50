// Cluster lane, issue #18 on 3 real kernels: the package and the cold start.
//   1. every guest installed the lane's .deb with dpkg (the Debian dpkg of the guest's root);
//      `dpkg -L` lists the unit, the udev rule, the three manual pages and both completions;
//      the daemon runs from /usr/lib/mdclusterd as the installed unit's ExecStart= says, with
//      the unit's directories and READY=1;
//   2. a raid1 array, then every node shut down in order (unit stop, ExecStopPost);
//   3. cold start: the three guests boot in a random order (CLUSTER_COLDSTART_SEED) with delays
//      up to CLUSTER_COLDSTART_MAX_DELAY_S (default 60 s, the bound) after the first;
//      one master writable, the others read-only, no restart loop; the time from the last boot
//      to writable is printed.
// Invariant: tests run in order on one cluster and one array.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labPaths } from '../kernel/lab/config.js';
import { busLayout, type InstallRecord } from './guest/protocol.js';
import { bootPlan, coldStart, shutDownAll } from './lib/cold-start.js';
import { LANE_GUEST_TIMEOUT_MS, useLaneCluster } from './lib/lane-test.js';
import { waitIdleClean, waitReadOnly, waitWritable } from './lib/md-checks.js';
import { mustMdctl, mustSh, waitMaster } from './lib/node-ops.js';
import { DAEMON_NODE_OPTIONS } from '../../daemon/src/common/limits.js';

const MD = 'md0';
const DISKS = ['/dev/vda', '/dev/vdb'];
const MAX_DELAY_S = Number(process.env.CLUSTER_COLDSTART_MAX_DELAY_S ?? '60');
const SEED = Number(process.env.CLUSTER_COLDSTART_SEED ?? Math.floor(Math.random() * 2 ** 31));

const EXPECTED_FILES = [
  '/usr/lib/systemd/system/mdclusterd.service', '/usr/lib/udev/rules.d/63-mdclusterd.rules',
  '/usr/share/man/man8/mdclusterd.8.gz', '/usr/share/man/man8/mdctl.8.gz', '/usr/share/man/man5/mdclusterd.toml.5.gz',
  '/usr/share/bash-completion/completions/mdclusterd', '/usr/share/bash-completion/completions/mdctl',
  '/usr/bin/mdclusterd', '/usr/bin/mdctl', '/usr/lib/mdclusterd/dist/daemon/src/main.js',
];

describe('the package on 3 real kernels, and a cold start of the whole cluster', () => {
  const cluster = useLaneCluster({ name: 'cold-start', nodes: 3, sharedDisksMiB: [64, 64], guestTimeoutMs: LANE_GUEST_TIMEOUT_MS });

  it('1: each guest installed the .deb with dpkg; dpkg -L lists unit, udev rule, man pages, completions; the daemon runs from the package as ExecStart= says', async () => {
    const c = cluster();
    const unitText = readFileSync(join(labPaths().repoRoot, 'etc/systemd/mdclusterd.service'), 'utf8');
    for (const i of c.indexes) {
      const install = JSON.parse(readFileSync(join(c.busDir, busLayout.installed(i, 0)), 'utf8')) as InstallRecord;
      console.log(`[cold-start] node${i}: ${install.command.join(' ')} took ${install.wallMs} ms`);
      const listed = (await mustSh(c, i, 'dpkg -L mdclusterd')).split('\n');
      for (const f of EXPECTED_FILES) expect(listed, `node${i}: dpkg -L mdclusterd lists ${f}`).toContain(f);
      expect(await mustSh(c, i, 'dpkg-query -W -f \'${Status} ${Version}\' mdclusterd')).toMatch(/^install ok installed [0-9]/);
      expect(await mustSh(c, i, `cat ${install.unitPath}`), `node${i}: the installed unit is the shipped one`).toBe(unitText);
      const unit = await c.guest(i).rpc.unit();
      expect(unit.startCount).toBe(1);
      expect(unit.starts[0]!.readyGuestWallMs, `node${i}: READY=1`).not.toBeNull();
      const cmdline = (await mustSh(c, i, `tr '\\0' ' ' < /proc/${unit.mainPid}/cmdline`)).trim();
      expect(cmdline, `node${i}: the unit's main process`).toBe(['/usr/bin/node', ...DAEMON_NODE_OPTIONS, '/usr/lib/mdclusterd/dist/daemon/src/main.js --config /etc/mdclusterd/mdclusterd.toml'].join(' '));
      expect((await mustSh(c, i, 'stat -c "%a %n" /run/mdclusterd /var/lib/mdclusterd /etc/mdclusterd/managed-arrays.d')).trim().split('\n'))
        .toEqual(['750 /run/mdclusterd', '700 /var/lib/mdclusterd', '755 /etc/mdclusterd/managed-arrays.d']);
      expect((await mustSh(c, i, `cat /proc/${unit.mainPid}/oom_score_adj; grep -E '^(Umask|NSpgid)' /proc/${unit.mainPid}/status | tr -s '\\t ' ' '`)).trim().split('\n'))
        .toEqual(['-900', 'Umask: 0077', `NSpgid: ${unit.mainPid}`]);
      console.log(`[cold-start] node${i}: unit directives not applied in the lane: ${unit.notApplied.join(' ')}`);
    }
  });

  it('2: a raid1 array on the master, standbys read-only; then every node shut down in order', async () => {
    const c = cluster();
    const m = await waitMaster(c);
    for (const i of c.indexes) await mustMdctl(c, i, ['--cluster', 'confirm', ...DISKS]);
    await mustMdctl(c, m.index, ['--create', `/dev/${MD}`, '--level=1', '--raid-devices=2', '--bitmap=internal', ...DISKS]);
    await waitWritable(c, m.index, MD);
    for (const i of c.indexes.filter((x) => x !== m.index)) await waitReadOnly(c, i, MD);
    await waitIdleClean(c, m.index, MD);
    await shutDownAll(c);
  });

  it(`3: cold start in a random order with delays up to ${MAX_DELAY_S} s: one master writable, the others read-only, every unit started once`, async () => {
    const c = cluster();
    const r = await coldStart(c, MD, bootPlan(c.indexes, MAX_DELAY_S * 1000, SEED));
    for (const [node, u] of Object.entries(r.units)) {
      console.log(`[cold-start] ${node}: starts ${u.startCount}, READY=1 ${u.starts[0]!.readyGuestWallMs! - u.starts[0]!.guestWallMs} ms after ExecStart with STATUS=${JSON.stringify(u.starts[0]!.readyStatus)}; largest WATCHDOG=1 gap ${u.watchdogMaxGapMs} ms (WatchdogSec not enforced under TCG)`);
    }
    // Negative: writable before the last node booted (two nodes are a quorum).
    console.log(`[cold-start] RESULT: node${r.master} master writable ${r.lastBootToWritableMs} ms after the last guest booted (qemu start; its boot includes dpkg -i), ${r.lastUnitStartToWritableMs} ms after the last unit start, ${r.quorumUnitStartToWritableMs} ms after the second unit start (quorum) (+/- ${r.errMs} ms); seed ${r.plan.seed}`);
  });
});
