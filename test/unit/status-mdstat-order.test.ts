// The cluster-wide /proc/mdstat lists arrays as the kernel lists md devices: newest started
// first (md adds a new mddev at the head of all_mddevs); a stopped and re-run array moves to
// the top again.
import { describe, expect, it } from 'vitest';
import { applyEntry } from '../../daemon/src/cluster/apply.js';
import { encodeCommand, parseCommand } from '../../daemon/src/cluster/commands.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import type { LogIndex } from '../../daemon/src/common/types.js';
import { clusterMdstat } from '../../daemon/src/status/source.js';

let index = 0;
function apply(s: ClusterState, c: unknown): void {
  const parsed = parseCommand(c);
  if (!parsed.ok) throw new Error(parsed.message);
  ++index;
  const r = applyEntry(s, encodeCommand(parsed.command, { client: 'test', seq: index }), index as LogIndex);
  expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
}
function create(s: ClusterState, device: string, disks: string[], uuid: string): void {
  apply(s, { op: 'create', device, uuid, name: `x:${device}`, level: 'raid1', raidDevices: 2, members: disks, spares: 0, metadata: '1.2', bitmap: 'none', chunkKiB: null, layout: null, assumeClean: true, sizeKiB: 1024 });
  s.arrays.find((a) => a.device === device)!.materialized = true;
}
const order = (s: ClusterState): string[] => [...clusterMdstat({ state: s } as never).matchAll(/^(md\S+) :/gm)].map((m) => m[1]);

describe('cluster mdstat array order', () => {
  it('newest started first, like the kernel; a re-run array goes back to the top', () => {
    const s = emptyClusterState();
    apply(s, { op: 'master', node: 'node1', term: 1 });
    create(s, 'md1', ['/dev/sde', '/dev/sdf'], '00000000:00000000:00000000:00000001');
    create(s, 'md10', ['/dev/sdc', '/dev/sdd'], '00000000:00000000:00000000:0000000a');
    create(s, 'md2', ['/dev/sda', '/dev/sdb'], '00000000:00000000:00000000:00000002');
    expect(order(s)).toEqual(['md2', 'md10', 'md1']);
    apply(s, { op: 'stop', device: 'md10' });
    expect(order(s)).toEqual(['md2', 'md1']);
    apply(s, { op: 'run', device: 'md10' });
    expect(order(s)).toEqual(['md10', 'md2', 'md1']);
  });
  // md keeps a personality registered after its last array stops: the header keeps it.
  it('keeps the personalities of arrays that ran once none runs, oldest started first', () => {
    const s = emptyClusterState();
    apply(s, { op: 'master', node: 'node1', term: 1 });
    create(s, 'md1', ['/dev/sde', '/dev/sdf'], '00000000:00000000:00000000:00000001');
    apply(s, { op: 'create', device: 'md2', uuid: '00000000:00000000:00000000:00000002', name: 'x:2', level: 'raid5', raidDevices: 3, members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 0, metadata: '1.2', bitmap: 'none', chunkKiB: 512, layout: null, assumeClean: true, sizeKiB: 1024 });
    s.arrays[1].materialized = true;
    apply(s, { op: 'stop', device: 'md1' });
    apply(s, { op: 'stop', device: 'md2' });
    expect(clusterMdstat({ state: s } as never)).toBe('Personalities : [raid1] [raid6] [raid5] [raid4] \nunused devices: <none>\n');
  });
});
