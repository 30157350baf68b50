// node/ready-order.ts splitReady and RaftWrites: what of a Ready may go while it is written,
// judged on hand-built Readys, including cases a 3-node world never produces (a sole voter's
// own commit index in its appends to a learner). Seen to fail with each rule removed: the
// commit check on early appends (test 2), the term/vote check (test 3), the durable bound on
// early applies (tests 2 and 4), and folding a commit-only hard state into the next write (5).
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { RaftStorage } from '../../daemon/src/node/deps.js';
import { afterWrite, RaftWrites, splitReady, type Durable } from '../../daemon/src/node/ready-order.js';
import type { Entry, HardState, Message, Ready } from '../../daemon/src/raft/types.js';

const a = nodeId('a');
const b = nodeId('b');
const hs = (t: number, vote: string | null, commit: number): HardState => ({ term: term(t), vote: vote === null ? null : nodeId(vote), commit: logIndex(commit) });
const ent = (i: number, t = 2): Entry => ({ term: term(t), index: logIndex(i), type: 'normal', data: new Uint8Array([i]) });
const app = (commit: number, entries: Entry[] = []): Message => ({ type: 'app', from: a, to: b, term: term(2), index: logIndex(4), logTerm: term(2), entries, commit: logIndex(commit), round: 1, roundTick: 0 });
const heartbeat = (commit: number): Message => ({ type: 'heartbeat', from: a, to: b, term: term(2), commit: logIndex(commit), round: 1, roundTick: 0 });
const appResp: Message = { type: 'app-resp', from: a, to: b, term: term(2), index: logIndex(6), reject: false, rejectHint: logIndex(0), logTerm: term(0), round: 1, roundTick: 0 };

function ready(p: Partial<Ready>): Ready {
  return { softState: null, hardState: null, snapshot: null, entries: [], mustSync: false, messages: [], committedEntries: [], readStates: [], ...p };
}

const durable: Durable = { index: 4, hardState: hs(2, 'a', 3) };

describe('splitReady', () => {
  it('a commit-only Ready goes whole while it is written', () => {
    const rd = ready({ hardState: hs(2, 'a', 4), messages: [app(4), appResp], committedEntries: [ent(4)] });
    const p = splitReady(rd, durable);
    expect([p.early, p.after, p.earlyCommitted, p.committedAfter]).toEqual([[app(4), appResp], [], [ent(4)], []]);
  });

  it('with new entries: only appends and heartbeats whose commit index is durable go early (a sole voter commits its own entries at once)', () => {
    const rd = ready({ hardState: hs(2, 'a', 5), entries: [ent(5), ent(6)], mustSync: true,
      messages: [app(4, [ent(5), ent(6)]), app(5, [ent(5), ent(6)]), heartbeat(3), appResp], committedEntries: [ent(4), ent(5)] });
    const p = splitReady(rd, durable);
    expect(p.early).toEqual([app(4, [ent(5), ent(6)]), heartbeat(3)]);
    expect(p.after).toEqual([app(5, [ent(5), ent(6)]), appResp]);
    expect([p.earlyCommitted, p.committedAfter]).toEqual([[ent(4)], [ent(5)]]);
  });

  it('nothing early when the write changes the term or the vote, or installs a snapshot', () => {
    const vote: Message = { type: 'vote-resp', from: a, to: b, term: term(3), reject: false };
    for (const rd of [
      ready({ hardState: hs(3, null, 3), mustSync: true, messages: [heartbeat(3)] }),
      ready({ hardState: hs(2, 'b', 3), mustSync: true, messages: [vote] }),
      ready({ snapshot: { meta: { index: logIndex(9), term: term(2), conf: { voters: [a, b], learners: [] } }, data: new Uint8Array() }, mustSync: true, messages: [appResp], committedEntries: [] }),
    ]) {
      const p = splitReady(rd, durable);
      expect([p.early, p.earlyCommitted]).toEqual([[], []]);
      expect(p.after).toEqual(rd.messages);
    }
    expect(splitReady(ready({ hardState: hs(1, null, 0), mustSync: true, entries: [ent(1, 1)] }), { index: 0, hardState: null }).early).toEqual([]);
  });

  it('entries that rewrite a suffix: only committed entries below the rewrite and within the durable log apply early', () => {
    const rd = ready({ entries: [ent(5, 3), ent(6, 3)], mustSync: true, committedEntries: [ent(3), ent(4), ent(5, 3)] });
    const p = splitReady(rd, { index: 7, hardState: hs(3, 'b', 2) });
    expect([p.earlyCommitted, p.committedAfter]).toEqual([[ent(3), ent(4)], [ent(5, 3)]]);
    expect(afterWrite(rd, { index: 7, hardState: hs(3, 'b', 2) })).toEqual({ index: 6, hardState: hs(3, 'b', 2) });
    const snap = ready({ snapshot: { meta: { index: logIndex(20), term: term(3), conf: { voters: [a], learners: [] } }, data: new Uint8Array() }, hardState: hs(3, 'b', 20), mustSync: true });
    expect(afterWrite(snap, durable)).toEqual({ index: 20, hardState: hs(3, 'b', 20) });
  });
});

describe('RaftWrites', () => {
  it('a commit-only hard state is written with the next write, or by flushCommit; calls run one at a time in order', async () => {
    const saves: { hardState: HardState | null; entries: number[]; mustSync: boolean }[] = [];
    let running = 0;
    let overlapped = false;
    const storage: RaftStorage = {
      restored: () => ({ hardState: hs(2, 'a', 3), snapshot: null, entries: [ent(4)] }),
      save: async (batch) => {
        if (running++ > 0) overlapped = true;
        saves.push({ hardState: batch.hardState, entries: batch.entries.map((e) => e.index), mustSync: batch.mustSync });
        await new Promise((r) => setImmediate(r));
        running--;
      },
      saveSnapshot: async () => {}, compact: async () => {}, close: async () => {},
    };
    const w = new RaftWrites(storage, storage.restored(), (e) => { throw e; });
    expect(w.durable).toEqual({ index: 4, hardState: hs(2, 'a', 3) });
    await w.write(ready({ hardState: hs(2, 'a', 4) })); // commit-only: no write of its own
    expect(saves).toEqual([]);
    await w.write(ready({ entries: [ent(5)], mustSync: true }));
    expect(saves).toEqual([{ hardState: hs(2, 'a', 4), entries: [5], mustSync: true }]);
    await w.write(ready({ hardState: hs(2, 'a', 5) }));
    w.flushCommit();
    w.flushCommit(); // nothing left to write
    const last = w.write(ready({ entries: [ent(6)], mustSync: true })); // queued behind the flush
    await last;
    expect(saves.slice(1)).toEqual([{ hardState: hs(2, 'a', 5), entries: [], mustSync: false }, { hardState: null, entries: [6], mustSync: true }]);
    expect(overlapped).toBe(false);
    expect(w.durable).toEqual({ index: 6, hardState: hs(2, 'a', 5) });
  });
});
