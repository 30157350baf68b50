// Client sessions: exactly-once application of client requests (Raft dissertation section 6.3).
// Owns: the session table in the replicated state, the verdict on each request's (client, seq)
// before it is applied, the stored results that answer duplicates, eviction and expiry.
// Invariants (all decided by log entries only, never by a node's clock, so every node agrees):
// - a (client, seq) changes the state at most once: a request whose seq is in its session's
//   result window is answered from the window, without being applied again;
// - a request that cannot be told apart from an applied one (its seq fell below the window, or
//   its client's session was evicted) is refused with E_SESSION_EXPIRED, never applied;
// - sessions <= SESSION_MAX_CLIENTS (the least recently used eighth evicted when full, their ids
//   kept as tombstones),
//   tombstones <= SESSION_MAX_TOMBSTONES (FIFO), results per session <= SESSION_RESULT_WINDOW
//   (SESSION_MAX_RESULTS_PER_CLIENT for a client that acks), results in all <= SESSION_MAX_RESULTS_TOTAL.
// What is NOT guaranteed: a retry of a request whose client was evicted and whose tombstone was
// pushed out again (SESSION_MAX_CLIENTS + SESSION_MAX_TOMBSTONES newer sessions meanwhile) is
// taken as new. README states this limit.
import { SESSION_MAX_CLIENTS, SESSION_MAX_MESSAGE_CHARS, SESSION_MAX_RESULTS_PER_CLIENT, SESSION_MAX_RESULTS_TOTAL, SESSION_MAX_TOMBSTONES, SESSION_RESULT_WINDOW } from '../common/limits.js';
import type { ErrorCode } from '../common/errors.js';
import type { LogIndex } from '../common/types.js';

/**
 * Who sent a request: a client id and its per-client sequence number (1, 2, ...). ack, when
 * given, is the lowest seq the client still awaits an answer for (Raft dissertation 6.3): the
 * results below it are dropped, and a copy of such a request is refused, never applied. Without
 * ack a session keeps its last SESSION_RESULT_WINDOW results (one request in flight: mdctl).
 */
export interface SessionRef {
  client: string;
  seq: number;
  ack?: number;
}

/** A client id; starts with a letter or digit (so never `__proto__`). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/;

/** The session of `client`; own properties only (ids such as "constructor" are ordinary ids). */
function sessionOf(table: SessionTable, client: string): SessionRecord | undefined {
  return Object.prototype.hasOwnProperty.call(table.clients, client) ? table.clients[client] : undefined;
}

export function isSessionRef(v: unknown): v is SessionRef {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as { client?: unknown; seq?: unknown };
  const ack = (v as { ack?: unknown }).ack;
  return typeof s.client === 'string' && CLIENT_ID_PATTERN.test(s.client) &&
    typeof s.seq === 'number' && Number.isSafeInteger(s.seq) && s.seq >= 1 &&
    (ack === undefined || (typeof ack === 'number' && Number.isSafeInteger(ack) && ack >= 1 && ack <= s.seq));
}

/**
 * Where an md operation stands after its command was applied. 'none': the command needs no md
 * action (or was refused); 'pending': the master has yet to carry it out; 'done' / 'failed': the
 * master's md result (md-done entry); 'superseded': a later command on the same target came first.
 */
export type MdStatus = 'none' | 'pending' | 'done' | 'failed' | 'superseded';

/** The stored answer to one request. */
export interface StoredResult {
  seq: number;
  /** Log index at which the request was applied (or refused). */
  index: LogIndex;
  ok: boolean;
  code?: ErrorCode;
  message?: string;
  md: MdStatus;
}

export interface SessionRecord {
  /**
   * Results of the highest applied seqs, ascending by seq. Invariant: length <= SESSION_RESULT_WINDOW,
   * or SESSION_MAX_RESULTS_PER_CLIENT for a client that acks.
   */
  results: StoredResult[];
  /** Every seq <= floorSeq that is not in results is forgotten: refused as expired. */
  floorSeq: number;
  /** Index of the last entry of this session (least recently used eviction). */
  lastIndex: LogIndex;
}

