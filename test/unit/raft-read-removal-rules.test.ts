// Unit tests of raft/readindex.ts and raft/leader-state.ts afterCommit on a hand-built leader:
// a read is answered at once only when this leader is the sole voter, otherwise (and with no
// voters at all) it waits for a quorum-acknowledged round; reads waiting for the first commit of
// the term are released only by a commit of an entry of this term; a leader whose removal is
// committed (not merely appended) hands over to the lowest-named up-to-date voter and steps down.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../daemon/src/common/types.js';
import { afterCommit } from '../../daemon/src/raft/leader-state.js';
import { confirmReads, leaderReadIndex } from '../../daemon/src/raft/readindex.js';
import type { RaftState } from '../../daemon/src/raft/state.js';
import type { Message } from '../../daemon/src/raft/types.js';

const A = 'a' as NodeId;
type Stub = RaftState & { calls: string[]; sent: Message[] };
/** Leader a at term 7, commit 10 (an entry of term 7), last index 12, round 3. */
function leader(over: Record<string, unknown> = {}, log: Record<string, unknown> = {}): Stub {
  const s = {
    id: 'a', role: 'leader', term: 7, round: 3, calls: [] as string[], sent: [] as Message[], readStates: [] as unknown[],
    reads: { pending: [] as unknown[], beforeCommit: [] as unknown[], broadcastNeeded: false },
    voters: () => ['a', 'b', 'c'], conf: () => ({ voters: ['a', 'b', 'c'], learners: [] }), prs: new Map(),
    log: { committed: 10, termAt: () => 7, lastIndex: () => 12, lastConfIndex: () => 5, ...log },
    send(m: Message) { this.sent.push(m); },
    becomeFollower(t: number, lead: string | null) { this.calls.push(`follower ${t} ${lead}`); this.role = 'follower'; },
    ...over,
  };
  return s as unknown as Stub;
}

describe('when a read is answered', () => {
  it('a leader that is not the sole voter (its own removal appended, b left) waits for a round', () => {
    const r = leader({ voters: () => ['b'] });
    expect(leaderReadIndex(r, 'q', A)).toEqual({ ok: true });
    expect(r.readStates).toEqual([]);
    expect(r.reads.pending).toEqual([{ index: 10, requestCtx: 'q', from: 'a', round: 4 }]);
    const sole = leader({ voters: () => ['a'] });
    leaderReadIndex(sole, 'q', A);
    expect(sole.readStates).toEqual([{ index: 10, requestCtx: 'q' }]);
  });
  it('with no voters no round is ever acknowledged: a pending read is not answered', () => {
    const r = leader({ voters: () => [] });
    r.reads.pending.push({ index: 10, requestCtx: 'q', from: A, round: 1 });
    confirmReads(r);
    expect(r.readStates).toEqual([]);
    expect(r.reads.pending).toHaveLength(1);
  });
});

describe('afterCommit', () => {
  it('a commit of an older term\'s entry (commitPreviousTermByCounting fault) releases no waiting read', () => {
    const r = leader({}, { termAt: () => 6 });
    r.reads.beforeCommit.push({ requestCtx: 'q', from: A });
    afterCommit(r);
    expect(r.reads.beforeCommit).toHaveLength(1);
    expect(r.reads.pending).toEqual([]);
  });
  it('a removed leader steps down only once its removal is committed, handing over to the lowest-named up-to-date voter', () => {
    const prs = new Map([['c', { match: 12 }], ['b', { match: 12 }], ['d', { match: 11 }]]);
    const conf = () => ({ voters: ['b', 'c', 'd'], learners: [] });
    const voters = () => ['b', 'c', 'd'];
    const pending = leader({ prs, conf, voters }, { lastConfIndex: () => 12 });
    afterCommit(pending);
    expect(pending.calls).toEqual([]);
    expect(pending.sent).toEqual([]);
    const r = leader({ prs, conf, voters }, { committed: 12, lastConfIndex: () => 12 });
    afterCommit(r);
    expect(r.sent).toEqual([{ type: 'timeout-now', from: 'a', to: 'b', term: 7 }]);
    expect(r.calls).toEqual(['follower 7 null']);
  });
});
