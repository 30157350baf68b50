// Recovery of everything outside the WAL and the final assembly of the restored Raft state.
// Owns: stray temp-file cleanup, loading the hard-state checkpoint and the newest snapshot,
// reconciling the replayed log with the snapshot, and merging the two hard-state sources.
// Rules:
// - `*.tmp` files are unfinished atomic writes: ignored and removed (with a warning).
// - The newest snapshot file wins; older ones are removed. A damaged snapshot or hard-state
//   file (they are only ever renamed into place complete) is E_STORAGE_CORRUPT.
// - Log vs snapshot (index S, term T): entries after S are kept only if the log holds S with
//   term T (or starts right after S); a log that ends before S or disagrees at S is discarded
//   (as Raft's restore does); a log starting after S + 1 leaves a gap: E_STORAGE_CORRUPT.
// - Hard state: the WAL's last record and the checkpoint file are merged (higher term wins;
//   same term: the WAL's vote if set, the larger commit); commit is raised to S (a snapshot only
//   covers committed entries) and must not exceed the last index.
import { join } from 'node:path';
import { OpError } from '../common/errors.js';
import { logIndex } from '../common/types.js';
import type { Entry, HardState, Snapshot } from '../raft/types.js';
import { fsyncDir, readBounded, removeFile, TMP_SUFFIX } from './files.js';
import type { StorageLogger } from './logger.js';
import type { LogReplay } from './replay.js';
import { decodeHardStateFile, decodeSnapshotFile, HARD_STATE_FILE, HARD_STATE_FILE_MAX_BYTES, parseSnapshotFileName,
  SNAPSHOT_FILE_MAX_BYTES } from './state-files.js';

function corruptFile(path: string, reason: string): OpError {
  return new OpError('E_STORAGE_CORRUPT', `${path}: ${reason}`, { path, offsetBytes: 0, reason });
}

/** Removes unfinished temp files; returns the listing without them. */
export async function removeTempFiles(dir: string, names: readonly string[], logger: StorageLogger): Promise<string[]> {
  const temps = names.filter((n) => n.endsWith(TMP_SUFFIX));
  for (const name of temps) {
    logger.warn({ file: join(dir, name) }, 'storage: removing unfinished temp file');
    await removeFile(join(dir, name));
  }
  if (temps.length > 0) await fsyncDir(dir);
  return names.filter((n) => !n.endsWith(TMP_SUFFIX));
}

export async function loadHardStateFile(dir: string, names: readonly string[]): Promise<HardState | null> {
  if (!names.includes(HARD_STATE_FILE)) return null;
  const path = join(dir, HARD_STATE_FILE);
  const decoded = decodeHardStateFile(await readBounded(path, HARD_STATE_FILE_MAX_BYTES));
  if (typeof decoded === 'string') throw corruptFile(path, decoded);
  return decoded;
}

/** Loads the newest snapshot file and removes older ones. */
export async function loadNewestSnapshot(dir: string, names: readonly string[]): Promise<Snapshot | null> {
  const indexed = names.map((name) => ({ name, index: parseSnapshotFileName(name) }))
    .filter((s): s is { name: string; index: number } => s.index !== null)
    .sort((a, b) => b.index - a.index);
  if (indexed.length === 0) return null;
  const newest = indexed[0];
  const path = join(dir, newest.name);
  const decoded = decodeSnapshotFile(await readBounded(path, SNAPSHOT_FILE_MAX_BYTES), newest.index);
  if (typeof decoded === 'string') throw corruptFile(path, decoded);
  for (const old of indexed.slice(1)) await removeFile(join(dir, old.name));
  if (indexed.length > 1) await fsyncDir(dir);
  return decoded;
}

export interface ReconciledLog {
  /** Entries after the snapshot (or the whole log), contiguous. */
  entries: Entry[];
  /**
   * True when the on-disk log does not continue the snapshot (it ends before it or disagrees at
   * it): a snapshot-reset record must be appended so that later entries replay after it.
   */
  needsReset: boolean;
}

export function reconcileLog(dir: string, replay: LogReplay, snap: Snapshot | null): ReconciledLog {
  const base = replay.baseIndex;
  if (snap === null) {
    if (base !== null && base !== 0) {
      throw new OpError('E_STORAGE_CORRUPT', `${dir}: the WAL starts after index ${base} but no snapshot covers it`, { dir, baseIndex: base });
    }
    return { entries: replay.entries, needsReset: false };
  }
  const s = snap.meta.index;
  if (base === null) return { entries: [], needsReset: false };
  if (s < base) {
    throw new OpError('E_STORAGE_CORRUPT', `${dir}: the WAL starts after index ${base}, beyond the snapshot at ${s}`, { dir, baseIndex: base, snapshotIndex: s });
  }
  if (s > replay.lastIndex()) return { entries: [], needsReset: true };
  const t = replay.termAt(s);
  if (t !== null && t !== snap.meta.term) return { entries: [], needsReset: true };
  return { entries: replay.entries.slice(s - base), needsReset: false };
}

export function mergeHardState(fromFile: HardState | null, fromWal: HardState | null): HardState | null {
  if (fromFile === null) return fromWal;
  if (fromWal === null) return fromFile;
  if (fromFile.term !== fromWal.term) return fromFile.term > fromWal.term ? fromFile : fromWal;
  return {
    term: fromWal.term,
    vote: fromWal.vote ?? fromFile.vote,
    commit: logIndex(Math.max(fromFile.commit, fromWal.commit)),
  };
}

/** Raises commit to the snapshot index and checks it against the last index. */
export function finishHardState(dir: string, hs: HardState | null, snapshotIndex: number, lastIndex: number): HardState | null {
  if (hs === null) return null;
  const commit = Math.max(hs.commit, snapshotIndex);
  if (commit > lastIndex) {
    throw new OpError('E_STORAGE_CORRUPT', `${dir}: commit index ${commit} is beyond the last log index ${lastIndex}`, { dir, commit, lastIndex });
  }
  return commit === hs.commit ? hs : { ...hs, commit: logIndex(commit) };
}
