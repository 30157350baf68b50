// Unit tests of plan() (daemon/src/cluster/plan.ts) beyond cluster-plan.test.ts: the create
// spec, when a standby's kernel view is stale, the master's member actions, and when the
// master's kernel view differs from the record enough to propose an observation.
// Records are literals (not built through apply) so these tests pin plan.ts alone.
import { describe, expect, it } from 'vitest';
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import { createSpec, memberViewStale, observeCommand, plan, type PlanContext } from '../../daemon/src/cluster/plan.js';
import type { ArrayRecord } from '../../daemon/src/cluster/types.js';
import { arrayRecord, kernelArrayState, kernelMember, memberRecord } from './record-fixtures.js';
import type { ArrayState } from '../../daemon/src/md/types.js';

const mem = memberRecord;
const rec = (over: Partial<ArrayRecord> = {}): ArrayRecord => arrayRecord(over);
const km = kernelMember;
const kernel = kernelArrayState;
const both = () => [km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync'], 1)];
const writer: PlanContext = { node: 'n1', writer: true, term: 3 as Term, freshSincePromotion: true };
const standby: PlanContext = { node: 'n2', writer: false, term: 3 as Term, freshSincePromotion: false };

describe('createSpec', () => {
  it('puts active members in their slots, "missing" in empty ones, spares after, each under this node\'s path', () => {
    const r = rec({ raidDisks: 3, level: 'raid5', chunkKiB: 64, layout: 'ls', componentSizeKiB: 5000, members: [
      mem('/dev/sdb', { slot: 2, localPaths: { n1: '/dev/vdb' } }), mem('/dev/sda', { slot: 0 }),
      mem('/dev/sdc', { role: 'spare', slot: null, inSync: false }), mem('/dev/sdd', { role: 'faulty', slot: null, inSync: false }),
    ] });
    expect(createSpec(r, 'n1')).toEqual({ device: 'md0', uuid: r.uuid, level: 'raid5', raidDevices: 3,
      members: ['/dev/sda', 'missing', '/dev/vdb', '/dev/sdc'], spareDevices: 1, metadata: '1.2', bitmap: 'internal', name: 'x:0',
      assumeClean: false, chunkKiB: 64, layout: 'ls', sizeKiB: 5000 });
    expect(createSpec(r, 'n2').members[2]).toBe('/dev/sdb');
    const plain = createSpec(rec({ componentSizeKiB: null }), 'n1');
    expect('chunkKiB' in plain || 'layout' in plain || 'sizeKiB' in plain).toBe(false);
  });

  it('the master assembles (read-only first) an array it did not create; a standby waits until it is materialized', () => {
    const r = rec({ origin: 'assemble', materialized: false, members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { slot: 1, pendingAdd: 'add' }),
      mem('/dev/sdc', { role: 'removed', slot: null, inSync: false })] });
    expect(plan(r, writer, null)).toEqual([{ kind: 'assemble', spec: { device: 'md0', uuid: r.uuid, members: ['/dev/sda'], readOnly: true, run: true } }]);
    expect(plan(r, standby, null)).toEqual([]);
    expect(plan({ ...r, materialized: true }, standby, null)).toHaveLength(1);
    expect(plan({ ...r, origin: 'create', materialized: true }, writer, null)[0]?.kind).toBe('assemble');
  });
});

describe('memberViewStale (standby)', () => {
  it('is false when every member is in the same class as in the record', () => {
    const r = rec({ members: [...rec().members, mem('/dev/sdc', { role: 'spare', slot: null, inSync: false })] });
    expect(memberViewStale(r, kernel([...both(), km('/dev/sdc', null, ['spare'], 2)]), 'n2')).toBe(false);
  });
  it('sees a recovering member that is in sync in the record, an unknown live device, and a missing member', () => {
    const r = rec();
    expect(memberViewStale(r, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, [], 1)]), 'n2')).toBe(true);
    expect(memberViewStale(r, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', null, ['in_sync'], 1)]), 'n2')).toBe(true);
    expect(memberViewStale(r, kernel([...both(), km('/dev/sdx', null, ['spare'], 5)]), 'n2')).toBe(true);
    expect(memberViewStale(r, kernel([...both(), km('/dev/sdx', null, ['faulty'], 5)]), 'n2')).toBe(false); // faulty leftovers are no view
    expect(memberViewStale(r, kernel([km('/dev/sda', 0, ['in_sync'], 0)]), 'n2')).toBe(true);
  });
  it('a recovering or spare member pending its add is not expected in the kernel yet; a faulty one is expected gone', () => {
    const r = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { role: 'spare', slot: null, inSync: false, pendingAdd: 'add' }),
      mem('/dev/sdc', { role: 'faulty', slot: null, inSync: false })] });
    expect(memberViewStale(r, kernel([km('/dev/sda', 0, ['in_sync'], 0)]), 'n2')).toBe(false);
    expect(memberViewStale(r, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdc', 1, ['in_sync'], 2)]), 'n2')).toBe(true);
    const recovering = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { slot: 1, inSync: false })] });
    expect(memberViewStale(recovering, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, [], 1)]), 'n2')).toBe(false);
    expect(memberViewStale(recovering, kernel([km('/dev/sda', 0, ['in_sync'], 0)]), 'n2')).toBe(true);
  });
});

