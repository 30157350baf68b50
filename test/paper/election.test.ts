// Paper tests: terms (§5.1), leader election (§5.2), the election restriction (§5.4.1),
// PreVote and CheckQuorum (Ongaro §9.6), and the vote lease. Each test cites its rule.
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import type { Message } from '../../daemon/src/raft/types.js';
import { BOOT3, E, Net, bytes, config, constPrng } from './harness.js';

const a = nodeId('a');
const b = nodeId('b');
const c = nodeId('c');

function msgsOf(rn: RawNode): Message[] {
  const rd = rn.ready();
  rn.advance(rd);
  return rd.messages;
}

function voteReq(from: string, to: string, t: number, lastIndex: number, lastTerm: number, type: 'vote' | 'pre-vote' = 'vote', transfer = false): Message {
  return { type, from: nodeId(from), to: nodeId(to), term: term(t), index: logIndex(lastIndex), logTerm: term(lastTerm), transfer };
}

/** A lone voter of {a,b,c} past its startup lease, with a log of the given terms. */
function warmNode(id: string, logTerms: number[] = [], hsTerm = 0): RawNode {
  const entries = logTerms.map((t, i) => ({ index: logIndex(i + 1), term: term(t), type: 'normal' as const, data: bytes('x') }));
  const rn = new RawNode(config(nodeId(id)), { hardState: { term: term(Math.max(hsTerm, ...logTerms, 0)), vote: null, commit: logIndex(0) },
    snapshot: null, entries, initialConf: { voters: [a, b, c], learners: [] } }, constPrng(E - 1));
  for (let i = 0; i < E; i++) rn.tick();
  msgsOf(rn);
  return rn;
}

describe('§5.1 terms', () => {
  it('§5.1 a node that sees a higher term adopts it and becomes a follower', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').step({ type: 'heartbeat', from: b, to: a, term: term(7), commit: logIndex(0), round: 1, roundTick: 1 });
    const st = net.rn('a').status();
    expect(st.term).toBe(7);
    expect(st.role).toBe('follower');
    expect(st.lead).toBe('b');
  });

  it('§5.1 a leader that learns of a higher term from a reply steps down', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').step({ type: 'app-resp', from: b, to: a, term: term(5), index: logIndex(0), reject: true,
      rejectHint: logIndex(0), logTerm: term(0), round: 0, roundTick: 0 });
    expect(net.rn('a').status()).toMatchObject({ role: 'follower', term: 5, lead: null });
    expect(net.rn('a').leaseValid()).toBe(false);
  });

  it('§5.1 a request with a stale term is rejected and answered with the current term', () => {
    const rn = warmNode('a', [1, 3], 3);
    rn.step({ type: 'app', from: b, to: a, term: term(2), index: logIndex(2), logTerm: term(2),
      entries: [{ index: logIndex(3), term: term(2), type: 'normal', data: bytes('old') }], commit: logIndex(3), round: 1, roundTick: 1 });
    const out = msgsOf(rn);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'app-resp', to: 'b', term: 3, reject: true });
    expect(rn.status()).toMatchObject({ term: 3, lastIndex: 2, commit: 0 });
  });
});

