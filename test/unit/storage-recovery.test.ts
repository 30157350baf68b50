// Crash-recovery tests of DiskStorage on real files in temp directories: torn tails cut at
// every byte of the last record, corruption in the middle, torn temp files, snapshots,
// compaction, overwrites, rotation and the one-fsync-per-save rule.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import { SNAPSHOT_MAX_BYTES, WAL_MAX_RECORD_BYTES, WAL_SEGMENT_BYTES } from '../../daemon/src/common/limits.js';
import { DiskStorage } from '../../daemon/src/storage/disk-storage.js';
import { recoverWal } from '../../daemon/src/storage/recover-wal.js';
import { encodeSnapshotFile, snapshotFileName } from '../../daemon/src/storage/state-files.js';
import { appendBytes, CaptureLogger, cleanupTempDirs, copyDir, cutFile, ent, fileSize, flipByte, hs, range, segmentFiles, snap,
  tempDir } from './storage-fixtures.js';

afterAll(cleanupTempDirs);

async function reopen(dir: string, opts = {}) {
  const logger = new CaptureLogger();
  const opened = await DiskStorage.open(dir, logger, opts);
  return { ...opened, logger };
}

async function expectCorrupt(p: Promise<unknown>, ...fragments: string[]): Promise<OpError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(OpError);
  const op = err as OpError;
  expect(op.code).toBe('E_STORAGE_CORRUPT');
  for (const f of fragments) expect(op.message).toContain(f);
  return op;
}

