// Runs INSIDE a kernel-lab guest (ten 64 MiB disks): a one-node mdclusterd with the kernel md
// driver, then each --grow case with mdadm 4.2 (set A) and mdctl (set B), and writes every
// command's exit code and output, plus the bitmap facts both show, to $LAB_OUT/mdctl-grow.json
// after each case. A: md0 raid1 on vda,vdb, md2 raid0 on vdc,vdg; B: md1 raid1 on vdd,vde, md3
// raid0 on vdf,vdh (the renaming of mdctl-modes-cases.ts); later spares vdi (A), vdj (B) and the
// raid5 arrays md10 (A) / md11 (B), which then change their chunk. Facts compared: the bitmap line of
// /proc/mdstat (A, the kernel) against the cluster's /mdstat (B), and the --detail lines
// "Intent Bitmap" / "Consistency Policy" of mdadm (A) and mdctl (B).
// Environment: MDCTL_LAB_SETUP (mdclusterd.toml + TLS files from the host), LAB_OUT.
// Invariants: the daemon is stopped however the run ends; exit 0 when every case ran (verdicts
// are the host's), 1 when one could not run (the record says why).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../mdctl/guest-io.js';
import { cmd, GONE, OUT, RUNNING, startDaemon, stopDaemon, waitArray, waitKernel, waitReady } from './guest-daemon.js';
import { GROW_RESULT_FILE, type ModeCaseRecord, type ModesRecord } from './mdctl-modes-cases.js';

const STATUS_MDSTAT = 'http://127.0.0.1:8400/mdstat';

