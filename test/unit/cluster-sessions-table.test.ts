// Unit tests of the session table itself (cluster/sessions.ts), called directly: which session
// references are well-formed, the verdict and message for each kind of request, what a stored
// result holds, the per-session windows, and which sessions eviction picks (and remembers).
import { describe, expect, it } from 'vitest';
import { checkSession, emptySessionTable, findResult, isSessionRef, recordResult, type SessionTable } from '../../daemon/src/cluster/sessions.js';
import {
  SESSION_MAX_CLIENTS, SESSION_MAX_MESSAGE_CHARS, SESSION_MAX_RESULTS_PER_CLIENT, SESSION_MAX_RESULTS_TOTAL, SESSION_MAX_TOMBSTONES, SESSION_RESULT_WINDOW,
} from '../../daemon/src/common/limits.js';
import type { LogIndex } from '../../daemon/src/common/types.js';

const ok = (index: number): { index: LogIndex; ok: true; md: 'none' } => ({ index: index as LogIndex, ok: true, md: 'none' });

describe('session references', () => {
  it('a client id and a seq >= 1, with an ack in [1, seq] when given', () => {
    for (const v of [{ client: 'c', seq: 1 }, { client: 'a'.repeat(64), seq: Number.MAX_SAFE_INTEGER }, { client: 'n1.mdctl:x_y-z', seq: 3, ack: 3 }, { client: 'c', seq: 3, ack: 1 }]) {
      expect([v, isSessionRef(v)]).toEqual([v, true]);
    }
    for (const v of [null, 'c', [], { seq: 1 }, { client: 'c' }, { client: 5, seq: 1 }, { client: '', seq: 1 }, { client: 'a'.repeat(65), seq: 1 },
      { client: '_c', seq: 1 }, { client: 'c d', seq: 1 }, { client: 'c', seq: 0 }, { client: 'c', seq: 1.5 }, { client: 'c', seq: '1' },
      { client: 'c', seq: Number.MAX_SAFE_INTEGER + 1 }, { client: 'c', seq: 3, ack: 4 }, { client: 'c', seq: 3, ack: 0 }, { client: 'c', seq: 3, ack: 1.5 },
      { client: 'c', seq: 3, ack: '1' }, { client: 'c', seq: 3, ack: null }]) {
      expect([v, isSessionRef(v)]).toEqual([v, false]);
    }
  });
});