describe('DiskStorage basics', () => {
  it('starts empty, persists entries and hard state, and reopens to the same state', async () => {
    const dir = await tempDir();
    const { storage, recovered } = await reopen(dir);
    expect(recovered).toEqual({ hardState: null, snapshot: null, entries: [] });
    await storage.save({ hardState: hs(1, 0, 'n1'), entries: range(1, 3, 1), snapshot: null, mustSync: true });
    await storage.save({ hardState: hs(1, 2, 'n1'), entries: [], snapshot: null, mustSync: false });
    await storage.close();
    const again = await reopen(dir);
    expect(again.recovered.entries).toEqual(range(1, 3, 1));
    expect(again.recovered.hardState).toEqual(hs(1, 2, 'n1'));
    expect(again.logger.warnings()).toEqual([]);
    await again.storage.close();
  });

  it('issues exactly one fdatasync per mustSync save and none otherwise', async () => {
    const { storage } = await reopen(await tempDir());
    for (let i = 1; i <= 20; i++) {
      const before = storage.stats().fsyncs;
      await storage.save({ hardState: hs(1, i - 1), entries: range(i * 10 - 9, i * 10, 1), snapshot: null, mustSync: true });
      expect(storage.stats().fsyncs - before).toBe(1);
    }
    const before = storage.stats().fsyncs;
    await storage.save({ hardState: hs(1, 200), entries: [], snapshot: null, mustSync: false });
    expect(storage.stats().fsyncs).toBe(before);
    expect(storage.stats().activeSyncedBytes).toBeLessThan(storage.stats().activeSegmentBytes);
    await storage.close();
  });

  it('overwrites a suffix when entries start at or below the last index, across reopen', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir);
    await storage.save({ hardState: hs(1, 0), entries: range(1, 10, 1), snapshot: null, mustSync: true });
    await storage.save({ hardState: hs(2, 5), entries: range(6, 7, 2), snapshot: null, mustSync: true });
    expect(storage.stats().lastIndex).toBe(7);
    await storage.save({ hardState: null, entries: range(8, 8, 2), snapshot: null, mustSync: true });
    await storage.close();
    const again = await reopen(dir);
    expect(again.recovered.entries).toEqual([...range(1, 5, 1), ...range(6, 8, 2)]);
    expect(again.recovered.hardState).toEqual(hs(2, 5));
    await again.storage.close();
  });

  it('rotates segments and replays them all in order', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { segmentBytes: 512 });
    for (let i = 1; i <= 100; i += 5) {
      await storage.save({ hardState: hs(1, i - 1), entries: range(i, i + 4, 1), snapshot: null, mustSync: true });
    }
    const stats = storage.stats();
    expect(stats.segments).toBeGreaterThan(5);
    expect(stats.rotations).toBe(stats.segments - 1);
    await storage.close();
    for (const f of await segmentFiles(dir)) expect(await fileSize(f)).toBeLessThanOrEqual(512);
    const again = await reopen(dir, { segmentBytes: 512 });
    expect(again.recovered.entries).toEqual(range(1, 100, 1));
    expect(again.recovered.hardState).toEqual(hs(1, 95));
    await again.storage.close();
  });

  it('creates nested data directories and rejects an oversized snapshot without failing', async () => {
    const dir = join(await tempDir(), 'a', 'b', 'data');
    const { storage } = await reopen(dir);
    const huge = { ...snap(1, 1), data: new Uint8Array(SNAPSHOT_MAX_BYTES + 1) };
    const err = await storage.save({ hardState: hs(1, 1), entries: [], snapshot: huge, mustSync: true }).then(() => null, (e: unknown) => e);
    expect((err as OpError).code).toBe('E_TOO_LARGE');
    await storage.save({ hardState: hs(1, 0), entries: [ent(1, 1)], snapshot: null, mustSync: true });
    await storage.close();
    expect((await reopen(dir)).recovered.entries).toEqual([ent(1, 1)]);
  });

  it('a segment file larger than any segment can be is corruption (and is not read)', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir);
    await storage.save({ hardState: null, entries: [ent(1, 1)], snapshot: null, mustSync: true });
    await storage.close();
    const [seg] = await segmentFiles(dir);
    await cutFile(seg, WAL_SEGMENT_BYTES + WAL_MAX_RECORD_BYTES + 1);
    await expectCorrupt(reopen(dir), seg, 'exceeds the limit');
  });

  it('an I/O failure while writing fails the instance for good with E_STORAGE_IO', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { segmentBytes: 256 });
    await storage.save({ hardState: hs(1, 0), entries: [ent(1, 1)], snapshot: null, mustSync: true });
    await rm(dir, { recursive: true, force: true });
    // Filling the segment forces a rotation, which must create a file in the vanished directory.
    const err = await storage.save({ hardState: null, entries: range(2, 40, 1), snapshot: null, mustSync: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as OpError).code).toBe('E_STORAGE_IO');
    expect((err as OpError).message).toContain(dir);
    const again = await storage.save({ hardState: hs(1, 1), entries: [], snapshot: null, mustSync: false }).then(() => null, (e: unknown) => e);
    expect(again).toBe(err);
  });

  it('maps an unusable directory to E_STORAGE_IO', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'not-a-dir'), 'x');
    const err = await DiskStorage.open(join(dir, 'not-a-dir'), new CaptureLogger()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as OpError).code).toBe('E_STORAGE_IO');
  });
});