describe('the master\'s member actions', () => {
  it('fails then removes a member the record removed; only fails one the record marks faulty', () => {
    const r = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { role: 'faulty', slot: null, inSync: false })] });
    expect(plan(r, writer, kernel(both()))).toEqual([{ kind: 'set-faulty', member: '/dev/sdb' }]);
    // md already shows it faulty: nothing more for a faulty member
    const k = kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', null, ['faulty'], 1)]);
    expect(plan(r, writer, k).filter((a) => a.kind !== 'observe')).toEqual([]);
    r.members[1]!.role = 'removed';
    expect(plan(r, writer, k)).toEqual([{ kind: 'hot-remove', member: '/dev/sdb' }]);
  });

  it('adds a pending member md does not hold (re-add when asked), after removing it while md holds it as faulty', () => {
    const r = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { role: 'spare', slot: null, inSync: false, pendingAdd: 're-add' })] });
    const single = kernel([km('/dev/sda', 0, ['in_sync'], 0)]);
    expect(plan(r, writer, single)).toEqual([{ kind: 're-add', member: '/dev/sdb' }]);
    r.members[1]!.pendingAdd = 'add';
    expect(plan(r, writer, single)).toEqual([{ kind: 'hot-add', member: '/dev/sdb' }]);
    const stillFaulty = kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', null, ['faulty'], 1)]);
    expect(plan(r, writer, stillFaulty)).toEqual([{ kind: 'hot-remove', member: '/dev/sdb' }]);
    const held = kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', null, ['spare'], 1)]);
    expect(plan(r, writer, held).filter((a) => a.kind !== 'observe')).toEqual([]);
  });

  it('adds back a member the record holds that the master\'s kernel lacks (a re-assembly dropped it), never observing it away', () => {
    const spare = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { slot: 1 }), mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, deviceUuid: 'u3' })] });
    expect(plan(spare, writer, kernel(both()))).toEqual([{ kind: 're-add', member: '/dev/sdc' }]);
    const noBitmap = rec({ bitmap: 'none', members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { slot: 1, deviceUuid: 'u2' })] });
    expect(plan(noBitmap, writer, kernel([km('/dev/sda', 0, ['in_sync'], 0)]))).toEqual([{ kind: 'hot-add', member: '/dev/sdb' }]);
    // A standby never adds; a removed or faulty member is not expected back.
    expect(plan(spare, standby, kernel(both(), { arrayState: 'readonly' })).some((a) => a.kind === 're-add' || a.kind === 'hot-add')).toBe(false);
    spare.members[2]!.role = 'removed';
    expect(plan(spare, writer, kernel(both())).filter((a) => a.kind !== 'observe')).toEqual([]);
  });

  it('acts under this node\'s local path of a member', () => {
    const r = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { role: 'removed', slot: null, inSync: false, localPaths: { n1: '/dev/vdb' } })] });
    expect(plan(r, writer, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/vdb', 1, ['in_sync'], 1)]))).toEqual([
      { kind: 'set-faulty', member: '/dev/vdb' }, { kind: 'hot-remove', member: '/dev/vdb' }]);
  });

  it('sets or clears write-mostly where md differs, never on a faulty or removed member', () => {
    const r = rec({ members: [mem('/dev/sda', { slot: 0, writeMostly: true }), mem('/dev/sdb', { slot: 1 })] });
    expect(plan(r, writer, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync', 'write_mostly'], 1)]))).toEqual([
      { kind: 'write-mostly', member: '/dev/sda', on: true }, { kind: 'write-mostly', member: '/dev/sdb', on: false }]);
    const f = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { role: 'faulty', slot: null, inSync: false, writeMostly: true })] });
    expect(plan(f, writer, kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', null, ['faulty'], 1)])).filter((a) => a.kind !== 'observe')).toEqual([]);
  });

  it('starts a replacement once the spare is bound and the old member is not yet marked', () => {
    const r = rec({ members: [mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { slot: 1 }),
      mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, replacementFor: '/dev/sdb' })] });
    const spare = km('/dev/sdc', null, ['spare'], 2);
    expect(plan(r, writer, kernel([...both(), spare]))).toEqual([{ kind: 'replace', member: '/dev/sdb', with: '/dev/sdc' }]);
    const marked = kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync', 'want_replacement'], 1), spare]);
    expect(plan(r, writer, marked).filter((a) => a.kind === 'replace')).toEqual([]);
    const running = kernel([...both(), km('/dev/sdc', 1, ['replacement'], 2)]);
    expect(plan(r, writer, running).filter((a) => a.kind === 'replace')).toEqual([]);
    expect(plan(r, writer, kernel(both())).filter((a) => a.kind === 'replace')).toEqual([]); // spare not bound yet
  });

  it('asks for the requested sync action until md runs it; an admin read-only array goes read-only', () => {
    expect(plan(rec({ requestedAction: 'check' }), writer, kernel(both()))).toEqual([{ kind: 'sync-action', action: 'check' }]);
    expect(plan(rec({ requestedAction: 'check' }), writer, kernel(both(), { syncAction: 'check' })).filter((a) => a.kind === 'sync-action')).toEqual([]);
    expect(plan(rec({ adminReadOnly: true }), writer, kernel(both()))).toEqual([{ kind: 'read-only' }]);
    expect(plan(rec({ adminReadOnly: true }), writer, kernel(both(), { arrayState: 'readonly' })).filter((a) => a.kind !== 'observe')).toEqual([]);
  });

  it('on an admin read-only array the master only fails members and sets write-mostly: md refuses adds and removes there (EROFS)', () => {
    const r = rec({ adminReadOnly: true, members: [
      mem('/dev/sda', { slot: 0 }), mem('/dev/sdb', { role: 'faulty', slot: null, inSync: false }),
      mem('/dev/sdc', { role: 'removed', slot: null, inSync: false }), mem('/dev/sdd', { role: 'spare', slot: null, inSync: false, pendingAdd: 'add' }),
      mem('/dev/sde', { role: 'spare', slot: null, inSync: false, writeMostly: true }),
    ] });
    const k = kernel([km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync'], 1), km('/dev/sdc', null, ['faulty'], 2), km('/dev/sde', null, [], 4)], { arrayState: 'readonly' });
    expect(plan(r, writer, k)).toEqual([{ kind: 'set-faulty', member: '/dev/sdb' }, { kind: 'write-mostly', member: '/dev/sde', on: true }]);
    expect(plan({ ...r, adminReadOnly: false }, writer, { ...k, arrayState: 'clean' }).map((a) => a.kind)).toEqual(['set-faulty', 'hot-remove', 'hot-add', 'write-mostly']);
  });

  it('restores no checkpoint when md is already past it, or when the checkpoint is not a resync', () => {
    const cp = (action: 'resync' | 'recover', done: number) => ({ action, doneSectors: done as Sectors, totalSectors: 2000 as Sectors, term: 3 as Term, speedKiBps: 0 });
    const ro = (resyncStart: number | null) => kernel(both(), { arrayState: 'readonly', resyncStartSectors: resyncStart as Sectors | null });
    expect(plan(rec({ sync: cp('resync', 500) }), writer, ro(800))).toEqual([{ kind: 'read-write' }]);
    expect(plan(rec({ sync: cp('resync', 500) }), writer, ro(500))).toEqual([{ kind: 'read-write' }]);
    expect(plan(rec({ sync: cp('resync', 500) }), writer, ro(null))).toEqual([{ kind: 'read-write' }]);
    expect(plan(rec({ sync: cp('recover', 500) }), writer, ro(0))).toEqual([{ kind: 'read-write' }]);
    expect(plan(rec({ sync: cp('resync', 0) }), writer, ro(0))).toEqual([{ kind: 'read-write' }]);
  });
});

