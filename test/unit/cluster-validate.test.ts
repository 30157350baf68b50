// Unit tests of cluster/validate.ts: each md/cluster rule gives its exact verdict (code and the
// mdadm-style message an admin reads), at the boundary where the rule starts to refuse, and
// validate() never changes the state. The fixture is one raid1 md0 holding every member role.
import { describe, expect, it } from 'vitest';
import { deviceConfirmed, findArray, findMember, inSyncSlots, validate } from '../../daemon/src/cluster/validate.js';
import { parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import { MD_MAX_ARRAYS, MD_MAX_MEMBERS_PER_ARRAY, RAFT_MAX_MEMBERS } from '../../daemon/src/common/limits.js';
import type { NodeId, Term } from '../../daemon/src/common/types.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

const UUID = '93a5f505:69825d0d:413c4afa:010d8c59';
const UUID2 = '11111111:22222222:33333333:44444444';

function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}

/**
 * Three nodes, master node1 at term 2; sda..sdh seen by node1 and node2; md0 (raid1) with sda,
 * sdb active in sync, sdc spare, sdd faulty (superblock known), sde removed (superblock known).
 */
function world(): ClusterState {
  const s = emptyClusterState();
  s.nodes = [{ id: 'node1' as NodeId, address: 'a:1' }, { id: 'node2' as NodeId, address: 'a:2' }, { id: 'node3' as NodeId, address: 'a:3' }];
  s.master = { node: 'node1' as NodeId, term: 2 as Term };
  for (const x of 'abcdefgh') s.deviceSeen[`/dev/sd${x}`] = ['node1', 'node2'] as NodeId[];
  s.arrays.push(arrayRecord({
    uuid: UUID,
    members: [
      memberRecord('/dev/sda', { slot: 0 }), memberRecord('/dev/sdb', { slot: 1 }),
      memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false }),
      memberRecord('/dev/sdd', { role: 'faulty', slot: null, inSync: false, deviceUuid: 'aa:bb' }),
      memberRecord('/dev/sde', { role: 'removed', slot: null, inSync: false, deviceUuid: 'aa:cc' }),
    ],
  }));
  return s;
}

/** validate() of a raw command, also checking that it changed nothing. */
function verdict(s: ClusterState, raw: unknown): ReturnType<typeof validate> {
  const before = structuredClone(s);
  const v = validate(s, cmd(raw));
  expect(s).toEqual(before);
  return v;
}
const OK = { ok: true };
const no = (code: string, message: string): unknown => ({ ok: false, code, message });

const create = { op: 'create', device: 'md1', uuid: UUID2, name: 'x:1', level: 'raid1', raidDevices: 2, members: ['/dev/sdf', '/dev/sdg'], spares: 0, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null };
const assemble = { op: 'assemble', device: 'md1', uuid: UUID2, name: 'x:1', level: 'raid1', raidDisks: 2, members: ['/dev/sdf', '/dev/sdg'], metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null };

describe('lookups', () => {
  it('finds arrays by device and members by path, nothing for unknown names', () => {
    const s = world();
    expect(findArray(s, 'md0')?.uuid).toBe(UUID);
    expect(findArray(s, 'md1')).toBeUndefined();
    expect(findMember(s.arrays[0], '/dev/sdc')?.role).toBe('spare');
    expect(findMember(s.arrays[0], '/dev/sdz')).toBeUndefined();
  });
  it('in-sync slots are those of active in-sync members, optionally without one path', () => {
    const a = world().arrays[0];
    a.members.push(memberRecord('/dev/sdf', { slot: 2, inSync: false }));
    expect([...inSyncSlots(a)]).toEqual([0, 1]);
    expect([...inSyncSlots(a, '/dev/sda')]).toEqual([1]);
    a.members[0].role = 'spare';
    expect([...inSyncSlots(a)]).toEqual([1]);
  });
  it('a device is confirmed once strictly more than half of the nodes saw it (every device when no node is known)', () => {
    const s = world();
    s.deviceSeen['/dev/sdx'] = ['node1'] as NodeId[];
    expect(deviceConfirmed(s, '/dev/sdx')).toBe(false);
    s.deviceSeen['/dev/sdx'] = ['node1', 'ghost'] as NodeId[]; // a node not in the cluster does not count
    expect(deviceConfirmed(s, '/dev/sdx')).toBe(false);
    s.deviceSeen['/dev/sdx'] = ['node1', 'node3'] as NodeId[];
    expect(deviceConfirmed(s, '/dev/sdx')).toBe(true);
    expect(deviceConfirmed(s, '/dev/sdy')).toBe(false);
    s.nodes.push({ id: 'node4' as NodeId, address: 'a:4' });
    expect(deviceConfirmed(s, '/dev/sdx')).toBe(false); // 2 of 4 is no majority
    s.nodes = [];
    expect(deviceConfirmed(s, '/dev/sdy')).toBe(true);
  });
});

