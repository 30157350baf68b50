// Unit tests of the --grow commands (cluster/grow.ts) through the pure core: validation in
// mdadm's words, apply (record, growIndex, the pending md op and its undo), the master's plan
// (carry the grow out only while it is owed, never observe it away), and the standby's re-read.
import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../daemon/src/cluster/apply.js';
import { parseCommand, type Command, type CommandOf } from '../../daemon/src/cluster/commands.js';
import { growOwed, growStale, reshapeDone, validateGrow } from '../../daemon/src/cluster/grow.js';
import { observeCommand, plan } from '../../daemon/src/cluster/plan.js';
import { emptyClusterState, type ArrayRecord, type ClusterState } from '../../daemon/src/cluster/types.js';
import type { LogIndex, Term } from '../../daemon/src/common/types.js';
import type { BitmapState } from '../../daemon/src/md/types.js';
import { arrayRecord, kernelArrayState, kernelMember, memberRecord } from './record-fixtures.js';

function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}
const grow = (bitmap: 'internal' | 'none'): CommandOf<'grow-bitmap'> => cmd({ op: 'grow-bitmap', device: 'md0', bitmap }) as CommandOf<'grow-bitmap'>;
const TERM = 4 as Term;
const BITMAP: BitmapState = { location: 'internal', pagesUsed: 1, pagesTotal: 1, pagesKiB: 4, chunkKiB: 65536, file: null };
const kernel = (bitmap: boolean, over = {}) => kernelArrayState([kernelMember('/dev/sda', 0, ['in_sync'], 0), kernelMember('/dev/sdb', 1, ['in_sync'], 1)], { bitmap: bitmap ? BITMAP : null, ...over });
const master = { node: 'n1', writer: true, term: TERM, freshSincePromotion: true };
const standby = { node: 'n2', writer: false, term: TERM, freshSincePromotion: false };

function world(a: Partial<ArrayRecord>): { s: ClusterState; rec: () => ArrayRecord } {
  const s = emptyClusterState();
  s.master = { node: 'n1' as never, term: TERM };
  s.arrays.push(arrayRecord({ bitmap: 'none', bitmapChunkKiB: null, ...a }, TERM));
  return { s, rec: () => s.arrays[0] };
}
function applyAt(s: ClusterState, c: Command, index: number, client?: string) {
  s.appliedIndex = index as LogIndex;
  return applyCommand(s, c, client === undefined ? undefined : { client, seq: 1 });
}

describe('grow-bitmap: validation (mdadm 4.2 Grow_addbitmap)', () => {
  it('refuses what mdadm refuses, with its words', () => {
    expect(validateGrow(arrayRecord({ bitmap: 'internal' }), grow('internal'))).toEqual({ ok: false, code: 'E_INVALID_STATE', message: 'bitmap already present on /dev/md0' });
    expect(validateGrow(arrayRecord({ bitmap: 'none' }), grow('none'))).toEqual({ ok: false, code: 'E_INVALID_STATE', message: 'no bitmap found on /dev/md0' });
    expect(validateGrow(arrayRecord({ bitmap: 'none', level: 'raid0' }), grow('internal'))).toEqual({ ok: false, code: 'E_INVALID_STATE', message: 'Bitmaps not meaningful with level raid0' });
    // "no bitmap found" comes before the level, as in mdadm
    expect(validateGrow(arrayRecord({ bitmap: 'none', level: 'linear' }), grow('none'))).toMatchObject({ message: 'no bitmap found on /dev/md0' });
  });
  it('refuses while a sync runs (md: EBUSY), on a read-only or a stopped array', () => {
    const syncing = arrayRecord({ bitmap: 'none' });
    syncing.sync.action = 'resync';
    expect(validateGrow(syncing, grow('internal'))).toMatchObject({ ok: false, code: 'E_ARRAY_BUSY', message: expect.stringMatching(/^Cannot add bitmap while array is resyncing or reshaping etc\./) });
    const rebuilding = arrayRecord({ bitmap: 'internal' });
    rebuilding.sync.action = 'recover';
    expect(validateGrow(rebuilding, grow('none'))).toMatchObject({ ok: false, code: 'E_ARRAY_BUSY' });
    expect(validateGrow(arrayRecord({ bitmap: 'none', adminReadOnly: true }), grow('internal'))).toMatchObject({ ok: false, code: 'E_INVALID_STATE', message: expect.stringContaining('read-only') });
    expect(validateGrow(arrayRecord({ bitmap: 'none', run: 'stopped' }), grow('internal'))).toMatchObject({ ok: false, code: 'E_INVALID_STATE', message: expect.stringContaining('stopped') });
    expect(validateGrow(arrayRecord({ bitmap: 'none' }), grow('internal'))).toEqual({ ok: true });
  });
  it('decodes only internal or none', () => {
    expect(parseCommand({ op: 'grow-bitmap', device: 'md0', bitmap: '/tmp/file' }).ok).toBe(false);
    expect(parseCommand({ op: 'grow-bitmap', device: 'md0', bitmap: 'internal', extra: 1 }).ok).toBe(false);
  });
});

