// Unit tests of cluster/md-ops.ts, called directly: which command waits for md on which target,
// what its undo record holds, how a newer op on the same target supersedes an older one, and
// what md's verdict (done, failed with or without md's code, failed create) leaves behind.
import { describe, expect, it } from 'vitest';
import { applyMdDone, mdTargetOf, pendingRoom, registerPending, sameTarget, touchedMembers, undoOf } from '../../daemon/src/cluster/md-ops.js';
import { parseCommand, type Command, type CommandOf } from '../../daemon/src/cluster/commands.js';
import { recordResult } from '../../daemon/src/cluster/sessions.js';
import { emptyClusterState, sessionsOf, type ArrayRecord, type ClusterState, type PendingMdOp } from '../../daemon/src/cluster/types.js';
import { MD_MAX_PENDING_OPS_PER_ARRAY } from '../../daemon/src/common/limits.js';
import type { LogIndex } from '../../daemon/src/common/types.js';
import { arrayRecord, memberRecord } from './record-fixtures.js';

function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}
const member = (op: string, extra: Record<string, unknown> = {}): Command => cmd({ op, device: 'md0', member: '/dev/sda', ...extra });
const create = cmd({ op: 'create', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDevices: 1, members: ['/dev/sda'], spares: 0, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: false, sizeKiB: null });
const assemble = cmd({ op: 'assemble', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'x:0', level: 'raid1', raidDisks: 1, members: ['/dev/sda'], metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null });
const mdDone = (client: string, seq: number, ok: boolean, extra: Record<string, unknown> = {}): CommandOf<'md-done'> =>
  cmd({ op: 'md-done', device: 'md0', term: 1, client, seq, ok, ...extra }) as CommandOf<'md-done'>;

/** md0 in a state whose session table holds pending results for (c1, 1), (c2, 1), (c3, 1). */
function world(): { s: ClusterState; a: ArrayRecord } {
  const s = emptyClusterState();
  const a = arrayRecord({ members: [memberRecord('/dev/sda', { slot: 0, deviceUuid: 'u:a' }), memberRecord('/dev/sdb', { slot: 1 })] });
  s.arrays.push(a);
  for (const c of ['c1', 'c2', 'c3']) recordResult(sessionsOf(s), { client: c, seq: 1 }, { index: 1 as LogIndex, ok: true, md: 'pending' });
  return { s, a };
}
const result = (s: ClusterState, client: string): unknown => sessionsOf(s).clients[client].results[0];

describe('md targets', () => {
  it('array commands act on the run state, the read-only flag or the sync action; member commands on their member; reports on nothing', () => {
    for (const c of [create, assemble, cmd({ op: 'stop', device: 'md0' }), cmd({ op: 'run', device: 'md0' })]) expect(mdTargetOf(c)).toEqual({ array: 'run' });
    for (const op of ['read-only', 'read-write']) expect(mdTargetOf(cmd({ op, device: 'md0' }))).toEqual({ array: 'read-only' });
    expect(mdTargetOf(cmd({ op: 'sync-action', device: 'md0', action: 'check' }))).toEqual({ array: 'sync' });
    for (const op of ['hot-remove', 'hot-add', 'add-spare', 're-add']) expect(mdTargetOf(member(op))).toEqual({ member: '/dev/sda' });
    expect(mdTargetOf(member('set-faulty', { force: false }))).toEqual({ member: '/dev/sda' });
    expect(mdTargetOf(member('write-mostly', { on: true }))).toEqual({ member: '/dev/sda' });
    expect(mdTargetOf(member('replace', { with: '/dev/sdc' }))).toEqual({ member: '/dev/sda' });
    expect(mdTargetOf(cmd({ op: 'checkpoint', device: 'md0', term: 1, action: 'idle', doneSectors: 0, totalSectors: 0 }))).toBeNull();
    expect(mdTargetOf(mdDone('c', 1, true))).toBeNull();
    expect(mdTargetOf(cmd({ op: 'master', node: 'n1', term: 1 }))).toBeNull();
  });
  it('two targets are the same only when both name the same member or the same array part', () => {
    expect(sameTarget({ member: '/dev/a' }, { member: '/dev/a' })).toBe(true);
    expect(sameTarget({ member: '/dev/a' }, { member: '/dev/b' })).toBe(false);
    expect(sameTarget({ member: '/dev/a' }, { array: 'run' })).toBe(false);
    expect(sameTarget({ array: 'run' }, { member: 'run' } as never)).toBe(false);
    expect(sameTarget({ array: 'run' }, { array: 'run' })).toBe(true);
    expect(sameTarget({ array: 'run' }, { array: 'sync' })).toBe(false);
  });
  it('a command touches its member, replace touches both, array commands none', () => {
    expect(touchedMembers(member('hot-add'))).toEqual(['/dev/sda']);
    expect(touchedMembers(member('replace', { with: '/dev/sdc' }))).toEqual(['/dev/sda', '/dev/sdc']);
    expect(touchedMembers(cmd({ op: 'stop', device: 'md0' }))).toEqual([]);
    expect(touchedMembers(create)).toEqual([]);
  });
  it(`at most ${MD_MAX_PENDING_OPS_PER_ARRAY} ops wait per array; an array not yet created has room`, () => {
    const a = arrayRecord();
    expect(pendingRoom(undefined)).toBe(true);
    expect(pendingRoom(a)).toBe(true);
    const op: PendingMdOp = { client: 'c', seq: 1, op: 'stop', target: { array: 'run' }, sinceIndex: 1, undo: { members: [], array: null, created: false } };
    a.pendingMd = Array.from({ length: MD_MAX_PENDING_OPS_PER_ARRAY - 1 }, () => op);
    expect(pendingRoom(a)).toBe(true);
    a.pendingMd.push(op);
    expect(pendingRoom(a)).toBe(false);
  });
});