describe('cluster commands', () => {
  it('a master of a lower term than the recorded one is refused; the same or a higher term is not', () => {
    const s = world();
    expect(verdict(s, { op: 'master', node: 'node2', term: 1 })).toEqual(no('E_INVALID_STATE', 'stale master term 1'));
    expect(verdict(s, { op: 'master', node: 'node2', term: 2 })).toEqual(OK);
    expect(verdict(s, { op: 'master', node: 'node2', term: 3 })).toEqual(OK);
    s.master = null;
    expect(verdict(s, { op: 'master', node: 'node2', term: 0 })).toEqual(OK);
  });
  it(`a cluster holds at most ${RAFT_MAX_MEMBERS} nodes; re-adding a known node is allowed at the limit`, () => {
    const s = world();
    while (s.nodes.length < RAFT_MAX_MEMBERS - 1) s.nodes.push({ id: `n${s.nodes.length}` as NodeId, address: 'a:9' });
    expect(verdict(s, { op: 'node-add', node: 'node9', address: 'a:9' })).toEqual(OK);
    s.nodes.push({ id: 'node8' as NodeId, address: 'a:8' });
    expect(verdict(s, { op: 'node-add', node: 'node9', address: 'a:9' })).toEqual(no('E_INVALID_ARGUMENT', `a cluster has at most ${RAFT_MAX_MEMBERS} nodes`));
    expect(verdict(s, { op: 'node-add', node: 'node8', address: 'b:8' })).toEqual(OK);
  });
  it('only a known node can be removed; a device sighting is always accepted', () => {
    const s = world();
    expect(verdict(s, { op: 'node-remove', node: 'node7' })).toEqual(no('E_UNKNOWN_NODE', 'no node node7'));
    expect(verdict(s, { op: 'node-remove', node: 'node3' })).toEqual(OK);
    expect(verdict(s, { op: 'device-seen', node: 'node7', path: '/dev/zz' })).toEqual(OK);
  });
  it('a command on an array the cluster does not have is refused', () => {
    expect(verdict(world(), { op: 'stop', device: 'md7' })).toEqual(no('E_NO_SUCH_ARRAY', 'no array /dev/md7'));
  });
});

