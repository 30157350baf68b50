// mdclusterd_md_* against real kernel states: each capture of /work/shared/kernel-samples (Linux
// 6.1 md in qemu) goes the way the master's view goes in production - the kernel driver reads the
// capture's sysfs/ioctl/superblock facts (readArray), the master's observation and sync checkpoint
// of that view are applied to a replicated record, and md-metrics turns the record into samples -
// and the samples are compared with what node_exporter's mdadm collector makes of the same
// capture's /proc/mdstat (prometheus/procfs mdstat.go + collector/mdadm_linux.go):
// - state: "inactive"/"active" from the md line, overridden by the sync line: "recovery" ->
//   recovering, else "check" -> check, else "resync" -> resync (md prints a repair as "resync");
// - disks: active = M and required = N of "[N/M]", down = the "_" count, failed = "(F)" count,
//   spare = "(S)" count; blocks = the "blocks" number (KiB);
// - blocks_synced = blocks when no sync line, else the first number of "(done/total)".
// The expected values below are typed in from each capture's mdstat.txt (shown in the comment),
// not computed by a second parser. One value cannot be equal by construction: mid-sync,
// node_exporter reads md's live position from mdstat, while the cluster view holds the master's
// last replicated checkpoint of md's sync_completed. Its scale is checked exactly (the
// checkpoint's total is mdstat's total), its value as md's own lag bound: sync_completed trails
// the mdstat position by at most 1/16 of the sync (md_do_sync checkpoints every max_sectors/16).
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogIndex, NodeId, Sectors, Term } from '../../daemon/src/common/types.js';
import { applyCommand } from '../../daemon/src/cluster/apply.js';
import type { Command } from '../../daemon/src/cluster/commands.js';
import { observeCommand } from '../../daemon/src/cluster/plan.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import { KernelMdDriver } from '../../daemon/src/md/kernel/driver.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import { kernelSync } from '../../daemon/src/node/master-progress.js';
import { mdSamples, type MdSample } from '../../daemon/src/status/md-metrics.js';
import { loadSampleCase } from './format-sample-loader.js';
import { buildTree, readCaseFile } from './native-samples.js';
import { samplePorts } from './native-kernel-fakes.js';

const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

