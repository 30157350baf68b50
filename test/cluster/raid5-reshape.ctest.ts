// Cluster lane, issue #17's grow target on 3 real kernels: a raid5 of three disks (and a spare)
// grows to four by a reshape issued on a standby (mdctl --grow --raid-devices=4: the master's
// mdadm starts it); the master guest crashes (sysrq b) mid-reshape (slowed with speed_limit_max);
// a standby becomes master, resumes the reshape at or after the last replicated reshape
// checkpoint (md/reshape_position from the superblocks), finishes it; a pattern written before
// the grow reads back identical, md's check ends with mismatch_cnt = 0, and every /mdstat
// equals the new master kernel's /proc/mdstat.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../integration/lib/wait.js';
import { crashAndTimeFailover } from './lib/failover.js';
import { LANE_GUEST_TIMEOUT_MS, useLaneCluster } from './lib/lane-test.js';
import { CONVERGE_MS, VIEW_CONVERGE_MS, expectMdstatsEqualMaster, waitIdleClean, waitReadOnly, waitWritable } from './lib/md-checks.js';
import { mustMdctl, sysfs, waitMaster } from './lib/node-ops.js';
import { publishPattern, readPatternSha, writePattern } from './lib/pattern.js';
import { checkMismatches, setSpeedLimits, waitCheckpoint } from './lib/sync-checks.js';

const MD = 'md5';
const ACTIVE = ['vda', 'vdb', 'vdc'];
const SPARE = 'vdd';
const DISK_MIB = 64;
/** md's reshape speed while the crash is staged (~1 MB/s), then full speed. */
const SLOW_KIBPS = 1000;
const FAST_KIBPS = 200_000;
const CRASH_AFTER_FRACTION = 3 / 16;
const PATTERN_OFFSETS_MIB = [4, 60];
const dev = (n: string): string => `/dev/${n}`;

describe('raid5 3 -> 4 reshape on 3 real kernels; the master crashes mid-reshape', () => {
  const cluster = useLaneCluster({ name: 'raid5-reshape', nodes: 3, sharedDisksMiB: [...ACTIVE, SPARE].map(() => DISK_MIB), checkpointIntervalMs: 1000, guestTimeoutMs: LANE_GUEST_TIMEOUT_MS });

  it('a standby resumes the reshape from the replicated checkpoint and finishes; data intact; check clean; /mdstat equal', async () => {
    const c = cluster();
    let master = await waitMaster(c);
    await Promise.all(c.indexes.map((i) => mustMdctl(c, i, ['--cluster', 'confirm', ...[...ACTIVE, SPARE].map(dev)])));
    const standby = c.indexes.find((i) => i !== master.index)!;
    await mustMdctl(c, standby, ['--create', dev(MD), '--level=5', `--raid-devices=${ACTIVE.length}`, '--spare-devices=1', '--size=32M', '--assume-clean', ...[...ACTIVE, SPARE].map(dev)]);
    await waitWritable(c, master.index, MD);
    const sha = publishPattern(c, 'raid5-reshape');
    for (const off of PATTERN_OFFSETS_MIB) await writePattern(c, master.index, MD, off);
    await Promise.all(c.indexes.map((i) => setSpeedLimits(c, i, SLOW_KIBPS / 2, SLOW_KIBPS)));
    await mustMdctl(c, standby, ['--grow', dev(MD), '--raid-devices=4']);
    const cp = await waitCheckpoint(c, standby, MD, 'reshape', CRASH_AFTER_FRACTION);
    const oldPosition = Number(await sysfs(c, master.index, MD, 'reshape_position'));
    const fo = await crashAndTimeFailover(c, master.index, MD, CONVERGE_MS);
    const next = await waitMaster(c, { candidates: [fo.newMaster], minTerm: master.term + 1 });
    const resumed = await waitFor(`node${next.index} reshaping ${MD}`, async () => {
      const [action, pos] = await Promise.all([sysfs(c, next.index, MD, 'sync_action'), sysfs(c, next.index, MD, 'reshape_position')]);
      return action === 'reshape' && /^[0-9]+$/.test(pos) ? Number(pos) : undefined;
    }, CONVERGE_MS, 200);
    console.log(`[reshape failover] checkpoint ${cp.doneSectors}/${cp.totalSectors}; old master's reshape_position ${oldPosition} before the crash; node${next.index} resumed at ${resumed}; writable after ${Math.round(fo.failoverMs)} ms`);
    expect(resumed, 'resumed at or after the replicated checkpoint').toBeGreaterThanOrEqual(cp.doneSectors);
    expect(resumed, 'resumed before the end').toBeLessThan(cp.totalSectors);
    master = next;
    await setSpeedLimits(c, next.index, FAST_KIBPS / 2, FAST_KIBPS);
    await waitIdleClean(c, next.index, MD);
    expect(await sysfs(c, next.index, MD, 'raid_disks')).toBe('4');
    for (const off of PATTERN_OFFSETS_MIB) expect(await readPatternSha(c, next.index, MD, off), `pattern at ${off} MiB`).toBe(sha);
    const other = c.indexes.find((i) => i !== next.index && c.alive(i))!;
    expect(await checkMismatches(c, other, next.index, MD), 'mismatch_cnt after check').toBe(0);
    await waitReadOnly(c, other, MD);
    await expectMdstatsEqualMaster(c, next.index, VIEW_CONVERGE_MS, true);
  });
});