describe('create', () => {
  it('accepts a new array over confirmed free devices, and a removed member of another array is free', () => {
    const s = world();
    expect(verdict(s, create)).toEqual(OK);
    expect(verdict(s, { ...create, members: ['/dev/sde', '/dev/sdf'] })).toEqual(OK);
  });
  it('refuses an existing device name or UUID', () => {
    const s = world();
    expect(verdict(s, { ...create, device: 'md0' })).toEqual(no('E_ARRAY_EXISTS', '/dev/md0 already exists'));
    expect(verdict(s, { ...create, uuid: UUID })).toEqual(no('E_ARRAY_EXISTS', `an array with UUID ${UUID} already exists`));
  });
  it(`refuses the array beyond ${MD_MAX_ARRAYS}`, () => {
    const s = world();
    while (s.arrays.length < MD_MAX_ARRAYS - 1) s.arrays.push(arrayRecord({ device: `md${s.arrays.length + 10}`, uuid: `x${s.arrays.length}`, members: [] }));
    expect(verdict(s, create)).toEqual(OK);
    s.arrays.push(arrayRecord({ device: 'md_last', uuid: 'last', members: [] }));
    expect(verdict(s, create)).toEqual(no('E_INVALID_ARGUMENT', `at most ${MD_MAX_ARRAYS} arrays`));
  });
  it('the device list must hold exactly the raid devices and the spares, each once', () => {
    const s = world();
    expect(verdict(s, { ...create, spares: 1 })).toEqual(no('E_INVALID_ARGUMENT', '2 devices given for 2 raid devices and 1 spares'));
    expect(verdict(s, { ...create, members: ['/dev/sdf', '/dev/sdf'] })).toEqual(no('E_INVALID_ARGUMENT', 'a device is listed twice'));
    expect(verdict(s, { ...create, level: 'raid5', raidDevices: 3, members: ['missing', '/dev/sdf', '/dev/sdg', '/dev/sdh'], spares: 1 })).toEqual(OK);
  });
  it('refuses a device another array uses, or one a majority of nodes has not seen', () => {
    const s = world();
    expect(verdict(s, { ...create, members: ['/dev/sdf', '/dev/sdd'] })).toEqual(no('E_DEVICE_BUSY', '/dev/sdd is already a member of /dev/md0'));
    s.deviceSeen['/dev/sdg'] = ['node3'] as NodeId[];
    expect(verdict(s, create)).toEqual(no('E_DEVICE_NOT_CONFIRMED', '/dev/sdg has not been confirmed by a majority of nodes'));
  });
  it('refuses too many missing raid devices, a missing spare, and a chunk size on raid1', () => {
    const s = world();
    expect(verdict(s, { ...create, members: ['missing', 'missing'] })).toEqual(no('E_INVALID_ARGUMENT', 'too many missing devices for this level'));
    expect(verdict(s, { ...create, members: ['missing', '/dev/sdg'] })).toEqual(OK);
    // A spare does not count as a raid device present.
    expect(verdict(s, { ...create, members: ['missing', 'missing', '/dev/sdh'], spares: 1 })).toEqual(no('E_INVALID_ARGUMENT', 'too many missing devices for this level'));
    expect(verdict(s, { ...create, level: 'raid0', members: ['missing', '/dev/sdg'] })).toEqual(no('E_INVALID_ARGUMENT', 'too many missing devices for this level'));
    expect(verdict(s, { ...create, members: ['/dev/sdf', '/dev/sdg', 'missing'], spares: 1 })).toEqual(no('E_INVALID_ARGUMENT', 'a spare cannot be "missing"'));
    expect(verdict(s, { ...create, chunkKiB: 64 })).toEqual(no('E_INVALID_ARGUMENT', 'raid1 has no chunk size'));
    expect(verdict(s, { ...create, level: 'raid0', chunkKiB: 64 })).toEqual(OK);
  });
});

describe('assemble', () => {
  it('re-assembling a known array is accepted; the same name for another UUID is not', () => {
    const s = world();
    expect(verdict(s, { ...assemble, device: 'md0', uuid: UUID, members: ['/dev/sda'] })).toEqual(OK);
    expect(verdict(s, { ...assemble, device: 'md0' })).toEqual(no('E_ARRAY_EXISTS', `/dev/md0 is another array (UUID ${UUID})`));
  });
  it('a known UUID under another name, or a device another array uses, is refused', () => {
    const s = world();
    expect(verdict(s, { ...assemble, uuid: UUID })).toEqual(no('E_ARRAY_EXISTS', `UUID ${UUID} is already assembled under another name`));
    expect(verdict(s, { ...assemble, members: ['/dev/sdf', '/dev/sdc'] })).toEqual(no('E_DEVICE_BUSY', '/dev/sdc is already a member of /dev/md0'));
    expect(verdict(s, { ...assemble, members: ['/dev/sdf', '/dev/sde'] })).toEqual(OK);
  });
  it('the first array of a cluster may be assembled', () => {
    const s = world();
    s.arrays = [];
    expect(verdict(s, assemble)).toEqual(OK);
  });
  it(`refuses the array beyond ${MD_MAX_ARRAYS}`, () => {
    const s = world();
    while (s.arrays.length < MD_MAX_ARRAYS - 1) s.arrays.push(arrayRecord({ device: `md${s.arrays.length + 10}`, uuid: `x${s.arrays.length}`, members: [] }));
    expect(verdict(s, assemble)).toEqual(OK);
    s.arrays.push(arrayRecord({ device: 'md_last', uuid: 'last', members: [] }));
    expect(verdict(s, assemble)).toEqual(no('E_INVALID_ARGUMENT', `at most ${MD_MAX_ARRAYS} arrays`));
  });
});

