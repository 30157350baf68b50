// mdclusterd_md_* against recorded array states (idle, degraded, recovering, resync, check,
// stopped): node_exporter's mdadm semantics, so node_md_* rules port by renaming.
import { describe, expect, it } from 'vitest';
import type { Sectors } from '../../daemon/src/common/types.js';
import { mdSamples, type MdSample } from '../../daemon/src/status/md-metrics.js';
import type { ArrayRecord } from '../../daemon/src/cluster/types.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

const KiB = 1_048_576; // a 1 GiB raid1
const base = (over: Partial<ArrayRecord> = {}): ArrayRecord => arrayRecord({ arraySizeKiB: KiB, componentSizeKiB: KiB, ...over });
const sync = (action: ArrayRecord['sync']['action'], doneSectors: number, totalSectors = 2 * KiB): ArrayRecord['sync'] =>
  ({ action, doneSectors: doneSectors as Sectors, totalSectors: totalSectors as Sectors, term: 3 as never, speedKiBps: 1000 });

function pick(samples: MdSample[], name: MdSample['name'], state?: string): number {
  const s = samples.filter((x) => x.name === name && (state === undefined || x.labels.state === state));
  expect(s).toHaveLength(1);
  return s[0]!.value;
}
function oneState(samples: MdSample[]): string {
  const on = samples.filter((x) => x.name === 'mdclusterd_md_state' && x.value === 1);
  expect(on).toHaveLength(1);
  expect(samples.filter((x) => x.name === 'mdclusterd_md_state')).toHaveLength(5);
  return on[0]!.labels.state!;
}

describe('mdclusterd_md_* semantics (node_exporter mdadm collector)', () => {
  it('idle clean array: active, 2 of 2 in sync, synced == blocks', () => {
    const s = mdSamples([base()]);
    expect(oneState(s)).toBe('active');
    expect(pick(s, 'mdclusterd_md_disks', 'active')).toBe(2);
    expect(pick(s, 'mdclusterd_md_disks', 'down')).toBe(0);
    expect(pick(s, 'mdclusterd_md_disks_required')).toBe(2);
    expect(pick(s, 'mdclusterd_md_blocks')).toBe(KiB);
    expect(pick(s, 'mdclusterd_md_blocks_synced')).toBe(KiB);
  });

  it('degraded (one member faulty, no spare): active state, 1 active, 1 failed, 1 down', () => {
    const s = mdSamples([base({ members: [memberRecord('/dev/sda', { slot: 0 }), memberRecord('/dev/sdb', { role: 'faulty', slot: null, inSync: false })] })]);
    expect(oneState(s)).toBe('active');
    expect(pick(s, 'mdclusterd_md_disks', 'active')).toBe(1);
    expect(pick(s, 'mdclusterd_md_disks', 'failed')).toBe(1);
    expect(pick(s, 'mdclusterd_md_disks', 'down')).toBe(1);
    expect(pick(s, 'mdclusterd_md_disks', 'spare')).toBe(0);
  });

  it('recovering onto a rebuilding member: the rebuilding disk is down, not active; synced in KiB', () => {
    const s = mdSamples([base({
      members: [memberRecord('/dev/sda', { slot: 0 }), memberRecord('/dev/sdc', { slot: 1, inSync: false }), memberRecord('/dev/sdb', { role: 'faulty', slot: null, inSync: false })],
      sync: sync('recover', KiB), // half of 2*KiB sectors
    })]);
    expect(oneState(s)).toBe('recovering');
    expect(pick(s, 'mdclusterd_md_disks', 'active')).toBe(1);
    expect(pick(s, 'mdclusterd_md_disks', 'down')).toBe(1);
    expect(pick(s, 'mdclusterd_md_disks', 'failed')).toBe(1);
    expect(pick(s, 'mdclusterd_md_blocks_synced')).toBe(KiB / 2);
  });

  it('resync: state resync, every member in sync, synced is the checkpoint in KiB', () => {
    const s = mdSamples([base({ sync: sync('resync', 2 * KiB / 4) })]);
    expect(oneState(s)).toBe('resync');
    expect(pick(s, 'mdclusterd_md_disks', 'active')).toBe(2);
    expect(pick(s, 'mdclusterd_md_blocks_synced')).toBe(KiB / 4);
    expect(pick(s, 'mdclusterd_md_sync_completed_ratio')).toBe(0.25);
  });

  it('check reports check, repair reports resync (md prints a repair as "resync"); a spare is counted as spare', () => {
    for (const [action, label] of [['check', 'check'], ['repair', 'resync']] as const) {
      const s = mdSamples([base({ sync: sync(action, 0), members: [...base().members, memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false })] })]);
      expect(oneState(s)).toBe(label);
      expect(pick(s, 'mdclusterd_md_disks', 'spare')).toBe(1);
      expect(pick(s, 'mdclusterd_md_blocks_synced')).toBe(0);
    }
  });

  it('stopped array: inactive; synced == blocks', () => {
    const s = mdSamples([base({ run: 'stopped', sync: sync('resync', 10) })]);
    expect(oneState(s)).toBe('inactive');
    expect(pick(s, 'mdclusterd_md_blocks_synced')).toBe(KiB);
    expect(pick(s, 'mdclusterd_md_sync_completed_ratio')).toBe(1);
  });

  it('raid5 (array larger than the component): synced is on md\'s per-member sync scale, as mdstat prints it; the ratio is the progress', () => {
    const s = mdSamples([base({ level: 'raid5', raidDisks: 3, arraySizeKiB: 2 * KiB, members: [0, 1, 2].map((i) => memberRecord(`/dev/sd${'abc'[i]}`, { slot: i })), sync: sync('resync', KiB) })]);
    expect(pick(s, 'mdclusterd_md_blocks')).toBe(2 * KiB);
    expect(pick(s, 'mdclusterd_md_blocks_synced')).toBe(KiB / 2);
    expect(pick(s, 'mdclusterd_md_sync_completed_ratio')).toBe(0.5);
    expect(pick(s, 'mdclusterd_md_disks', 'active') + pick(s, 'mdclusterd_md_disks', 'down')).toBe(pick(s, 'mdclusterd_md_disks_required'));
  });
});
