// Validation of untrusted Raft input (peer messages, decoded frames, objects handed to step()).
// Owns: the rules a Message must satisfy before the state machine sees it.
// Invariants: never throws for any input; returns a fresh object holding only the known
// fields (so getters, prototypes and extra fields of the input never reach the core); terms
// stay below MAX_SAFE_INTEGER so that term + 1 is always exact; sizes respect limits.ts.
import {
  RAFT_MAX_APPEND_BYTES, RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_ENTRY_BYTES, RAFT_MAX_READ_CTX_CHARS,
  SNAPSHOT_CHUNK_BYTES, SNAPSHOT_MAX_BYTES,
} from '../common/limits.js';
import { isLogIndex, isNodeId, isTerm } from '../common/types.js';
import type { LogIndex, NodeId, Term } from '../common/types.js';
import { normalizeConf } from './conf.js';
import { decodeConfChange } from './codec-conf.js';
import type { ConfState, Entry, Message, SnapshotMeta } from './types.js';

type Rec = Record<string, unknown>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A term or index that can still be incremented exactly. */
const isBoundedTerm = (v: unknown): v is Term => isTerm(v) && v < Number.MAX_SAFE_INTEGER;
const isBoundedIndex = (v: unknown): v is LogIndex => isLogIndex(v) && v < Number.MAX_SAFE_INTEGER;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A valid entry (fresh object) or null. unassigned: proposals carry index 0 and term 0. */
export function validateEntry(e: unknown, unassigned = false): Entry | null {
  if (!isRec(e)) return null;
  const { term, index, type, data } = e;
  if (!isBoundedTerm(term) || !isBoundedIndex(index)) return null;
  if (unassigned ? term !== 0 || index !== 0 : term < 1 || index < 1) return null;
  if (type !== 'normal' && type !== 'conf') return null;
  if (!(data instanceof Uint8Array) || data.length > RAFT_MAX_ENTRY_BYTES) return null;
  if (type === 'conf' && decodeConfChange(data) === null) return null;
  return { term, index, type, data };
}

export function validateConf(c: unknown): ConfState | null {
  if (!isRec(c)) return null;
  const { voters, learners } = c;
  if (!Array.isArray(voters) || !Array.isArray(learners)) return null;
  if (!voters.every(isNodeId) || !learners.every(isNodeId)) return null;
  return normalizeConf({ voters: voters as NodeId[], learners: learners as NodeId[] });
}

export function validateSnapshotMeta(m: unknown): SnapshotMeta | null {
  if (!isRec(m)) return null;
  const conf = validateConf(m.conf);
  if (conf === null || !isBoundedIndex(m.index) || !isBoundedTerm(m.term)) return null;
  if (m.index < 1 || m.term < 1) return null;
  return { index: m.index, term: m.term, conf };
}

/** Entries of an append: consecutive after prevIndex, terms in [prevTerm, msgTerm], bounded. */
function validateAppendEntries(raw: unknown, prevIndex: number, prevTerm: number, msgTerm: number): Entry[] | null {
  if (!Array.isArray(raw) || raw.length > RAFT_MAX_ENTRIES_PER_APPEND) return null;
  const out: Entry[] = [];
  let bytes = 0;
  let lastTerm = prevTerm;
  for (let i = 0; i < raw.length; i++) {
    const e = validateEntry(raw[i]);
    if (e === null || e.index !== prevIndex + 1 + i || e.term < lastTerm || e.term > msgTerm) return null;
    bytes += e.data.length;
    if (bytes > RAFT_MAX_APPEND_BYTES) return null;
    lastTerm = e.term;
    out.push(e);
  }
  return out;
}

function validateProposalEntries(raw: unknown): Entry[] | null {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > RAFT_MAX_ENTRIES_PER_APPEND) return null;
  const out: Entry[] = [];
  let bytes = 0;
  for (const r of raw) {
    const e = validateEntry(r, true);
    if (e === null) return null;
    bytes += e.data.length;
    if (bytes > RAFT_MAX_APPEND_BYTES) return null;
    out.push(e);
  }
  return out;
}

const isCtx = (v: unknown): v is string => typeof v === 'string' && v.length <= RAFT_MAX_READ_CTX_CHARS;

/** A valid message (fresh object) or null. Never throws. */
export function validateMessage(m: unknown): Message | null {
  try {
    return validateUnsafe(m);
  } catch {
    return null; // a hostile getter or proxy: treat as malformed
  }
}