describe('array commands', () => {
  it('stop, run, read-only and read-write are always accepted on a known array', () => {
    const s = world();
    s.arrays[0].adminReadOnly = true;
    for (const op of ['stop', 'run', 'read-only', 'read-write']) expect(verdict(s, { op, device: 'md0' })).toEqual(OK);
  });
  it('master reports (checkpoint, observe, md-done) carry the current master term', () => {
    const s = world();
    const reports = [
      { op: 'checkpoint', device: 'md0', action: 'idle', doneSectors: 0, totalSectors: 0 },
      { op: 'observe', device: 'md0', componentSizeKiB: 1, arraySizeKiB: 1, members: [] },
      { op: 'md-done', device: 'md0', client: 'c1', seq: 1, ok: true },
    ];
    for (const r of reports) {
      expect(verdict(s, { ...r, term: 2 })).toEqual(OK);
      expect(verdict(s, { ...r, term: 3 })).toEqual(no('E_NOT_WRITABLE', 'fencing token 3 is not the current master\'s'));
    }
    s.master = null;
    expect(verdict(s, { ...reports[0], term: 0 })).toEqual(no('E_NOT_WRITABLE', 'fencing token 0 is not the current master\'s'));
  });
  it('check and repair need redundancy; a read-only array runs no check or repair but may be idled or frozen', () => {
    const s = world();
    for (const action of ['check', 'repair', 'idle', 'frozen']) expect(verdict(s, { op: 'sync-action', device: 'md0', action })).toEqual(OK);
    for (const level of ['raid0', 'linear'] as const) {
      s.arrays[0].level = level;
      expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'check' })).toEqual(no('E_INVALID_STATE', `/dev/md0 is ${level}: it has no redundancy to check`));
      expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'repair' })).toEqual(no('E_INVALID_STATE', `/dev/md0 is ${level}: it has no redundancy to repair`));
      expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'idle' })).toEqual(OK);
    }
    s.arrays[0].level = 'raid1';
    s.arrays[0].adminReadOnly = true;
    expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'check' })).toEqual(no('E_INVALID_STATE', '/dev/md0 is read-only: md runs no check on it'));
    expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'repair' })).toEqual(no('E_INVALID_STATE', '/dev/md0 is read-only: md runs no repair on it'));
    expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'idle' })).toEqual(OK);
    expect(verdict(s, { op: 'sync-action', device: 'md0', action: 'frozen' })).toEqual(OK);
  });
  it('set-faulty: a member (not removed) may fail unless it is the last that keeps the array usable (then --force)', () => {
    const s = world();
    const fail = (member: string, force = false): unknown => verdict(s, { op: 'set-faulty', device: 'md0', member, force });
    expect(fail('/dev/sdz')).toEqual(no('E_NO_SUCH_DEVICE', '/dev/sdz is not a member of /dev/md0'));
    expect(fail('/dev/sde')).toEqual(no('E_NO_SUCH_DEVICE', '/dev/sde is not a member of /dev/md0'));
    expect(fail('/dev/sdd')).toEqual(OK);
    expect(fail('/dev/sdc')).toEqual(OK);
    expect(fail('/dev/sda')).toEqual(OK);
    s.arrays[0].members[1].inSync = false; // sda is now the last in-sync member
    expect(fail('/dev/sdb')).toEqual(OK);
    expect(fail('/dev/sda')).toEqual(no('E_LAST_IN_SYNC', 'failing /dev/sda would leave /dev/md0 unusable (use --force)'));
    expect(fail('/dev/sda', true)).toEqual(OK);
    s.arrays[0].members[0].role = 'faulty'; // the array is unusable already: a faulty member may "fail" again
    expect(fail('/dev/sda')).toEqual(OK);
  });
  it('set-faulty of an active member that is not in sync needs no --force', () => {
    const s = world();
    s.arrays[0].members[1] = memberRecord('/dev/sdb', { slot: 1, inSync: false });
    s.arrays[0].members[0].role = 'faulty';
    expect(verdict(s, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false })).toEqual(OK);
  });
  it('hot-remove: only a member that is not active, and not on a read-only array', () => {
    const s = world();
    const remove = (member: string): unknown => verdict(s, { op: 'hot-remove', device: 'md0', member });
    expect(remove('/dev/sdz')).toEqual(no('E_NO_SUCH_DEVICE', '/dev/sdz is not a member of /dev/md0'));
    expect(remove('/dev/sde')).toEqual(no('E_NO_SUCH_DEVICE', '/dev/sde is not a member of /dev/md0'));
    expect(remove('/dev/sda')).toEqual(no('E_DEVICE_BUSY', '/dev/sda is active in /dev/md0: fail it first'));
    expect(remove('/dev/sdd')).toEqual(OK);
    expect(remove('/dev/sdc')).toEqual(OK);
    s.arrays[0].adminReadOnly = true;
    expect(remove('/dev/sdd')).toEqual(no('E_INVALID_STATE', 'cannot remove devices from /dev/md0: it is read-only (mdctl --readwrite first)'));
  });
  it('hot-add and add-spare: a new or removed device, free and confirmed, up to the member limit', () => {
    const s = world();
    for (const op of ['hot-add', 'add-spare']) {
      const add = (member: string): unknown => verdict(s, { op, device: 'md0', member });
      expect(add('/dev/sdf')).toEqual(OK);
      expect(add('/dev/sde')).toEqual(OK);
      expect(add('/dev/sdc')).toEqual(no('E_DEVICE_BUSY', '/dev/sdc is already a member of /dev/md0'));
      s.deviceSeen['/dev/sdx'] = ['node3'] as NodeId[];
      expect(add('/dev/sdx')).toEqual(no('E_DEVICE_NOT_CONFIRMED', '/dev/sdx has not been confirmed by a majority of nodes (mdctl --cluster confirm)'));
    }
    s.arrays.push(arrayRecord({ device: 'md1', uuid: UUID2, members: [memberRecord('/dev/sdf'), memberRecord('/dev/sdg', { role: 'removed', slot: null, inSync: false })] }));
    expect(verdict(s, { op: 'hot-add', device: 'md0', member: '/dev/sdf' })).toEqual(no('E_DEVICE_BUSY', '/dev/sdf is a member of /dev/md1'));
    expect(verdict(s, { op: 'hot-add', device: 'md0', member: '/dev/sdg' })).toEqual(OK);
    s.arrays[0].adminReadOnly = true;
    expect(verdict(s, { op: 'add-spare', device: 'md0', member: '/dev/sdh' })).toEqual(no('E_INVALID_STATE', 'cannot add devices to /dev/md0: it is read-only (mdctl --readwrite first)'));
    expect(verdict(s, { op: 're-add', device: 'md0', member: '/dev/sde' })).toEqual(no('E_INVALID_STATE', 'cannot add devices to /dev/md0: it is read-only (mdctl --readwrite first)'));
  });
  it(`an array holds at most ${MD_MAX_MEMBERS_PER_ARRAY} members that are not removed`, () => {
    const s = world();
    const a = s.arrays[0];
    while (a.members.filter((m) => m.role !== 'removed').length < MD_MAX_MEMBERS_PER_ARRAY - 1) a.members.push(memberRecord(`/dev/x${a.members.length}`, { role: 'spare', slot: null, inSync: false }));
    a.members.push(memberRecord('/dev/gone', { role: 'removed', slot: null, inSync: false }));
    expect(verdict(s, { op: 'hot-add', device: 'md0', member: '/dev/sdf' })).toEqual(OK);
    a.members.push(memberRecord('/dev/last', { role: 'spare', slot: null, inSync: false }));
    expect(verdict(s, { op: 'hot-add', device: 'md0', member: '/dev/sdf' })).toEqual(no('E_INVALID_ARGUMENT', 'too many members'));
  });
  it('re-add: only a removed or faulty member whose superblock is known', () => {
    const s = world();
    const readd = (member: string): unknown => verdict(s, { op: 're-add', device: 'md0', member });
    expect(readd('/dev/sdz')).toEqual(no('E_INVALID_STATE', '/dev/sdz was not a member of /dev/md0 that can be re-added'));
    expect(readd('/dev/sda')).toEqual(no('E_INVALID_STATE', '/dev/sda was not a member of /dev/md0 that can be re-added'));
    expect(readd('/dev/sdc')).toEqual(no('E_INVALID_STATE', '/dev/sdc was not a member of /dev/md0 that can be re-added'));
    expect(readd('/dev/sdd')).toEqual(OK);
    expect(readd('/dev/sde')).toEqual(OK);
    s.arrays[0].members[4].deviceUuid = null;
    expect(readd('/dev/sde')).toEqual(no('E_INVALID_STATE', '/dev/sde has no known superblock to re-add'));
  });
  it('replace X --with Y: X active, Y an idle spare of the array that replaces nobody yet, never on a read-only or striped array', () => {
    const s = world();
    const replace = (member: string, w: string): unknown => verdict(s, { op: 'replace', device: 'md0', member, with: w });
    expect(replace('/dev/sda', '/dev/sdc')).toEqual(OK);
    expect(replace('/dev/sdc', '/dev/sda')).toEqual(no('E_INVALID_STATE', '/dev/sdc is not an active member of /dev/md0'));
    expect(replace('/dev/sdz', '/dev/sdc')).toEqual(no('E_INVALID_STATE', '/dev/sdz is not an active member of /dev/md0'));
    expect(replace('/dev/sda', '/dev/sda')).toEqual(no('E_INVALID_ARGUMENT', '/dev/sda cannot replace itself'));
    expect(replace('/dev/sda', '/dev/sdb')).toEqual(no('E_INVALID_STATE', '/dev/sdb is not a spare of /dev/md0: add it as a spare first'));
    expect(replace('/dev/sda', '/dev/sdf')).toEqual(no('E_INVALID_STATE', '/dev/sdf is not a spare of /dev/md0: add it as a spare first'));
    s.arrays[0].members[2].pendingAdd = 'add';
    expect(replace('/dev/sda', '/dev/sdc')).toEqual(no('E_INVALID_STATE', '/dev/sdc is not a spare of /dev/md0: add it as a spare first'));
    s.arrays[0].members[2].pendingAdd = null;
    s.arrays[0].members[2].replacementFor = '/dev/sdb';
    expect(replace('/dev/sda', '/dev/sdc')).toEqual(no('E_DEVICE_BUSY', '/dev/sdc is already replacing /dev/sdb'));
    s.arrays[0].members[2].replacementFor = null;
    for (const level of ['raid0', 'linear'] as const) {
      s.arrays[0].level = level;
      expect(replace('/dev/sda', '/dev/sdc')).toEqual(no('E_INVALID_STATE', `/dev/md0 is ${level}: md cannot replace its members`));
    }
    s.arrays[0].level = 'raid1';
    s.arrays[0].adminReadOnly = true;
    expect(replace('/dev/sda', '/dev/sdc')).toEqual(no('E_INVALID_STATE', 'cannot replace devices of /dev/md0: it is read-only (mdctl --readwrite first)'));
  });
  it('write-mostly: any member but a removed or faulty one', () => {
    const s = world();
    const wm = (member: string): unknown => verdict(s, { op: 'write-mostly', device: 'md0', member, on: true });
    expect(wm('/dev/sda')).toEqual(OK);
    expect(wm('/dev/sdc')).toEqual(OK);
    expect(wm('/dev/sdz')).toEqual(no('E_NO_SUCH_DEVICE', '/dev/sdz is not a member of /dev/md0'));
    expect(wm('/dev/sde')).toEqual(no('E_NO_SUCH_DEVICE', '/dev/sde is not a member of /dev/md0'));
    expect(wm('/dev/sdd')).toEqual(no('E_INVALID_STATE', '/dev/sdd is faulty in /dev/md0: remove and re-add it first'));
  });
});
