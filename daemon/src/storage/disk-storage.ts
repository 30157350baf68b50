// DiskStorage: the durable Raft storage the node shell persists every Ready through.
// Owns: one data directory, holding
//   wal-<seq>-<firstIndex>.log   WAL segments (segment.ts, record.ts): entry, hard-state and
//                                 snapshot-reset records; an entry at index <= the last index
//                                 overwrites the log suffix on replay (no truncation record)
//   snap-<index>.snap             the newest snapshot (state-files.ts)
//   hardstate                     hard-state checkpoint written before segments are deleted
// Usage: `const { storage, recovered } = await DiskStorage.open(dir, logger)`; hand
// `recovered` to the RawNode; for each Ready call `save(...)` before sending its messages;
// after RawNode.compact() call `saveSnapshot(snap)` then `compact(snap.meta.index)`.
// Invariants:
// - Operations run one at a time, in call order (an internal queue).
// - save() with mustSync issues exactly one fdatasync (plus one per segment rotation); its
//   records are written as one batch: snapshot reset, then entries, then the hard state (so a
//   torn batch never leaves a commit index pointing past the recovered log).
// - A received snapshot's file is durable before its reset record is written.
// - After any failure once writing began the instance is failed: every later call rejects
//   with the same OpError (after a failed fsync the page cache cannot be trusted; restart and
//   recover). Requests rejected up front (assertions, E_TOO_LARGE) change nothing.
// - lastIndex is the index of the last entry (or of the snapshot when the log is empty).
import { join } from 'node:path';
import { assert, AssertionError } from '../common/assert.js';
import { OpError } from '../common/errors.js';
import { SNAPSHOT_KEEP_TRAILING_ENTRIES, SNAPSHOT_MAX_BYTES, STORAGE_MAX_QUEUED_OPS, WAL_MAX_RECORD_BYTES,
  WAL_SEGMENT_BYTES, WAL_MIN_SEGMENT_BYTES } from '../common/limits.js';
import type { Entry, HardState, RaftRestored, Snapshot, SnapshotMeta } from '../raft/types.js';
import { ensureDir, fsyncDir, ioError, listDir, removeFile, writeFileAtomic } from './files.js';
import type { StorageLogger } from './logger.js';
import { ENTRY_PAYLOAD_HEADER_BYTES, writeEntry, writeHardState, writeSnapshotReset } from './payloads.js';
import { RECORD_HEADER_BYTES, RECORD_TYPE } from './record.js';
import { finishHardState, loadHardStateFile, loadNewestSnapshot, mergeHardState, reconcileLog,
  removeTempFiles } from './recover-state.js';
import { recoverWal } from './recover-wal.js';
import { encodeHardStateFile, encodeSnapshotFile, HARD_STATE_FILE, parseSnapshotFileName, snapshotFileName } from './state-files.js';
import { WalWriter } from './wal-writer.js';

function checkSnapshotSize(snap: Snapshot): void {
  if (snap.data.length > SNAPSHOT_MAX_BYTES) {
    throw new OpError('E_TOO_LARGE', `snapshot of ${snap.data.length} bytes exceeds ${SNAPSHOT_MAX_BYTES}`, { bytes: snap.data.length });
  }
}

const NO_CHECK = (): void => undefined;
/** Bytes a WAL record adds around an entry's data (record header + entry payload header). */
const ENTRY_RECORD_OVERHEAD_BYTES = RECORD_HEADER_BYTES + ENTRY_PAYLOAD_HEADER_BYTES;

export interface DiskStorageOptions {
  /** Segment size that triggers rotation, at most WAL_SEGMENT_BYTES (the default). */
  segmentBytes?: number;
  /** Entries kept behind a snapshot by compact(). Default SNAPSHOT_KEEP_TRAILING_ENTRIES. */
  keepTrailingEntries?: number;
}

/** What one Ready asks to persist. */
export interface SaveRequest {
  hardState: HardState | null;
  entries: readonly Entry[];
  snapshot: Snapshot | null;
  mustSync: boolean;
}

/** What the RawNode restarts from (initialConf comes from configuration, not storage). */
export type RecoveredState = Omit<RaftRestored, 'initialConf'>;

export interface OpenedStorage {
  storage: DiskStorage;
  recovered: RecoveredState;
}

export interface StorageStats {
  segments: number;
  activeSegmentPath: string;
  activeSegmentBytes: number;
  activeSyncedBytes: number;
  lastIndex: number;
  snapshotIndex: number;
  fsyncs: number;
  rotations: number;
  bytesWritten: number;
}

