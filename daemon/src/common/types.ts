// Branded scalar types shared by every layer. Owns: the identity of node ids, terms, log
// indexes and sector counts, so that a Term can never be passed where a LogIndex is expected.
// Invariant: every brand wraps a plain JS value (string or non-negative safe integer); the
// constructors below assert the range, so a branded value is always in range.
import { assert } from './assert.js';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A cluster node's id, e.g. "node1". Invariant: matches NODE_ID_PATTERN. */
export type NodeId = Brand<string, 'NodeId'>;
/** A Raft term. Invariant: non-negative safe integer. */
export type Term = Brand<number, 'Term'>;
/** A Raft log index. Invariant: non-negative safe integer; 0 means "before the first entry". */
export type LogIndex = Brand<number, 'LogIndex'>;
/** A count or offset in 512-byte sectors. Invariant: non-negative safe integer. */
export type Sectors = Brand<number, 'Sectors'>;

export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function isNodeId(s: unknown): s is NodeId {
  return typeof s === 'string' && NODE_ID_PATTERN.test(s);
}
export function nodeId(s: string): NodeId {
  assert(isNodeId(s), `invalid node id: ${JSON.stringify(s)}`);
  return s as NodeId;
}
function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
export function term(n: number): Term {
  assert(isCount(n), `invalid term: ${n}`);
  return n as Term;
}
export function logIndex(n: number): LogIndex {
  assert(isCount(n), `invalid log index: ${n}`);
  return n as LogIndex;
}
export function sectors(n: number): Sectors {
  assert(isCount(n), `invalid sector count: ${n}`);
  return n as Sectors;
}
/** Validating checks for untrusted input (peer frames, control requests): never throw. */
export const isTerm = (n: unknown): n is Term => isCount(n);
export const isLogIndex = (n: unknown): n is LogIndex => isCount(n);
export const isSectors = (n: unknown): n is Sectors => isCount(n);
