// Unit tests of plan.ts rules not pinned by cluster-plan*.test.ts: the exact action lists (an
// array in line with its record needs nothing at all), standby rules for inactive arrays and
// failed members, the member actions that must not fire, and the observation the master
// proposes (member roles, slots, replacements, order, array facts) and when it proposes none.
import { describe, expect, it } from 'vitest';
import type { Sectors, Term } from '../../daemon/src/common/types.js';
import { observeCommand, plan, type PlanContext } from '../../daemon/src/cluster/plan.js';
import type { ArrayRecord } from '../../daemon/src/cluster/types.js';
import type { ArrayState, MemberState } from '../../daemon/src/md/types.js';
import { arrayRecord, kernelArrayState, kernelMember, memberRecord } from './record-fixtures.js';

const mem = memberRecord;
const km = kernelMember;
const kernel = kernelArrayState;
const writer: PlanContext = { node: 'n1', writer: true, term: 3 as Term, freshSincePromotion: true };
const standby: PlanContext = { node: 'n2', writer: false, term: 3 as Term, freshSincePromotion: false };
const kA = (): MemberState => km('/dev/sda', 0, ['in_sync'], 0);
const kB = (): MemberState => km('/dev/sdb', 1, ['in_sync'], 1);
/** md0 as the record has it after an observation of kernel([kA, kB]). */
function inLine(over: Partial<ArrayRecord> = {}): ArrayRecord {
  return arrayRecord({
    members: [mem('/dev/sda', { slot: 0, descNumber: 0, kernelName: 'sda', major: 8, minor: 0 }), mem('/dev/sdb', { slot: 1, descNumber: 1, kernelName: 'sdb', major: 8, minor: 16 })],
    memberOrder: ['/dev/sda', '/dev/sdb'], ...over,
  });
}

describe('plans with nothing to do', () => {
  it('the master of an array in line with its record does nothing and observes nothing', () => {
    expect(plan(inLine(), writer, kernel([kA(), kB()]))).toEqual([]);
  });
  it('a standby whose read-only array matches the record does nothing, even with failed or removed members in the record', () => {
    const r = inLine({ members: [...inLine().members, mem('/dev/sdc', { role: 'faulty', slot: null, inSync: false }), mem('/dev/sdd', { role: 'removed', slot: null, inSync: false })] });
    expect(plan(r, standby, kernel([kA(), kB()], { arrayState: 'readonly' }))).toEqual([]);
  });
  it('a standby whose kernel still lists a member as faulty, as the record does, sees no stale view (no re-assembly)', () => {
    const r = inLine({ members: [...inLine().members, mem('/dev/sdc', { role: 'faulty', slot: null, inSync: false, descNumber: 2 })] });
    expect(plan(r, standby, kernel([kA(), kB(), km('/dev/sdc', null, ['faulty'], 2)], { arrayState: 'readonly' }))).toEqual([]);
    expect(plan(r, standby, kernel([kA(), kB(), km('/dev/sdc', null, ['faulty', 'in_sync'], 2)], { arrayState: 'readonly' }))).toEqual([]);
  });
  it('a standby leaves an inactive array alone (it is not writable)', () => {
    expect(plan(inLine(), standby, kernel([kA(), kB()], { arrayState: 'inactive' }))).toEqual([]);
  });
});

describe('exact plans', () => {
  it('a standby assembles a materialized array it lacks, read-only, from the members that are neither failed nor pending', () => {
    const r = inLine({ members: [...inLine().members, mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, pendingAdd: 'add' })] });
    expect(plan(r, standby, null)).toEqual([{ kind: 'assemble', spec: { device: 'md0', uuid: r.uuid, members: ['/dev/sda', '/dev/sdb'], readOnly: true, run: true } }]);
    expect(plan({ ...r, materialized: false }, standby, null)).toEqual([]);
  });
  it('a standby switches a writable array read-only, and re-assembles read-only when its member view is stale', () => {
    expect(plan(inLine(), standby, kernel([kA(), kB()]))).toEqual([{ kind: 'read-only' }]);
    expect(plan(inLine(), standby, kernel([kA()], { arrayState: 'readonly' }))).toEqual([
      { kind: 'stop' }, { kind: 'assemble', spec: { device: 'md0', uuid: inLine().uuid, members: ['/dev/sda', '/dev/sdb'], readOnly: true, run: true } },
    ]);
  });
  it('a master not fresh since promotion re-assembles a read-only array read-only first', () => {
    expect(plan(inLine(), { ...writer, freshSincePromotion: false }, kernel([kA(), kB()], { arrayState: 'readonly' }))).toEqual([
      { kind: 'stop' }, { kind: 'assemble', spec: { device: 'md0', uuid: inLine().uuid, members: ['/dev/sda', '/dev/sdb'], readOnly: true, run: true } },
    ]);
  });
  it('no resync checkpoint is restored when none was recorded', () => {
    const r = inLine({ sync: { action: 'resync', doneSectors: 0 as Sectors, totalSectors: 100 as Sectors, term: 3 as Term, speedKiBps: 0 } });
    expect(plan(r, writer, kernel([kA(), kB()], { arrayState: 'readonly', resyncStartSectors: 0 as Sectors }))).toEqual([{ kind: 'read-write' }]);
  });
});

