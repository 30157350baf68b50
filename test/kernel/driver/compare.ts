// Guest-side comparison of the kernel driver's view of an array with mdadm's and sysfs's views
// of the same array at the same moment (the array must be idle, so nothing moves in between).
// Owns: which ArrayState/SuperblockInfo fields are checked against which mdadm output.
import type { KernelMdDriver } from '../../../daemon/src/md/kernel/driver.js';
import { detailField, examineFields, expectEq, expectTrue, exportFacts, mdadm, sysfs } from './lib.js';

const LEVEL_NAMES: Record<string, number> = { raid0: 0, raid1: 1, raid4: 4, raid5: 5, raid6: 6, raid10: 10, linear: -1 };

export async function compareWithMdadm(d: KernelMdDriver, array: string): Promise<void> {
  const s = await d.readArray(array);
  const exp = exportFacts(array);
  const detail = mdadm(['--detail', `/dev/${array}`]);
  expectEq(s.level, exp.get('MD_LEVEL'), 'level');
  expectEq(s.raidDisks, Number(exp.get('MD_DEVICES')), 'raid disks');
  expectEq(s.metadataVersion, exp.get('MD_METADATA'), 'metadata');
  expectEq(s.uuid, exp.get('MD_UUID'), 'uuid');
  if (exp.has('MD_NAME')) expectEq(s.name, exp.get('MD_NAME'), 'name');
  const v1 = s.metadataVersion.startsWith('1.');
  // Events, device UUIDs and data offsets come from v1.x superblocks (0.90 ones are not read).
  if (v1) expectEq(s.events, Number(detailField(detail, 'Events')), 'events');
  expectEq(s.arraySizeKiB, Number(detailField(detail, 'Array Size')!.split(' ')[0]), 'array size');
  const used = detailField(detail, 'Used Dev Size');
  if (used !== undefined) expectEq(s.componentSizeKiB, Number(used.split(' ')[0]), 'component size');
  expectEq(s.arrayState, sysfs(array, 'array_state'), 'array_state');
  expectEq(s.consistencyPolicy, detailField(detail, 'Consistency Policy'), 'consistency policy');
  expectEq(s.bitmap !== null, detailField(detail, 'Intent Bitmap') === 'Internal', 'bitmap present');
  for (const m of s.members) {
    const role = exp.get(`MD_DEVICE_dev_${m.name}_ROLE`);
    expectEq(m.slot, role !== undefined && /^\d+$/.test(role) ? Number(role) : null, `${m.name} slot`);
    const row = new RegExp(`^\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+.*${m.devPath}$`, 'm').exec(detail);
    expectTrue(row !== null, `${m.devPath} in mdadm --detail`);
    expectEq(m.descNumber, Number(row![1]), `${m.name} number`);
    expectEq(`${m.major}:${m.minor}`, `${row![2]}:${row![3]}`, `${m.name} major:minor`);
    if (!v1) continue;
    const ex = examineFields(m.devPath);
    expectEq(m.deviceUuid, ex.get('Device UUID'), `${m.name} device uuid`);
    expectEq(m.dataOffsetSectors, Number((ex.get('Data Offset') ?? '0').split(' ')[0]), `${m.name} data offset`);
  }
}

/** readSuperblock() against mdadm --examine of the same device, including checksum validity. */
export async function compareSuperblock(d: KernelMdDriver, dev: string): Promise<void> {
  const sb = await d.readSuperblock(dev);
  const ex = examineFields(dev);
  expectEq(`1.${sb.minorVersion}`, ex.get('Version'), 'version');
  expectEq(sb.setUuid, ex.get('Array UUID'), 'array uuid');
  expectEq(sb.deviceUuid, ex.get('Device UUID'), 'device uuid');
  expectEq(sb.setName, ex.get('Name')!.split(/\s+/)[0], 'name');
  expectEq(sb.events, Number(ex.get('Events')), 'events');
  expectEq(sb.level, LEVEL_NAMES[ex.get('Raid Level')!], 'level');
  expectEq(sb.raidDisks, Number(ex.get('Raid Devices')), 'raid devices');
  expectEq(sb.superOffsetSectors, Number(ex.get('Super Offset')!.split(' ')[0]), 'super offset');
  expectEq(sb.dataSizeSectors, Number(ex.get('Avail Dev Size')!.split(' ')[0]), 'avail dev size');
  expectEq(`0x${sb.featureMap.toString(16)}`, ex.get('Feature Map'), 'feature map');
  expectTrue(/ - correct$/.test(ex.get('Checksum') ?? ''), 'mdadm says the checksum is correct');
  expectEq(sb.checksumValid, true, 'our checksum check agrees with md');
}