describe('grow-bitmap: apply', () => {
  it('sets the record, stamps growIndex and waits for md on the array\'s grow target', () => {
    const { s, rec } = world({});
    expect(applyAt(s, grow('internal'), 10, 'c1')).toEqual({ ok: true, md: 'pending' });
    expect(rec().bitmap).toBe('internal');
    expect(rec().growIndex).toBe(10);
    expect(rec().pendingMd).toEqual([expect.objectContaining({ op: 'grow-bitmap', target: { array: 'grow' }, sinceIndex: 10, undo: { members: [], array: { bitmap: 'none', bitmapChunkKiB: null, componentSizeKiB: 1000, growAssumeClean: false, raidDisks: 2, chunkKiB: null, growBackupFile: undefined }, created: false } })]);
  });
  it('md refusing it puts the bitmap back; removing drops the observed chunk', () => {
    const { s, rec } = world({ bitmap: 'internal', bitmapChunkKiB: 65536 });
    applyAt(s, grow('none'), 10, 'c1');
    expect(rec().bitmapChunkKiB).toBeNull();
    applyAt(s, cmd({ op: 'md-done', device: 'md0', term: TERM, client: 'c1', seq: 1, ok: false, code: 'E_KERNEL', message: 'EBUSY' }), 11);
    expect(rec().bitmap).toBe('internal');
    expect(rec().bitmapChunkKiB).toBe(65536);
    expect(rec().pendingMd).toEqual([]);
  });
  it('a later grow supersedes an earlier one still pending', () => {
    const { s, rec } = world({});
    applyAt(s, grow('internal'), 10, 'c1');
    s.appliedIndex = 11 as LogIndex;
    applyCommand(s, grow('none'), { client: 'c2', seq: 1 });
    expect(rec().pendingMd!.map((p) => p.client)).toEqual(['c2']);
    expect(rec().bitmap).toBe('none');
  });
  it('an observation read before the grow never reverts it; one read after it is taken', () => {
    const { s, rec } = world({});
    applyAt(s, grow('internal'), 10);
    const obs = (base: number, bitmap: 'internal' | 'none') => cmd({ ...observeCommand({ ...rec(), materialized: false }, kernel(bitmap === 'internal'), { node: 'n1', term: TERM, base })!, bitmap });
    applyAt(s, obs(9, 'none'), 11);
    expect(rec().bitmap).toBe('internal');
    applyAt(s, obs(12, 'none'), 13); // md lost it after the grow (e.g. by hand): the record follows the kernel
    expect(rec().bitmap).toBe('none');
  });
});

describe('grow-bitmap: plan', () => {
  it('the master carries an owed grow out on its writable array, then finds nothing left', () => {
    const { s, rec } = world({});
    applyAt(s, grow('internal'), 10, 'c1');
    expect(growOwed(rec())).toBe(true);
    expect(plan(rec(), { ...master, base: 10 }, kernel(false))).toEqual([{ kind: 'grow-bitmap', bitmap: 'internal' }]);
    const after = plan(rec(), { ...master, base: 10 }, kernel(true));
    expect(after.every((a) => a.kind === 'observe')).toBe(true);
  });
  it('waits for read-write (a new master first re-reads and goes writable)', () => {
    const { s, rec } = world({});
    applyAt(s, grow('internal'), 10, 'c1');
    expect(plan(rec(), master, kernel(false, { arrayState: 'readonly' }))).toEqual([{ kind: 'read-write' }]);
  });
  it('with nothing owed the master observes the kernel\'s bitmap instead of changing md', () => {
    const rec = arrayRecord({ bitmap: 'none', observedBase: 5 });
    const actions = plan(rec, { ...master, base: 7 }, kernel(true));
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ kind: 'observe', command: { bitmap: 'internal' } });
  });
  it('an owed grow is never reported as the kernel\'s shape', () => {
    const rec = arrayRecord({ bitmap: 'internal', growIndex: 9, observedBase: 5 });
    expect(observeCommand(rec, kernel(false), { node: 'n1', term: TERM, base: 9 })).not.toHaveProperty('bitmap');
  });
  it('a standby re-reads the superblocks once the master carried the grow out, not while it is pending', () => {
    const { s, rec } = world({});
    applyAt(s, grow('internal'), 10, 'c1');
    const ro = kernel(false, { arrayState: 'readonly' });
    expect(growStale(rec(), ro)).toBe(false);
    expect(plan(rec(), standby, ro)).toEqual([]);
    applyAt(s, cmd({ op: 'md-done', device: 'md0', term: TERM, client: 'c1', seq: 1, ok: true }), 11);
    expect(plan(rec(), standby, ro).map((a) => a.kind)).toEqual(['stop', 'assemble']);
    expect(plan(rec(), standby, kernel(true, { arrayState: 'readonly' }))).toEqual([]);
  });
});

