// Binary wire/storage format of Raft messages and entries. Owns: the byte layout.
// Message layout: [version u8 = 3][type code u8][from str][to str][term u64][type fields...];
// integers are big-endian, u64 holds a safe integer, byte fields are u32-length-prefixed,
// strings u16-length-prefixed UTF-8. Entry layout: [term u64][index u64][type u8][data bytes].
// Invariants: decodeMessage/decodeEntry never throw (malformed input -> null) and every
// decoded message has passed validateMessage; encode(decode(b)) round-trips.
import {
  RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_ENTRY_BYTES, RAFT_MAX_READ_CTX_CHARS, RAFT_WIRE_MAX_CONF_IDS, RAFT_WIRE_MAX_NODE_ID_BYTES,
  SNAPSHOT_CHUNK_BYTES,
} from '../common/limits.js';
import { unreachable } from '../common/assert.js';
import { ByteReader, ByteWriter, DecodeFailure, decodeWhole, encodeWith } from '../common/bytes.js';
import { validateEntry, validateMessage, validateSnapshotMeta } from './validate.js';
import type { ConfState, Entry, EntryType, Message, MessageType, SnapshotMeta } from './types.js';

export { encodeConfChange, decodeConfChange } from './codec-conf.js';

/**
 * 2: vote responses carry leaseBypass (lease.ts R5). 3: a bypassed vote carries the voter's
 * ticks since it last heard the leader (leaseHeardAgoTicks).
 */
const WIRE_FORMAT_VERSION = 3;
/** The Raft wire is big-endian. */
const ORDER = 'big-endian';
const CTX_MAX_BYTES = RAFT_MAX_READ_CTX_CHARS * 3;

/** Stable wire codes. Never renumber; append new types at the end. */
const TYPE_CODES: Record<MessageType, number> = {
  'app': 1, 'app-resp': 2, 'heartbeat': 3, 'heartbeat-resp': 4, 'vote': 5, 'vote-resp': 6,
  'pre-vote': 7, 'pre-vote-resp': 8, 'snap': 9, 'snap-resp': 10, 'prop': 11, 'read-index': 12,
  'read-index-resp': 13, 'timeout-now': 14, 'transfer-leader': 15,
};
const CODE_TYPES = new Map<number, MessageType>(
  Object.entries(TYPE_CODES).map(([t, c]) => [c, t as MessageType]));
const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf'];

function writeEntry(w: ByteWriter, e: Entry): void {
  w.u64(e.term);
  w.u64(e.index);
  w.u8(ENTRY_TYPES.indexOf(e.type));
  w.bytesField(e.data);
}

function readEntry(r: ByteReader): Record<string, unknown> {
  const term = r.u64();
  const index = r.u64();
  const type = ENTRY_TYPES[r.u8()];
  if (type === undefined) throw new DecodeFailure('unknown entry type');
  const data = r.bytesField(RAFT_MAX_ENTRY_BYTES);
  return { term, index, type, data };
}

function writeIds(w: ByteWriter, ids: readonly string[]): void {
  w.u8(ids.length);
  for (const id of ids) w.str(id);
}

function readIds(r: ByteReader): string[] {
  const n = r.u8();
  if (n > RAFT_WIRE_MAX_CONF_IDS) throw new DecodeFailure('too many ids');
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.str(RAFT_WIRE_MAX_NODE_ID_BYTES));
  return out;
}

function writeConf(w: ByteWriter, c: ConfState): void {
  writeIds(w, c.voters);
  writeIds(w, c.learners);
}

function writeMeta(w: ByteWriter, m: SnapshotMeta): void {
  w.u64(m.index);
  w.u64(m.term);
  writeConf(w, m.conf);
}

function readMeta(r: ByteReader): Record<string, unknown> {
  const index = r.u64();
  const term = r.u64();
  const voters = readIds(r);
  const learners = readIds(r);
  return { index, term, conf: { voters, learners } };
}

function writeEntries(w: ByteWriter, es: readonly Entry[]): void {
  w.u32(es.length);
  for (const e of es) writeEntry(w, e);
}

function readEntries(r: ByteReader): Record<string, unknown>[] {
  const n = r.u32();
  if (n > RAFT_MAX_ENTRIES_PER_APPEND) throw new DecodeFailure('too many entries');
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) out.push(readEntry(r));
  return out;
}

export function encodeMessage(m: Message): Uint8Array {
  return encodeWith(ORDER, (w) => {
    w.u8(WIRE_FORMAT_VERSION);
    w.u8(TYPE_CODES[m.type]);
    w.str(m.from);
    w.str(m.to);
    w.u64(m.term);
    writeBody(w, m);
  });
}

