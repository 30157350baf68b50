// mdctl's misc-mode actions end to end against a running 3-node cluster (simulated md):
// --zero-superblock (refused for a member the cluster uses, with mdadm's exact line and exit
// 2; a stopped array's member only with --force; a blank device is mdadm's "Unrecognised"
// note, exit 0), --stop --scan (silent, every running array), member changes on a stopped
// array refused (mdadm's "Cannot get array info"), and --examine --brief.
import { describe, expect, test } from 'vitest';
import { type Cluster } from './harness.js';
import { runMdctl, type MdctlResult } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

const DISKS = ['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: 131_072 }));
const cluster = useCluster({ name: 'mdctl-misc', disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT });

async function mdctl(c: Cluster, node: string, args: string[]): Promise<MdctlResult> {
  return runMdctl(c.controlSocket(node), args);
}
function exits(r: MdctlResult, code: number): MdctlResult {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  return r;
}

describe('mdctl misc-mode actions', () => {
  test('zero-superblock, stop --scan, refusals on a stopped array, examine --brief', async () => {
    const c = cluster();
    for (const id of c.ids) exits(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sda', '/dev/sdb']), 0);
    exits(await mdctl(c, 'n2', ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '--assume-clean', '/dev/sda', '/dev/sdb', '--wait-all']), 0);

    const busy = exits(await mdctl(c, 'n3', ['--zero-superblock', '/dev/sda']), 2);
    expect(busy.stderr).toBe("mdctl: Couldn't open /dev/sda for write - not zeroing\n");

    const brief = exits(await mdctl(c, 'n1', ['--examine', '--brief', '/dev/sda', '/dev/sdb']), 0);
    expect(brief.stdout).toMatch(/^ARRAY \/dev\/md\/0 {2}metadata=1\.2 UUID=[0-9a-f]{8}(:[0-9a-f]{8}){3} name=\S+:0\n$/);

    const stop = exits(await mdctl(c, 'n1', ['-Ss']), 0);
    expect(stop.stderr).toBe('');
    exits(await mdctl(c, 'n1', ['--detail', '/dev/md0']), 1);

    const fail = exits(await mdctl(c, 'n2', ['/dev/md0', '--fail', '/dev/sdb']), 1);
    expect(fail.stderr).toContain('Cannot get array info for /dev/md0');

    exits(await mdctl(c, 'n2', ['--zero-superblock', '/dev/sdb']), 2);
    const forced = exits(await mdctl(c, 'n2', ['--zero-superblock', '--force', '/dev/sdb']), 0);
    expect(forced.stderr).toBe('');
    const blank = exits(await mdctl(c, 'n2', ['--zero-superblock', '/dev/sdb']), 0);
    expect(blank.stderr).toBe('mdctl: Unrecognised md component device - /dev/sdb\n');
    const none = exits(await mdctl(c, 'n2', ['--examine', '/dev/sdb']), 1);
    expect(none.stderr).toContain('No md superblock detected on /dev/sdb.');
  });
});