export class DiskStorage {
  /** Tail of the operation queue. Invariant: never rejects (failures go to the callers). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Operations queued or running. Invariant: <= STORAGE_MAX_QUEUED_OPS. */
  private queuedOps = 0;
  /** Set by the first I/O failure; then every call rejects with it. */
  private failure: OpError | null = null;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly wal: WalWriter,
    private readonly keepTrailingEntries: number,
    /** Last durable-or-written hard state. */
    private hardState: HardState | null,
    /** Meta of the newest durable snapshot. */
    private snapshotMeta: SnapshotMeta | null,
    /** Invariant: see the file comment. */
    private lastIndex: number,
  ) {}

  /** Opens (creating if needed) and recovers `dir`. */
  static async open(dir: string, logger: StorageLogger, options: DiskStorageOptions = {}): Promise<OpenedStorage> {
    const segmentBytes = options.segmentBytes ?? WAL_SEGMENT_BYTES;
    const keep = options.keepTrailingEntries ?? SNAPSHOT_KEEP_TRAILING_ENTRIES;
    assert(Number.isSafeInteger(segmentBytes) && segmentBytes >= WAL_MIN_SEGMENT_BYTES && segmentBytes <= WAL_SEGMENT_BYTES,
      'segmentBytes out of range');
    assert(Number.isSafeInteger(keep) && keep >= 0, 'keepTrailingEntries out of range');
    await ensureDir(dir);
    const names = await removeTempFiles(dir, await listDir(dir), logger);
    const fileHardState = await loadHardStateFile(dir, names);
    const snapshot = await loadNewestSnapshot(dir, names);
    const { segments, replay } = await recoverWal(dir, names, logger);
    const { entries, needsReset } = reconcileLog(dir, replay, snapshot);
    const snapshotIndex = snapshot?.meta.index ?? 0;
    const lastIndex = entries.length > 0 ? entries[entries.length - 1].index : snapshotIndex;
    const hardState = finishHardState(dir, mergeHardState(fileHardState, replay.hardState), snapshotIndex, lastIndex);
    const wal = await WalWriter.open(dir, segments, lastIndex + 1, segmentBytes);
    const storage = new DiskStorage(dir, wal, keep, hardState, snapshot?.meta ?? null, lastIndex);
    if (needsReset && snapshot !== null) {
      logger.warn({ dir, snapshotIndex }, 'storage: the log does not continue the snapshot; discarding it');
      await storage.appendReset(snapshot.meta);
    }
    if (segments.length > 0 || snapshot !== null) {
      logger.info({ dir, lastIndex, snapshotIndex, segments: wal.segments.length }, 'storage: recovered');
    }
    return { storage, recovered: { hardState, snapshot, entries } };
  }

  /** Persists one Ready's snapshot, entries and hard state (one fdatasync when mustSync). */
  save(req: SaveRequest): Promise<void> {
    return this.enqueue(() => this.checkSave(req), async () => {
      if (req.snapshot !== null) await this.writeSnapshotFile(req.snapshot);
      this.wal.beginBatch();
      let next = this.lastIndex + 1;
      if (req.snapshot !== null) {
        const meta = req.snapshot.meta;
        await this.wal.add(RECORD_TYPE.snapshotReset, (w) => writeSnapshotReset(w, meta), meta.index, meta.index + 1);
        next = meta.index + 1;
      }
      for (const e of req.entries) {
        await this.wal.add(RECORD_TYPE.entry, (w) => writeEntry(w, e), e.index, e.index);
        next = e.index + 1;
      }
      const hs = req.hardState;
      if (hs !== null) await this.wal.add(RECORD_TYPE.hardState, (w) => writeHardState(w, hs), -1, next);
      await this.wal.commitBatch(req.mustSync);
      this.lastIndex = next - 1;
      if (hs !== null) this.hardState = hs;
    });
  }

  /** Persists a snapshot the application made (the log keeps its entries). */
  saveSnapshot(snap: Snapshot): Promise<void> {
    return this.enqueue(() => {
      checkSnapshotSize(snap);
      assert(snap.meta.index <= this.lastIndex, `snapshot at ${snap.meta.index} is beyond the last index ${this.lastIndex}`);
      assert(snap.meta.index >= (this.snapshotMeta?.index ?? 0), 'snapshot older than the stored one');
    }, () => this.writeSnapshotFile(snap));
  }

  /**
   * Drops whole WAL segments entirely below index - keepTrailingEntries. `index` must not be
   * beyond the newest durable snapshot. Resolves to the number of segments deleted.
   */
  compact(index: number): Promise<number> {
    return this.enqueue(() => {
      assert(index <= (this.snapshotMeta?.index ?? 0), `compact(${index}) beyond the durable snapshot`);
    }, async () => {
      const boundary = index - this.keepTrailingEntries;
      if (this.wal.droppablePrefix(boundary) === 0) return 0;
      if (this.hardState !== null) await writeFileAtomic(this.dir, HARD_STATE_FILE, encodeHardStateFile(this.hardState));
      return this.wal.dropSegmentsBelow(boundary);
    });
  }

  /** Makes everything durable and closes the files. Later calls are programmer errors. */
  close(): Promise<void> {
    return this.enqueue(NO_CHECK, async () => {
      await this.wal.close();
      this.closed = true;
    });
  }

  stats(): StorageStats {
    const segs = this.wal.segments;
    const active = segs[segs.length - 1];
    return {
      segments: segs.length,
      activeSegmentPath: active.path,
      activeSegmentBytes: active.sizeBytes,
      activeSyncedBytes: this.wal.activeSyncedBytes,
      lastIndex: this.lastIndex,
      snapshotIndex: this.snapshotMeta?.index ?? 0,
      ...this.wal.counters,
    };
  }

  /** Checks a Ready before anything is touched: size limit, then programmer errors. */
  private checkSave(req: SaveRequest): void {
    if (req.snapshot !== null) checkSnapshotSize(req.snapshot);
    const snapIndex = req.snapshot?.meta.index ?? null;
    let expectedMax = snapIndex !== null ? snapIndex + 1 : this.lastIndex + 1;
    if (snapIndex !== null) {
      assert(snapIndex >= (this.snapshotMeta?.index ?? 0), 'snapshot older than the stored one');
    }
    for (let k = 0; k < req.entries.length; k++) {
      const e = req.entries[k];
      assert(e.data.length + ENTRY_RECORD_OVERHEAD_BYTES <= WAL_MAX_RECORD_BYTES, `entry ${e.index} too large for a WAL record`);
      if (k === 0) {
        assert(e.index >= 1 && e.index <= expectedMax, `entries start at ${e.index}, beyond last index + 1 = ${expectedMax}`);
        assert(e.index > (snapIndex ?? this.snapshotMeta?.index ?? 0), `entry ${e.index} rewrites the snapshot`);
      } else {
        assert(e.index === expectedMax, `entries not contiguous at ${e.index}`);
      }
      expectedMax = e.index + 1;
    }
  }

  private async writeSnapshotFile(snap: Snapshot): Promise<void> {
    await writeFileAtomic(this.dir, snapshotFileName(snap.meta.index), encodeSnapshotFile(snap));
    const stale = (await listDir(this.dir)).filter((n) => {
      const i = parseSnapshotFileName(n);
      return i !== null && i < snap.meta.index;
    });
    for (const name of stale) await removeFile(join(this.dir, name));
    if (stale.length > 0) await fsyncDir(this.dir);
    this.snapshotMeta = snap.meta;
  }

  /** Appends a durable snapshot-reset record (used when recovery discards the log). */
  private appendReset(meta: SnapshotMeta): Promise<void> {
    return this.enqueue(NO_CHECK, async () => {
      this.wal.beginBatch();
      await this.wal.add(RECORD_TYPE.snapshotReset, (w) => writeSnapshotReset(w, meta), meta.index, meta.index + 1);
      await this.wal.commitBatch(true);
      this.lastIndex = meta.index;
    });
  }

  /**
   * Runs `check` then `op` after every earlier operation. A request rejected by `check`
   * (assertion or E_TOO_LARGE, before any byte is written) leaves the instance usable; any
   * failure of `op` fails it for good.
   */
  private enqueue<T>(check: () => void, op: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      assert(!this.closed, 'storage used after close()');
      if (this.failure !== null) throw this.failure;
      check();
      try {
        return await op();
      } catch (err) {
        this.failure = err instanceof OpError ? err : ioError('storage operation', this.dir, err);
        throw err instanceof AssertionError ? err : this.failure;
      }
    };
    assert(this.queuedOps < STORAGE_MAX_QUEUED_OPS, 'too many storage operations queued (callers must await them)');
    this.queuedOps++;
    const result = this.queue.then(run).finally(() => { this.queuedOps--; });
    this.queue = result.catch(() => undefined);
    return result;
  }
}