function writeBody(w: ByteWriter, m: Message): void {
  switch (m.type) {
    case 'app':
      w.u64(m.index); w.u64(m.logTerm); w.u64(m.commit); w.u64(m.round); w.u64(m.roundTick);
      writeEntries(w, m.entries);
      return;
    case 'app-resp':
      w.u64(m.index); w.bool(m.reject); w.u64(m.rejectHint); w.u64(m.logTerm); w.u64(m.round); w.u64(m.roundTick);
      return;
    case 'heartbeat':
      w.u64(m.commit); w.u64(m.round); w.u64(m.roundTick);
      return;
    case 'heartbeat-resp':
      w.u64(m.round); w.u64(m.roundTick);
      return;
    case 'vote':
    case 'pre-vote':
      w.u64(m.index); w.u64(m.logTerm); w.bool(m.transfer);
      return;
    case 'vote-resp':
    case 'pre-vote-resp':
      w.bool(m.reject); w.bool(m.leaseBypass === true);
      if (m.leaseBypass === true) w.u64(m.leaseHeardAgoTicks ?? 0);
      return;
    case 'snap':
      writeMeta(w, m.meta); w.u64(m.offsetBytes); w.u64(m.totalBytes); w.bytesField(m.chunk);
      return;
    case 'snap-resp':
      w.u64(m.index); w.u64(m.nextOffsetBytes); w.bool(m.reject);
      return;
    case 'prop':
      writeEntries(w, m.entries);
      return;
    case 'read-index':
      w.str(m.requestCtx);
      return;
    case 'read-index-resp':
      w.str(m.requestCtx); w.u64(m.index);
      return;
    case 'timeout-now':
      return;
    case 'transfer-leader':
      w.str(m.target);
      return;
    default:
      unreachable(m, 'message');
  }
}

function readBody(r: ByteReader, type: MessageType): Record<string, unknown> {
  switch (type) {
    case 'app': {
      const index = r.u64(); const logTerm = r.u64(); const commit = r.u64(); const round = r.u64();
      const roundTick = r.u64();
      return { index, logTerm, commit, round, roundTick, entries: readEntries(r) };
    }
    case 'app-resp': {
      const index = r.u64(); const reject = r.bool(); const rejectHint = r.u64(); const logTerm = r.u64();
      return { index, reject, rejectHint, logTerm, round: r.u64(), roundTick: r.u64() };
    }
    case 'heartbeat': return { commit: r.u64(), round: r.u64(), roundTick: r.u64() };
    case 'heartbeat-resp': return { round: r.u64(), roundTick: r.u64() };
    case 'vote':
    case 'pre-vote': return { index: r.u64(), logTerm: r.u64(), transfer: r.bool() };
    case 'vote-resp':
    case 'pre-vote-resp': {
      const reject = r.bool(); const leaseBypass = r.bool();
      return leaseBypass ? { reject, leaseBypass, leaseHeardAgoTicks: r.u64() } : { reject, leaseBypass };
    }
    case 'snap': {
      const meta = readMeta(r); const offsetBytes = r.u64(); const totalBytes = r.u64();
      return { meta, offsetBytes, totalBytes, chunk: r.bytesField(SNAPSHOT_CHUNK_BYTES) };
    }
    case 'snap-resp': return { index: r.u64(), nextOffsetBytes: r.u64(), reject: r.bool() };
    case 'prop': return { entries: readEntries(r) };
    case 'read-index': return { requestCtx: r.str(CTX_MAX_BYTES) };
    case 'read-index-resp': return { requestCtx: r.str(CTX_MAX_BYTES), index: r.u64() };
    case 'timeout-now': return {};
    case 'transfer-leader': return { target: r.str(RAFT_WIRE_MAX_NODE_ID_BYTES) };
  }
}

/** The validated message in bytes, or null when bytes are not a valid message. Never throws. */
export function decodeMessage(bytes: Uint8Array): Message | null {
  return decodeWhole(bytes, ORDER, (r) => {
    if (r.u8() !== WIRE_FORMAT_VERSION) throw new DecodeFailure('unknown wire format version');
    const type = CODE_TYPES.get(r.u8());
    if (type === undefined) throw new DecodeFailure('unknown message type');
    const from = r.str(RAFT_WIRE_MAX_NODE_ID_BYTES);
    const to = r.str(RAFT_WIRE_MAX_NODE_ID_BYTES);
    const term = r.u64();
    return { type, from, to, term, ...readBody(r, type) };
  }, validateMessage);
}

export function encodeEntry(e: Entry): Uint8Array {
  return encodeWith(ORDER, (w) => writeEntry(w, e));
}

/** The validated entry in bytes, or null. Never throws. */
export function decodeEntry(bytes: Uint8Array): Entry | null {
  return decodeWhole(bytes, ORDER, readEntry, (e) => validateEntry(e));
}

/** Snapshot metadata alone (used by storage next to the snapshot data). */
export function encodeSnapshotMeta(m: SnapshotMeta): Uint8Array {
  return encodeWith(ORDER, (w) => writeMeta(w, m));
}

/** Snapshot metadata from bytes, validated, or null. Never throws. */
export function decodeSnapshotMeta(bytes: Uint8Array): SnapshotMeta | null {
  return decodeWhole(bytes, ORDER, readMeta, validateSnapshotMeta);
}