async function kernelView(caseName: string): Promise<ArrayState> {
  const root = buildTree(caseName);
  roots.push(root);
  // The block device size (/sys/block/md0/size, sectors) is not in the captures: it is computed
  // from the captured level geometry and member sizes (format-sample-loader.ts), never from mdstat.
  writeFileSync(join(root, 'sys/block/md0/size'), `${loadSampleCase(caseName).arrays[0].state.arraySizeKiB * 2}\n`);
  const driver = new KernelMdDriver({
    paths: { sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') },
    readPorts: samplePorts(caseName), mdadm: { run: async () => ({ stdout: '', stderr: '' }) },
  });
  return driver.readArray('md0');
}

function apply(state: ClusterState, cmd: Command): void {
  const r = applyCommand(state, cmd);
  state.appliedIndex = (state.appliedIndex + 1) as LogIndex;
  if (!r.ok) throw new Error(`${cmd.op} refused: ${r.message}`);
}

/** The replicated record the master makes of its kernel view: assemble, observe, checkpoint. */
async function recordOf(caseName: string): Promise<ClusterState> {
  const k = await kernelView(caseName);
  const term = 1 as Term;
  const state = emptyClusterState();
  apply(state, { op: 'master', node: 'n1' as NodeId, term });
  apply(state, {
    op: 'assemble', device: 'md0', uuid: k.uuid!, name: 'x', level: k.level as never, raidDisks: k.raidDisks,
    members: k.members.map((m) => m.devPath), metadata: '1.2', bitmap: 'none', chunkKiB: null, layout: null,
  });
  const obs = observeCommand(state.arrays[0], k, { node: 'n1', term, base: state.appliedIndex });
  expect(obs).not.toBeNull();
  apply(state, obs!);
  const s = kernelSync(k);
  if (s !== null) {
    apply(state, { op: 'checkpoint', device: 'md0', term, action: s.action, doneSectors: s.doneSectors as Sectors, totalSectors: s.totalSectors as Sectors, speedKiBps: 0 });
  }
  return state;
}

function value(samples: MdSample[], name: MdSample['name'], state?: string): number {
  const s = samples.filter((x) => x.name === name && (state === undefined || x.labels.state === state));
  expect(s).toHaveLength(1);
  return s[0]!.value;
}

interface Expected {
  state: 'active' | 'inactive' | 'recovering' | 'resync' | 'check';
  active: number; required: number; down: number; failed: number; spare: number;
  blocks: number;
  /** node_exporter's blocks_synced: blocks when idle, else mdstat's "done" (KiB). */
  synced: number;
  /** mdstat's "total" of "(done/total)" while a sync runs. */
  syncTotal?: number;
}

const CASES: Array<[string, Expected]> = [
  // md0 : active raid5 vdd[4] vdc[2](F) vdb[1] vda[0] / 144384 blocks ... [4/3] [UU_U]
  ['33-raid5-4disk-degraded', { state: 'active', active: 3, required: 4, down: 1, failed: 1, spare: 0, blocks: 144384, synced: 144384 }],
  // md0 : active raid10 vdd[3] vdc[2](F) vdb[1] vda[0] / 126976 blocks ... [4/3] [UU_U]
  ['51-raid10-near2-degraded', { state: 'active', active: 3, required: 4, down: 1, failed: 1, spare: 0, blocks: 126976, synced: 126976 }],
  // md0 : active raid10 vdd[3] vdc[2] vdb[1] / 63488 blocks ... [4/3] [_UUU]
  ['76-raid10-far2-degraded-removed', { state: 'active', active: 3, required: 4, down: 1, failed: 0, spare: 0, blocks: 63488, synced: 63488 }],
  // md0 : active raid6 vdd[3] vdc[2](F) vdb[1] vda[0] / 6442186752 blocks ... [4/3] [UU_U]
  ['81-large-raid6-4x3TiB-degraded', { state: 'active', active: 3, required: 4, down: 1, failed: 1, spare: 0, blocks: 6442186752, synced: 6442186752 }],
  // md0 : active raid10 vdd[3](S) vdc[2] vdb[1] vda[0] / 47104 blocks ... [3/3] [UUU]
  ['54-raid10-n3-bitmap-spare', { state: 'active', active: 3, required: 3, down: 0, failed: 0, spare: 1, blocks: 47104, synced: 47104 }],
  // [2/1] [U_] recovery = 61.1% (80128/130048)
  ['07-raid1-recovery-midway', { state: 'recovering', active: 1, required: 2, down: 1, failed: 0, spare: 0, blocks: 130048, synced: 80128, syncTotal: 130048 }],
  // [4/3] [U_UU] recovery = 61.4% (40320/64512)
  ['34-raid5-4disk-recovery-midway', { state: 'recovering', active: 3, required: 4, down: 1, failed: 0, spare: 0, blocks: 193536, synced: 40320, syncTotal: 64512 }],
  // [4/3] [U_UU] recovery = 43.9% (43136/97280)
  ['52-raid10-near2-recovery-midway', { state: 'recovering', active: 3, required: 4, down: 1, failed: 0, spare: 0, blocks: 194560, synced: 43136, syncTotal: 97280 }],
  // [4/3] [UUU_] recovery = 0.0% (10368/2147351552)
  ['69-large-raid10-far2-4x2TiB-recovery-midway', { state: 'recovering', active: 3, required: 4, down: 1, failed: 0, spare: 0, blocks: 4294703104, synced: 10368, syncTotal: 2147351552 }],
  // [2/2] [UU] resync = 50.3% (32768/64512)
  ['03-raid1-resync-parked-at-sync_max', { state: 'resync', active: 2, required: 2, down: 0, failed: 0, spare: 0, blocks: 64512, synced: 32768, syncTotal: 64512 }],
  // [5/5] [UUUUU] resync = 30.7% (20224/64512)
  ['45-raid6-5disk-resync-midway', { state: 'resync', active: 5, required: 5, down: 0, failed: 0, spare: 0, blocks: 193536, synced: 20224, syncTotal: 64512 }],
  // [4/4] [UUUU] resync = 6.3% (6144/96256)
  ['91-raid10-near2-resync-midway', { state: 'resync', active: 4, required: 4, down: 0, failed: 0, spare: 0, blocks: 96256, synced: 6144, syncTotal: 96256 }],
  // a repair: sync_action=repair, and mdstat says "resync =  6.2% (4224/64512)"
  ['19-raid1-repair-midway', { state: 'resync', active: 2, required: 2, down: 0, failed: 0, spare: 0, blocks: 64512, synced: 4224, syncTotal: 64512 }],
  // [2/2] [UU] check = 71.7% (93952/130048)
  ['18-raid1-check-midway', { state: 'check', active: 2, required: 2, down: 0, failed: 0, spare: 0, blocks: 130048, synced: 93952, syncTotal: 130048 }],
  // [3/3] [UUU] check = 60.0% (644260352/1073609728)
  ['66-large-raid5-3x1TiB-check-midway', { state: 'check', active: 3, required: 3, down: 0, failed: 0, spare: 0, blocks: 2147219456, synced: 644260352, syncTotal: 1073609728 }],
];

describe('mdclusterd_md_* from real kernel captures = node_exporter on the same /proc/mdstat', () => {
  it.each(CASES)('%s', async (caseName, e) => {
    // The typed-in expectations are the capture's own mdstat line (guards against a wrong case).
    const mdstat = readCaseFile(caseName, 'mdstat.txt')!;
    expect(mdstat).toContain(`${e.blocks} blocks`);
    expect(mdstat).toContain(`[${e.required}/${e.active}]`);
    const state = await recordOf(caseName);
    const s = mdSamples(state.arrays);
    const on = s.filter((x) => x.name === 'mdclusterd_md_state' && x.value === 1).map((x) => x.labels.state);
    expect(on).toEqual([e.state]);
    expect(s.filter((x) => x.name === 'mdclusterd_md_state').map((x) => x.labels.state).sort()).toEqual(['active', 'check', 'inactive', 'recovering', 'resync']);
    expect(value(s, 'mdclusterd_md_disks', 'active')).toBe(e.active);
    expect(value(s, 'mdclusterd_md_disks', 'down')).toBe(e.down);
    expect(value(s, 'mdclusterd_md_disks', 'failed')).toBe(e.failed);
    expect(value(s, 'mdclusterd_md_disks', 'spare')).toBe(e.spare);
    expect(value(s, 'mdclusterd_md_disks_required')).toBe(e.required);
    expect(value(s, 'mdclusterd_md_blocks')).toBe(e.blocks);
    const synced = value(s, 'mdclusterd_md_blocks_synced');
    const ratio = value(s, 'mdclusterd_md_sync_completed_ratio');
    if (e.syncTotal === undefined) {
      expect(synced).toBe(e.blocks);
      expect(ratio).toBe(1);
      return;
    }
    expect(ratio).toBeCloseTo(synced / e.syncTotal, 6);
    // Same scale as mdstat's "(done/total)": the recorded total is md's total, in KiB.
    expect(state.arrays[0].sync.totalSectors / 2).toBe(e.syncTotal);
    expect(synced).toBe(Math.floor(state.arrays[0].sync.doneSectors / 2));
    // md's checkpoint trails mdstat's live position by at most one md checkpoint step.
    expect(synced).toBeLessThanOrEqual(e.synced);
    expect(e.synced - synced).toBeLessThanOrEqual(Math.ceil(e.syncTotal / 16));
  });
});