/** The lines of `md`'s block in an mdstat text (its "mdX :" line to the blank line). */
function block(text: string, md: string): string[] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${md} :`));
  if (i < 0) return [];
  const j = lines.findIndex((l, k) => k > i && l.trim() === '');
  return lines.slice(i, j < 0 ? undefined : j);
}
const bitmapLine = (text: string, md: string): string => block(text, md).find((l) => /^\s+bitmap: /.test(l)) ?? '(no bitmap line)';
const procMdstat = async (): Promise<string> => (await run(['cat', '/proc/mdstat'])).stdout;
const clusterMdstat = async (): Promise<string> => (await fetch(STATUS_MDSTAT)).text();
const detailLines = (text: string): string => text.split('\n').filter((l) => /^\s*(Intent Bitmap|Consistency Policy) :/.test(l)).map((l) => l.trim()).join('; ');

async function main(): Promise<number> {
  const rec: ModesRecord = { daemonReadyMs: -1, cases: [], error: null };
  const save = () => writeFileSync(join(OUT, GROW_RESULT_FILE), JSON.stringify(rec, null, 1));
  const add = (c: ModeCaseRecord) => { rec.cases.push(c); save(); };
  const pair = async (name: string, mode: string, a: string[][], b: string[][]): Promise<ModeCaseRecord> => {
    const c: ModeCaseRecord = { name, mode, mdadm: [], mdctl: [] };
    for (const x of a) c.mdadm.push(await cmd('mdadm', x));
    for (const x of b) c.mdctl.push(await cmd('mdctl', x));
    return c;
  };
  /** Both sides' bitmap facts, once both kernels show `present`. */
  const bitmapFacts = async (c: ModeCaseRecord, present: boolean): Promise<void> => {
    const has = (t: string, md: string) => bitmapLine(t, md) !== '(no bitmap line)';
    const procA = await waitKernel('md0 bitmap in /proc/mdstat', procMdstat, (t) => has(t, 'md0') === present);
    const procB = await waitKernel('md1 bitmap in /proc/mdstat', procMdstat, (t) => has(t, 'md1') === present);
    const viewB = await waitKernel('md1 bitmap in the cluster /mdstat', clusterMdstat, (t) => has(t, 'md1') === present);
    // md keeps a bitmap page in use while any of its bits is set (mdadm wrote them set): let the
    // bitmap daemon clear them (bounded), so both sides are compared at rest.
    if (present) {
      for (const md of ['md0', 'md1']) await waitKernel(`${md}'s bitmap at rest`, procMdstat, (t) => /bitmap: 0\//.test(bitmapLine(t, md))).catch(() => '');
    }
    const [atRestA, atRestB] = present ? [await procMdstat(), await procMdstat()] : [procA, procB];
    c.factsA = `${bitmapLine(atRestA, 'md0')} | ${detailLines((await cmd('mdadm', ['--detail', '/dev/md0'])).stdout)}`;
    c.factsB = `${bitmapLine(viewB, 'md1')} | ${detailLines((await cmd('mdctl', ['--detail', '/dev/md1'])).stdout)}`;
    // The cluster's view of md1 against md1's own kernel (the same array): byte for byte.
    add({ name: `${c.name}-view`, mode: 'cluster /mdstat vs /proc/mdstat', mdadm: [], mdctl: [], factsA: block(atRestB, 'md1').join('\n'), factsB: block(await clusterMdstat(), 'md1').join('\n') });
  };
  /** Both sides' sizes once both arrays are idle again (the new region resynced). */
  const sizeFacts = async (c: ModeCaseRecord): Promise<void> => {
    for (const md of ['md0', 'md1']) {
      await waitKernel(`${md} idle after the resize`, async () => (await run(['cat', `/sys/block/${md}/md/sync_action`])).stdout.trim(), (v) => v === 'idle');
    }
    const facts = (text: string) => text.split('\n').filter((l) => /^\s*(Array Size|Used Dev Size) :/.test(l)).map((l) => l.trim()).join('; ');
    c.factsA = facts((await cmd('mdadm', ['--detail', '/dev/md0'])).stdout);
    // The cluster view follows md1's kernel once the master observed it: wait for that (bounded),
    // then record what mdctl shows either way.
    const kernelB = facts((await cmd('mdadm', ['--detail', '/dev/md1'])).stdout);
    const viewB = async () => facts((await cmd('mdctl', ['--detail', '/dev/md1'])).stdout);
    c.factsB = await waitKernel('the cluster view of md1', viewB, (v) => v === kernelB).catch(viewB);
  };
  const daemon = startDaemon();
  try {
    await run(['modprobe', 'raid1']);
    await run(['modprobe', 'raid0']);
    await run(['modprobe', 'raid456']);
    rec.daemonReadyMs = await waitReady(daemon);
    // mdadm refuses any --bitmap for raid0 (even "none"), so raid0 is created without one.
    const create = (md: string, level: string, d1: string, d2: string) => ['--create', `/dev/${md}`, `--level=${level}`, '--raid-devices=2', '--size=32M',
      ...(level === '1' ? ['--bitmap=none'] : []), '--assume-clean', '--run', d1, d2];
    const created = await pair('create', 'create', [create('md0', '1', '/dev/vda', '/dev/vdb'), create('md2', '0', '/dev/vdc', '/dev/vdg')],
      [create('md1', '1', '/dev/vdd', '/dev/vde'), create('md3', '0', '/dev/vdf', '/dev/vdh')]);
    for (const md of ['md0', 'md1', 'md2', 'md3']) await waitArray(md, RUNNING);
    add(created);
    const grow = (md: string, ...rest: string[]) => ['--grow', `/dev/${md}`, ...rest];
    const added = await pair('grow-bitmap-internal', 'grow --bitmap=internal', [grow('md0', '--bitmap=internal')], [grow('md1', '--bitmap=internal')]);
    await bitmapFacts(added, true);
    add(added);
    add(await pair('grow-bitmap-internal-again', 'grow --bitmap=internal', [grow('md0', '--bitmap=internal')], [grow('md1', '--bitmap=internal')]));
    const removed = await pair('grow-bitmap-none', 'grow --bitmap=none', [grow('md0', '--bitmap=none')], [grow('md1', '--bitmap=none')]);
    await bitmapFacts(removed, false);
    add(removed);
    add(await pair('grow-bitmap-none-again', 'grow --bitmap=none', [grow('md0', '--bitmap=none')], [grow('md1', '--bitmap=none')]));
    add(await pair('grow-bitmap-raid0', 'grow --bitmap=internal (raid0)', [grow('md2', '--bitmap=internal')], [grow('md3', '--bitmap=internal')]));
    add(await pair('grow-bitmap-short', 'grow -b internal', [['-G', '/dev/md0', '-b', 'internal']], [['-G', '/dev/md1', '-b', 'internal']]));
    add(await pair('grow-no-change', 'grow (nothing)', [grow('md0')], [grow('md1')]));
    // ---- size: md0/md1 are 32 MiB of 64 MiB disks (the bitmap is back on from -b internal)
    const sized = await pair('grow-size', 'grow --size=40M', [grow('md0', '--size=40M')], [grow('md1', '--size=40M')]);
    await sizeFacts(sized);
    add(sized);
    add(await pair('grow-size-same', 'grow --size=40M again', [grow('md0', '--size=40M')], [grow('md1', '--size=40M')]));
    add(await pair('grow-size-too-big', 'grow --size=100M', [grow('md0', '--size=100M')], [grow('md1', '--size=100M')]));
    const maxed = await pair('grow-size-max', 'grow --size=max --assume-clean', [grow('md0', '--size=max', '--assume-clean')], [grow('md1', '--size=max', '--assume-clean')]);
    await sizeFacts(maxed);
    add(maxed);
    add(await pair('grow-size-max-again', 'grow --size=max', [grow('md0', '--size=max')], [grow('md1', '--size=max')]));
    add(await pair('grow-size-raid0', 'grow --size (raid0)', [grow('md2', '--size=16M')], [grow('md3', '--size=16M')]));
    // ---- raid-devices, raid1: the raid0 arrays stop (their disks serve the raid5 below); vdi and vdj become the mirrors' spares
    for (const [tool, md] of [['mdadm', 'md2'], ['mdctl', 'md3']] as const) await cmd(tool, ['--stop', `/dev/${md}`]);
    for (const md of ['md2', 'md3']) await waitArray(md, GONE);
    for (const d of ['/dev/vdc', '/dev/vdg']) await cmd('mdadm', ['--zero-superblock', d]);
    for (const d of ['/dev/vdf', '/dev/vdh']) await cmd('mdctl', ['--zero-superblock', '--force', d]);
    await cmd('mdadm', ['/dev/md0', '--add', '/dev/vdi']);
    await cmd('mdctl', ['/dev/md1', '--add', '/dev/vdj']);
    const mirrored = await pair('grow-raid-devices-raid1', 'grow --raid-devices=3 (raid1)', [grow('md0', '--raid-devices=3')], [grow('md1', '--raid-devices=3')]);
    for (const md of ['md0', 'md1']) await waitKernel(`${md} with 3 mirrors in sync`, procMdstat, (t) => block(t, md).some((l) => l.includes('[3/3] [UUU]')));
    mirrored.factsA = block(await procMdstat(), 'md0').slice(1, 2).join('');
    mirrored.factsB = block(await clusterMdstat(), 'md1').slice(1, 2).join('');
    add(mirrored);
    add(await pair('grow-raid-devices-no-spare', 'grow --raid-devices=4 (no spare)', [grow('md0', '--raid-devices=4')], [grow('md1', '--raid-devices=4')]));
    add(await pair('grow-raid-devices-same', 'grow --raid-devices=3 again', [grow('md0', '--raid-devices=3')], [grow('md1', '--raid-devices=3')]));
    add(await pair('grow-chunk-raid1', 'grow --chunk=128 (raid1)', [grow('md0', '--chunk=128')], [grow('md1', '--chunk=128')]));
    // ---- raid-devices, raid5 3 -> 4 reshape: A md10 on vda,vdb,vdc + spare vdg; B md11 on vdd,vde,vdf + spare vdh
    // (the cluster still records its stopped md1 and md3 with these disks: mdctl --create --force takes them)
    await cmd('mdadm', ['--stop', '/dev/md0']);
    await cmd('mdctl', ['--stop', '/dev/md1']);
    for (const md of ['md0', 'md1']) await waitArray(md, GONE);
    for (const d of ['/dev/vda', '/dev/vdb']) await cmd('mdadm', ['--zero-superblock', d]);
    for (const d of ['/dev/vdd', '/dev/vde']) await cmd('mdctl', ['--zero-superblock', '--force', d]);
    const r5 = (md: string, disks: string[]) => ['--create', `/dev/${md}`, '--level=5', '--raid-devices=3', '--spare-devices=1', '--size=16M', '--assume-clean', '--run', ...disks];
    const r5created = await pair('create-raid5', 'create raid5', [r5('md10', ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdg'])], [[...r5('md11', ['/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdh']), '--force']]);
    for (const md of ['md10', 'md11']) await waitArray(md, RUNNING);
    add(r5created);
    const reshaped = await pair('grow-raid-devices-raid5', 'grow --raid-devices=4 (raid5 reshape)', [grow('md10', '--raid-devices=4')], [grow('md11', '--raid-devices=4')]);
    for (const md of ['md10', 'md11']) {
      await waitKernel(`${md} reshaped to 4 devices`, async () => `${(await run(['cat', `/sys/block/${md}/md/raid_disks`])).stdout.trim()} ${(await run(['cat', `/sys/block/${md}/md/sync_action`])).stdout.trim()}`, (v) => v === '4 idle', 300_000);
    }
    const sizes = (text: string) => text.split('\n').filter((l) => /^\s*(Array Size|Used Dev Size|Raid Devices) :/.test(l)).map((l) => l.trim()).join('; ');
    reshaped.factsA = sizes((await cmd('mdadm', ['--detail', '/dev/md10'])).stdout);
    const kernelB = sizes((await cmd('mdadm', ['--detail', '/dev/md11'])).stdout);
    reshaped.factsB = await waitKernel('the cluster view of md11 after the reshape', async () => sizes((await cmd('mdctl', ['--detail', '/dev/md11'])).stdout), (v) => v === kernelB).catch(() => `cluster view never matched the kernel's ${kernelB}`);
    add(reshaped);
    // md's own verdict on the reshaped data: a check pass, mismatch_cnt on both.
    const checked: ModeCaseRecord = { name: 'grow-raid-devices-raid5-check', mode: 'check after the reshape: mismatch_cnt', mdadm: [], mdctl: [] };
    for (const md of ['md10', 'md11']) {
      await run(['sh', '-c', `echo check > /sys/block/${md}/md/sync_action`]);
      await waitKernel(`${md} check done`, async () => (await run(['cat', `/sys/block/${md}/md/sync_action`])).stdout.trim(), (v) => v === 'idle', 300_000);
    }
    checked.factsA = `mismatch_cnt ${(await run(['cat', '/sys/block/md10/md/mismatch_cnt'])).stdout.trim()}`;
    checked.factsB = `mismatch_cnt ${(await run(['cat', '/sys/block/md11/md/mismatch_cnt'])).stdout.trim()}`;
    add(checked);
    // ---- chunk: md10/md11 are 4-device raid5 with mdadm's default 512K chunk on 16M components
    add(await pair('grow-chunk-same', 'grow --chunk=512 (the chunk it has)', [grow('md10', '--chunk=512')], [grow('md11', '--chunk=512')]));
    add(await pair('grow-chunk-not-dividing', 'grow --chunk=96 (does not divide 16384K)', [grow('md10', '--chunk=96')], [grow('md11', '--chunk=96')]));
    const rechunked = await pair('grow-chunk-raid5', 'grow --chunk=256 (raid5 restripe)', [grow('md10', '--chunk=256')], [grow('md11', '--chunk=256')]);
    for (const md of ['md10', 'md11']) {
      await waitKernel(`${md} restriped to 256K`, async () => `${(await run(['cat', `/sys/block/${md}/md/chunk_size`])).stdout.trim()} ${(await run(['cat', `/sys/block/${md}/md/sync_action`])).stdout.trim()}`, (v) => v === '262144 idle', 300_000);
    }
    const shape = (text: string) => text.split('\n').filter((l) => /^\s*(Array Size|Used Dev Size|Raid Devices|Chunk Size) :/.test(l)).map((l) => l.trim()).join('; ');
    rechunked.factsA = shape((await cmd('mdadm', ['--detail', '/dev/md10'])).stdout);
    const kernelChunkB = shape((await cmd('mdadm', ['--detail', '/dev/md11'])).stdout);
    rechunked.factsB = await waitKernel('the cluster view of md11 after the restripe', async () => shape((await cmd('mdctl', ['--detail', '/dev/md11'])).stdout), (v) => v === kernelChunkB).catch(() => `cluster view never matched the kernel's ${kernelChunkB}`);
    add(rechunked);
    const rechecked: ModeCaseRecord = { name: 'grow-chunk-raid5-check', mode: 'check after the restripe: mismatch_cnt, cluster /mdstat', mdadm: [], mdctl: [] };
    for (const md of ['md10', 'md11']) {
      await run(['sh', '-c', `echo check > /sys/block/${md}/md/sync_action`]);
      await waitKernel(`${md} check done`, async () => (await run(['cat', `/sys/block/${md}/md/sync_action`])).stdout.trim(), (v) => v === 'idle', 300_000);
    }
    rechecked.factsA = `mismatch_cnt ${(await run(['cat', '/sys/block/md10/md/mismatch_cnt'])).stdout.trim()} | ${block(await procMdstat(), 'md10').slice(1, 2).join('')}`;
    rechecked.factsB = `mismatch_cnt ${(await run(['cat', '/sys/block/md11/md/mismatch_cnt'])).stdout.trim()} | ${block(await clusterMdstat(), 'md11').slice(1, 2).join('')}`;
    add(rechecked);
    return 0;
  } catch (e) {
    rec.error = (e as Error).stack ?? String(e);
    save();
    return 1;
  } finally {
    await stopDaemon(daemon);
  }
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
