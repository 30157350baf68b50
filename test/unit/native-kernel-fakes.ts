// Read ports for the kernel driver built from a real capture (ioctl.txt, examine.txt,
// mdstat.txt), so readArray() can run over a sample's sysfs tree on a machine without md.
// Owns: turning capture facts into IoctlFacts, SuperblockV1 and (re-encoded, then parsed by the
// real parser) 0.90 superblock values.
import { OpError } from '../../daemon/src/common/errors.js';
import { sectors } from '../../daemon/src/common/types.js';
import type { ReadPorts } from '../../daemon/src/md/kernel/ports.js';
import type { SuperblockV1 } from '../../native/src/superblock-format.js';
import type { MduArrayInfo } from '../../native/src/structs.js';
import { loadExamine, loadIoctl, readCaseFile } from './native-samples.js';
import { parseSuperblock090 } from '../../native/src/superblock090-format.js';
import { encode, records } from './sb090-encode.js';
import { readDdf } from '../../native/src/ddf-format.js';
import { ddfFactsOfRecord, ddfImage } from './ddf-encode.js';

/** The DDF case's disks are 64 MiB (case 63's case.txt). */
const DDF_DEVICE_SECTORS = 131072n;

const LEVELS: Record<string, number> = { raid1: 1, raid5: 5, raid6: 6, raid10: 10, raid0: 0, linear: -1, raid4: 4, multipath: -4 };

export function samplePorts(caseName: string, calls: string[] = []): ReadPorts {
  const ioctl = loadIoctl(caseName);
  const examine = new Map(loadExamine(caseName).map((e) => [e.dev, e.fields]));
  const records090 = new Map(records(readCaseFile(caseName, 'examine.txt') ?? '')
    .filter((r) => r.fields.get('Version') === '0.90.00').map((r) => [r.device.replace('/dev/', ''), r]));
  const numberByDev = new Map<string, number>();
  for (const cap of ioctl.values()) for (const d of cap.disks) if (d.dev) numberByDev.set(d.dev, d.number);
  return {
    async ioctlFacts(device, members) {
      calls.push(`ioctl ${device} ${members.length}`);
      const cap = ioctl.get(device);
      if (cap === undefined) throw new OpError('E_NO_SUCH_ARRAY', `no ${device}`, { device });
      const descNumbers = new Map(cap.disks.filter((d) => d.major !== 0).map((d) => [`${d.major}:${d.minor}`, d.number]));
      return { arrayInfo: cap.arrayInfo as MduArrayInfo | null, descNumbers, bitmapFile: cap.bitmapFile || null };
    },
    async superblock(devPath, minor) {
      calls.push(`sb ${devPath} ${minor}`);
      const dev = devPath.split('/').pop()!;
      const f = examine.get(dev);
      if (f === undefined || !f.has('Device UUID')) throw new OpError('E_NO_SUPERBLOCK', `no superblock on ${devPath}`, {});
      const num = (k: string) => Number(/^(-?\d+)/.exec(f.get(k) ?? '0')?.[1] ?? 0);
      const sb: SuperblockV1 = {
        majorVersion: 1, minorVersion: minor ?? 2, setUuid: f.get('Array UUID')!, setName: f.get('Name')!.split(/\s+/)[0],
        deviceUuid: f.get('Device UUID')!, level: LEVELS[f.get('Raid Level')!] ?? -1000000, layout: 0,
        raidDisks: num('Raid Devices'), chunkSectors: 0, ctimeSec: 1, utimeSec: 2, events: num('Events'),
        resyncOffsetSectors: 'max', recoveryOffsetSectors: sectors(0), devNumber: numberByDev.get(dev) ?? 0, devRoles: [],
        featureMap: 0, dataOffsetSectors: sectors(num('Data Offset')), dataSizeSectors: sectors(num('Avail Dev Size')),
        superOffsetSectors: sectors(num('Super Offset')), sizeSectors: sectors(0), checksumValid: true, devFlags: 0, role: 0,
      };
      return sb;
    },
    async superblock090(devPath) {
      calls.push(`sb090 ${devPath}`);
      const rec = records090.get(devPath.split('/').pop()!);
      if (rec === undefined) throw new OpError('E_NO_SUPERBLOCK', `no 0.90 superblock on ${devPath}`, {});
      const parsed = parseSuperblock090(encode(rec));
      if (!parsed.ok) throw new OpError('E_NO_SUPERBLOCK', parsed.reason, {});
      return parsed.sb;
    },
    async ddf(devPath) {
      calls.push(`ddf ${devPath}`);
      const rec = records(readCaseFile(caseName, 'examine.txt') ?? '').find((r) => r.device === `/dev/${devPath.split('/').pop()!}`);
      if (rec === undefined || rec.fields.get('Magic') !== 'de11de11') throw new OpError('E_NO_SUPERBLOCK', `no DDF on ${devPath}`, {});
      const r = await readDdf(ddfImage(ddfFactsOfRecord(rec.text), DDF_DEVICE_SECTORS), DDF_DEVICE_SECTORS);
      if (!r.ok) throw new OpError('E_NO_SUPERBLOCK', r.reason, {});
      return r.value;
    },
    mdstatText: () => readCaseFile(caseName, 'mdstat.txt') ?? undefined,
  };
}