describe('undo records', () => {
  it('a command that creates the array undoes by deleting it', () => {
    expect(undoOf(undefined, create)).toEqual({ members: [], array: null, created: true });
  });
  it('array commands keep only the field of their target', () => {
    const a = arrayRecord({ run: 'stopped', adminReadOnly: true, requestedAction: 'check' });
    expect(undoOf(a, cmd({ op: 'run', device: 'md0' }))).toEqual({ members: [], array: { run: 'stopped' }, created: false });
    expect(undoOf(a, cmd({ op: 'read-write', device: 'md0' }))).toEqual({ members: [], array: { adminReadOnly: true }, created: false });
    expect(undoOf(a, cmd({ op: 'sync-action', device: 'md0', action: 'repair' }))).toEqual({ members: [], array: { requestedAction: 'check' }, created: false });
  });
  it('member commands keep a deep copy of each touched member, or null for one the array lacks', () => {
    const a = arrayRecord();
    a.members[0].localPaths = { n1: '/dev/x' };
    const u = undoOf(a, member('replace', { with: '/dev/sdc' }));
    expect(u).toEqual({ members: [{ path: '/dev/sda', before: a.members[0] }, { path: '/dev/sdc', before: null }], array: null, created: false });
    a.members[0].localPaths.n1 = '/dev/changed';
    a.members[0].role = 'faulty';
    expect(u.members[0].before).toMatchObject({ role: 'active', localPaths: { n1: '/dev/x' } });
  });
});

