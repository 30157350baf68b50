// Paper tests for lease rule R5 (raft/leader-gone.ts): evidence that the leader's process is
// gone (a refused connection) starts an election at once instead of after the vote lease, and a
// leader elected so keeps a quiet period (no lease, no commit) long enough that an old leader
// that is in fact alive (false evidence: a firewall resetting connections) has lost its lease.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import { LEADER_GONE_SPACING_TICKS } from '../../daemon/src/raft/leader-gone.js';
import { bytes, DRIFT, E, LEASE, Net } from './harness.js';

/** a leads b and c with a valid lease and a committed entry of its term. */
function steady(): Net {
  const net = new Net({ voters: ['a', 'b', 'c'] });
  net.elect('a');
  net.rn('a').propose(bytes('x'));
  net.tickAll(3);
  expect(net.rn('a').leaseValid()).toBe(true);
  return net;
}

const gone = (net: Net, who: string[], leader = 'a'): void => {
  for (const id of who) net.rn(id).leaderGone(nodeId(leader));
};

/** The leader of the highest term among `ids`, or null. */
function newest(net: Net, ids: string[]): string | null {
  const ls = ids.filter((id) => net.node(id).up && net.rn(id).status().role === 'leader');
  ls.sort((x, y) => net.rn(y).status().term - net.rn(x).status().term);
  return ls[0] ?? null;
}