describe('§5.2 leader election', () => {
  it('§5.2 a follower that receives no communication over the election timeout becomes a candidate', () => {
    const rn = new RawNode(config(a), { hardState: null, snapshot: null, entries: [], initialConf: { voters: [a, b, c], learners: [] } },
      constPrng(3));
    for (let i = 0; i < E + 2; i++) rn.tick();
    expect(rn.status().role).toBe('follower');
    rn.tick(); // tick E + 3 = the randomized timeout
    expect(rn.status().role).toBe('pre-candidate');
    const out = msgsOf(rn);
    // A founding member starts at term 1 (bootstrap membership entries); it campaigns for term 2.
    expect(out.map((m) => [m.type, m.to, m.term])).toEqual([['pre-vote', 'b', 2], ['pre-vote', 'c', 2]]);
    rn.step({ type: 'pre-vote-resp', from: b, to: a, term: term(2), reject: false });
    expect(rn.status()).toMatchObject({ role: 'candidate', term: 2, vote: 'a' });
    expect(msgsOf(rn).filter((m) => m.type === 'vote').length).toBe(2);
  });

  it('§5.2 a follower that keeps hearing from the leader never starts an election', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], prng: () => constPrng(1) });
    net.elect('a');
    net.tickAll(10 * E);
    expect(net.leaders()).toEqual(['a']);
    expect(net.rn('b').status().term).toBe(2);
    expect(net.sent.filter((m) => m.type === 'pre-vote' && m.from !== 'a')).toHaveLength(0);
  });

  it('§5.2 election timeouts are randomized in [E, 2E) from the injected PRNG', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const rn = new RawNode(config(a), { hardState: null, snapshot: null, entries: [], initialConf: { voters: [a, b, c], learners: [] } },
        createPrng(seed));
      let ticks = 0;
      while (rn.status().role === 'follower') {
        rn.tick();
        ticks++;
        expect(ticks).toBeLessThan(2 * E);
      }
      expect(ticks).toBeGreaterThanOrEqual(E);
      seen.add(ticks);
    }
    expect(seen.size).toBe(E); // every value of [E, 2E) occurs
  });

  it('§5.2 a node grants at most one vote per term, first come first served', () => {
    const rn = warmNode('c');
    rn.step(voteReq('a', 'c', 1, 0, 0));
    rn.step(voteReq('b', 'c', 1, 0, 0));
    const out = msgsOf(rn);
    expect(out.map((m) => [m.to, m.type, 'reject' in m ? m.reject : undefined])).toEqual([['a', 'vote-resp', false], ['b', 'vote-resp', true]]);
    expect(rn.status().vote).toBe('a');
    rn.step(voteReq('a', 'c', 1, 0, 0)); // a retried request is granted again (idempotent)
    expect(msgsOf(rn)[0]).toMatchObject({ to: 'a', reject: false });
  });

  it('§5.2 a candidate that receives votes from a majority becomes leader', () => {
    const net = new Net({ voters: ['a', 'b', 'c', 'd', 'e'] });
    net.warmUp();
    net.crash('d');
    net.crash('e');
    expect(net.rn('a').campaign().ok).toBe(true);
    net.stabilize();
    expect(net.leaders()).toEqual(['a']);
    expect(net.rn('a').status().term).toBe(2);
  });

  it('§5.2 a candidate without a majority does not become leader', () => {
    const net = new Net({ voters: ['a', 'b', 'c', 'd', 'e'] });
    net.warmUp();
    for (const id of ['c', 'd', 'e']) net.crash(id);
    net.rn('a').campaign();
    net.stabilize();
    expect(net.leaders()).toEqual([]);
    expect(net.rn('a').status().role).toBe('pre-candidate');
  });

  it('§5.2 a candidate that receives an append of its own term from another leader reverts to follower', () => {
    const rn = warmNode('a');
    rn.campaign();
    rn.step({ type: 'pre-vote-resp', from: b, to: a, term: term(1), reject: false });
    expect(rn.status()).toMatchObject({ role: 'candidate', term: 1 });
    rn.step({ type: 'app', from: c, to: a, term: term(1), index: logIndex(0), logTerm: term(0), entries: [], commit: logIndex(0), round: 1, roundTick: 1 });
    expect(rn.status()).toMatchObject({ role: 'follower', term: 1, lead: 'c' });
  });

  it('§5.2 a candidate rejected by a majority reverts to follower', () => {
    const rn = warmNode('a');
    rn.campaign();
    rn.step({ type: 'pre-vote-resp', from: b, to: a, term: term(0), reject: true });
    rn.step({ type: 'pre-vote-resp', from: c, to: a, term: term(0), reject: true });
    expect(rn.status().role).toBe('follower');
  });

  it('§5.2 after a split vote a new election starts at the next timeout with a higher term', () => {
    const rn = warmNode('a');
    rn.campaign();
    rn.step({ type: 'pre-vote-resp', from: b, to: a, term: term(1), reject: false });
    expect(rn.status()).toMatchObject({ role: 'candidate', term: 1 });
    msgsOf(rn);
    for (let i = 0; i < 2 * E; i++) rn.tick();
    expect(rn.status().role).toBe('pre-candidate');
    rn.step({ type: 'pre-vote-resp', from: c, to: a, term: term(2), reject: false });
    expect(rn.status()).toMatchObject({ role: 'candidate', term: 2 });
  });
});

describe('§5.4.1 election restriction', () => {
  it('§5.4.1 a voter denies its vote to a candidate whose last term is lower', () => {
    const rn = warmNode('c', [1, 2]);
    rn.step(voteReq('a', 'c', 3, 5, 1));
    expect(msgsOf(rn)[0]).toMatchObject({ type: 'vote-resp', reject: true });
  });

  it('§5.4.1 a voter denies its vote to a candidate with the same last term but a shorter log', () => {
    const rn = warmNode('c', [1, 2, 2]);
    rn.step(voteReq('a', 'c', 3, 2, 2));
    expect(msgsOf(rn)[0]).toMatchObject({ type: 'vote-resp', reject: true });
  });

  it('§5.4.1 a vote is granted to a candidate whose log is at least as up-to-date', () => {
    for (const [idx, t] of [[3, 2], [1, 3], [9, 2]] as const) {
      const rn = warmNode('c', [1, 2, 2]);
      rn.step(voteReq('a', 'c', 4, idx, t));
      expect(msgsOf(rn)[0]).toMatchObject({ type: 'vote-resp', reject: false, term: 4 });
    }
  });

  it('§5.4.1 the TEST-ONLY fault grantVoteWithoutLogCheck skips the check', () => {
    const rn = new RawNode(config(c, {}, { grantVoteWithoutLogCheck: true }), { hardState: { term: term(2), vote: null, commit: logIndex(0) },
      snapshot: null, entries: [{ index: logIndex(1), term: term(2), type: 'normal', data: bytes('x') }],
      initialConf: { voters: [a, b, c], learners: [] } }, constPrng(E - 1));
    for (let i = 0; i < E; i++) rn.tick();
    rn.step(voteReq('a', 'c', 3, 0, 0));
    expect(msgsOf(rn).find((m) => m.type === 'vote-resp')).toMatchObject({ reject: false });
  });
});

