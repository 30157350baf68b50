// mdctl --grow --bitmap against three real daemons (simulated md on shared disks): each change
// issued through a standby is committed, carried out by the master on its writable array and
// followed by the standbys (they re-read the superblocks), so every node's kernel and every
// node's /mdstat show the same bitmap; mdadm's refusals come back with its words and exit 1;
// success prints nothing (mdadm 4.2). No two writers at any time.
import { describe, expect, test } from 'vitest';
import { waitFor, type Cluster } from './harness.js';
import { kernelArray, waitSingleWriter } from './lib/arrays.js';
import { runMdctl, type MdctlResult } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

const DISKS = ['sda', 'sdb'].map((id) => ({ id, sizeSectors: 131_072 }));
const cluster = useCluster({ name: 'grow', disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT });

const mdctl = (c: Cluster, node: string, args: string[]): Promise<MdctlResult> => runMdctl(c.controlSocket(node), args);
function exits(r: MdctlResult, code: number): MdctlResult {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  return r;
}

/** Every node's own kernel runs md0 with (true) or without (false) a bitmap; every /mdstat is the same and agrees. */
async function bitmapEverywhere(c: Cluster, present: boolean): Promise<string> {
  for (const id of c.ids) {
    await waitFor(`${id}'s kernel to run md0 ${present ? 'with' : 'without'} a bitmap`, async () => {
      const k = await kernelArray(c, id, 'md0');
      return k !== null && (k.bitmap !== null && k.bitmap.location !== 'none') === present ? true : undefined;
    }, 15_000);
  }
  return c.waitSame('/mdstat', async (id) => {
    const t = await c.mdstat(id);
    return /\n {6}bitmap: /.test(t) === present ? t : `${id}: not yet: ${t}`;
  });
}

describe('mdctl --grow --bitmap through standbys', () => {
  test('add, refuse a second, remove, refuse a second removal; the kernels follow on every node', async () => {
    const c = cluster();
    for (const id of c.ids) exits(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sda', '/dev/sdb']), 0);
    exits(await mdctl(c, 'n1', ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '--size=32M', '--bitmap=none', '--assume-clean', '/dev/sda', '/dev/sdb', '--wait-all']), 0);
    await bitmapEverywhere(c, false);
    const { id: master } = await c.waitForMaster();
    const [s1, s2] = c.ids.filter((id) => id !== master);

    const added = exits(await mdctl(c, s1, ['--grow', '/dev/md0', '--bitmap=internal']), 0);
    expect([added.stdout, added.stderr]).toEqual(['', '']);
    const text = await bitmapEverywhere(c, true);
    expect(text).toMatch(/\n {6}bitmap: \d+\/\d+ pages \[\d+KB\], \d+KB chunk\n/);
    expect(exits(await mdctl(c, s2, ['--detail', '/dev/md0']), 0).stdout).toMatch(/Intent Bitmap : Internal/);

    const again = exits(await mdctl(c, s2, ['-G', '/dev/md0', '-b', 'internal']), 1);
    expect(again.stderr).toBe('mdctl: bitmap already present on /dev/md0 [E_INVALID_STATE]\n');

    const removed = exits(await mdctl(c, s2, ['--grow', '/dev/md0', '--bitmap=none']), 0);
    expect([removed.stdout, removed.stderr]).toEqual(['', '']);
    await bitmapEverywhere(c, false);
    expect(exits(await mdctl(c, s1, ['--detail', '/dev/md0']), 0).stdout).not.toMatch(/Intent Bitmap/);
    const none = exits(await mdctl(c, master, ['--grow', '/dev/md0', '--bitmap=none']), 1);
    expect(none.stderr).toBe('mdctl: no bitmap found on /dev/md0 [E_INVALID_STATE]\n');

    expect(exits(await mdctl(c, s1, ['--grow', '/dev/md0']), 0).stderr).toBe('mdctl: no changes to --grow\n');
    await waitSingleWriter(c, master, 'md0');
    c.assertNoWriterOverlap();
  });

  test('--size: grow (the master resyncs the new region), the same size again, max with --assume-clean; every kernel follows', async () => {
    const c = cluster();
    const { id: master } = await c.waitForMaster();
    const [s1, s2] = c.ids.filter((id) => id !== master);
    const grown = exits(await mdctl(c, s1, ['--grow', '/dev/md0', '--size=40M']), 0);
    expect([grown.stdout, grown.stderr]).toEqual(['', 'mdctl: component size of /dev/md0 has been set to 40960K\n']);
    await sizeEverywhere(c, 40960);
    const same = exits(await mdctl(c, s2, ['--grow', '/dev/md0', '--size=40M']), 0);
    expect(same.stderr).toBe('mdctl: /dev/md0: no change requested\n');
    const big = exits(await mdctl(c, s2, ['--grow', '/dev/md0', '--size=100M']), 1);
    expect(big.stderr).toMatch(/^mdctl: Cannot set device size for \/dev\/md0: No space left on device \[E_KERNEL\]\n$/);
    await sizeEverywhere(c, 40960);
    const maxed = exits(await mdctl(c, s2, ['-G', '/dev/md0', '-z', 'max', '--assume-clean']), 0);
    const m = /^mdctl: component size of \/dev\/md0 has been set to (\d+)K\n$/.exec(maxed.stderr);
    expect(m, maxed.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(60_000);
    await sizeEverywhere(c, Number(m![1]));
    const again = exits(await mdctl(c, s1, ['-G', '/dev/md0', '-z', 'max']), 0);
    expect(again.stderr).toBe(`mdctl: component size of /dev/md0 unchanged at ${m![1]}K\n`);
    await waitSingleWriter(c, master, 'md0');
    c.assertNoWriterOverlap();
  });
});

/** Every node's own kernel runs md0 with `sizeKiB` per member and no sync; --detail agrees on every node. */
async function sizeEverywhere(c: Cluster, sizeKiB: number): Promise<void> {
  for (const id of c.ids) {
    await waitFor(`${id}'s kernel to run md0 at ${sizeKiB}K, idle`, async () => {
      const k = await kernelArray(c, id, 'md0');
      return k !== null && k.componentSizeKiB === sizeKiB && k.syncAction === 'idle' ? true : undefined;
    }, 30_000);
  }
  await c.waitSame('--detail sizes', async (id) => {
    const r = await mdctl(c, id, ['--detail', '/dev/md0']);
    return r.stdout.split('\n').filter((l) => /(Array Size|Used Dev Size) :/.test(l)).join('\n');
  });
}