describe('grow-size', () => {
  const size = (sizeKiB: number, assumeClean?: boolean): Command => cmd({ op: 'grow-size', device: 'md0', sizeKiB, ...(assumeClean === undefined ? {} : { assumeClean }) });
  it('refuses what mdadm/md refuse: no redundancy, a running sync, a read-only array, part chunks of a striped level', () => {
    expect(validateGrow(arrayRecord({ level: 'raid0', chunkKiB: 512 }), size(2048) as CommandOf<'grow-size'>)).toEqual({ ok: false, code: 'E_INVALID_STATE', message: 'Cannot set device size for /dev/md0: Invalid argument' });
    const syncing = arrayRecord();
    syncing.sync.action = 'recover';
    expect(validateGrow(syncing, size(2048) as CommandOf<'grow-size'>)).toEqual({ ok: false, code: 'E_ARRAY_BUSY', message: '/dev/md0 is performing resync/recovery and cannot be reshaped' });
    expect(validateGrow(arrayRecord({ adminReadOnly: true }), size(2048) as CommandOf<'grow-size'>)).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(validateGrow(arrayRecord({ level: 'raid5', chunkKiB: 512 }), size(1000) as CommandOf<'grow-size'>)).toMatchObject({ ok: false, code: 'E_INVALID_ARGUMENT' });
    expect(validateGrow(arrayRecord({ level: 'raid5', chunkKiB: 512 }), size(1024) as CommandOf<'grow-size'>)).toEqual({ ok: true });
    expect(parseCommand({ op: 'grow-size', device: 'md0', sizeKiB: 0 }).ok).toBe(false);
  });
  it('sets the size at once (undo on md\'s refusal) and the master resizes until its kernel has it', () => {
    const { s, rec } = world({ componentSizeKiB: 1000 });
    expect(applyAt(s, size(2000, true), 10, 'c1')).toEqual({ ok: true, md: 'pending' });
    expect([rec().componentSizeKiB, rec().growAssumeClean, rec().growIndex]).toEqual([2000, true, 10]);
    expect(plan(rec(), { ...master, base: 10 }, kernel(false))).toEqual([{ kind: 'grow-size', sizeKiB: 2000, assumeClean: true }]);
    expect(plan(rec(), { ...master, base: 10 }, kernel(false, { componentSizeKiB: 2000, arraySizeKiB: 2000 })).every((a) => a.kind === 'observe')).toBe(true);
    applyAt(s, cmd({ op: 'md-done', device: 'md0', term: TERM, client: 'c1', seq: 1, ok: false, code: 'E_KERNEL', message: 'ENOSPC' }), 11);
    expect([rec().componentSizeKiB, rec().growAssumeClean]).toEqual([1000, false]);
  });
  it('an observation from before the resize keeps the new size; a standby re-reads once it is done', () => {
    const { s, rec } = world({ componentSizeKiB: 1000 });
    applyAt(s, size(2000), 10, 'c1');
    const before = cmd({ ...observeCommand({ ...rec(), materialized: false }, kernel(false), { node: 'n1', term: TERM, base: 9 })! });
    applyAt(s, before, 11);
    expect(rec().componentSizeKiB).toBe(2000);
    const ro = kernel(false, { arrayState: 'readonly' });
    expect(plan(rec(), standby, ro)).toEqual([]);
    applyAt(s, cmd({ op: 'md-done', device: 'md0', term: TERM, client: 'c1', seq: 1, ok: true }), 12);
    expect(plan(rec(), standby, ro).map((a) => a.kind)).toEqual(['stop', 'assemble']);
    expect(plan(rec(), standby, kernel(false, { arrayState: 'readonly', componentSizeKiB: 2000 }))).toEqual([]);
  });
});