describe('observeCommand', () => {
  const observed = (): ArrayRecord => rec({ members: [mem('/dev/sda', { slot: 0, descNumber: 0, kernelName: 'sda', minor: 0 }),
    mem('/dev/sdb', { slot: 1, descNumber: 1, kernelName: 'sdb', minor: 16 })], memberOrder: ['/dev/sda', '/dev/sdb'], bitmapChunkKiB: 64 });
  const view = (over: Partial<ArrayState> = {}, members = both()) => kernel(members, { bitmap: { location: 'internal', pagesUsed: 0, pagesTotal: 1, pagesKiB: 0, chunkKiB: 64, file: null }, ...over });

  it('is null when the record already says what the kernel shows', () => {
    expect(observeCommand(observed(), view(), writer)).toBeNull();
  });

  it('reports each difference: sizes, ctime, bitmap chunk, order, a member\'s role, slot, sync, desc number, flags, name, numbers', () => {
    const differs = (r: ArrayRecord, k: ArrayState) => expect(observeCommand(r, k, writer)).not.toBeNull();
    differs(observed(), view({ componentSizeKiB: 999 }));
    differs(observed(), view({ arraySizeKiB: 999 }));
    differs(observed(), view({ ctimeSec: 7 }));
    differs(observed(), view({ bitmap: { location: 'internal', pagesUsed: 0, pagesTotal: 1, pagesKiB: 0, chunkKiB: 128, file: null } }));
    differs(observed(), view({}, [both()[1]!, both()[0]!]));
    differs({ ...observed(), memberOrder: undefined }, view());
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, [], 1)]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', null, ['spare'], 1)]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync'], 4)]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync', 'write_mostly'], 1)]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), km('/dev/sdb', 1, ['in_sync', 'want_replacement'], 1)]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), { ...km('/dev/sdb', 1, ['in_sync'], 1), name: 'sdz' }]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), { ...km('/dev/sdb', 1, ['in_sync'], 1), minor: 17 }]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), { ...km('/dev/sdb', 1, ['in_sync'], 1), major: 9 }]));
    differs(observed(), view({}, [km('/dev/sda', 0, ['in_sync'], 0), { ...km('/dev/sdb', 1, ['in_sync'], 1), deviceUuid: 'u-b' }]));
    differs({ ...observed(), materialized: false }, view());
    const pending = observed();
    pending.members[1]!.pendingAdd = 'add';
    differs(pending, view());
  });

  it('describes the kernel\'s members under their record paths, sorted, with the fencing term', () => {
    const r = observed();
    r.members[1]!.localPaths = { n1: '/dev/vdb' };
    const cmd = observeCommand(r, view({ ctimeSec: 9, chunkSizeBytes: 0 }, [km('/dev/vdb', null, ['faulty'], 1), km('/dev/sda', 0, ['in_sync'], 0)]), writer);
    expect(cmd).toMatchObject({ op: 'observe', device: 'md0', term: 3, ctimeSec: 9, bitmapChunkKiB: 64, order: ['/dev/sdb', '/dev/sda'] });
    expect(cmd!.members.map((m) => [m.path, m.role, m.slot, m.inSync])).toEqual([['/dev/sda', 'active', 0, true], ['/dev/sdb', 'faulty', null, false]]);
    expect('chunkKiB' in cmd!).toBe(false);
  });

  it('a replacement names the member whose slot it is rebuilding; striped levels report their chunk', () => {
    const r = rec({ level: 'raid5', raidDisks: 2 });
    const cmd = observeCommand(r, view({ chunkSizeBytes: 512 * 1024 }, [...both(), km('/dev/sdc', 1, ['replacement'], 2)]), writer);
    expect(cmd!.members.find((m) => m.path === '/dev/sdc')?.replacementFor).toBe('/dev/sdb');
    expect(cmd!.members.find((m) => m.path === '/dev/sda')?.replacementFor).toBeNull();
    expect(cmd!.chunkKiB).toBe(512);
    expect(observeCommand(rec({ level: 'raid1' }), view({ chunkSizeBytes: 512 * 1024 }), writer)?.chunkKiB).toBeUndefined();
    expect(observeCommand(r, view({ bitmap: null }), writer)?.bitmapChunkKiB).toBeUndefined();
  });
});