describe('verdicts', () => {
  it('new for an unknown client or a seq above the floor; duplicate with the stored result; expired with a message', () => {
    const t = emptySessionTable();
    expect(checkSession(t, { client: 'c', seq: 1 })).toEqual({ kind: 'new' });
    for (let seq = 1; seq <= SESSION_RESULT_WINDOW + 1; seq++) recordResult(t, { client: 'c', seq }, ok(seq));
    expect(checkSession(t, { client: 'c', seq: 2 })).toEqual({ kind: 'duplicate', result: { seq: 2, ...ok(2) } });
    expect(checkSession(t, { client: 'c', seq: 1 })).toEqual({ kind: 'expired', message: 'request 1 of client c is older than its session keeps' });
    expect(checkSession(t, { client: 'c', seq: SESSION_RESULT_WINDOW + 2 })).toEqual({ kind: 'new' });
    expect(t.clients.c.floorSeq).toBe(1);
  });
  it('a stored result keeps code and message, the message cut to its limit', () => {
    const t = emptySessionTable();
    const long = 'm'.repeat(SESSION_MAX_MESSAGE_CHARS + 10);
    expect(recordResult(t, { client: 'c', seq: 1 }, { index: 4 as LogIndex, ok: false, code: 'E_KERNEL', message: long, md: 'failed' }))
      .toEqual({ seq: 1, index: 4, ok: false, code: 'E_KERNEL', message: 'm'.repeat(SESSION_MAX_MESSAGE_CHARS), md: 'failed' });
    const r = recordResult(t, { client: 'c', seq: 2 }, ok(5));
    expect(r).toEqual({ seq: 2, index: 5, ok: true, md: 'none' });
    expect('message' in r).toBe(false);
    expect(findResult(t, 'c', 1)?.code).toBe('E_KERNEL');
    expect(findResult(t, 'c', 3)).toBeUndefined();
    expect(findResult(t, 'other', 1)).toBeUndefined();
  });
  it('results are kept in seq order whatever order they are applied in', () => {
    const t = emptySessionTable();
    for (const seq of [3, 1, 2]) recordResult(t, { client: 'c', seq, ack: 1 }, ok(seq));
    expect(t.clients.c.results.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(t.results).toBe(3);
    expect(t.clients.c.lastIndex).toBe(2);
  });
});

describe('windows', () => {
  it(`without ack a session keeps its last ${SESSION_RESULT_WINDOW} results`, () => {
    const t = emptySessionTable();
    for (let seq = 1; seq <= SESSION_RESULT_WINDOW; seq++) recordResult(t, { client: 'c', seq }, ok(seq));
    expect(t.clients.c.results).toHaveLength(SESSION_RESULT_WINDOW);
    expect(t.clients.c.floorSeq).toBe(0);
    recordResult(t, { client: 'c', seq: SESSION_RESULT_WINDOW + 1 }, ok(99));
    expect(t.clients.c.results.map((r) => r.seq)[0]).toBe(2);
    expect(t.results).toBe(SESSION_RESULT_WINDOW);
  });
  it(`with ack a session keeps up to ${SESSION_MAX_RESULTS_PER_CLIENT} results at or above the ack`, () => {
    const t = emptySessionTable();
    for (let seq = 1; seq <= SESSION_MAX_RESULTS_PER_CLIENT; seq++) recordResult(t, { client: 'c', seq, ack: 1 }, ok(seq));
    expect(t.clients.c.results).toHaveLength(SESSION_MAX_RESULTS_PER_CLIENT);
    recordResult(t, { client: 'c', seq: SESSION_MAX_RESULTS_PER_CLIENT + 1, ack: 1 }, ok(2000));
    expect(t.clients.c.results).toHaveLength(SESSION_MAX_RESULTS_PER_CLIENT);
    expect(t.clients.c.floorSeq).toBe(1);
    recordResult(t, { client: 'c', seq: SESSION_MAX_RESULTS_PER_CLIENT + 2, ack: 10 }, ok(2001));
    expect(t.clients.c.results[0].seq).toBe(10);
    expect(t.clients.c.floorSeq).toBe(9);
    expect(t.results).toBe(t.clients.c.results.length);
    // An older ack never lowers the floor.
    recordResult(t, { client: 'c', seq: SESSION_MAX_RESULTS_PER_CLIENT + 3, ack: 2 }, ok(2002));
    expect(t.clients.c.floorSeq).toBe(9);
  });
});

describe('eviction', () => {
  /** A table with `n` sessions c0..c(n-1), session ci last used at index i + 1. */
  function table(n: number): SessionTable {
    const t = emptySessionTable();
    for (let i = 0; i < n; i++) recordResult(t, { client: `c${i}`, seq: 1 }, ok(i + 1));
    return t;
  }
  it('nothing is evicted until the table is full; then the least recently used eighth, ties broken by id, never the new client', () => {
    const t = table(SESSION_MAX_CLIENTS - 1);
    recordResult(t, { client: 'x', seq: 1 }, ok(1)); // fills the table, ties with c0 at index 1
    expect(t.size).toBe(SESSION_MAX_CLIENTS);
    expect(t.tombstones).toEqual([]);
    recordResult(t, { client: 'new', seq: 1 }, ok(1)); // also index 1: it must not evict itself
    const eighth = SESSION_MAX_CLIENTS / 8;
    expect(t.tombstones).toHaveLength(eighth);
    expect(t.tombstones.slice(0, 3)).toEqual(['c0', 'x', 'c1']);
    expect(t.size).toBe(SESSION_MAX_CLIENTS - eighth + 1);
    expect(Object.keys(t.clients)).toHaveLength(t.size);
    expect(t.results).toBe(t.size);
    expect(checkSession(t, { client: 'new', seq: 1 }).kind).toBe('duplicate');
    expect(checkSession(t, { client: 'x', seq: 2 })).toEqual({ kind: 'expired', message: 'client session x has expired' });
  });
  it('among sessions last used at the same index, the lower id goes first, whatever order they began in', () => {
    const t = table(SESSION_MAX_CLIENTS - 2);
    recordResult(t, { client: 'b', seq: 1 }, ok(0));
    recordResult(t, { client: 'a', seq: 1 }, ok(0));
    recordResult(t, { client: 'new', seq: 1 }, ok(SESSION_MAX_CLIENTS));
    expect(t.tombstones.slice(0, 3)).toEqual(['a', 'b', 'c0']);
  });
  it(`tombstones are remembered first in, first out, at most ${SESSION_MAX_TOMBSTONES}`, () => {
    const t = table(SESSION_MAX_CLIENTS);
    const eighth = SESSION_MAX_CLIENTS / 8;
    let index = SESSION_MAX_CLIENTS;
    let fresh = 0;
    while (t.tombstones.length + eighth <= SESSION_MAX_TOMBSTONES) {
      for (let i = 0; i < eighth; i++) recordResult(t, { client: `f${fresh++}`, seq: 1 }, ok(++index));
    }
    const first = t.tombstones[0];
    expect(t.tombstones.length).toBeLessThanOrEqual(SESSION_MAX_TOMBSTONES);
    for (let i = 0; i < eighth; i++) recordResult(t, { client: `f${fresh++}`, seq: 1 }, ok(++index));
    expect(t.tombstones).toHaveLength(SESSION_MAX_TOMBSTONES);
    expect(t.tombstones).not.toContain(first);
    expect(checkSession(t, { client: first, seq: 1 })).toEqual({ kind: 'new' });
  });
  it(`more than ${SESSION_MAX_RESULTS_TOTAL} stored results in all evicts sessions too`, () => {
    const t = emptySessionTable();
    const clients = SESSION_MAX_RESULTS_TOTAL / SESSION_MAX_RESULTS_PER_CLIENT;
    let index = 0;
    for (let c = 0; c < clients; c++) for (let seq = 1; seq <= SESSION_MAX_RESULTS_PER_CLIENT; seq++) recordResult(t, { client: `c${c}`, seq, ack: 1 }, ok(++index));
    expect(t.results).toBe(SESSION_MAX_RESULTS_TOTAL);
    expect(t.tombstones).toEqual([]);
    recordResult(t, { client: 'last', seq: 1 }, ok(++index));
    // Up to an eighth of SESSION_MAX_CLIENTS go at once: here every other session.
    expect(t.tombstones).toEqual(Array.from({ length: clients }, (_, c) => `c${c}`));
    expect(t.results).toBe(1);
    expect(t.size).toBe(1);
  });
});