describe('grow-raid-devices', () => {
  const rd = (raidDevices: number, extra: Record<string, unknown> = {}) => cmd({ op: 'grow-raid-devices', device: 'md0', raidDevices, ...extra }) as CommandOf<'grow-raid-devices'>;
  const withSpare = (over: Partial<ArrayRecord> = {}) => arrayRecord({ members: [...arrayRecord().members, memberRecord('/dev/sdc', { role: 'spare', slot: null, inSync: false, descNumber: 2 })], ...over });
  it('mdadm\'s checks: spares for the new slots unless --force, raid1 shrinks only to its devices in slots, levels md reshapes', () => {
    expect(validateGrow(arrayRecord(), rd(3))).toEqual({ ok: false, code: 'E_INVALID_STATE', message: 'Need 1 spare to avoid degraded array, and only have 0.\n       Use --force to over-ride this check.' });
    expect(validateGrow(arrayRecord(), rd(4))).toMatchObject({ message: expect.stringMatching(/^Need 2 spares to avoid degraded array, and only have 0\./) });
    expect(validateGrow(arrayRecord(), rd(3, { force: true }))).toEqual({ ok: true });
    expect(validateGrow(withSpare(), rd(3))).toEqual({ ok: true });
    expect(validateGrow(arrayRecord(), rd(1))).toMatchObject({ ok: false, code: 'E_DEVICE_BUSY' });
    expect(validateGrow(arrayRecord(), rd(2))).toMatchObject({ ok: false, message: '/dev/md0: no change requested' });
    expect(validateGrow(arrayRecord({ level: 'raid0', chunkKiB: 512 }), rd(3))).toMatchObject({ ok: false, code: 'E_NOT_SUPPORTED' });
    expect(validateGrow(arrayRecord({ level: 'raid5', raidDisks: 4, chunkKiB: 512 }), rd(3))).toMatchObject({ ok: false, code: 'E_NOT_SUPPORTED' });
    const syncing = withSpare();
    syncing.sync.action = 'resync';
    expect(validateGrow(syncing, rd(3))).toMatchObject({ ok: false, code: 'E_ARRAY_BUSY' });
  });
  it('the master changes raid_disks while its kernel has the old count; the backup file goes with it', () => {
    const { s, rec } = world({ members: withSpare().members });
    applyAt(s, rd(3, { backupFile: '/var/backup/md0' }), 10, 'c1');
    expect([rec().raidDisks, rec().growBackupFile]).toEqual([3, '/var/backup/md0']);
    const spare = kernelMember('/dev/sdc', null, ['spare'], 2);
    const k2 = kernelArrayState([kernelMember('/dev/sda', 0, ['in_sync'], 0), kernelMember('/dev/sdb', 1, ['in_sync'], 1), spare], { bitmap: null });
    expect(plan(rec(), { ...master, base: 10 }, k2)).toEqual([{ kind: 'grow-raid-devices', raidDevices: 3, backupFile: '/var/backup/md0' }]);
    expect(plan(rec(), { ...master, base: 10 }, { ...k2, raidDisks: 3 }).some((a) => a.kind === 'grow-raid-devices')).toBe(false);
  });
});

describe('a reshape across a failover', () => {
  const reshaping = (doneSectors: number) => arrayRecord({ level: 'raid5', raidDisks: 4, chunkKiB: 512, bitmap: 'none', bitmapChunkKiB: null,
    sync: { action: 'reshape', doneSectors: doneSectors as never, totalSectors: 6144 as never, term: TERM, speedKiBps: 0 } });
  const k = (position: number | null, raidDisks = 4) => kernelArrayState([], {
    level: 'raid5', raidDisks, arrayState: 'readonly', bitmap: null,
    reshape: position === null ? null : { positionSectors: position as never, deltaDisks: 1, newLevel: 'raid5', newLayout: 2, newChunkSizeBytes: 524288 },
  });
  it('a new master runs the array once its superblocks are at or past the replicated reshape checkpoint (md resumes from there)', () => {
    expect(plan(reshaping(3000), master, k(3000))).toContainEqual({ kind: 'read-write' });
    expect(plan(reshaping(3000), master, k(4608))).toContainEqual({ kind: 'read-write' });
    expect(plan(reshaping(3000), master, k(null))).toContainEqual({ kind: 'read-write' }); // the reshape ended on disk
  });
  it('never runs superblocks behind the checkpoint (a stale copy would reshape moved data again)', () => {
    expect(plan(reshaping(3000), master, k(1536))).toEqual([]);
    expect(plan(reshaping(3000), master, k(null, 3))).toEqual([]);
  });
});