describe('member actions the master must not take', () => {
  it('a removed member still in the kernel is failed and removed, never given a write-mostly change', () => {
    const r = inLine({ members: [inLine().members[0], mem('/dev/sdb', { role: 'removed', slot: null, inSync: false, writeMostly: true })] });
    expect(plan(r, writer, kernel([kA(), kB()]))).toEqual([{ kind: 'set-faulty', member: '/dev/sdb' }, { kind: 'hot-remove', member: '/dev/sdb' }]);
    const f = inLine({ members: [inLine().members[0], mem('/dev/sdb', { role: 'faulty', slot: null, inSync: false, writeMostly: true })] });
    expect(plan(f, writer, kernel([kA(), kB()]))).toEqual([{ kind: 'set-faulty', member: '/dev/sdb' }]);
  });
  it('a member that finished replacing (now active) or replaces a member the record lacks asks for no replace', () => {
    const done = inLine({ members: [inLine().members[0], mem('/dev/sdb', { slot: 1, descNumber: 1, kernelName: 'sdb', major: 8, minor: 16, replacementFor: '/dev/sda' })] });
    expect(plan(done, writer, kernel([kA(), kB()]))).toEqual([{ kind: 'observe', command: expect.anything() }]);
    const ghost = inLine({ members: [...inLine().members, mem('/dev/sdc', { role: 'spare', slot: null, inSync: false, replacementFor: '/dev/gone' })] });
    expect(plan(ghost, writer, kernel([kA(), kB(), km('/dev/sdc', null, [], 2)])).filter((a) => a.kind === 'replace')).toEqual([]);
  });
});

