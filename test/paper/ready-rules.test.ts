// Paper tests: the Ready contract of the core (raft/rawnode.ts), which the node shell obeys to
// keep §5.5 durability: what a Ready must make durable with an fsync before its messages go out
// (mustSync: new entries, a snapshot, a new term or vote — a commit-only change need not), when
// there is a Ready at all, and that advance() acknowledges exactly what the Ready carried.
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import { RAFT_MAX_COMMITTED_PER_READY, RAFT_MAX_READ_CTX_CHARS } from '../../daemon/src/common/limits.js';
import { E, Net, bytes } from './harness.js';

describe('§5.5 the Ready contract', () => {
  it('§5.5 a Ready with new entries must be synced before its messages are sent (leader and follower alike)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('x'));
    const rd = net.rn('a').ready();
    expect(rd.entries.map((e) => e.index)).toEqual([net.rn('a').status().lastIndex]);
    expect(rd.mustSync).toBe(true);
    expect(rd.messages.some((m) => m.type === 'app')).toBe(true);
    net.node('a').storage.persist(rd.snapshot, rd.entries, rd.hardState, rd.mustSync);
    net.rn('a').advance(rd);
    for (const m of rd.messages) if (m.to === 'b') net.rn('b').step(m);
    const fb = net.rn('b').ready();
    expect([fb.entries.length, fb.mustSync]).toEqual([1, true]);
  });

  it('§5.5 a Ready that only moves the commit index carries the hard state but needs no sync', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('x'));
    net.drainReadies();
    // Deliver the appends and the acks by hand; the leader's next Ready holds only the commit.
    for (let round = 0; round < 2; round++) {
      const q = net.queue;
      net.queue = [];
      for (const m of q) net.deliver(m);
      if (round === 0) net.drainReadies();
    }
    const rd = net.rn('a').ready();
    expect(rd.entries).toEqual([]);
    expect(rd.hardState?.commit).toBe(net.rn('a').status().lastIndex);
    expect(rd.mustSync).toBe(false);
    expect(rd.committedEntries.map((e) => new TextDecoder().decode(e.data))).toEqual(['x']);
  });

  it('§5.5 a new term or a new vote must be synced even without entries (a node must not vote twice in a term)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const st = net.rn('c').status();
    // A transfer campaign is exempt from the vote lease: c grants b its vote in a new term.
    net.rn('c').step({ type: 'vote', from: nodeId('b'), to: nodeId('c'), term: term(st.term + 1), index: logIndex(st.lastIndex),
      logTerm: term(st.term), transfer: true });
    const rd = net.rn('c').ready();
    expect(rd.entries).toEqual([]);
    expect(rd.hardState).toMatchObject({ term: st.term + 1, vote: 'b' });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages.map((m) => [m.type, m.to])).toEqual([['vote-resp', 'b']]);
    net.rn('c').advance(rd);
    // A term change alone (no vote: c learns of a higher term from an append) must be synced too.
    net.rn('c').step({ type: 'heartbeat', from: nodeId('a'), to: nodeId('c'), term: term(st.term + 2), commit: logIndex(0), round: 1, roundTick: 0 });
    const rd2 = net.rn('c').ready();
    expect(rd2.hardState).toMatchObject({ term: st.term + 2, vote: null });
    expect([rd2.entries.length, rd2.mustSync]).toEqual([0, true]);
  });

  it('§5.5 a vote alone (same term) and a term alone (no vote) must each be synced', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    const c = net.rn('c');
    net.drainReadies();
    const t = c.status().term;
    c.step({ type: 'vote', from: nodeId('b'), to: nodeId('c'), term: term(t), index: logIndex(c.status().lastIndex), logTerm: term(t), transfer: true });
    const rd = c.ready();
    expect([rd.hardState?.term, rd.hardState?.vote, rd.entries.length, rd.mustSync]).toEqual([t, 'b', 0, true]);
    c.advance(rd);
    const a = net.rn('a');
    a.step({ type: 'heartbeat', from: nodeId('b'), to: nodeId('a'), term: term(t + 1), commit: logIndex(0), round: 1, roundTick: 0 });
    const ra = a.ready();
    expect([ra.hardState?.term, ra.hardState?.vote, ra.entries.length, ra.mustSync]).toEqual([t + 1, null, 0, true]);
  });

  it('§5.5 a leader that steps down (CheckQuorum) has a Ready for the role change alone', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    const a = net.rn('a');
    for (let i = 0; i < 3 * E && a.status().role === 'leader'; i++) {
      net.drainReadies();
      a.tick();
    }
    expect(a.status().role).toBe('follower');
    expect(a.hasReady()).toBe(true);
    const rd = a.ready();
    expect([rd.softState, rd.hardState, rd.entries, rd.messages, rd.mustSync]).toEqual([{ lead: null, role: 'follower' }, null, [], [], false]);
  });

  it(`§5.5 a backlog of more than RAFT_MAX_COMMITTED_PER_READY committed entries is handed out over several Readies`, () => {
    const net = new Net({ voters: ['a'] });
    net.warmUp();
    net.rn('a').campaign();
    net.stabilize();
    const a = net.rn('a');
    for (let i = 0; i < RAFT_MAX_COMMITTED_PER_READY + 3; i++) a.propose(bytes('e'));
    const rd = a.ready();
    expect(rd.committedEntries).toHaveLength(RAFT_MAX_COMMITTED_PER_READY);
    a.advance(rd);
    expect(a.hasReady()).toBe(true); // only the rest of the backlog is pending
    const rest = a.ready();
    expect([rest.committedEntries.length, rest.entries.length, rest.hardState, rest.messages.length]).toEqual([3, 0, null, 0]);
    a.advance(rest);
    expect(a.hasReady()).toBe(false);
  });

  it('§5.3 reportUnreachable makes the leader probe a follower again from its match: no new-leader guess, no pipeline', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.warmUp();
    net.cut.add('c->a'); // c never answers the new leader: its progress stays a probe from the leader's last index + 1
    expect(net.rn('a').campaign().ok).toBe(true);
    net.stabilize();
    expect(net.rn('a').status().role).toBe('leader');
    net.rn('a').reportUnreachable(nodeId('c'));
    net.heal();
    const before = net.sent.length;
    net.tickAll(2); // heartbeat, c answers, the leader probes c
    const apps = net.sent.slice(before).filter((m) => m.type === 'app' && m.to === 'c');
    expect(apps.length).toBeGreaterThan(0);
    expect(apps[0]!.type === 'app' && apps[0]!.index).toBe(0); // c's match is 0: probe from index 1
  });

  it('§5.5 there is no Ready once everything was handed out and acknowledged; a role change alone makes one, with its soft state', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.stabilize();
    for (const id of ['a', 'b', 'c']) expect([id, net.rn(id).hasReady()]).toEqual([id, false]);
    // c hears of a higher term from a stale-term reply: it becomes a follower of no leader (soft state changes).
    net.rn('a').step({ type: 'heartbeat-resp', from: nodeId('b'), to: nodeId('a'), term: term(net.rn('a').status().term + 1), round: 1, roundTick: 0 });
    expect(net.rn('a').hasReady()).toBe(true);
    const rd = net.rn('a').ready();
    expect(rd.softState).toEqual({ lead: null, role: 'follower' });
    net.rn('a').advance(rd);
    expect(net.rn('a').hasReady()).toBe(false);
    net.rn('b').propose(bytes('fwd')); // a Ready with messages only: no soft state
    const fb = net.rn('b').ready();
    expect([fb.softState, fb.hardState, fb.mustSync, fb.messages.length]).toEqual([null, null, false, 1]);
  });

  it('§5.5 advance acknowledges the Ready\'s last entry as stable and its last committed entry as applied', () => {
    const net = new Net({ voters: ['a'] });
    net.warmUp();
    net.rn('a').campaign();
    net.stabilize();
    net.rn('a').propose(bytes('1'));
    net.rn('a').propose(bytes('2'));
    const rd = net.rn('a').ready();
    expect(rd.entries.length).toBe(2);
    expect(rd.committedEntries.length).toBe(2); // a lone voter commits at once
    net.rn('a').advance(rd);
    expect(net.rn('a').status().applied).toBe(rd.committedEntries[1]!.index);
    expect(net.rn('a').hasReady()).toBe(false);
  });

  it('§8 a read request context longer than RAFT_MAX_READ_CTX_CHARS is refused; one of exactly that length is served', () => {
    const net = new Net({ voters: ['a'] });
    net.warmUp();
    net.rn('a').campaign();
    net.stabilize();
    expect(net.rn('a').readIndex('x'.repeat(RAFT_MAX_READ_CTX_CHARS + 1))).toEqual({ ok: false, code: 'E_TOO_LARGE', leader: 'a' });
    expect(net.rn('a').readIndex('x'.repeat(RAFT_MAX_READ_CTX_CHARS))).toEqual({ ok: true });
    expect(net.rn('a').readIndex(5 as unknown as string)).toMatchObject({ ok: false, code: 'E_TOO_LARGE' });
  });

  it('§8 a follower forwards a read to its leader; a candidate or a node without a leader refuses it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    expect(net.rn('b').readIndex('r1')).toEqual({ ok: true });
    expect(net.rn('b').ready().messages.map((m) => [m.type, m.to])).toEqual([['read-index', 'a']]);
    const lone = new Net({ voters: ['a', 'b', 'c'] });
    expect(lone.rn('b').readIndex('r')).toEqual({ ok: false, code: 'E_NO_LEADER', leader: null });
    lone.tick('b', 2 * E); // b's election timeout: it becomes a pre-candidate
    expect(lone.rn('b').status().role).toBe('pre-candidate');
    expect(lone.rn('b').readIndex('r')).toEqual({ ok: false, code: 'E_NO_LEADER', leader: null });
  });

  it('§7 compact() refuses an index beyond what was handed out for applying, and applies up to the index it is given', () => {
    const net = new Net({ voters: ['a'] });
    net.warmUp();
    net.rn('a').campaign();
    net.stabilize();
    net.rn('a').propose(bytes('1'));
    const rd = net.rn('a').ready();
    const last = rd.committedEntries[rd.committedEntries.length - 1]!.index;
    expect(() => net.rn('a').compact(last + 1, new Uint8Array())).toThrow(/beyond the entries handed out/);
    expect(() => net.rn('a').compact(1.5, new Uint8Array())).toThrow();
    const snap = net.rn('a').compact(last, new Uint8Array([1]));
    expect(snap?.meta.index).toBe(last);
    expect(net.rn('a').status().applied).toBe(last); // compact at an index means it was applied
  });

  it('§5.3 reportUnreachable stops pipelining to a replicating follower: one probe from its match, even with its window full', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.cut.add('a->b');
    for (let i = 0; i < 20; i++) net.rn('a').propose(bytes(`p${i}`)); // b's window fills with lost appends
    net.stabilize();
    net.heal();
    const match = net.rn('b').status().lastIndex;
    const before = net.sent.length;
    net.rn('a').reportUnreachable(nodeId('b'));
    net.rn('a').propose(bytes('next'));
    net.drainReadies();
    const toB = net.sent.slice(before).filter((m) => m.type === 'app' && m.to === 'b');
    expect(toB.map((m) => m.type === 'app' && [m.index, m.entries.length])).toEqual([[match, 16]]);
    expect(() => net.rn('b').reportUnreachable(nodeId('a'))).not.toThrow(); // a follower tracks no progress
    expect(() => net.rn('a').reportUnreachable(nodeId('zz'))).not.toThrow(); // nor does a leader for a non-member
  });

  it('status: a non-leader reports no lease end', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.tickAll(2);
    expect(net.rn('a').status().leaseEndTick).not.toBeNull();
    expect(net.rn('b').status().leaseEndTick).toBeNull();
  });
});

