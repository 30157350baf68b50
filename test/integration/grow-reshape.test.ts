// mdctl --grow --raid-devices against three real daemons (simulated md on shared disks):
// a raid1 gains a mirror from its spare through a standby; a raid5 grows 3 -> 4 by a reshape,
// and a kill -9 of the master mid-reshape hands it to a new master that resumes at or after the
// replicated reshape checkpoint (md's reshape_position), never re-reshaping from the start; the
// reshape ends with 4 devices and the grown size on every node, with no two writers.
import { describe, expect, test } from 'vitest';
import { waitFor, type Cluster } from './harness.js';
import { kernelArray, kernelWritable, waitSingleWriter } from './lib/arrays.js';
import { runMdctl, type MdctlResult } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

/** 1 GiB members: a reshape takes ~5 s at the simulated kernel's speed_limit_max (200000 KiB/s). */
const BIG = 2 * 1024 * 1024;
const DISKS = [
  ...['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: 131_072 })),
  ...['sdd', 'sde', 'sdf', 'sdg'].map((id) => ({ id, sizeSectors: BIG })),
];
const cluster = useCluster({ name: 'grow-reshape', disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT, checkpointIntervalMs: 500 });

const mdctl = (c: Cluster, node: string, args: string[]): Promise<MdctlResult> => runMdctl(c.controlSocket(node), args);
function ok(r: MdctlResult): MdctlResult {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

async function everyKernel(c: Cluster, device: string, what: string, want: (k: NonNullable<Awaited<ReturnType<typeof kernelArray>>>) => boolean, ids = c.ids, timeoutMs = 30_000): Promise<void> {
  for (const id of ids) {
    await waitFor(`${id}'s kernel: ${device} ${what}`, async () => {
      const k = await kernelArray(c, id, device);
      return k !== null && want(k) ? true : undefined;
    }, timeoutMs);
  }
}

describe('mdctl --grow --raid-devices', () => {
  test('raid1 2 -> 3 through a standby: the spare becomes the third mirror on every node', async () => {
    const c = cluster();
    for (const id of c.ids) ok(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sda', '/dev/sdb', '/dev/sdc', '/dev/sdd', '/dev/sde', '/dev/sdf', '/dev/sdg']));
    ok(await mdctl(c, 'n1', ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '--spare-devices=1', '--assume-clean', '/dev/sda', '/dev/sdb', '/dev/sdc', '--wait-all']));
    const { id: master } = await c.waitForMaster();
    const standby = c.ids.find((id) => id !== master)!;
    const r = ok(await mdctl(c, standby, ['--grow', '/dev/md0', '--raid-devices=3']));
    expect([r.stdout, r.stderr]).toEqual(['raid_disks for /dev/md0 set to 3\n', '']);
    await everyKernel(c, 'md0', 'with 3 devices in sync', (k) => k.raidDisks === 3 && k.syncAction === 'idle' && k.members.filter((m) => m.flags.includes('in_sync')).length === 3);
    await c.waitSame('/mdstat', async (id) => {
      const t = await c.mdstat(id);
      return /md0 : active raid1 .*\n.*\[3\/3\] \[UUU\]/.test(t) ? t : `${id}: not yet: ${t}`;
    });
    const again = await mdctl(c, standby, ['--grow', '/dev/md0', '--raid-devices=4']);
    expect([again.code, again.stderr]).toEqual([1, 'mdctl: Need 1 spare to avoid degraded array, and only have 0.\n       Use --force to over-ride this check. [E_INVALID_STATE]\n']);
  });

  test('raid5 3 -> 4 reshape; kill -9 of the master mid-reshape; the new master resumes at or after the replicated checkpoint', async () => {
    const c = cluster();
    ok(await mdctl(c, 'n2', ['--create', '/dev/md5', '--level=5', '--raid-devices=3', '--spare-devices=1', '--assume-clean', '/dev/sdd', '/dev/sde', '/dev/sdf', '/dev/sdg', '--wait-all']));
    await everyKernel(c, 'md5', 'running with 3 devices', (k) => k.raidDisks === 3);
    const size3 = (await kernelArray(c, (await c.waitForMaster()).id, 'md5'))!.arraySizeKiB;
    const m0 = await c.waitForMaster();
    ok(await mdctl(c, c.ids.find((id) => id !== m0.id)!, ['--grow', '/dev/md5', '--raid-devices=4']));
    // A reshape checkpoint past 25 % applied on every standby: committed.
    const before = await waitFor('a replicated reshape checkpoint past 25 % on every standby', async () => {
      const m = await c.waitForMaster();
      const syncs = await Promise.all(c.ids.filter((id) => id !== m.id).map(async (id) => (await c.status(id)).arrays.find((a) => a.device === '/dev/md5')?.sync));
      const okAll = syncs.every((s) => s && s.action === 'reshape' && s.totalSectors > 0 && s.doneSectors >= s.totalSectors / 4);
      return okAll ? { master: m, cp: syncs.reduce((hi, s) => (s!.doneSectors > hi!.doneSectors ? s : hi))! } : undefined;
    }, 30_000, 10);
    expect(before.cp.doneSectors).toBeLessThan(before.cp.totalSectors);
    const old = before.master;
    const atKill = await kernelArray(c, old.id, 'md5');
    expect(atKill?.syncAction).toBe('reshape');
    await c.kill(old.id);
    const others = c.ids.filter((id) => id !== old.id);
    const next = await c.waitForMaster({ among: others, minTerm: old.term + 1 });
    const resumed = await waitFor(`md5 reshaping and writable on ${next.id}`, async () => {
      const k = await kernelArray(c, next.id, 'md5');
      return k && kernelWritable(k) && k.syncAction === 'reshape' ? k : undefined;
    }, 15_000, 5);
    // md resumed from the superblocks' reshape_position, which is never behind the replicated
    // checkpoint (and not from 0: the array would be reshaped twice).
    expect(resumed.reshape!.positionSectors).toBeGreaterThanOrEqual(before.cp.doneSectors);
    process.stdout.write(`reshape failover: replicated checkpoint ${before.cp.doneSectors}/${before.cp.totalSectors} sectors, old master's kernel at ${atKill!.reshape?.positionSectors}, new master resumed at ${resumed.reshape!.positionSectors}\n`);
    const progress: { action: string; doneSectors: number }[] = [];
    await waitFor('the reshape to finish on the new master', async () => {
      const s = (await c.status(next.id)).arrays.find((a) => a.device === '/dev/md5');
      if (!s) return undefined;
      progress.push({ action: s.sync.action, doneSectors: s.sync.doneSectors });
      return s.sync.action === 'idle' ? true : undefined;
    }, 60_000, 50);
    expect(progress.filter((p) => p.action === 'reshape' && p.doneSectors < before.cp.doneSectors)).toEqual([]);
    await everyKernel(c, 'md5', 'with 4 devices at the grown size', (k) => k.raidDisks === 4 && k.syncAction === 'idle' && k.arraySizeKiB === (size3 * 3) / 2 && !k.reshape, others);
    await c.restart(old.id);
    await c.waitForMaster();
    await everyKernel(c, 'md5', 'with 4 devices at the grown size', (k) => k.raidDisks === 4 && k.arraySizeKiB === (size3 * 3) / 2, [old.id]);
    await waitSingleWriter(c, next.id, 'md5');
    await c.waitSame('/mdstat', (id) => c.mdstat(id));
    c.assertNoWriterOverlap();
  }, 150_000);
});
