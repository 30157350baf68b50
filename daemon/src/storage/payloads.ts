// On-disk encodings of Raft values inside WAL records, the hard-state file and snapshot files.
// Owns: the payload byte layouts (storage owns its disk format; the wire codec may change
// independently). All little-endian:
//   entry:         u8 kind (1 normal, 2 conf) | u64 term | u64 index | data (rest of payload)
//   hard state:    u64 term | u64 commit | short-string vote ("" = no vote)
//   snapshot reset: u64 index | u64 term
//   conf state:    u8 nVoters | nVoters short-strings | u8 nLearners | nLearners short-strings
//   snapshot meta: u64 index | u64 term | conf state
// Invariants: decoders never throw; they return null for anything malformed or out of range
// (bad kind, term/index 0 in an entry, invalid node id, duplicate/overlapping members, too
// many members, trailing bytes where none belong).
import { RAFT_MAX_MEMBERS } from '../common/limits.js';
import { isNodeId, logIndex, term, type LogIndex, type NodeId, type Term } from '../common/types.js';
import type { ConfState, Entry, HardState, SnapshotMeta } from '../raft/types.js';
import { ByteReader, type ByteWriter } from '../common/bytes.js';

const ENTRY_KIND_NORMAL = 1;
const ENTRY_KIND_CONF = 2;
export const ENTRY_PAYLOAD_HEADER_BYTES = 17;

export function writeEntry(w: ByteWriter, e: Entry): void {
  w.u8(e.type === 'conf' ? ENTRY_KIND_CONF : ENTRY_KIND_NORMAL);
  w.u64(e.term);
  w.u64(e.index);
  w.raw(e.data);
}

/**
 * Decodes a payload that must fill bytes[start, end) exactly: null on any bad read, on trailing
 * bytes, or when `read` refuses the values (returns null). `read` never sees an exception.
 */
function readExactly<T>(bytes: Uint8Array, start: number, end: number, read: (r: ByteReader) => T | null): T | null {
  const r = new ByteReader(bytes, 'little-endian', 'flag', start, end);
  const v = read(r);
  return r.ok && r.remaining === 0 ? v : null;
}

/** Decodes an entry payload; data is copied out of `bytes`. */
export function readEntry(bytes: Uint8Array, start: number, end: number): Entry | null {
  return readExactly(bytes, start, end, (r) => {
    const kind = r.u8();
    const t = r.u64();
    const i = r.u64();
    const data = r.restCopy();
    if ((kind !== ENTRY_KIND_NORMAL && kind !== ENTRY_KIND_CONF) || t < 1 || i < 1) return null;
    return { term: term(t), index: logIndex(i), type: kind === ENTRY_KIND_CONF ? 'conf' : 'normal', data };
  });
}

export function writeHardState(w: ByteWriter, hs: HardState): void {
  w.u64(hs.term);
  w.u64(hs.commit);
  w.shortString(hs.vote ?? '');
}

export function readHardState(bytes: Uint8Array, start: number, end: number): HardState | null {
  return readExactly(bytes, start, end, (r) => {
    const t = r.u64();
    const commit = r.u64();
    const vote = r.shortString();
    if (vote !== '' && !isNodeId(vote)) return null;
    return { term: term(t), commit: logIndex(commit), vote: vote === '' ? null : vote };
  });
}

export interface SnapshotResetPoint {
  index: LogIndex;
  term: Term;
}

export function writeSnapshotReset(w: ByteWriter, p: SnapshotResetPoint): void {
  w.u64(p.index);
  w.u64(p.term);
}

export function readSnapshotReset(bytes: Uint8Array, start: number, end: number): SnapshotResetPoint | null {
  return readExactly(bytes, start, end, (r) => {
    const i = r.u64();
    const t = r.u64();
    return { index: logIndex(i), term: term(t) };
  });
}

function writeIds(w: ByteWriter, ids: readonly NodeId[]): void {
  w.u8(ids.length);
  for (const id of ids) w.shortString(id);
}

function readIds(r: ByteReader, seen: Set<string>): NodeId[] | null {
  const n = r.u8();
  if (!r.ok || n > RAFT_MAX_MEMBERS) return null;
  const ids: NodeId[] = [];
  for (let k = 0; k < n; k++) {
    const id = r.shortString();
    if (!r.ok || !isNodeId(id) || seen.has(id)) return null;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

export function writeSnapshotMeta(w: ByteWriter, meta: SnapshotMeta): void {
  w.u64(meta.index);
  w.u64(meta.term);
  writeIds(w, meta.conf.voters);
  writeIds(w, meta.conf.learners);
}

/** Decodes snapshot meta that must fill bytes[start, end) exactly. */
export function readSnapshotMeta(bytes: Uint8Array, start: number, end: number): SnapshotMeta | null {
  return readExactly(bytes, start, end, (r) => {
    const i = r.u64();
    const t = r.u64();
    const seen = new Set<string>();
    const voters = readIds(r, seen);
    const learners = voters === null ? null : readIds(r, seen);
    if (voters === null || learners === null || voters.length + learners.length > RAFT_MAX_MEMBERS) return null;
    const conf: ConfState = { voters, learners };
    return { index: logIndex(i), term: term(t), conf };
  });
}
