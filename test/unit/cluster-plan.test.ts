// Unit tests of plan(): the md actions a node takes to match the replicated state.
import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../daemon/src/cluster/apply.js';
import { parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { plan, observeCommand, type PlanContext } from '../../daemon/src/cluster/plan.js';
import { clusterArrayView } from '../../daemon/src/cluster/view.js';
import { emptyClusterState, type ArrayRecord } from '../../daemon/src/cluster/types.js';
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import type { ArrayState, MemberState, MemberFlag } from '../../daemon/src/md/types.js';

function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}
function record(): ArrayRecord {
  const s = emptyClusterState();
  applyCommand(s, cmd({ op: 'master', node: 'node1', term: 3 }));
  applyCommand(s, cmd({ op: 'create', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDevices: 2, members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null }));
  return s.arrays[0];
}
function member(devPath: string, slot: number | null, flags: MemberFlag[], descNumber: number): MemberState {
  return { name: devPath.slice(5), devPath, major: 8, minor: descNumber * 16, slot, descNumber, flags, errors: 0, recoveryStartSectors: null, deviceUuid: `uuid-${descNumber}`, dataOffsetSectors: 2048 as Sectors, sizeKiB: 1000 };
}
function kernel(arrayState: ArrayState['arrayState'], members: MemberState[]): ArrayState {
  return {
    device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDisks: 2, layout: 0, chunkSizeBytes: 0,
    arraySizeKiB: 1000, componentSizeKiB: 1000, metadataVersion: '1.2', arrayState, degraded: 0, syncAction: 'idle', lastSyncAction: null,
    syncCompleted: null, syncWaiting: null, syncSpeedKiBps: 0, resyncStartSectors: null, syncMinSectors: 0 as Sectors, syncMaxSectors: 'max',
    consistencyPolicy: 'bitmap', bitmap: { location: 'internal', pagesUsed: 0, pagesTotal: 1, pagesKiB: 0, chunkKiB: 0, file: null }, events: 10, ctimeSec: 0, utimeSec: 0, mismatchCount: 0, members,
  };
}
const healthy = () => [member('/dev/sda', 0, ['in_sync'], 0), member('/dev/sdb', 1, ['in_sync'], 1), member('/dev/sdc', null, ['spare'], 2)];
const writer: PlanContext = { node: 'node1', writer: true, term: 3 as Term, freshSincePromotion: true };
const standby: PlanContext = { node: 'node2', writer: false, term: 3 as Term, freshSincePromotion: false };

