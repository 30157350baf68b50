// Appending to the WAL. Owns: the active segment's file handle, batching records into one
// positioned write, fdatasync, segment rotation and dropping whole segments.
// Batch protocol: beginBatch(); add(...) per record; commitBatch(mustSync). A batch is one
// write() (plus one per rotation) and, when mustSync, exactly one fdatasync (plus one per
// rotation).
// Invariants:
// - segments is in seq order, contiguous, and its last element is the active segment;
//   active.sizeBytes is the file's length and the next write position.
// - Every non-active segment is fully fdatasynced: rotation syncs the old segment before the
//   new one exists, and the new segment's header is fsynced and its directory entry made
//   durable before any record goes into it. (So recovery may treat damage in a non-last
//   segment as corruption, never as a torn write.)
// - syncedBytes <= active.sizeBytes: bytes of the active segment known durable.
// - A record never spans two segments; a segment exceeds segmentBytes only when a single
//   record does not fit in an empty one.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteWriter } from '../common/bytes.js';
import { fsyncDir, io, removeFile, writeFileSynced } from './files.js';
import { beginRecord, finishRecord, type RecordType } from './record.js';
import type { SegmentInfo } from './recover-wal.js';
import { encodeSegmentHeader, SEGMENT_HEADER_BYTES, segmentFileName, type SegmentId } from './segment.js';

const BATCH_BUFFER_INITIAL_BYTES = 64 * 1024;

export interface WalCounters {
  /** fdatasync calls on segments (batch syncs and rotation syncs). */
  fsyncs: number;
  /** Segments created. */
  rotations: number;
  /** Bytes appended to segments (records only). */
  bytesWritten: number;
}

export class WalWriter {
  /**
   * The batch under construction. Invariant: holds only whole records after each add(), and at
   * most segmentBytes + WAL_MAX_RECORD_BYTES (a rotation flushes it), so it is bounded.
   */
  private readonly batch = new ByteWriter('little-endian', BATCH_BUFFER_INITIAL_BYTES);
  readonly counters: WalCounters = { fsyncs: 0, rotations: 0, bytesWritten: 0 };

  private constructor(
    private readonly dir: string,
    /** Invariant: non-empty; see the file comment. */
    readonly segments: SegmentInfo[],
    private fh: FileHandle,
    private syncedBytes: number,
    private readonly segmentBytes: number,
  ) {}

  /** Opens the last recovered segment for appending, or creates the first one. */
  static async open(dir: string, recovered: SegmentInfo[], nextIndex: number, segmentBytes: number): Promise<WalWriter> {
    const segments = [...recovered];
    if (segments.length === 0) segments.push(await createSegment(dir, { seq: 0, firstIndex: nextIndex }));
    const active = segments[segments.length - 1];
    const fh = await io('open', active.path, () => open(active.path, 'r+'));
    return new WalWriter(dir, segments, fh, active.sizeBytes, segmentBytes);
  }

  private get active(): SegmentInfo {
    return this.segments[this.segments.length - 1];
  }

  get activeSyncedBytes(): number {
    return this.syncedBytes;
  }

  beginBatch(): void {
    this.batch.reset();
  }

  /**
   * Adds one record to the batch. index: the entry/reset index it records (-1 for none);
   * nextIndex: the log index a segment created for this record would start at.
   */
  async add(type: RecordType, encode: (w: ByteWriter) => void, index: number, nextIndex: number): Promise<void> {
    const w = this.batch;
    const at = beginRecord(w);
    encode(w);
    finishRecord(w, at, type);
    const segmentHasData = this.active.sizeBytes + at > SEGMENT_HEADER_BYTES;
    if (segmentHasData && this.active.sizeBytes + w.length > this.segmentBytes) {
      await this.writeOut(at);
      await this.sync();
      await this.rotate(nextIndex);
      w.buf.copyWithin(0, at, w.length);
      w.length -= at;
    }
    if (index > this.active.maxIndex) this.active.maxIndex = index;
  }

  /** Writes the batch; fdatasyncs once when mustSync. */
  async commitBatch(mustSync: boolean): Promise<void> {
    await this.writeOut(this.batch.length);
    this.batch.reset();
    if (mustSync) await this.sync();
  }

  /** Writes batch bytes [0, end) at the end of the active segment. */
  private async writeOut(end: number): Promise<void> {
    const seg = this.active;
    let done = 0;
    while (done < end) {
      const { bytesWritten } = await io('write', seg.path, () =>
        this.fh.write(this.batch.buf, done, end - done, seg.sizeBytes));
      done += bytesWritten;
      seg.sizeBytes += bytesWritten;
    }
    this.counters.bytesWritten += end;
  }

  /** fdatasyncs the active segment if it holds unsynced bytes. */
  async sync(): Promise<void> {
    const seg = this.active;
    if (this.syncedBytes >= seg.sizeBytes) return;
    await io('fdatasync', seg.path, () => this.fh.datasync());
    this.counters.fsyncs++;
    this.syncedBytes = seg.sizeBytes;
  }

  private async rotate(nextIndex: number): Promise<void> {
    const prev = this.active;
    await io('close', prev.path, () => this.fh.close());
    const seg = await createSegment(this.dir, { seq: prev.id.seq + 1, firstIndex: nextIndex });
    this.fh = await io('open', seg.path, () => open(seg.path, 'r+'));
    this.segments.push(seg);
    this.syncedBytes = seg.sizeBytes;
    this.counters.rotations++;
  }

  /** Length of the longest prefix of non-active segments whose maxIndex < boundaryIndex. */
  droppablePrefix(boundaryIndex: number): number {
    let n = 0;
    while (n < this.segments.length - 1 && this.segments[n].maxIndex < boundaryIndex) n++;
    return n;
  }

  /**
   * Deletes the longest prefix of non-active segments whose maxIndex < boundaryIndex.
   * Returns how many were deleted. The caller must have made everything those segments
   * carried (hard state, snapshot) durable elsewhere first.
   */
  async dropSegmentsBelow(boundaryIndex: number): Promise<number> {
    const n = this.droppablePrefix(boundaryIndex);
    if (n === 0) return 0;
    for (let k = 0; k < n; k++) await removeFile(this.segments[k].path);
    this.segments.splice(0, n);
    await fsyncDir(this.dir);
    return n;
  }

  /** Makes the active segment durable and closes it. */
  async close(): Promise<void> {
    await this.sync();
    await io('close', this.active.path, () => this.fh.close());
  }
}

/** Creates a segment holding only its header, durably (file and directory entry). */
async function createSegment(dir: string, id: SegmentId): Promise<SegmentInfo> {
  const path = join(dir, segmentFileName(id));
  await writeFileSynced(path, encodeSegmentHeader(id));
  await fsyncDir(dir);
  return { id, path, maxIndex: -1, sizeBytes: SEGMENT_HEADER_BYTES };
}