describe('PreVote and CheckQuorum (Ongaro §9.6)', () => {
  it('PreVote: a partitioned node does not inflate its term and does not disrupt the leader when it returns', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], prng: () => constPrng(1) });
    net.elect('a');
    net.isolate('c');
    net.tickAll(20 * E);
    expect(net.rn('c').status().term).toBe(2);
    net.heal();
    net.tickAll(3 * E);
    expect(net.leaders()).toEqual(['a']);
    expect(net.rn('a').status().term).toBe(2);
  });

  it('PreVote: answering a pre-vote changes neither term nor vote', () => {
    const rn = warmNode('c', [1], 1);
    rn.step(voteReq('a', 'c', 5, 1, 1, 'pre-vote'));
    expect(msgsOf(rn)[0]).toMatchObject({ type: 'pre-vote-resp', reject: false, term: 5 });
    expect(rn.status()).toMatchObject({ term: 1, vote: null });
  });

  it('CheckQuorum: a leader that cannot hear from a quorum steps down within two election timeouts', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    let ticks = 0;
    while (net.rn('a').status().role === 'leader') {
      net.tickAll(1);
      ticks++;
      expect(ticks).toBeLessThanOrEqual(2 * E);
    }
    expect(net.rn('a').leaseValid()).toBe(false);
  });

  it('CheckQuorum: a new leader has heard from no follower yet, so one that hears no reply steps down at the end of its first election timeout', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    const reply = new Set<Message['type']>(['app-resp', 'heartbeat-resp', 'snap-resp']);
    net.filter = (m) => !(m.to === 'a' && reply.has(m.type));
    net.elect('a');
    net.tickAll(E - 1);
    expect(net.rn('a').status().role).toBe('leader');
    net.tickAll(1);
    expect(net.rn('a').status().role).toBe('follower');
  });

  it('vote lease: a follower that heard from the leader within the election timeout ignores vote requests', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.tickAll(3);
    for (const type of ['vote', 'pre-vote'] as const) {
      net.rn('c').step(voteReq('b', 'c', 3, 100, 2, type));
      expect(net.flush().filter((m) => m.from === 'c' && m.to === 'b')).toHaveLength(0);
      expect(net.rn('c').status()).toMatchObject({ term: 2, lead: 'a', role: 'follower' });
    }
  });

  it('vote lease: a freshly (re)started node refuses votes and campaigns for an election timeout', () => {
    const rn = new RawNode(config(c), { hardState: null, snapshot: null, entries: [], initialConf: { voters: [a, b, c], learners: [] } },
      constPrng(E - 1));
    const req = voteReq('a', 'c', 2, BOOT3, 1);
    rn.step(req);
    expect(msgsOf(rn).filter((m) => m.type === 'vote-resp')).toHaveLength(0);
    expect(rn.campaign()).toMatchObject({ ok: false, code: 'E_LEASE_HELD' });
    for (let i = 0; i < E - 1; i++) rn.tick();
    rn.step(req);
    expect(msgsOf(rn)).toHaveLength(0);
    rn.tick();
    rn.step(req);
    expect(msgsOf(rn)[0]).toMatchObject({ type: 'vote-resp', reject: false });
  });

  it('vote lease: campaign() is refused with E_LEASE_HELD while the leader is heard from', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    expect(net.rn('b').campaign()).toMatchObject({ ok: false, code: 'E_LEASE_HELD', leader: 'a' });
    expect(net.rn('a').campaign()).toEqual({ ok: true });
  });

  it('vote lease: the TEST-ONLY fault ignoreLease lets a follower grant votes while the leader is alive', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], faults: { ignoreLease: true } });
    net.elect('a');
    net.rn('c').step(voteReq('b', 'c', 3, 100, 2));
    expect(net.flush().find((m) => m.from === 'c' && m.type === 'vote-resp')).toMatchObject({ reject: false });
  });
});

describe('§5.2 campaign requests', () => {
  it('§5.2 asking the leader to campaign is a no-op that succeeds: it keeps its term and role', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const t = net.rn('a').status().term;
    expect(net.rn('a').campaign()).toEqual({ ok: true });
    net.stabilize();
    expect(net.rn('a').status()).toMatchObject({ role: 'leader', term: t });
  });
});