function validateUnsafe(m: unknown): Message | null {
  if (!isRec(m)) return null;
  const { from, to, term } = m;
  if (!isNodeId(from) || !isNodeId(to) || !isBoundedTerm(term)) return null;
  const base = { from, to, term };
  switch (m.type) {
    case 'app': return validateApp(m, base);
    case 'app-resp': {
      const { index, reject, rejectHint, logTerm, round, roundTick } = m;
      if (!isBoundedIndex(index) || typeof reject !== 'boolean' || !isBoundedIndex(rejectHint)) return null;
      if (!isBoundedTerm(logTerm) || !isCount(round) || !isCount(roundTick)) return null;
      return { type: 'app-resp', ...base, index, reject, rejectHint, logTerm, round, roundTick };
    }
    case 'heartbeat': {
      const { commit, round, roundTick } = m;
      if (!isBoundedIndex(commit) || !isCount(round) || !isCount(roundTick)) return null;
      return { type: 'heartbeat', ...base, commit, round, roundTick };
    }
    case 'heartbeat-resp': {
      const { round, roundTick } = m;
      if (!isCount(round) || !isCount(roundTick)) return null;
      return { type: 'heartbeat-resp', ...base, round, roundTick };
    }
    case 'vote':
    case 'pre-vote': {
      const { index, logTerm, transfer } = m;
      if (!isBoundedIndex(index) || !isBoundedTerm(logTerm) || typeof transfer !== 'boolean') return null;
      if (logTerm > term) return null;
      return { type: m.type, ...base, index, logTerm, transfer };
    }
    case 'vote-resp':
    case 'pre-vote-resp':
    {
      if (typeof m.reject !== 'boolean' || (m.leaseBypass !== undefined && typeof m.leaseBypass !== 'boolean')) return null;
      const leaseBypass = m.leaseBypass === true;
      const heardAgo = m.leaseHeardAgoTicks;
      // The heard-ago count comes with a bypass and only then (one shape per meaning).
      if (!leaseBypass) return heardAgo === undefined ? { type: m.type, ...base, reject: m.reject, leaseBypass } : null;
      return isCount(heardAgo) ? { type: m.type, ...base, reject: m.reject, leaseBypass, leaseHeardAgoTicks: heardAgo } : null;
    }
    case 'snap': return validateSnap(m, base);
    case 'snap-resp': {
      const { index, nextOffsetBytes, reject } = m;
      if (!isBoundedIndex(index) || typeof reject !== 'boolean') return null;
      if (!isCount(nextOffsetBytes) || nextOffsetBytes > SNAPSHOT_MAX_BYTES) return null;
      return { type: 'snap-resp', ...base, index, nextOffsetBytes, reject };
    }
    case 'prop': {
      const entries = validateProposalEntries(m.entries);
      return entries === null ? null : { type: 'prop', ...base, entries };
    }
    case 'read-index':
      return isCtx(m.requestCtx) ? { type: 'read-index', ...base, requestCtx: m.requestCtx } : null;
    case 'read-index-resp':
      if (!isCtx(m.requestCtx) || !isBoundedIndex(m.index)) return null;
      return { type: 'read-index-resp', ...base, requestCtx: m.requestCtx, index: m.index };
    case 'timeout-now':
      return { type: 'timeout-now', ...base };
    case 'transfer-leader':
      return isNodeId(m.target) ? { type: 'transfer-leader', ...base, target: m.target } : null;
    default:
      return null;
  }
}

function validateApp(m: Rec, base: { from: NodeId; to: NodeId; term: Term }): Message | null {
  const { index, logTerm, commit, round, roundTick } = m;
  if (!isBoundedIndex(index) || !isBoundedTerm(logTerm) || !isBoundedIndex(commit)) return null;
  if (!isCount(round) || !isCount(roundTick) || logTerm > base.term) return null;
  if ((index === 0) !== (logTerm === 0)) return null;
  const entries = validateAppendEntries(m.entries, index, logTerm, base.term);
  if (entries === null || !Number.isSafeInteger(index + entries.length + 1)) return null;
  return { type: 'app', ...base, index, logTerm, entries, commit, round, roundTick };
}

function validateSnap(m: Rec, base: { from: NodeId; to: NodeId; term: Term }): Message | null {
  const meta = validateSnapshotMeta(m.meta);
  const { offsetBytes, totalBytes, chunk } = m;
  if (meta === null || meta.term > base.term || !isCount(offsetBytes) || !isCount(totalBytes)) return null;
  if (!(chunk instanceof Uint8Array) || chunk.length > SNAPSHOT_CHUNK_BYTES) return null;
  if (totalBytes > SNAPSHOT_MAX_BYTES || offsetBytes + chunk.length > totalBytes) return null;
  if (chunk.length === 0 && totalBytes !== 0) return null;
  return { type: 'snap', ...base, meta, offsetBytes, totalBytes, chunk };
}