describe('a standby after a reshape', () => {
  it('re-reads once the master\'s reshape ended (checkpoint idle, new size), not while it runs', () => {
    const rec = arrayRecord({ level: 'raid5', raidDisks: 4, chunkKiB: 512, bitmap: 'none', bitmapChunkKiB: null, growIndex: 5, arraySizeKiB: 3000, componentSizeKiB: 1000 });
    const midway = kernelArrayState([], { level: 'raid5', raidDisks: 4, arraySizeKiB: 2000, arrayState: 'readonly', bitmap: null,
      reshape: { positionSectors: 100 as never, deltaDisks: 1, newLevel: 'raid5', newLayout: 2, newChunkSizeBytes: 524288 } });
    expect(growStale(rec, midway)).toBe(true);
    expect(growStale({ ...rec, arraySizeKiB: 2000, sync: { ...rec.sync, action: 'reshape' } }, midway)).toBe(false);
    expect(growStale(rec, { ...midway, reshape: null, arraySizeKiB: 3000 })).toBe(false);
  });
});

describe('grow-chunk (mdadm 4.2 analyse_change, md check_reshape)', () => {
  const ch = (chunkKiB: number, extra: Record<string, unknown> = {}) => cmd({ op: 'grow-chunk', device: 'md0', chunkKiB, ...extra }) as CommandOf<'grow-chunk'>;
  const r5 = (over: Partial<ArrayRecord> = {}) => arrayRecord({ level: 'raid5', raidDisks: 3, chunkKiB: 64, componentSizeKiB: 16384, arraySizeKiB: 32768, bitmap: 'none', bitmapChunkKiB: null, ...over });
  const k5 = (chunkKiB: number, reshape: { position: number; newChunkKiB: number; backwards?: boolean } | null = null) => kernelArrayState(
    [kernelMember('/dev/sda', 0, ['in_sync'], 0), kernelMember('/dev/sdb', 1, ['in_sync'], 1)],
    { level: 'raid5', raidDisks: 3, chunkSizeBytes: chunkKiB * 1024, componentSizeKiB: 16384, arraySizeKiB: 32768, bitmap: null, consistencyPolicy: 'resync',
      reshape: reshape === null ? null : { positionSectors: reshape.position as never, deltaDisks: 0, newLevel: 'raid5', newLayout: 2, newChunkSizeBytes: reshape.newChunkKiB * 1024, ...(reshape.backwards ? { backwards: true } : {}) } },
  );
  it('refuses what mdadm refuses, in its words and order', () => {
    expect(validateGrow(r5(), ch(128))).toEqual({ ok: true });
    expect(validateGrow(arrayRecord(), ch(128))).toEqual({ ok: false, code: 'E_INVALID_ARGUMENT', message: 'chunk size not meaningful for this level' });
    expect(validateGrow(r5({ componentSizeKiB: 16320 }), ch(128))).toEqual({
      ok: false, code: 'E_INVALID_ARGUMENT',
      message: 'New chunk size (128K) does not evenly divide device size (16320k)\nAfter shrinking any filesystem, "mdctl --grow /dev/md0 --size 16256"\nwill shrink the array so the given chunk size would work.',
    });
    expect(validateGrow(r5({ level: 'raid10', raidDisks: 4 }), ch(128))).toEqual({ ok: false, code: 'E_NOT_SUPPORTED', message: 'Cannot change chunk-size with RAID10 Grow' });
    expect(validateGrow(r5({ level: 'raid0' }), ch(128))).toMatchObject({ ok: false, code: 'E_NOT_SUPPORTED' });
    // mdadm's size hint masks the chunk's low bits: for 96K it names the size the array has
    expect(validateGrow(r5(), ch(96))).toMatchObject({ ok: false, code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('(16384k)\nAfter shrinking any filesystem, "mdctl --grow /dev/md0 --size 16384"') });
    expect(validateGrow(r5({ componentSizeKiB: 96 * 100 }), ch(96))).toEqual({ ok: false, code: 'E_INVALID_ARGUMENT', message: 'Cannot set device shape for /dev/md0' });
    expect(validateGrow(r5(), ch(64))).toMatchObject({ ok: false, message: '/dev/md0: no change requested' });
    expect(validateGrow(r5({ adminReadOnly: true }), ch(128))).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    const syncing = r5();
    syncing.sync.action = 'resync';
    expect(validateGrow(syncing, ch(128))).toEqual({ ok: false, code: 'E_ARRAY_BUSY', message: '/dev/md0 is performing resync/recovery and cannot be reshaped' });
    expect(parseCommand({ op: 'grow-chunk', device: 'md0', chunkKiB: 2 }).ok).toBe(false);
  });
  it('the master restripes while its kernel runs the old chunk, not once md restripes to the new one; an old view never reverts it', () => {
    const { s, rec } = world(r5());
    expect(applyAt(s, ch(128, { backupFile: '/var/backup/md0' }), 10, 'c1')).toEqual({ ok: true, md: 'pending' });
    expect([rec().chunkKiB, rec().growBackupFile, rec().growIndex]).toEqual([128, '/var/backup/md0', 10]);
    expect(plan(rec(), { ...master, base: 10 }, k5(64))).toEqual([{ kind: 'grow-chunk', chunkKiB: 128, backupFile: '/var/backup/md0' }]);
    // md/chunk_size reads "128 (64)" while restriping: nothing more to do, and no observation reports 64
    expect(plan(rec(), { ...master, base: 10 }, k5(64, { position: 1000, newChunkKiB: 128 })).some((a) => a.kind === 'grow-chunk')).toBe(false);
    applyAt(s, cmd({ op: 'observe', device: 'md0', term: TERM, base: 9, componentSizeKiB: 16384, arraySizeKiB: 32768, members: [], chunkKiB: 64 }), 11);
    expect(rec().chunkKiB).toBe(128);
    applyAt(s, cmd({ op: 'md-done', device: 'md0', term: TERM, client: 'c1', seq: 1, ok: true }), 12);
    // once nothing is owed the master reports the chunk md restripes to, not md's current one
    expect(observeCommand({ ...rec(), observedBase: 12 }, k5(64, { position: 1000, newChunkKiB: 128 }), { node: 'n1', term: TERM, base: 12 })?.chunkKiB).toBe(128);
  });
  it('md refusing it puts the old chunk back', () => {
    const { s, rec } = world(r5());
    applyAt(s, ch(128), 10, 'c1');
    applyAt(s, cmd({ op: 'md-done', device: 'md0', term: TERM, client: 'c1', seq: 1, ok: false, code: 'E_MDADM_FAILED', message: 'mdadm: /dev/md0: Cannot grow - need backup-file' }), 11);
    expect(rec().chunkKiB).toBe(64);
  });
  it('a backwards reshape (data offsets moved up) counts done from the end: checkpoints and the failover rule use that', () => {
    expect(reshapeDone(k5(64, { position: 30000, newChunkKiB: 128, backwards: true }))).toEqual({ doneSectors: 32768 * 2 - 30000, totalSectors: 65536 });
    expect(reshapeDone(k5(64, { position: 30000, newChunkKiB: 128 }))).toEqual({ doneSectors: 30000, totalSectors: 65536 });
    const reshaping = r5({ chunkKiB: 128, sync: { action: 'reshape', doneSectors: 20000 as never, totalSectors: 65536 as never, term: TERM, speedKiBps: 0 } });
    const ro = (position: number | null) => ({ ...k5(64, position === null ? null : { position, newChunkKiB: 128, backwards: true }), arrayState: 'readonly' as const });
    expect(plan(reshaping, master, ro(65536 - 20000))).toContainEqual({ kind: 'read-write' });
    expect(plan(reshaping, master, ro(65536 - 30000))).toContainEqual({ kind: 'read-write' });
    expect(plan(reshaping, master, ro(65536 - 10000))).toEqual([]); // behind: 10000 done < 20000 checkpointed
    expect(plan(reshaping, master, ro(null))).toEqual([]); // no reshape on disk and the old chunk: a stale copy
  });
  it('a standby re-reads once the master\'s restripe ended, not while it runs', () => {
    const rec = r5({ chunkKiB: 128, growIndex: 5 });
    expect(growStale(rec, { ...k5(64), arrayState: 'readonly' })).toBe(true);
    expect(growStale({ ...rec, sync: { ...rec.sync, action: 'reshape' } }, { ...k5(64, { position: 100, newChunkKiB: 128 }), arrayState: 'readonly' })).toBe(false);
    expect(growStale(rec, { ...k5(128), arrayState: 'readonly' })).toBe(false);
  });
});