describe('the observation the master proposes', () => {
  const ctx = { node: 'n1', term: 3 as Term };
  it('roles from the kernel: a spare has no slot, a failed member neither slot nor sync; members sorted by path, order as listed', () => {
    const r = inLine({ materialized: false });
    const obs = observeCommand(r, kernel([km('/dev/sdb', 1, ['faulty', 'in_sync'], 1), km('/dev/sdc', null, [], 2), kA(), km('/dev/sdd', null, [], 3)]), ctx)!;
    expect(obs.members.map((m) => [m.path, m.role, m.slot, m.inSync, m.replacementFor])).toEqual([
      ['/dev/sda', 'active', 0, true, null], ['/dev/sdb', 'faulty', null, false, null], ['/dev/sdc', 'spare', null, false, null], ['/dev/sdd', 'spare', null, false, null],
    ]);
    expect(obs.order).toEqual(['/dev/sdb', '/dev/sdc', '/dev/sda', '/dev/sdd']);
  });
  it('a replacement names the member whose slot it shares, by its cluster path', () => {
    const r = inLine({ materialized: false, members: [mem('/dev/sda', { slot: 0, localPaths: { n1: '/dev/vda' } }), inLine().members[1]] });
    const obs = observeCommand(r, kernel([km('/dev/vda', 0, ['in_sync', 'want_replacement'], 0), kB(), km('/dev/sdc', 0, ['replacement'], 2)]), ctx)!;
    expect(obs.members.map((m) => [m.path, m.wantReplacement, m.replacementFor])).toEqual([
      ['/dev/sda', true, null], ['/dev/sdb', false, null], ['/dev/sdc', false, '/dev/sda'],
    ]);
  });
  it('the bitmap chunk only for a bitmap that exists; the chunk size only for striped levels, from 4 KiB', () => {
    const bitmap = (location: string, chunkKiB: number): ArrayState['bitmap'] => ({ location, pagesUsed: 0, pagesTotal: 1, pagesKiB: 4, chunkKiB, file: null });
    const r = inLine({ materialized: false });
    expect(observeCommand(r, kernel([kA()], { bitmap: bitmap('internal', 64) }), ctx)!.bitmapChunkKiB).toBe(64);
    expect(observeCommand(r, kernel([kA()], { bitmap: bitmap('none', 64) }), ctx)!).not.toHaveProperty('bitmapChunkKiB');
    expect(observeCommand(r, kernel([kA()], { bitmap: bitmap('internal', 0) }), ctx)!).not.toHaveProperty('bitmapChunkKiB');
    const r0 = inLine({ materialized: false, level: 'raid0' });
    expect(observeCommand(r0, kernel([kA()], { chunkSizeBytes: 4096 }), ctx)!.chunkKiB).toBe(4);
    expect(observeCommand(r0, kernel([kA()], { chunkSizeBytes: 2048 }), ctx)!).not.toHaveProperty('chunkKiB');
    expect(observeCommand(r, kernel([kA()], { chunkSizeBytes: 65536 }), ctx)!).not.toHaveProperty('chunkKiB');
  });
  it('none when the record says it all; one as soon as any array fact or member field differs', () => {
    const k = kernel([kA(), kB()], { ctimeSec: 5, bitmap: { location: 'internal', pagesUsed: 0, pagesTotal: 1, pagesKiB: 4, chunkKiB: 64, file: null } });
    const r = inLine({ ctimeSec: 5, bitmapChunkKiB: 64 });
    expect(observeCommand(r, k, ctx)).toBeNull();
    const removedToo = inLine({ ctimeSec: 5, bitmapChunkKiB: 64, members: [...r.members, mem('/dev/sdz', { role: 'removed', slot: null, inSync: false })] });
    expect(observeCommand(removedToo, k, ctx)).toBeNull();
    const differs: Partial<ArrayRecord>[] = [{ ctimeSec: 6 }, { bitmapChunkKiB: 32 }, { memberOrder: ['/dev/sdb', '/dev/sda'] }, { memberOrder: undefined }];
    for (const over of differs) expect([over, observeCommand({ ...r, ...over }, k, ctx)]).toEqual([over, expect.objectContaining({ op: 'observe' })]);
    const r0 = inLine({ level: 'raid0', chunkKiB: 64 });
    expect(observeCommand(r0, kernel([kA(), kB()], { chunkSizeBytes: 65536 }), ctx)).toBeNull();
    expect(observeCommand({ ...r0, chunkKiB: 32 }, kernel([kA(), kB()], { chunkSizeBytes: 65536 }), ctx)).not.toBeNull();
    const memberDiffs = [
      { role: 'spare' as const, slot: null, inSync: false }, { slot: 1 }, { inSync: false }, { descNumber: 7 }, { writeMostly: true },
      { wantReplacement: true }, { replacementFor: '/dev/sdb' }, { kernelName: 'vda' }, { major: 9 }, { minor: 1 }, { pendingAdd: 'add' as const },
    ];
    for (const over of memberDiffs) {
      const changed = inLine({ ctimeSec: 5, bitmapChunkKiB: 64, members: [{ ...r.members[0], ...over }, r.members[1]] });
      expect([over, observeCommand(changed, k, ctx)]).toEqual([over, expect.objectContaining({ op: 'observe' })]);
    }
    const extra = inLine({ ctimeSec: 5, bitmapChunkKiB: 64, members: [...r.members, mem('/dev/sdz', { role: 'spare', slot: null, inSync: false })] });
    expect(observeCommand(extra, k, ctx)).not.toBeNull();
  });
  it('a device uuid the kernel reports must match the record; one it does not report is not compared', () => {
    const withUuid = (u: string | null): MemberState => ({ ...kA(), deviceUuid: u });
    const r = inLine({ members: [{ ...inLine().members[0], deviceUuid: 'u:1' }, inLine().members[1]] });
    expect(observeCommand(r, kernel([withUuid('u:1'), kB()]), ctx)).toBeNull();
    expect(observeCommand(r, kernel([withUuid(null), kB()]), ctx)).toBeNull();
    expect(observeCommand(r, kernel([withUuid('u:2'), kB()]), ctx)).not.toBeNull();
  });
});
