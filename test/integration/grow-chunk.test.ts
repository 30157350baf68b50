// mdctl --grow --chunk against three real daemons (simulated md on shared disks), always through
// a standby: mdadm 4.2's answers for the same chunk, a chunk that does not divide the component
// size, a raid1, and members without room for mdadm to move the data offsets (it wants a backup
// file; the record keeps the old chunk; with one the restripe runs in place); then a raid5 restripe 64K -> 128K that runs backwards
// (mdadm moved the data offsets up into the room after the data), with a kill -9 of the master
// mid-restripe: the new master resumes at or after the replicated checkpoint (counted from the
// end), and every node ends with the new chunk in its kernel, /mdstat and --detail.
import { describe, expect, test } from 'vitest';
import { waitFor, type Cluster } from './harness.js';
import { kernelArray, kernelWritable, waitSingleWriter, type KernelArray } from './lib/arrays.js';
import { runMdctl, type MdctlResult } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

const GIB = 2 * 1024 * 1024;
const DISKS = [
  // md6: 4 GiB members used for 2 GiB: room after the data (a restripe of ~10 s at the sim's speed)
  ...['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: 4 * GIB })),
  // md7: 1 GiB members used whole: a 2048K chunk needs more head room than mdadm left
  ...['sdd', 'sde', 'sdf'].map((id) => ({ id, sizeSectors: GIB })),
  ...['sdg', 'sdh'].map((id) => ({ id, sizeSectors: 131_072 })),
];
const cluster = useCluster({ name: 'grow-chunk', disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT, checkpointIntervalMs: 500 });

const mdctl = (c: Cluster, node: string, args: string[]): Promise<MdctlResult> => runMdctl(c.controlSocket(node), args);
function ok(r: MdctlResult): MdctlResult {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}
async function standbyOf(c: Cluster): Promise<string> {
  const { id } = await c.waitForMaster();
  return c.ids.find((x) => x !== id)!;
}
/** md's reshape progress counted in its direction (what the replicated checkpoint counts). */
function reshapeDoneSectors(k: KernelArray): number {
  const r = k.reshape!;
  const total = k.componentSizeKiB * 2 * (k.raidDisks - 1);
  return r.backwards === true ? total - r.positionSectors : r.positionSectors;
}
async function everyKernel(c: Cluster, device: string, what: string, want: (k: KernelArray) => boolean, ids = c.ids, timeoutMs = 30_000): Promise<void> {
  for (const id of ids) {
    await waitFor(`${id}'s kernel: ${device} ${what}`, async () => {
      const k = await kernelArray(c, id, device);
      return k !== null && want(k) ? true : undefined;
    }, timeoutMs);
  }
}
const chunkLine = (detail: string): string => detail.split('\n').find((l) => /^\s*Chunk Size :/.test(l))?.trim() ?? '(none)';

describe('mdctl --grow --chunk', () => {
  test('mdadm\'s answers through a standby: same chunk, not dividing, raid1, no room without a backup file', async () => {
    const c = cluster();
    for (const id of c.ids) ok(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sdd', '/dev/sde', '/dev/sdf', '/dev/sdg', '/dev/sdh']));
    ok(await mdctl(c, 'n1', ['--create', '/dev/md7', '--level=5', '--raid-devices=3', '--chunk=64', '--assume-clean', '/dev/sdd', '/dev/sde', '/dev/sdf', '--wait-all']));
    ok(await mdctl(c, 'n1', ['--create', '/dev/md8', '--level=1', '--raid-devices=2', '--assume-clean', '/dev/sdg', '/dev/sdh', '--wait-all']));
    const s = await standbyOf(c);
    expect(await mdctl(c, s, ['--grow', '/dev/md7', '--chunk=64'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const sizeKiB = (await kernelArray(c, s, 'md7'))!.componentSizeKiB;
    expect(sizeKiB % 96).not.toBe(0);
    const odd = await mdctl(c, s, ['--grow', '/dev/md7', '--chunk=96']);
    expect([odd.code, odd.stderr]).toEqual([1, `mdctl: New chunk size (96K) does not evenly divide device size (${sizeKiB}k)\n`
      + `mdctl: After shrinking any filesystem, "mdctl --grow /dev/md7 --size ${sizeKiB}"\n`
      + 'mdctl: will shrink the array so the given chunk size would work. [E_INVALID_ARGUMENT]\n']);
    const mirror = await mdctl(c, s, ['--grow', '/dev/md8', '-c', '128']);
    expect([mirror.code, mirror.stderr]).toEqual([1, 'mdctl: chunk size not meaningful for this level [E_INVALID_ARGUMENT]\n']);
    const tight = await mdctl(c, s, ['--grow', '/dev/md7', '--chunk=2048']);
    expect([tight.code, tight.stderr]).toEqual([1, 'mdctl: /dev/md7: Cannot grow - need backup-file\nmdctl:  Please provide one with "--backup=..." [E_MDADM_FAILED]\n']);
    // md's refusal put the old chunk back in the record: every node still shows 64K
    for (const id of c.ids) expect(chunkLine((await mdctl(c, id, ['--detail', '/dev/md7'])).stdout)).toBe('Chunk Size : 64K');
    await everyKernel(c, 'md7', 'still at 64K, no reshape', (k) => k.chunkSizeBytes === 65536 && !k.reshape);
    // With a backup file (on the master) mdadm restripes in place, forwards
    expect(await mdctl(c, s, ['--grow', '/dev/md7', '--chunk=2048', '--backup-file=/var/tmp/md7.grow'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await everyKernel(c, 'md7', 'restriped to 2048K', (k) => k.chunkSizeBytes === 2048 * 1024 && !k.reshape && k.syncAction === 'idle', c.ids, 60_000);
    for (const id of c.ids) expect(chunkLine((await mdctl(c, id, ['--detail', '/dev/md7'])).stdout)).toBe('Chunk Size : 2048K');
  }, 150_000);

  test('raid5 64K -> 128K runs backwards; kill -9 of the master mid-restripe; the new master resumes at or after the checkpoint; every node shows 128K', async () => {
    const c = cluster();
    for (const id of c.ids) ok(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sda', '/dev/sdb', '/dev/sdc']));
    ok(await mdctl(c, 'n2', ['--create', '/dev/md6', '--level=5', '--raid-devices=3', '--chunk=64', `--size=${GIB}`, '--assume-clean', '/dev/sda', '/dev/sdb', '/dev/sdc', '--wait-all']));
    await everyKernel(c, 'md6', 'running at 64K', (k) => k.chunkSizeBytes === 65536);
    const sizeKiB = (await kernelArray(c, (await c.waitForMaster()).id, 'md6'))!.arraySizeKiB;
    const r = ok(await mdctl(c, await standbyOf(c), ['--grow', '/dev/md6', '--chunk=128']));
    expect([r.stdout, r.stderr]).toEqual(['', '']);
    const before = await waitFor('a replicated reshape checkpoint past 25 % on every standby', async () => {
      const m = await c.waitForMaster();
      const syncs = await Promise.all(c.ids.filter((id) => id !== m.id).map(async (id) => (await c.status(id)).arrays.find((a) => a.device === '/dev/md6')?.sync));
      const all = syncs.every((x) => x && x.action === 'reshape' && x.totalSectors > 0 && x.doneSectors >= x.totalSectors / 4);
      return all ? { master: m, cp: syncs.reduce((hi, x) => (x!.doneSectors > hi!.doneSectors ? x : hi))! } : undefined;
    }, 30_000, 10);
    expect(before.cp.doneSectors).toBeLessThan(before.cp.totalSectors);
    const old = before.master;
    const atKill = (await kernelArray(c, old.id, 'md6'))!;
    expect([atKill.syncAction, atKill.chunkSizeBytes, atKill.reshape?.newChunkSizeBytes, atKill.reshape?.backwards]).toEqual(['reshape', 65536, 131072, true]);
    await c.kill(old.id);
    const others = c.ids.filter((id) => id !== old.id);
    const next = await c.waitForMaster({ among: others, minTerm: old.term + 1 });
    const resumed = await waitFor(`md6 restriping and writable on ${next.id}`, async () => {
      const k = await kernelArray(c, next.id, 'md6');
      return k && kernelWritable(k) && k.syncAction === 'reshape' ? k : undefined;
    }, 15_000, 5);
    expect(reshapeDoneSectors(resumed)).toBeGreaterThanOrEqual(before.cp.doneSectors);
    process.stdout.write(`restripe failover: replicated checkpoint ${before.cp.doneSectors}/${before.cp.totalSectors} done, old master's kernel at position ${atKill.reshape?.positionSectors} (backwards), new master resumed at position ${resumed.reshape!.positionSectors}\n`);
    const progress: { action: string; doneSectors: number }[] = [];
    await waitFor('the restripe to finish on the new master', async () => {
      const st = (await c.status(next.id)).arrays.find((a) => a.device === '/dev/md6');
      if (!st) return undefined;
      progress.push({ action: st.sync.action, doneSectors: st.sync.doneSectors });
      return st.sync.action === 'idle' ? true : undefined;
    }, 60_000, 50);
    expect(progress.filter((p) => p.action === 'reshape' && p.doneSectors < before.cp.doneSectors)).toEqual([]);
    await everyKernel(c, 'md6', 'at 128K, same size, no reshape', (k) => k.chunkSizeBytes === 131072 && k.arraySizeKiB === sizeKiB && !k.reshape && k.syncAction === 'idle', others);
    await c.restart(old.id);
    await c.waitForMaster();
    await everyKernel(c, 'md6', 'at 128K', (k) => k.chunkSizeBytes === 131072, [old.id]);
    await waitSingleWriter(c, next.id, 'md6');
    const mdstat = await c.waitSame('/mdstat', (id) => c.mdstat(id));
    expect(mdstat).toMatch(/md6 : active raid5 .*\n +\d+ blocks super 1\.2 level 5, 128k chunk, algorithm 2 \[3\/3\] \[UUU\]/);
    for (const id of c.ids) expect(chunkLine((await mdctl(c, id, ['--detail', '/dev/md6'])).stdout)).toBe('Chunk Size : 128K');
    c.assertNoWriterOverlap();
  }, 180_000);
});
