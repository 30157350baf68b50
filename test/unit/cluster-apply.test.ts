// Unit tests of cluster/apply.ts: the exact record each committed command leaves (every field,
// so a command that sets one field wrong, or one too many, fails), entry ordering and decoding,
// the order of nodes and arrays, and the merge rules of the master's observations.
import { describe, expect, it } from 'vitest';
import { applyCommand, applyDecoded, applyEntry, confirmingNodes } from '../../daemon/src/cluster/apply.js';
import { encodeCommand, parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { emptyClusterState, type ArrayRecord, type ClusterState, type MemberRecord } from '../../daemon/src/cluster/types.js';
import { MD_MAX_PENDING_OPS_PER_ARRAY } from '../../daemon/src/common/limits.js';
import type { LogIndex, NodeId, Term } from '../../daemon/src/common/types.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

const UUID = '93a5f505:69825d0d:413c4afa:010d8c59';
const UUID2 = '11111111:22222222:33333333:44444444';

function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}
/** Applies `c` (no session) as the entry after the last one, as applyDecoded would. */
function apply(s: ClusterState, c: unknown): ReturnType<typeof applyCommand> {
  return applyDecoded(s, { ok: true, command: cmd(c) }, (s.appliedIndex + 1) as LogIndex);
}

/** A member as a fresh add leaves it: everything unknown until the master observes it. */
function fresh(path: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return { path, localPaths: {}, deviceUuid: null, role: 'spare', slot: null, inSync: false, descNumber: -1, writeMostly: false,
    wantReplacement: false, replacementFor: null, pendingAdd: null, kernelName: null, major: 0, minor: 0, ...over };
}

/** Three nodes, master node1 at term 2, sda..sdh seen by all; appliedIndex 10. */
function cluster(): ClusterState {
  const s = emptyClusterState();
  s.nodes = [{ id: 'node1' as NodeId, address: 'a:1' }, { id: 'node2' as NodeId, address: 'a:2' }, { id: 'node3' as NodeId, address: 'a:3' }];
  s.master = { node: 'node1' as NodeId, term: 2 as Term };
  for (const x of 'abcdefgh') s.deviceSeen[`/dev/sd${x}`] = ['node1', 'node2', 'node3'] as NodeId[];
  s.appliedIndex = 10 as LogIndex;
  return s;
}
/** cluster() with md0: raid1, sda/sdb active in sync, sdc spare, sdd faulty, sde removed; started at 5. */
function withArray(over: Partial<ArrayRecord> = {}): ClusterState {
  const s = cluster();
  s.arrays.push(arrayRecord({
    uuid: UUID, startedIndex: 5,
    members: [
      memberRecord('/dev/sda', { slot: 0, deviceUuid: 'u:a' }), memberRecord('/dev/sdb', { slot: 1, deviceUuid: 'u:b' }),
      memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false, deviceUuid: 'u:c' }),
      memberRecord('/dev/sdd', { role: 'faulty', slot: null, inSync: false, deviceUuid: 'u:d' }),
      memberRecord('/dev/sde', { role: 'removed', slot: null, inSync: false, deviceUuid: 'u:e' }),
    ],
    ...over,
  }));
  return s;
}