describe('torn tails', () => {
  /** A segment holding entries 1..5, each saved by its own save(); returns the last record's span. */
  async function fiveEntryTemplate(segmentBytes?: number) {
    const dir = await tempDir('tpl');
    const { storage } = await reopen(dir, { segmentBytes });
    for (let i = 1; i <= 4; i++) await storage.save({ hardState: null, entries: [ent(i, 1, `entry-${i}-payload`)], snapshot: null, mustSync: true });
    const start = storage.stats().activeSegmentBytes;
    await storage.save({ hardState: null, entries: [ent(5, 1, 'entry-5-payload')], snapshot: null, mustSync: true });
    const end = storage.stats().activeSegmentBytes;
    const path = storage.stats().activeSegmentPath;
    await storage.close();
    return { dir, start, end, name: path.slice(dir.length + 1) };
  }

  it('cut at every byte offset inside the last record: reopens, truncates, keeps every entry before it', async () => {
    const tpl = await fiveEntryTemplate();
    expect(tpl.end - tpl.start).toBeGreaterThan(13 + 17);
    for (let cut = tpl.start; cut < tpl.end; cut++) {
      const dir = await copyDir(tpl.dir);
      const seg = join(dir, tpl.name);
      await cutFile(seg, cut);
      const { storage, recovered, logger } = await reopen(dir);
      expect(recovered.entries).toEqual([1, 2, 3, 4].map((i) => ent(i, 1, `entry-${i}-payload`)));
      expect(await fileSize(seg)).toBe(tpl.start);
      const warns = logger.warnings();
      if (cut === tpl.start) {
        expect(warns).toEqual([]);
      } else {
        expect(warns).toHaveLength(1);
        expect(warns[0].fields).toMatchObject({ file: seg, offsetBytes: tpl.start });
      }
      // The log continues cleanly after the cut.
      await storage.save({ hardState: hs(2, 4), entries: [ent(5, 2, 'rewritten')], snapshot: null, mustSync: true });
      await storage.close();
      const again = await reopen(dir);
      expect(again.recovered.entries.map((e) => e.term)).toEqual([1, 1, 1, 1, 2]);
      expect(again.logger.warnings()).toEqual([]);
      await again.storage.close();
    }
  });

  it('a zero-filled or garbage tail after the last record is truncated', async () => {
    const tpl = await fiveEntryTemplate();
    for (const tail of [new Uint8Array(4096), Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff)]) {
      const dir = await copyDir(tpl.dir);
      await appendBytes(join(dir, tpl.name), tail);
      const { storage, recovered, logger } = await reopen(dir);
      expect(recovered.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
      expect(logger.warnings()[0].fields).toMatchObject({ offsetBytes: tpl.end });
      await storage.close();
    }
  });

  it('a torn header on the newest segment removes it; a torn tail in an older segment is corruption', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { segmentBytes: 256 });
    for (let i = 1; i <= 30; i++) await storage.save({ hardState: null, entries: [ent(i, 1)], snapshot: null, mustSync: true });
    await storage.close();
    const segs = await segmentFiles(dir);
    expect(segs.length).toBeGreaterThan(2);

    const tornHeader = await copyDir(dir);
    const tornSegs = await segmentFiles(tornHeader);
    const lastRecovered = await recoverWal(dir, (await readdir(dir)), new CaptureLogger());
    const lastSegMax = lastRecovered.segments[lastRecovered.segments.length - 1].maxIndex;
    await cutFile(tornSegs[tornSegs.length - 1], 20);
    const a = await reopen(tornHeader, { segmentBytes: 256 });
    expect(a.logger.warnings()[0].msg).toMatch(/torn header/);
    expect(a.recovered.entries.length).toBeLessThan(30);
    expect(a.recovered.entries.length).toBeGreaterThan(0);
    expect(a.recovered.entries[a.recovered.entries.length - 1].index).toBeLessThan(lastSegMax);
    await a.storage.close();

    const olderTorn = await copyDir(dir);
    const older = (await segmentFiles(olderTorn))[0];
    await cutFile(older, (await fileSize(older)) - 3);
    await expectCorrupt(reopen(olderTorn, { segmentBytes: 256 }), older, 'byte offset');
  });
});