describe('§5.5 hasReady() tells of every change a Ready would carry, and only of those', () => {
  it('a node restarted from its storage has no Ready while nothing changed: its starting role and leader are no news', () => {
    const log = { term: 1, entries: [[1, 1]] as [number, number][] };
    const net = new Net({ voters: ['a', 'b', 'c'], logs: { a: log } });
    expect(net.rn('a').hasReady()).toBe(false);
    expect(net.rn('a').ready().softState).toBeNull();
  });

  it('a fresh node joining later (no founding membership) has no hard state to persist before it hears from the cluster', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d'] });
    expect(net.rn('d').hasReady()).toBe(false);
    const rd = net.rn('d').ready();
    expect([rd.hardState, rd.mustSync]).toEqual([null, false]);
  });

  it('a campaign lost without a term change (role back to follower, no message, same hard state) makes a Ready with its soft state', () => {
    const behind = { term: 1, entries: [[1, 1]] as [number, number][] };
    const ahead = { term: 1, entries: [[1, 1], [2, 1]] as [number, number][] };
    const net = new Net({ voters: ['a', 'b', 'c'], logs: { a: ahead, b: ahead, c: behind } });
    net.warmUp(); // everyone past the startup vote lease, nobody campaigned
    const c = net.rn('c');
    expect(c.campaign().ok).toBe(true);
    const rd = c.ready();
    expect(rd.softState?.role).toBe('pre-candidate');
    c.advance(rd);
    for (const m of rd.messages) net.deliver(m); // a and b refuse: c's log is behind (their term stays 1)
    for (const m of net.flush()) net.deliver(m);
    expect(c.status().role).toBe('follower');
    expect(c.hasReady()).toBe(true);
    const lost = c.ready();
    expect([lost.softState, lost.hardState, lost.messages.length]).toEqual([{ lead: null, role: 'follower' }, null, 0]);
  });

  it('a higher term learned from a reply alone (no leader known, nothing to answer) makes a synced Ready', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.warmUp();
    const a = net.rn('a');
    expect([a.status().lead, a.hasReady()]).toEqual([null, false]);
    a.step({ type: 'app-resp', from: nodeId('b'), to: nodeId('a'), term: term(3), index: logIndex(0), reject: true,
      rejectHint: logIndex(0), logTerm: term(0), round: 0, roundTick: 0 });
    expect(a.hasReady()).toBe(true);
    const rd = a.ready();
    expect([rd.softState, rd.hardState?.term, rd.mustSync, rd.messages.length]).toEqual([null, 3, true, 0]);
  });

  it('a leader\'s proposal that it cannot send anyone (every follower paused) is still handed out for persisting', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('b'); net.crash('c');
    const a = net.rn('a');
    for (const id of ['b', 'c']) a.reportUnreachable(nodeId(id));
    a.propose(bytes('x')); // one probe to each follower: both paused now
    net.drainReadies();
    expect(a.hasReady()).toBe(false);
    expect(a.propose(bytes('y')).ok).toBe(true);
    expect(a.hasReady()).toBe(true);
    const rd = a.ready();
    expect([rd.entries.length, rd.mustSync, rd.messages.length, rd.hardState]).toEqual([1, true, 0, null]);
  });

  it('§5.5 a Ready carrying a snapshot must be synced, even with no new entry, term or vote', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.stabilize();
    const t = net.rn('a').status().term;
    const b = net.rn('b');
    b.step({ type: 'snap', from: nodeId('a'), to: nodeId('b'), term: term(t), offsetBytes: 0, totalBytes: 5, chunk: bytes('state'),
      meta: { index: logIndex(50), term: term(t), conf: { voters: ['a', 'b', 'c'].map(nodeId), learners: [] } } });
    const rd = b.ready();
    expect([rd.snapshot?.meta.index, rd.entries.length, rd.hardState?.term, rd.hardState?.vote]).toEqual([50, 0, t, 'a']);
    expect(rd.mustSync).toBe(true);
  });

  it('§5.3 reportUnreachable on a follower already probing keeps its one probe outstanding: nothing more is sent until it answers', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    const a = net.rn('a');
    a.reportUnreachable(nodeId('c'));
    a.propose(bytes('x')); // the probe to c
    expect(net.flush().filter((m) => m.type === 'app' && m.to === 'c').length).toBe(1);
    a.reportUnreachable(nodeId('c'));
    a.propose(bytes('y'));
    expect(net.flush().filter((m) => m.type === 'app' && m.to === 'c')).toEqual([]);
  });
});