const create = { op: 'create', device: 'md1', uuid: UUID2, name: 'x:1', level: 'raid1', raidDevices: 2, members: ['/dev/sdf', '/dev/sdg', '/dev/sdh'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: 2048 };

describe('entries', () => {
  it('entries apply strictly in index order: the same or an older index is a programmer error', () => {
    const s = cluster();
    expect(() => applyEntry(s, new Uint8Array(0), 10 as LogIndex)).toThrow(/apply out of order: 10 after 10/);
    expect(() => applyEntry(s, new Uint8Array(0), 9 as LogIndex)).toThrow(/out of order/);
    expect(s.appliedIndex).toBe(10);
  });
  it("the leader's empty entry only advances the applied index", () => {
    const s = cluster();
    const before = structuredClone(s);
    expect(applyEntry(s, new Uint8Array(0), 11 as LogIndex)).toEqual({ ok: true });
    expect(s).toEqual({ ...before, appliedIndex: 11 });
  });
  it('an undecodable entry is refused as a bad request and changes nothing but the applied index', () => {
    const s = cluster();
    const before = structuredClone(s);
    expect(applyEntry(s, new Uint8Array([0x7b]), 11 as LogIndex)).toEqual({ ok: false, code: 'E_BAD_REQUEST', message: 'entry is not UTF-8 JSON' });
    expect(s).toEqual({ ...before, appliedIndex: 11 });
  });
  it('a decodable entry is applied (a one-byte payload is not the empty no-op entry)', () => {
    const s = cluster();
    expect(applyEntry(s, encodeCommand(cmd({ op: 'master', node: 'node2', term: 3 }), { client: 'c1', seq: 1 }), 11 as LogIndex)).toEqual({ ok: true });
    expect(s.master).toMatchObject({ node: 'node2', term: 3 });
  });
  it('a duplicate of a refused request answers with the stored code and message', () => {
    const s = withArray();
    const bytes = encodeCommand(cmd({ op: 'hot-remove', device: 'md0', member: '/dev/sda' }), { client: 'c1', seq: 1 });
    const first = applyEntry(s, bytes, 11 as LogIndex);
    expect(first).toEqual({ ok: false, code: 'E_DEVICE_BUSY', message: '/dev/sda is active in /dev/md0: fail it first' });
    expect(applyEntry(s, bytes, 12 as LogIndex)).toEqual({ ...first, md: 'none', duplicate: true });
  });
  it('a duplicate of an accepted md request answers ok with where md stands', () => {
    const s = withArray();
    const bytes = encodeCommand(cmd({ op: 'stop', device: 'md0' }), { client: 'c1', seq: 1 });
    expect(applyEntry(s, bytes, 11 as LogIndex)).toEqual({ ok: true, md: 'pending' });
    expect(applyEntry(s, bytes, 12 as LogIndex)).toEqual({ ok: true, md: 'pending', duplicate: true });
  });
  it(`at most ${MD_MAX_PENDING_OPS_PER_ARRAY} md operations wait per array; the next is refused before it changes anything`, () => {
    const s = withArray();
    s.arrays[0].pendingMd = Array.from({ length: MD_MAX_PENDING_OPS_PER_ARRAY - 1 }, (_, i) => ({
      client: `old${i}`, seq: 1, op: 'hot-add', target: { member: `/dev/old${i}` }, sinceIndex: 1, undo: { members: [], array: null, created: false },
    }));
    let index = 10;
    expect(applyEntry(s, encodeCommand(cmd({ op: 'sync-action', device: 'md0', action: 'check' }), { client: 'last', seq: 1 }), ++index as LogIndex)).toEqual({ ok: true, md: 'pending' });
    expect(s.arrays[0].pendingMd).toHaveLength(MD_MAX_PENDING_OPS_PER_ARRAY);
    const before = structuredClone(s.arrays);
    expect(applyEntry(s, encodeCommand(cmd({ op: 'stop', device: 'md0' }), { client: 'late', seq: 1 }), ++index as LogIndex))
      .toEqual({ ok: false, code: 'E_SESSIONS_FULL', message: 'too many md operations pending on /dev/md0' });
    expect(s.arrays).toEqual(before);
    // Without a session nothing is tracked, so nothing is full.
    expect(apply(s, { op: 'stop', device: 'md0' })).toEqual({ ok: true });
  });
});

describe('cluster commands', () => {
  it('device sightings are kept once per node, sorted', () => {
    const s = emptyClusterState();
    expect(apply(s, { op: 'device-seen', node: 'node2', path: '/dev/sdx' })).toEqual({ ok: true });
    apply(s, { op: 'device-seen', node: 'node1', path: '/dev/sdx' });
    apply(s, { op: 'device-seen', node: 'node2', path: '/dev/sdx' });
    expect(s.deviceSeen).toEqual({ '/dev/sdx': ['node1', 'node2'] });
  });
  it('nodes are kept sorted by id; adding a known node replaces its address', () => {
    const s = emptyClusterState();
    for (const n of ['node3', 'node1', 'node2']) apply(s, { op: 'node-add', node: n, address: `${n}:1` });
    apply(s, { op: 'node-add', node: 'node1', address: 'new:2' });
    expect(s.nodes).toEqual([{ id: 'node1', address: 'new:2' }, { id: 'node2', address: 'node2:1' }, { id: 'node3', address: 'node3:1' }]);
    expect(confirmingNodes(s)).toEqual(['node1', 'node2', 'node3']);
  });
  it('removing a node forgets it and its device sightings', () => {
    const s = cluster();
    expect(apply(s, { op: 'node-remove', node: 'node2' })).toEqual({ ok: true });
    expect(s.nodes.map((n) => n.id)).toEqual(['node1', 'node3']);
    expect(s.deviceSeen['/dev/sda']).toEqual(['node1', 'node3']);
    expect(Object.keys(s.deviceSeen)).toHaveLength(8);
  });
  it('a master command records the node and its term', () => {
    const s = cluster();
    apply(s, { op: 'master', node: 'node3', term: 7 });
    expect(s.master).toMatchObject({ node: 'node3', term: 7 });
  });
  it('a refused command changes nothing but the applied index', () => {
    const s = withArray();
    const before = structuredClone(s);
    expect(apply(s, { op: 'hot-add', device: 'md0', member: '/dev/sda' })).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    expect(s).toEqual({ ...before, appliedIndex: 11 });
  });
});

describe('create and assemble', () => {
  it('create records the array as given: raid devices active in sync by slot, the rest spares, resync pending', () => {
    const s = cluster();
    expect(apply(s, create)).toEqual({ ok: true });
    expect(s.arrays).toEqual([{
      device: 'md1', uuid: UUID2, name: 'x:1', level: 'raid1', raidDisks: 2, layout: null, chunkKiB: null, metadata: '1.2', bitmap: 'internal',
      assumeClean: false, componentSizeKiB: 2048, arraySizeKiB: null, ctimeSec: 0, run: 'running', startedIndex: 11, adminReadOnly: false, materialized: false,
      members: [fresh('/dev/sdf', { role: 'active', slot: 0, inSync: true }), fresh('/dev/sdg', { role: 'active', slot: 1, inSync: true }), fresh('/dev/sdh')],
      sync: { action: 'resync', doneSectors: 0, totalSectors: 0, term: 2, speedKiBps: 0 },
      requestedAction: null, origin: 'create',
    }]);
  });
  it('a missing raid device leaves its slot empty', () => {
    const s = cluster();
    apply(s, { ...create, members: ['missing', '/dev/sdg', '/dev/sdh'] });
    expect(s.arrays[0].members).toEqual([fresh('/dev/sdg', { role: 'active', slot: 1, inSync: true }), fresh('/dev/sdh')]);
  });
  it('no initial sync for --assume-clean, raid0 or linear; the checkpoint term is 0 without a master', () => {
    for (const [over, action] of [[{ assumeClean: true }, 'idle'], [{ level: 'raid0', chunkKiB: 64, spares: 0, members: ['/dev/sdf', '/dev/sdg'] }, 'idle'],
      [{ level: 'linear', spares: 0, members: ['/dev/sdf', '/dev/sdg'] }, 'idle'], [{ level: 'raid5', raidDevices: 3, spares: 0 }, 'resync']] as const) {
      const s = cluster();
      expect(apply(s, { ...create, ...over })).toEqual({ ok: true });
      expect(s.arrays[0].sync.action).toBe(action);
      expect(s.arrays[0].assumeClean).toBe('assumeClean' in over);
    }
    const s = cluster();
    s.master = null;
    apply(s, create);
    expect(s.arrays[0].sync.term).toBe(0);
  });
  it('arrays are kept sorted by device name', () => {
    const s = cluster();
    apply(s, { ...create, device: 'md2', uuid: UUID2, members: ['/dev/sdf', '/dev/sdg'], spares: 0 });
    apply(s, { ...create, device: 'md1', uuid: UUID, members: ['/dev/sda', '/dev/sdb'], spares: 0 });
    apply(s, { ...create, device: 'md3', uuid: '33333333:22222222:33333333:44444444', members: ['/dev/sdc', '/dev/sdd'], spares: 0 });
    expect(s.arrays.map((a) => a.device)).toEqual(['md1', 'md2', 'md3']);
  });
  it('assembling an unknown array records it running with its members as unobserved spares', () => {
    const s = withArray();
    s.master = null;
    expect(apply(s, { op: 'assemble', device: 'md_a', uuid: UUID2, name: 'h:a', level: 'raid5', raidDisks: 3, members: ['/dev/sdg', '/dev/sdf'], metadata: '1.0', bitmap: 'none', chunkKiB: 512, layout: 'left-symmetric' })).toEqual({ ok: true });
    expect(s.arrays.map((a) => a.device)).toEqual(['md0', 'md_a']);
    expect(s.arrays[1]).toEqual({
      device: 'md_a', uuid: UUID2, name: 'h:a', level: 'raid5', raidDisks: 3, layout: 'left-symmetric', chunkKiB: 512, metadata: '1.0', bitmap: 'none',
      assumeClean: false, componentSizeKiB: null, arraySizeKiB: null, ctimeSec: 0, run: 'running', startedIndex: 11, adminReadOnly: false, materialized: false,
      members: [fresh('/dev/sdg'), fresh('/dev/sdf')],
      sync: { action: 'idle', doneSectors: 0, totalSectors: 0, term: 0, speedKiBps: 0 },
      requestedAction: null, origin: 'assemble',
    });
  });
  it('assembling a known array runs it again; it counts as started anew only if it was stopped', () => {
    const asm = { op: 'assemble', device: 'md0', uuid: UUID, name: 'x:0', level: 'raid1', raidDisks: 2, members: ['/dev/sda'], metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null };
    const s = withArray();
    const before = structuredClone(s.arrays);
    apply(s, asm);
    expect(s.arrays).toEqual(before);
    s.arrays[0].run = 'stopped';
    apply(s, asm);
    expect(s.arrays).toEqual([{ ...before[0], run: 'running', startedIndex: 12 }]);
  });
});

describe('client commands on an array', () => {
  /** Applies `c` to withArray() and returns md0 with the fields it should change. */
  function after(c: unknown, over: Partial<ArrayRecord> = {}): { got: ArrayRecord; was: ArrayRecord } {
    const s = withArray(over);
    const was = structuredClone(s.arrays[0]);
    expect(apply(s, c)).toEqual({ ok: true });
    return { got: s.arrays[0], was };
  }
  const m = (a: ArrayRecord, path: string): MemberRecord => a.members.find((x) => x.path === path)!;
  const replaced = (a: ArrayRecord, path: string, to: MemberRecord): MemberRecord[] => a.members.map((x) => (x.path === path ? to : x));

  it('stop and run set the run state; run counts as a new start only from stopped', () => {
    let r = after({ op: 'stop', device: 'md0' });
    expect(r.got).toEqual({ ...r.was, run: 'stopped' });
    r = after({ op: 'run', device: 'md0' }, { run: 'stopped' });
    expect(r.got).toEqual({ ...r.was, run: 'running', startedIndex: 11 });
    r = after({ op: 'run', device: 'md0' });
    expect(r.got).toEqual(r.was);
    r = after({ op: 'read-only', device: 'md0' }, { run: 'stopped' }); // only run starts a stopped array
    expect(r.got).toEqual({ ...r.was, adminReadOnly: true });
  });
  it('read-only and read-write set the admin flag; sync-action records the request', () => {
    let r = after({ op: 'read-only', device: 'md0' });
    expect(r.got).toEqual({ ...r.was, adminReadOnly: true });
    r = after({ op: 'read-write', device: 'md0' }, { adminReadOnly: true });
    expect(r.got).toEqual({ ...r.was, adminReadOnly: false });
    r = after({ op: 'sync-action', device: 'md0', action: 'check' });
    expect(r.got).toEqual({ ...r.was, requestedAction: 'check' });
  });
  it('set-faulty and hot-remove change the role, free the slot and mark the member changed', () => {
    let r = after({ op: 'set-faulty', device: 'md0', member: '/dev/sda', force: false });
    expect(r.got).toEqual({ ...r.was, members: replaced(r.was, '/dev/sda', { ...m(r.was, '/dev/sda'), role: 'faulty', slot: null, inSync: false, changedIndex: 11 }) });
    r = after({ op: 'hot-remove', device: 'md0', member: '/dev/sdd' });
    expect(r.got).toEqual({ ...r.was, members: replaced(r.was, '/dev/sdd', { ...m(r.was, '/dev/sdd'), role: 'removed', changedIndex: 11 }) });
  });
  it('an add appends a new member as a pending spare; a removed one comes back as one, re-add keeps its superblock', () => {
    let r = after({ op: 'hot-add', device: 'md0', member: '/dev/sdf' });
    expect(r.got).toEqual({ ...r.was, members: [...r.was.members, fresh('/dev/sdf', { pendingAdd: 'add', changedIndex: 11 })] });
    r = after({ op: 'add-spare', device: 'md0', member: '/dev/sde' });
    expect(r.got).toEqual({ ...r.was, members: replaced(r.was, '/dev/sde', { ...m(r.was, '/dev/sde'), role: 'spare', pendingAdd: 'add', changedIndex: 11 }) });
    r = after({ op: 're-add', device: 'md0', member: '/dev/sdd' }, {});
    const d = { ...m(r.was, '/dev/sdd'), role: 'spare' as const, pendingAdd: 're-add' as const, wantReplacement: false, replacementFor: null, changedIndex: 11 };
    expect(r.got).toEqual({ ...r.was, members: replaced(r.was, '/dev/sdd', d) });
  });
  it('an add clears what the member was doing before (replacing, being replaced)', () => {
    const s = withArray();
    Object.assign(s.arrays[0].members[4], { wantReplacement: true, replacementFor: '/dev/sda' });
    apply(s, { op: 'hot-add', device: 'md0', member: '/dev/sde' });
    expect(s.arrays[0].members[4]).toMatchObject({ role: 'spare', wantReplacement: false, replacementFor: null, pendingAdd: 'add' });
  });
  it('replace X --with Y: X wants replacement, Y replaces X; both are marked changed', () => {
    const r = after({ op: 'replace', device: 'md0', member: '/dev/sda', with: '/dev/sdc' });
    let members = replaced(r.was, '/dev/sda', { ...m(r.was, '/dev/sda'), wantReplacement: true, changedIndex: 11 });
    members = members.map((x) => (x.path === '/dev/sdc' ? { ...x, replacementFor: '/dev/sda', changedIndex: 11 } : x));
    expect(r.got).toEqual({ ...r.was, members });
  });
  it('write-mostly sets the flag of that member only', () => {
    let r = after({ op: 'write-mostly', device: 'md0', member: '/dev/sdb', on: true });
    expect(r.got).toEqual({ ...r.was, members: replaced(r.was, '/dev/sdb', { ...m(r.was, '/dev/sdb'), writeMostly: true, changedIndex: 11 }) });
    r = after({ op: 'write-mostly', device: 'md0', member: '/dev/sdb', on: false });
    expect(r.got).toEqual({ ...r.was, members: replaced(r.was, '/dev/sdb', { ...m(r.was, '/dev/sdb'), changedIndex: 11 }) });
  });
});

describe('master reports', () => {
  it('a checkpoint replaces the sync state (speed 0 when not given) and clears the request it answers', () => {
    const s = withArray({ requestedAction: 'check' });
    apply(s, { op: 'checkpoint', device: 'md0', term: 2, action: 'resync', doneSectors: 5, totalSectors: 10 });
    expect(s.arrays[0].sync).toEqual({ action: 'resync', doneSectors: 5, totalSectors: 10, term: 2, speedKiBps: 0 });
    expect(s.arrays[0].requestedAction).toBe('check');
    apply(s, { op: 'checkpoint', device: 'md0', term: 2, action: 'check', doneSectors: 1, totalSectors: 10, speedKiBps: 300 });
    expect(s.arrays[0].sync).toEqual({ action: 'check', doneSectors: 1, totalSectors: 10, term: 2, speedKiBps: 300 });
    expect(s.arrays[0].requestedAction).toBe(null);
  });
  it('an idle checkpoint answers a request for idle or frozen, not one for check or repair', () => {
    for (const [req, cleared] of [['idle', true], ['frozen', true], ['check', false], ['repair', false]] as const) {
      const s = withArray({ requestedAction: req });
      apply(s, { op: 'checkpoint', device: 'md0', term: 2, action: 'idle', doneSectors: 0, totalSectors: 0 });
      expect(s.arrays[0].requestedAction).toBe(cleared ? null : req);
    }
    const s = withArray({ requestedAction: 'frozen' });
    apply(s, { op: 'checkpoint', device: 'md0', term: 2, action: 'resync', doneSectors: 0, totalSectors: 9 });
    expect(s.arrays[0].requestedAction).toBe('frozen');
  });

  const obsMember = (path: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
    path, deviceUuid: null, role: 'active', slot: 0, inSync: true, descNumber: 3, writeMostly: false, wantReplacement: false, replacementFor: null, ...over,
  });
  const observe = (members: unknown[], over: Record<string, unknown> = {}): Record<string, unknown> => ({ op: 'observe', device: 'md0', term: 2, componentSizeKiB: 4000, arraySizeKiB: 8000, members, ...over });

  it('an observation becomes the record: members as md reports them, sizes, and the array is materialized', () => {
    const s = withArray({ materialized: false });
    const was = structuredClone(s.arrays[0]);
    apply(s, observe([
      obsMember('/dev/sda', { deviceUuid: 'new:a', slot: 1, inSync: false, descNumber: 7, writeMostly: true, kernelName: 'sda', major: 8, minor: 1 }),
      obsMember('/dev/sdb', { role: 'spare', slot: 0, inSync: true, wantReplacement: true, replacementFor: '/dev/sda' }),
      obsMember('/dev/sdf', { role: 'faulty', slot: 2, inSync: true, kernelName: 'sdf', major: 8, minor: 80 }),
    ]));
    const [a, b, c, d, e] = was.members;
    expect(s.arrays[0]).toEqual({
      ...was, componentSizeKiB: 4000, arraySizeKiB: 8000, materialized: true,
      members: [
        { ...a, deviceUuid: 'new:a', slot: 1, inSync: false, descNumber: 7, writeMostly: true, kernelName: 'sda', major: 8, minor: 1 },
        { ...b, role: 'spare', slot: null, inSync: false, descNumber: 3, wantReplacement: true, replacementFor: '/dev/sda' },
        { ...c, role: 'removed' }, { ...d, role: 'removed' }, e,
        fresh('/dev/sdf', { role: 'faulty', descNumber: 3, kernelName: 'sdf', major: 8, minor: 80 }),
      ],
    });
  });
  it('an observation keeps what it does not report (superblock, kernel name and numbers) and sets optional array facts only when given', () => {
    const s = withArray({ ctimeSec: 9, bitmapChunkKiB: 64, memberOrder: ['/dev/sdb'], chunkKiB: null });
    Object.assign(s.arrays[0].members[0], { kernelName: 'sda', major: 8, minor: 0 });
    apply(s, observe([obsMember('/dev/sda')]));
    expect(s.arrays[0]).toMatchObject({ ctimeSec: 9, bitmapChunkKiB: 64, memberOrder: ['/dev/sdb'], chunkKiB: null });
    expect(s.arrays[0].members[0]).toMatchObject({ deviceUuid: 'u:a', kernelName: 'sda', major: 8, minor: 0 });
    apply(s, observe([obsMember('/dev/sda')], { ctimeSec: 0, bitmapChunkKiB: 0, order: ['/dev/sda'], chunkKiB: 4 }));
    expect(s.arrays[0]).toMatchObject({ ctimeSec: 0, bitmapChunkKiB: 0, memberOrder: ['/dev/sda'], chunkKiB: 4 });
  });
  it('a member md no longer lists becomes removed, unless an add of it is still pending', () => {
    const s = withArray();
    s.arrays[0].members[2].pendingAdd = 'add';
    apply(s, observe([obsMember('/dev/sda')]));
    expect(s.arrays[0].members.map((x) => x.role)).toEqual(['active', 'removed', 'spare', 'removed', 'removed']);
    expect(s.arrays[0].members[1]).toMatchObject({ slot: null, inSync: false });
  });
  it('an observation based on an index older than a member change leaves that member alone, listed or not', () => {
    const s = withArray();
    s.arrays[0].members[0].changedIndex = 8;
    s.arrays[0].members[1].changedIndex = 8;
    const was = structuredClone(s.arrays[0].members);
    apply(s, observe([obsMember('/dev/sda', { role: 'spare', slot: null, inSync: false })], { base: 7 }));
    expect(s.arrays[0].members.slice(0, 2)).toEqual(was.slice(0, 2));
    expect(s.arrays[0].observedBase).toBe(7);
    apply(s, observe([obsMember('/dev/sda', { role: 'spare', slot: null, inSync: false })], { base: 8 }));
    expect(s.arrays[0].members.slice(0, 2).map((x) => x.role)).toEqual(['spare', 'removed']);
  });
  it('an observation based on an older index than one already recorded is ignored whole; the same base is not', () => {
    const s = withArray({ observedBase: 9 });
    const was = structuredClone(s.arrays[0]);
    apply(s, observe([obsMember('/dev/sda')], { base: 8 }));
    expect(s.arrays[0]).toEqual(was);
    apply(s, observe([obsMember('/dev/sda')], { base: 9 }));
    expect(s.arrays[0]).toMatchObject({ componentSizeKiB: 4000, observedBase: 9 });
  });
  it('an observation without a base (an old entry) applies unconditionally and keeps the recorded base', () => {
    const s = withArray({ observedBase: 9 });
    s.arrays[0].members[0].changedIndex = 1_000;
    apply(s, observe([obsMember('/dev/sda', { role: 'spare', slot: null, inSync: false })]));
    expect(s.arrays[0].observedBase).toBe(9);
    expect(s.arrays[0].members[0].role).toBe('spare');
  });
});