describe('corruption', () => {
  it('a flipped byte anywhere in a middle record is E_STORAGE_CORRUPT naming file and offset', async () => {
    const dir = await tempDir('tpl');
    const { storage } = await reopen(dir);
    await storage.save({ hardState: null, entries: [ent(1, 1, 'first')], snapshot: null, mustSync: true });
    const start = storage.stats().activeSegmentBytes;
    await storage.save({ hardState: null, entries: [ent(2, 1, 'middle record')], snapshot: null, mustSync: true });
    const end = storage.stats().activeSegmentBytes;
    await storage.save({ hardState: null, entries: [ent(3, 1, 'last')], snapshot: null, mustSync: true });
    const name = storage.stats().activeSegmentPath.slice(dir.length + 1);
    await storage.close();
    for (let p = start; p < end; p++) {
      const copy = await copyDir(dir);
      await flipByte(join(copy, name), p);
      const err = await expectCorrupt(reopen(copy), join(copy, name), `byte offset ${start}`);
      expect(err.details).toMatchObject({ path: join(copy, name), offsetBytes: start });
    }
  });

  it('a missing middle segment, a damaged hard-state file or a damaged snapshot is corruption', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { segmentBytes: 256, keepTrailingEntries: 2 });
    for (let i = 1; i <= 30; i++) await storage.save({ hardState: hs(1, i - 1), entries: [ent(i, 1)], snapshot: null, mustSync: true });
    await storage.saveSnapshot(snap(20, 1));
    expect(await storage.compact(20)).toBeGreaterThan(0);
    await storage.close();

    const gap = await copyDir(dir);
    const segs = await segmentFiles(gap);
    expect(segs.length).toBeGreaterThan(2);
    await rm(segs[1]);
    await expectCorrupt(reopen(gap, { segmentBytes: 256 }), 'missing');

    const badHs = await copyDir(dir);
    await flipByte(join(badHs, 'hardstate'), 20, 1);
    await expectCorrupt(reopen(badHs), join(badHs, 'hardstate'));

    const badSnap = await copyDir(dir);
    await flipByte(join(badSnap, snapshotFileName(20)), 30, 1);
    await expectCorrupt(reopen(badSnap), snapshotFileName(20));
  });
});

describe('hard state and snapshots', () => {
  it('a torn hard-state temp file is ignored and removed', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { segmentBytes: 256, keepTrailingEntries: 0 });
    for (let i = 1; i <= 20; i++) await storage.save({ hardState: hs(3, i - 1, 'n2'), entries: [ent(i, 3)], snapshot: null, mustSync: true });
    await storage.saveSnapshot(snap(15, 3));
    await storage.compact(15);
    await storage.close();
    await writeFile(join(dir, 'hardstate.tmp'), Uint8Array.from([0x4d, 0x44, 0x43, 0x48, 1, 2]));
    await writeFile(join(dir, `${snapshotFileName(30)}.tmp`), 'half a snapshot');
    const { storage: s2, recovered, logger } = await reopen(dir);
    expect(recovered.hardState).toEqual(hs(3, 19, 'n2'));
    expect(recovered.snapshot?.meta.index).toBe(15);
    expect(logger.warnings().map((w) => w.fields.file)).toEqual(expect.arrayContaining([join(dir, 'hardstate.tmp')]));
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await s2.close();
  });

  it('the hard-state checkpoint survives compaction of the segments that held hard-state records', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { segmentBytes: 200, keepTrailingEntries: 0 });
    await storage.save({ hardState: hs(7, 0, 'n3'), entries: range(1, 40, 7), snapshot: null, mustSync: true });
    for (let i = 41; i <= 60; i++) await storage.save({ hardState: null, entries: [ent(i, 7)], snapshot: null, mustSync: true });
    await storage.saveSnapshot(snap(55, 7));
    expect(await storage.compact(55)).toBeGreaterThan(0);
    await storage.close();
    const { storage: s2, recovered } = await reopen(dir);
    // The hard state's record was in a deleted segment; commit is raised to the snapshot.
    expect(recovered.hardState).toEqual(hs(7, 55, 'n3'));
    expect(recovered.entries).toEqual(range(56, 60, 7));
    await s2.close();
  });

  it('a local snapshot survives and entries after it are returned', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir);
    await storage.save({ hardState: hs(2, 8), entries: range(1, 12, 2), snapshot: null, mustSync: true });
    await storage.saveSnapshot(snap(8, 2, 'local state'));
    await storage.close();
    const { storage: s2, recovered } = await reopen(dir);
    expect(recovered.snapshot).toEqual(snap(8, 2, 'local state'));
    expect(recovered.entries).toEqual(range(9, 12, 2));
    expect(recovered.hardState).toEqual(hs(2, 8));
    await s2.close();
  });

  it('a received snapshot replaces the log, and the log continues after it', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir);
    await storage.save({ hardState: hs(1, 3), entries: range(1, 6, 1), snapshot: null, mustSync: true });
    await storage.save({ hardState: hs(4, 100), entries: [], snapshot: snap(100, 3), mustSync: true });
    await storage.save({ hardState: hs(4, 101), entries: range(101, 103, 4), snapshot: null, mustSync: true });
    await storage.close();
    const { storage: s2, recovered } = await reopen(dir);
    expect(recovered.snapshot).toEqual(snap(100, 3));
    expect(recovered.entries).toEqual(range(101, 103, 4));
    expect(recovered.hardState).toEqual(hs(4, 101));
    expect((await readdir(dir)).filter((n) => n.startsWith('snap-'))).toEqual([snapshotFileName(100)]);
    await s2.close();
  });

  it('a snapshot file ahead of the log (crash before its reset record) discards the stale log durably', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir);
    await storage.save({ hardState: hs(1, 2), entries: range(1, 6, 1), snapshot: null, mustSync: true });
    await storage.close();
    await writeFile(join(dir, snapshotFileName(50)), encodeSnapshotFile(snap(50, 2)));
    const a = await reopen(dir);
    expect(a.recovered.entries).toEqual([]);
    expect(a.recovered.hardState).toEqual(hs(1, 50));
    expect(a.logger.warnings()[0].msg).toMatch(/does not continue/);
    await a.storage.save({ hardState: hs(3, 51), entries: range(51, 52, 3), snapshot: null, mustSync: true });
    await a.storage.close();
    const b = await reopen(dir);
    expect(b.recovered.entries).toEqual(range(51, 52, 3));
    await b.storage.close();
  });

  it('a snapshot that disagrees with the log at its index discards the log', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir);
    await storage.save({ hardState: hs(1, 2), entries: range(1, 6, 1), snapshot: null, mustSync: true });
    await storage.close();
    await writeFile(join(dir, snapshotFileName(4)), encodeSnapshotFile(snap(4, 2)));
    const a = await reopen(dir);
    expect(a.recovered.entries).toEqual([]);
    await a.storage.close();
  });
});