describe('R5: evidence that the leader is gone', () => {
  it('survivors with the evidence elect a new leader well inside the vote lease (faster than an election timeout)', () => {
    const net = steady();
    net.crash('a');
    gone(net, ['b', 'c']);
    let ticks = 0;
    while (newest(net, ['b', 'c']) === null && ticks < 3 * E) {
      net.tick('b'); net.tick('c'); net.stabilize(); ticks++;
    }
    expect(newest(net, ['b', 'c'])).not.toBeNull();
    expect(ticks).toBeLessThanOrEqual(2 * LEADER_GONE_SPACING_TICKS);
    expect(ticks).toBeLessThan(E); // the vote lease alone would hold them E ticks
  });

  it('the new leader keeps the quiet period, counted from when its voters last heard the old leader: no lease and no commit before leaseTicks + drift ticks from then, and no longer', () => {
    const net = steady();
    const lastHeardTick = net.rn('b').status().nowTick; // b and c heard a on this tick (heartbeat every tick)
    net.crash('a');
    const LATE_EVIDENCE_TICKS = 4; // the evidence comes late: counting from the election would wait longer
    for (let i = 0; i < LATE_EVIDENCE_TICKS; i++) { net.tick('b'); net.tick('c'); net.stabilize(); }
    gone(net, ['b', 'c']);
    let leader: string | null = null;
    while ((leader = newest(net, ['b', 'c'])) === null) { net.tick('b'); net.tick('c'); net.stabilize(); }
    const l = net.rn(leader);
    const won = l.status().nowTick;
    expect(won - lastHeardTick).toBeGreaterThan(LATE_EVIDENCE_TICKS);
    const commitAtWin = l.status().commit;
    let leaseFrom: number | null = null;
    for (let i = 0; i < LEASE + DRIFT + 4 * E && leaseFrom === null; i++) {
      const st = l.status();
      if (st.nowTick - lastHeardTick < LEASE + DRIFT) expect(st.commit, `commit at +${st.nowTick - lastHeardTick} ticks from last heard`).toBe(commitAtWin);
      if (l.leaseValid()) leaseFrom = st.nowTick;
      net.tick('b'); net.tick('c'); net.stabilize();
    }
    expect(leaseFrom).not.toBeNull();
    expect(leaseFrom! - lastHeardTick).toBeGreaterThanOrEqual(LEASE + DRIFT);
    // No longer than needed: the voter's rounding tick at most (ticks are in lockstep here).
    expect(leaseFrom! - lastHeardTick).toBeLessThanOrEqual(LEASE + DRIFT + 1);
    expect(leaseFrom! - won).toBeLessThan(LEASE + DRIFT);
    expect(l.status().commit).toBeGreaterThan(commitAtWin); // it commits once the quiet period is over
  });

  it('the quiet period follows the voter that heard the old leader last (its own last-heard tick included)', () => {
    const net = steady();
    net.cut.add('a->c'); // c stops hearing a; b still does, and a keeps its lease through b
    const CUT_TICKS = 5; // < E - LEASE: c's vote lease still holds when the evidence comes
    net.tickAll(CUT_TICKS);
    const bHeardTick = net.rn('b').status().nowTick;
    expect(net.rn('a').leaseValid()).toBe(true);
    net.crash('a');
    gone(net, ['b', 'c']); // b ranks first: b campaigns with its own bypass, c votes with an older one
    let leader: string | null = null;
    while ((leader = newest(net, ['b', 'c'])) === null) { net.tick('b'); net.tick('c'); net.stabilize(); }
    expect(leader).toBe('b');
    const l = net.rn('b');
    let leaseFrom: number | null = null;
    for (let i = 0; i < LEASE + DRIFT + 4 * E && leaseFrom === null; i++) {
      if (l.leaseValid()) leaseFrom = l.status().nowTick;
      net.tick('b'); net.tick('c'); net.stabilize();
    }
    expect(leaseFrom).not.toBeNull();
    expect(leaseFrom! - bHeardTick).toBeGreaterThanOrEqual(LEASE + DRIFT);
  });

  it('false evidence against a live leader (clock slow by the drift bound): its lease never overlaps the new leader\'s lease or commits', () => {
    const net = steady();
    net.isolate('a');
    gone(net, ['b', 'c']);
    const overlaps: string[] = [];
    let newLeader: string | null = null;
    const commitBefore = Math.max(net.rn('b').status().commit, net.rn('c').status().commit);
    for (let s = 0; s < 6 * E; s++) {
      for (const id of ['a', 'b', 'c']) {
        if (id === 'a' && s % E < DRIFT) continue; // a counts E - DRIFT ticks per E: as slow as allowed
        net.rn(id).tick();
      }
      net.stabilize();
      newLeader = newest(net, ['b', 'c']) ?? newLeader;
      if (!net.rn('a').leaseValid() || newLeader === null) continue;
      const nl = net.rn(newLeader);
      if (nl.leaseValid()) overlaps.push(`step ${s}: ${newLeader} holds a lease while a's still runs`);
      if (nl.status().commit > commitBefore) overlaps.push(`step ${s}: ${newLeader} committed while a's lease runs`);
    }
    expect(newLeader).not.toBeNull();
    expect(overlaps).toEqual([]);
  });

  it('a vote granted under the bypass imposes the quiet period on a candidate that campaigned without it', () => {
    const net = steady();
    net.cut.add('a->c'); net.cut.add('c->a');
    net.tickAll(E); // c's vote lease runs out; b still hears a, which keeps its lease through b
    net.isolate('a');
    gone(net, ['b']); // only b has (false) evidence; a is alive and leads with its lease
    expect(net.rn('c').campaign().ok).toBe(true); // c's own lease is over: a campaign without the bypass
    net.stabilize();
    expect(net.rn('c').status().role).toBe('leader');
    const overlaps: string[] = [];
    const commitAtWin = net.rn('c').status().commit;
    for (let s = 0; s < 3 * E; s++) {
      for (const id of ['a', 'b', 'c']) if (!(id === 'a' && s % E < DRIFT)) net.rn(id).tick();
      net.stabilize();
      if (!net.rn('a').leaseValid()) continue;
      if (net.rn('c').leaseValid()) overlaps.push(`step ${s}: c holds a lease while a's still runs`);
      if (net.rn('c').status().commit > commitAtWin) overlaps.push(`step ${s}: c committed while a's lease runs`);
    }
    expect(overlaps).toEqual([]);
    expect(net.rn('c').leaseValid()).toBe(true);
  });

  it('a leader in its quiet period hands over no lease by a transfer: MsgTimeoutNow waits for the quiet period to end (sim seed 946)', () => {
    const net = steady();
    net.isolate('a'); // alive, holding its lease, counting slowly
    gone(net, ['b', 'c']);
    const overlaps: string[] = [];
    let transferred = false;
    for (let s = 0; s < 6 * E; s++) {
      for (const id of ['a', 'b', 'c']) if (!(id === 'a' && s % E < DRIFT)) net.rn(id).tick();
      net.stabilize();
      const l = newest(net, ['b', 'c']);
      if (l !== null && !transferred) { // hand over at once, inside the quiet period
        transferred = true;
        expect(net.rn(l).transferLeadership(nodeId(l === 'b' ? 'c' : 'b')).ok).toBe(true);
        net.stabilize();
      }
      if (!net.rn('a').leaseValid()) continue;
      for (const id of ['b', 'c']) if (net.rn(id).leaseValid()) overlaps.push(`step ${s}: ${id} holds a lease while a's still runs`);
    }
    expect(transferred).toBe(true);
    expect(overlaps).toEqual([]);
    const l = newest(net, ['b', 'c']);
    expect(l).not.toBeNull();
    expect(net.rn(l!).leaseValid()).toBe(true); // the transfer went through once the quiet period ended
  });

  it('a normally won election (no evidence) has no quiet period', () => {
    const net = steady();
    net.crash('a');
    let ticks = 0;
    while (newest(net, ['b', 'c']) === null && ticks < 4 * E) { net.tick('b'); net.tick('c'); net.stabilize(); ticks++; }
    const leader = newest(net, ['b', 'c'])!;
    expect(ticks).toBeGreaterThanOrEqual(E); // held by the vote lease
    net.tick('b'); net.tick('c'); net.stabilize();
    net.tick('b'); net.tick('c'); net.stabilize();
    expect(net.rn(leader).leaseValid()).toBe(true);
  });

  it('evidence is ignored for a node that is not our leader, and dropped when the leader is heard again', () => {
    const net = steady();
    gone(net, ['b', 'c'], 'c'); // about a follower: nothing happens
    for (let i = 0; i < E - 1; i++) net.tickAll(1);
    expect(net.leaders()).toEqual(['a']);
    gone(net, ['b', 'c']); // wrong evidence about a, which keeps sending heartbeats
    net.tickAll(2 * E);
    expect(net.leaders()).toEqual(['a']);
    expect(net.rn('a').status().term).toBe(net.rn('b').status().term);
  });
});