describe('plan', () => {
  it('the master creates an array that does not exist yet; standbys wait until it is materialized', () => {
    const rec = record();
    expect(plan(rec, writer, null)[0]).toMatchObject({ kind: 'create', spec: { device: 'md0', members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spareDevices: 1 } });
    expect(plan(rec, standby, null)).toEqual([]);
  });
  it('after creation the master proposes an observation, then is idle', () => {
    const rec = record();
    const k = kernel('clean', healthy());
    const [a] = plan(rec, writer, k);
    expect(a.kind).toBe('observe');
    const s = emptyClusterState();
    s.master = { node: 'node1' as never, term: 3 as Term };
    s.arrays = [rec];
    expect(applyCommand(s, (a as { command: Command }).command)).toEqual({ ok: true });
    expect(rec.materialized).toBe(true);
    expect(plan(rec, writer, k)).toEqual([]);
    expect(observeCommand(rec, k, writer)).toBeNull();
  });
  it('the cluster view lists members in the master kernel\'s order, re-observed after a new master', () => {
    const rec = record();
    const s = emptyClusterState();
    s.master = { node: 'node1' as never, term: 3 as Term };
    s.arrays = [rec];
    const names = () => clusterArrayView(rec).members.map((m) => m.name);
    // The creator bound sda, sdb, sdc in role order: its kernel lists the newest first.
    const created = [member('/dev/sdc', null, ['spare'], 2), member('/dev/sdb', 1, ['in_sync'], 1), member('/dev/sda', 0, ['in_sync'], 0)];
    applyCommand(s, observeCommand(rec, kernel('clean', created), writer)!);
    expect(names()).toEqual(['sdc', 'sdb', 'sda']);
    // A new master assembled with mdadm (freshest device bound last: at the head).
    const assembled = [member('/dev/sda', 0, ['in_sync'], 0), member('/dev/sdc', null, ['spare'], 2), member('/dev/sdb', 1, ['in_sync'], 1)];
    const obs = observeCommand(rec, kernel('clean', assembled), { ...writer, node: 'node2', term: 4 as Term });
    expect(obs).not.toBeNull();
    s.master = { node: 'node2' as never, term: 4 as Term };
    applyCommand(s, obs!);
    expect(names()).toEqual(['sda', 'sdc', 'sdb']);
    expect(observeCommand(rec, kernel('clean', assembled), { ...writer, node: 'node2', term: 4 as Term })).toBeNull();
    // A member added in the record but not yet bound by the master shows first (md binds at the head).
    applyCommand(s, cmd({ op: 'hot-add', device: 'md0', member: '/dev/sdd' }));
    expect(names()[0]).toBe('sdd');
  });
  it('a striped array created without --chunk shows the chunk the master\'s kernel chose', () => {
    const s = emptyClusterState();
    applyCommand(s, cmd({ op: 'master', node: 'node1', term: 3 }));
    applyCommand(s, cmd({ op: 'create', device: 'md10', uuid: '93a5f505:69825d0d:413c4afa:010d8c5a', name: 'x:10', level: 'raid10', raidDevices: 2, members: ['/dev/sda', '/dev/sdb'], spares: 0, metadata: '1.2', bitmap: 'none', chunkKiB: null, layout: null, assumeClean: true, sizeKiB: null }));
    const rec = s.arrays[0];
    const k = { ...kernel('clean', healthy().slice(0, 2)), device: 'md10', uuid: rec.uuid, level: 'raid10' as const, chunkSizeBytes: 512 * 1024 };
    expect(clusterArrayView(rec).chunkSizeBytes).toBe(0);
    applyCommand(s, observeCommand(rec, k, writer)!);
    expect(rec.chunkKiB).toBe(512);
    expect(clusterArrayView(rec).chunkSizeBytes).toBe(512 * 1024);
    expect(observeCommand(rec, k, writer)).toBeNull();
  });
  it('a standby switches a writable array read-only first, and re-assembles a stale view', () => {
    const rec = record();
    rec.materialized = true;
    expect(plan(rec, standby, kernel('clean', healthy()))).toEqual([{ kind: 'read-only' }]);
    expect(plan(rec, standby, kernel('read-auto', healthy()))).toEqual([]);
    rec.members[1].role = 'faulty'; rec.members[1].slot = null; rec.members[1].inSync = false;
    const p = plan(rec, standby, kernel('read-auto', healthy()));
    expect(p.map((x) => x.kind)).toEqual(['stop', 'assemble']);
    expect(p[1]).toMatchObject({ spec: { readOnly: true, members: ['/dev/sda', '/dev/sdc'] } });
  });
  it('a new master re-reads the superblocks, restores the checkpoint, then goes read-write', () => {
    const rec = record();
    rec.materialized = true;
    rec.sync = { action: 'resync', doneSectors: 500 as Sectors, totalSectors: 2000 as Sectors, term: 2 as Term, speedKiBps: 0 };
    const stale = { ...writer, freshSincePromotion: false };
    expect(plan(rec, stale, kernel('read-auto', healthy())).map((x) => x.kind)).toEqual(['stop', 'assemble']);
    const k = { ...kernel('read-auto', healthy()), resyncStartSectors: 100 as Sectors };
    expect(plan(rec, writer, k)).toEqual([{ kind: 'resync-start', sectors: 500 }, { kind: 'read-write' }]);
  });
  it('the master carries out member changes from the record', () => {
    const rec = record();
    rec.materialized = true;
    rec.members[1].role = 'removed'; rec.members[1].slot = null; rec.members[1].inSync = false;
    expect(plan(rec, writer, kernel('clean', healthy()))).toEqual([{ kind: 'set-faulty', member: '/dev/sdb' }, { kind: 'hot-remove', member: '/dev/sdb' }]);
    rec.members[2].writeMostly = true;
    expect(plan(rec, writer, kernel('clean', healthy()))).toContainEqual({ kind: 'write-mostly', member: '/dev/sdc', on: true });
  });
  it('a stopped array is stopped everywhere', () => {
    const rec = record();
    rec.run = 'stopped';
    expect(plan(rec, standby, kernel('read-auto', healthy()))).toEqual([{ kind: 'stop' }]);
    expect(plan(rec, writer, null)).toEqual([]);
  });
});