describe('compaction', () => {
  it('drops whole segments below index - keep and keeps everything from there on', async () => {
    const dir = await tempDir();
    const opts = { segmentBytes: 300, keepTrailingEntries: 25 };
    const { storage } = await reopen(dir, opts);
    for (let i = 1; i <= 200; i += 4) {
      await storage.save({ hardState: hs(1, i - 1), entries: range(i, i + 3, 1), snapshot: null, mustSync: true });
    }
    const segsBefore = storage.stats().segments;
    await storage.saveSnapshot(snap(150, 1));
    const dropped = await storage.compact(150);
    expect(dropped).toBeGreaterThan(0);
    expect(storage.stats().segments).toBe(segsBefore - dropped);
    await storage.close();
    const wal = await recoverWal(dir, await readdir(dir), new CaptureLogger());
    const firstKept = (wal.replay.baseIndex ?? 0) + 1;
    // Everything from index 150 - 25 = 125 on is still in the WAL; nothing whole below it is.
    expect(firstKept).toBeLessThanOrEqual(125);
    expect(wal.segments[0].maxIndex).toBeGreaterThanOrEqual(125);
    expect(wal.replay.entries[wal.replay.entries.length - 1].index).toBe(200);
    const { storage: s2, recovered } = await reopen(dir, opts);
    expect(recovered.snapshot?.meta.index).toBe(150);
    expect(recovered.entries).toEqual(range(151, 200, 1));
    await s2.close();
  });

  it('never drops the active segment and refuses to compact beyond the durable snapshot', async () => {
    const dir = await tempDir();
    const { storage } = await reopen(dir, { keepTrailingEntries: 0 });
    await storage.save({ hardState: hs(1, 10), entries: range(1, 10, 1), snapshot: null, mustSync: true });
    await storage.saveSnapshot(snap(10, 1));
    expect(await storage.compact(10)).toBe(0);
    await expect(storage.compact(11)).rejects.toThrow(/beyond the durable snapshot/);
    // An assertion does not fail the instance.
    await storage.save({ hardState: null, entries: [ent(11, 1)], snapshot: null, mustSync: true });
    await storage.close();
  });
});
