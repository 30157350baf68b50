// Guest-side scenarios for the other levels and metadata versions: RAID5 with a spare taking over
// a failed member, RAID10, RAID1 with 1.0 and 1.1 superblocks, and a 0.90 RAID1 grown through
// HOT_ADD_DISK. Each array is compared with mdadm and then stopped, so disks can be reused.
import type { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import type { CreateSpec } from '../../../daemon/src/md/types.js';
import { compareSuperblock, compareWithMdadm } from './compare.js';
import { check, expectEq, expectTrue, exportFacts, waitIdle, waitUntil } from './lib.js';

async function createCompareStop(d: KernelMdDriver, label: string, spec: CreateSpec, extra?: () => Promise<void>): Promise<void> {
  const ok = await check(`create ${label} (mdadm)`, async () => {
    await d.create(spec);
    await waitIdle(d, spec.device, 120_000, spec.members.slice(0, spec.raidDevices).filter((m) => m === 'missing').length);
  });
  if (!ok) return;
  await check(`readArray matches mdadm (${label})`, () => compareWithMdadm(d, spec.device));
  if (extra) await extra();
  await check(`stop ${label}`, async () => {
    await d.stop(spec.device);
    await waitUntil(`${spec.device} gone`, 10_000, async () => (!(await d.listArrays()).includes(spec.device) ? true : undefined));
  });
}

export async function levelScenarios(d: KernelMdDriver): Promise<void> {
  await createCompareStop(d, 'raid5 md1 + spare', {
    device: 'md1', level: 'raid5', raidDevices: 3, members: ['/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdg'], spareDevices: 1, chunkKiB: 64,
  }, async () => {
    await check('raid5: a failed member is rebuilt onto the spare', async () => {
      await d.setFaulty('md1', '/dev/vde');
      const s = await waitUntil('recovery onto vdg done', 120_000, async () => {
        const x = await d.readArray('md1');
        const g = x.members.find((m) => m.devPath === '/dev/vdg');
        return x.syncAction === 'idle' && x.degraded === 0 && g?.flags.includes('in_sync') ? x : undefined;
      });
      expectTrue(s.members.find((m) => m.devPath === '/dev/vde')?.flags.includes('faulty'), 'vde faulty');
      await d.hotRemove('md1', '/dev/vde');
      await compareWithMdadm(d, 'md1');
    });
  });
  await createCompareStop(d, 'raid10 md2 near2', {
    device: 'md2', level: 'raid10', raidDevices: 4, members: ['/dev/vdd', '/dev/vde', '/dev/vdf', '/dev/vdg'], spareDevices: 0, layout: 'n2', chunkKiB: 128,
  });
  for (const metadata of ['1.0', '1.1'] as const) {
    await createCompareStop(d, `raid1 md3 metadata ${metadata}`, {
      device: 'md3', level: 'raid1', raidDevices: 2, members: ['/dev/vdg', '/dev/vdh'], spareDevices: 0, metadata,
    }, async () => {
      await check(`readSuperblock finds the ${metadata} superblock`, async () => {
        await compareSuperblock(d, '/dev/vdg');
        expectEq((await d.readSuperblock('/dev/vdh')).minorVersion, Number(metadata.slice(2)), 'minor version');
      });
    });
  }
  await createCompareStop(d, 'raid1 md4 metadata 0.90, one slot missing', {
    device: 'md4', level: 'raid1', raidDevices: 2, members: ['/dev/vdg', 'missing'], spareDevices: 0, metadata: '0.90',
  }, async () => {
    await check('0.90: hotAdd uses HOT_ADD_DISK and the uuid matches mdadm', async () => {
      await d.hotAdd('md4', '/dev/vdh');
      const s = await waitIdle(d, 'md4');
      expectEq(s.uuid, exportFacts('md4').get('MD_UUID'), 'uuid');
      expectEq(s.members.map((m) => m.descNumber).sort(), [0, 1], 'desc numbers');
    });
  });
}
