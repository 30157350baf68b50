// Reading the WAL back at open. Owns: segment discovery, record-by-record replay into a
// LogReplay, and the torn-tail vs corruption decision:
// - A bad record in the LAST segment with no valid record anywhere after it is a torn write:
//   the file is cut at the bad record's offset (durably) and a warning names file and offset.
// - A bad record followed by any valid record, or a bad record in a non-last segment (whose
//   tail was fdatasynced before the next segment was created), or a checksum-valid record
//   whose payload does not decode or does not fit the log: OpError('E_STORAGE_CORRUPT')
//   naming the file and byte offset.
// - A last segment whose header is torn (crash while creating it) and holds no valid record
//   is deleted.
// Invariants: segments are returned in seq order with contiguous seqs; every returned
// segment's size is its valid length; maxIndex is the largest entry/reset index in it
// (-1 when it has none), which is what compaction decides on.
import { join } from 'node:path';
import { OpError } from '../common/errors.js';
import { WAL_MAX_RECORD_BYTES, WAL_MAX_SEGMENTS, WAL_SEGMENT_BYTES } from '../common/limits.js';
import { fsyncDir, readBounded, removeFile, truncateSynced } from './files.js';
import { readEntry, readHardState, readSnapshotReset } from './payloads.js';
import { decodeRecordAt, findValidRecordAfter, RECORD_TYPE, type RecordType } from './record.js';
import { LogReplay } from './replay.js';
import { checkSegmentHeader, parseSegmentFileName, SEGMENT_HEADER_BYTES, segmentFileName, type SegmentId } from './segment.js';
import type { StorageLogger } from './logger.js';

/** Largest segment file that can exist: a full segment plus one record that did not fit. */
const SEGMENT_FILE_MAX_BYTES = WAL_SEGMENT_BYTES + WAL_MAX_RECORD_BYTES;

export interface SegmentInfo {
  id: SegmentId;
  path: string;
  /** Largest entry or reset index recorded in this segment; -1 when none. */
  maxIndex: number;
  /** Valid length of the file in bytes (header included). */
  sizeBytes: number;
}

export interface RecoveredWal {
  segments: SegmentInfo[];
  replay: LogReplay;
}

export function corruptAt(path: string, offsetBytes: number, reason: string): OpError {
  return new OpError('E_STORAGE_CORRUPT', `${path} at byte offset ${offsetBytes}: ${reason}`, { path, offsetBytes, reason });
}

/** The segment ids among `names`, in seq order; corrupt if a seq is missing in between. */
export function listSegments(dir: string, names: readonly string[]): SegmentId[] {
  const ids = names.map(parseSegmentFileName).filter((id): id is SegmentId => id !== null);
  ids.sort((a, b) => a.seq - b.seq);
  if (ids.length > WAL_MAX_SEGMENTS) {
    throw new OpError('E_TOO_LARGE', `${dir} holds ${ids.length} WAL segments, more than ${WAL_MAX_SEGMENTS}`, { dir });
  }
  for (let k = 1; k < ids.length; k++) {
    if (ids[k].seq !== ids[k - 1].seq + 1) {
      throw new OpError('E_STORAGE_CORRUPT', `${dir}: WAL segment seq ${ids[k - 1].seq + 1} is missing`, { dir, missingSeq: ids[k - 1].seq + 1 });
    }
  }
  return ids;
}

/** Applies one checksum-valid record; returns a reason if its payload is unusable. */
function applyRecord(replay: LogReplay, type: RecordType, bytes: Uint8Array, start: number, end: number): { reason: string | null; index: number } {
  switch (type) {
    case RECORD_TYPE.entry: {
      const e = readEntry(bytes, start, end);
      if (e === null) return { reason: 'malformed entry payload', index: -1 };
      return { reason: replay.applyEntry(e), index: e.index };
    }
    case RECORD_TYPE.hardState: {
      const hs = readHardState(bytes, start, end);
      if (hs === null) return { reason: 'malformed hard-state payload', index: -1 };
      replay.applyHardState(hs);
      return { reason: null, index: -1 };
    }
    case RECORD_TYPE.snapshotReset: {
      const p = readSnapshotReset(bytes, start, end);
      if (p === null) return { reason: 'malformed snapshot-reset payload', index: -1 };
      replay.applyReset(p);
      return { reason: null, index: p.index };
    }
  }
}

/** Replays one segment's records. Returns the segment info, or null if it was deleted. */
async function replaySegment(dir: string, id: SegmentId, isLast: boolean, replay: LogReplay, logger: StorageLogger): Promise<SegmentInfo | null> {
  const path = join(dir, segmentFileName(id));
  const bytes = await readBounded(path, SEGMENT_FILE_MAX_BYTES);
  const headerProblem = checkSegmentHeader(bytes, id);
  if (headerProblem !== null) {
    if (!isLast || findValidRecordAfter(bytes, SEGMENT_HEADER_BYTES - 1, bytes.length) >= 0) throw corruptAt(path, 0, headerProblem);
    logger.warn({ file: path, offsetBytes: 0, reason: headerProblem }, 'storage: removing WAL segment with a torn header');
    await removeFile(path);
    await fsyncDir(dir);
    return null;
  }
  let offset = SEGMENT_HEADER_BYTES;
  let maxIndex = -1;
  while (offset < bytes.length) {
    const rec = decodeRecordAt(bytes, offset, bytes.length);
    if (!rec.ok) {
      if (!isLast || findValidRecordAfter(bytes, offset, bytes.length) >= 0) throw corruptAt(path, offset, rec.reason);
      logger.warn({ file: path, offsetBytes: offset, droppedBytes: bytes.length - offset, reason: rec.reason },
        'storage: truncating torn WAL tail');
      await truncateSynced(path, offset);
      break;
    }
    const applied = applyRecord(replay, rec.type, bytes, rec.payloadStart, rec.payloadEnd);
    if (applied.reason !== null) throw corruptAt(path, offset, applied.reason);
    maxIndex = Math.max(maxIndex, applied.index);
    offset = rec.next;
  }
  return { id, path, maxIndex, sizeBytes: offset };
}

/** Reads every segment in `dir` (names: its listing) and replays them in order. */
export async function recoverWal(dir: string, names: readonly string[], logger: StorageLogger): Promise<RecoveredWal> {
  const ids = listSegments(dir, names);
  const replay = new LogReplay();
  const segments: SegmentInfo[] = [];
  for (let k = 0; k < ids.length; k++) {
    const info = await replaySegment(dir, ids[k], k === ids.length - 1, replay, logger);
    if (info !== null) segments.push(info);
  }
  return { segments, replay };
}