export interface SessionTable {
  /** client id -> session. Invariant: size <= SESSION_MAX_CLIENTS. */
  clients: Record<string, SessionRecord>;
  /** Evicted client ids, oldest first. Invariant: length <= SESSION_MAX_TOMBSTONES. */
  tombstones: string[];
  /** Number of keys in clients. */
  size: number;
  /** Stored results over all sessions. Invariant: <= SESSION_MAX_RESULTS_TOTAL after each record. */
  results: number;
}

export function emptySessionTable(): SessionTable {
  return { clients: {}, tombstones: [], size: 0, results: 0 };
}

export type SessionVerdict =
  | { kind: 'new' }
  | { kind: 'duplicate'; result: StoredResult }
  | { kind: 'expired'; message: string };

/** What to do with a request from `ref`. Never changes the table. */
export function checkSession(table: SessionTable, ref: SessionRef): SessionVerdict {
  const s = sessionOf(table, ref.client);
  if (!s) {
    if (table.tombstones.includes(ref.client)) return { kind: 'expired', message: `client session ${ref.client} has expired` };
    return { kind: 'new' };
  }
  const stored = s.results.find((r) => r.seq === ref.seq);
  if (stored) return { kind: 'duplicate', result: stored };
  if (ref.seq <= s.floorSeq) return { kind: 'expired', message: `request ${ref.seq} of client ${ref.client} is older than its session keeps` };
  return { kind: 'new' };
}

/** Records the result of a request that was just applied (verdict 'new'). */
export function recordResult(table: SessionTable, ref: SessionRef, result: Omit<StoredResult, 'seq'>): StoredResult {
  let s = sessionOf(table, ref.client);
  if (!s) {
    evictIfFull(table, ref.client);
    s = { results: [], floorSeq: 0, lastIndex: result.index };
    table.clients[ref.client] = s;
    table.size++;
  }
  const stored: StoredResult = { seq: ref.seq, ...result, ...(result.message !== undefined ? { message: result.message.slice(0, SESSION_MAX_MESSAGE_CHARS) } : {}) };
  s.results.push(stored);
  table.results++;
  s.results.sort((a, b) => a.seq - b.seq);
  // The client has its answers below ack: forget them (their copies are refused as expired).
  if (ref.ack !== undefined) s.floorSeq = Math.max(s.floorSeq, ref.ack - 1);
  const keep = ref.ack !== undefined ? SESSION_MAX_RESULTS_PER_CLIENT : SESSION_RESULT_WINDOW;
  while (s.results.length > 0 && (s.results[0].seq <= s.floorSeq || s.results.length > keep)) {
    s.floorSeq = Math.max(s.floorSeq, s.results.shift()!.seq);
    table.results--;
  }
  s.lastIndex = result.index;
  if (table.results > SESSION_MAX_RESULTS_TOTAL) evictIfFull(table, ref.client);
  return stored;
}

/** The stored result of (client, seq), if the window still holds it. */
export function findResult(table: SessionTable, client: string, seq: number): StoredResult | undefined {
  return sessionOf(table, client)?.results.find((r) => r.seq === seq);
}

/**
 * Once the table is full (sessions or stored results), evicts the least recently used eighth of
 * the sessions (lowest lastIndex; ids break ties, so every node evicts the same), never `keep`.
 * Batching keeps the sort off the common path: O(log n) amortized per new session.
 */
function evictIfFull(table: SessionTable, keep: string): void {
  if (table.size < SESSION_MAX_CLIENTS && table.results <= SESSION_MAX_RESULTS_TOTAL) return;
  const ids = Object.keys(table.clients).filter((id) => id !== keep);
  ids.sort((a, b) => table.clients[a].lastIndex - table.clients[b].lastIndex || (a < b ? -1 : a > b ? 1 : 0));
  for (const victim of ids.slice(0, Math.max(1, Math.floor(SESSION_MAX_CLIENTS / 8)))) {
    table.results -= table.clients[victim].results.length;
    delete table.clients[victim];
    table.size--;
    table.tombstones.push(victim);
  }
  if (table.tombstones.length > SESSION_MAX_TOMBSTONES) table.tombstones.splice(0, table.tombstones.length - SESSION_MAX_TOMBSTONES);
}