describe('pending ops and verdicts', () => {
  const undoNone = { members: [], array: null, created: false };
  it('registering keeps ops on other targets and settles older ones on the same target as superseded', () => {
    const { s, a } = world();
    expect(registerPending(s, a, member('write-mostly', { on: true }), { client: 'c1', seq: 1 }, 5, undoNone)).toBe('pending');
    expect(registerPending(s, a, cmd({ op: 'stop', device: 'md0' }), { client: 'c2', seq: 1 }, 6, undoNone)).toBe('pending');
    expect(registerPending(s, a, member('write-mostly', { on: false }), { client: 'c3', seq: 1 }, 7, undoNone)).toBe('pending');
    expect(a.pendingMd).toEqual([
      { client: 'c2', seq: 1, op: 'stop', target: { array: 'run' }, sinceIndex: 6, undo: undoNone },
      { client: 'c3', seq: 1, op: 'write-mostly', target: { member: '/dev/sda' }, sinceIndex: 7, undo: undoNone },
    ]);
    expect(result(s, 'c1')).toMatchObject({ ok: true, md: 'superseded' });
    expect(result(s, 'c2')).toMatchObject({ ok: true, md: 'pending' });
  });
  it('a command md does not carry out registers nothing', () => {
    const { s, a } = world();
    expect(registerPending(s, a, cmd({ op: 'checkpoint', device: 'md0', term: 1, action: 'idle', doneSectors: 0, totalSectors: 0 }), { client: 'c1', seq: 1 }, 5, undoNone)).toBe('none');
    expect(a.pendingMd).toBeUndefined();
  });
  it('success settles the op done and leaves the record as the command made it', () => {
    const { s, a } = world();
    registerPending(s, a, cmd({ op: 'stop', device: 'md0' }), { client: 'c1', seq: 1 }, 5, { members: [], array: { run: 'running' }, created: false });
    a.run = 'stopped';
    applyMdDone(s, a, mdDone('c1', 1, true), 9);
    expect(a.pendingMd).toEqual([]);
    expect(a.run).toBe('stopped');
    expect(result(s, 'c1')).toMatchObject({ ok: true, md: 'done' });
  });
  it('a verdict for an op no longer pending changes nothing', () => {
    const { s, a } = world();
    registerPending(s, a, cmd({ op: 'stop', device: 'md0' }), { client: 'c1', seq: 1 }, 5, { members: [], array: { run: 'running' }, created: false });
    a.run = 'stopped';
    const before = structuredClone(s);
    applyMdDone(s, a, mdDone('c1', 2, false), 9);
    applyMdDone(s, a, mdDone('c2', 1, false), 9);
    expect(s).toEqual(before);
  });
  it('a failure without md\'s code and message is recorded as E_KERNEL, "md refused the operation"', () => {
    const { s, a } = world();
    registerPending(s, a, cmd({ op: 'stop', device: 'md0' }), { client: 'c1', seq: 1 }, 5, { members: [], array: { run: 'running' }, created: false });
    applyMdDone(s, a, mdDone('c1', 1, false), 9);
    expect(result(s, 'c1')).toEqual({ seq: 1, index: 1, ok: false, md: 'failed', code: 'E_KERNEL', message: 'md refused the operation' });
    expect(a.run).toBe('running');
  });
  it('a failure puts back each touched member as it was (marked changed), withdraws a new one, restores a vanished one', () => {
    const { s, a } = world();
    const before = structuredClone(a.members);
    const undo = { members: [{ path: '/dev/sda', before: before[0] }, { path: '/dev/sdb', before: before[1] }, { path: '/dev/sdc', before: null }], array: null, created: false };
    registerPending(s, a, member('replace', { with: '/dev/sdc' }), { client: 'c1', seq: 1 }, 5, undo);
    a.members[0].role = 'faulty';
    a.members.splice(1, 1); // sdb vanished
    a.members.push(memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false, pendingAdd: 'add', replacementFor: '/dev/sda' }));
    applyMdDone(s, a, mdDone('c1', 1, false, { code: 'E_KERNEL', message: 'EBUSY' }), 9);
    expect(a.members).toEqual([
      { ...before[0], changedIndex: 9 },
      memberRecord('/dev/sdc', { role: 'removed', slot: null, inSync: false, pendingAdd: null, replacementFor: null, changedIndex: 9 }),
      { ...before[1], changedIndex: 9 },
    ]);
    expect(result(s, 'c1')).toMatchObject({ ok: false, md: 'failed', code: 'E_KERNEL', message: 'EBUSY' });
  });
  it('a new member the record no longer holds stays absent on failure', () => {
    const { s, a } = world();
    registerPending(s, a, member('hot-add'), { client: 'c1', seq: 1 }, 5, { members: [{ path: '/dev/sdz', before: null }], array: null, created: false });
    const before = structuredClone(a.members);
    applyMdDone(s, a, mdDone('c1', 1, false), 9);
    expect(a.members).toEqual(before);
  });
  it('a new first member of an empty array is withdrawn too', () => {
    const { s, a } = world();
    a.members = [];
    registerPending(s, a, member('hot-add'), { client: 'c1', seq: 1 }, 5, { members: [{ path: '/dev/sda', before: null }], array: null, created: false });
    a.members.push(memberRecord('/dev/sda', { role: 'spare', slot: null, inSync: false, pendingAdd: 'add' }));
    applyMdDone(s, a, mdDone('c1', 1, false), 9);
    expect(a.members).toEqual([memberRecord('/dev/sda', { role: 'removed', slot: null, inSync: false, pendingAdd: null, changedIndex: 9 })]);
  });
  it('a verdict still undoes the record when its session is gone, and never rewrites a result that is no longer pending', () => {
    const { s, a } = world();
    registerPending(s, a, cmd({ op: 'stop', device: 'md0' }), { client: 'c1', seq: 1 }, 5, { members: [], array: { run: 'running' }, created: false });
    registerPending(s, a, cmd({ op: 'read-only', device: 'md0' }), { client: 'c2', seq: 1 }, 6, { members: [], array: { adminReadOnly: false }, created: false });
    Object.assign(a, { run: 'stopped', adminReadOnly: true });
    delete sessionsOf(s).clients.c1; // evicted
    sessionsOf(s).clients.c2.results[0].md = 'superseded';
    applyMdDone(s, a, mdDone('c1', 1, false), 9);
    applyMdDone(s, a, mdDone('c2', 1, false), 9);
    expect(a).toMatchObject({ run: 'running', adminReadOnly: false, pendingMd: [] });
    expect(result(s, 'c2')).toEqual({ seq: 1, index: 1, ok: true, md: 'superseded' });
  });
  it('a failed create deletes the array and fails every other op pending on it', () => {
    const { s, a } = world();
    s.arrays.push(arrayRecord({ device: 'md1' }));
    registerPending(s, a, create, { client: 'c1', seq: 1 }, 5, { members: [], array: null, created: true });
    registerPending(s, a, member('write-mostly', { on: true }), { client: 'c2', seq: 1 }, 6, undoNone);
    applyMdDone(s, a, mdDone('c1', 1, false, { code: 'E_KERNEL', message: 'EEXIST' }), 9);
    expect(s.arrays.map((x) => x.device)).toEqual(['md1']);
    expect(result(s, 'c1')).toMatchObject({ ok: false, md: 'failed', code: 'E_KERNEL', message: 'EEXIST' });
    expect(result(s, 'c2')).toMatchObject({ ok: false, md: 'failed', code: 'E_KERNEL', message: '/dev/md0 could not be created' });
  });
});
