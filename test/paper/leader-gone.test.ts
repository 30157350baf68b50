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

/** Ticks b and c (a is down) until `done` holds; the number of ticks taken, at most `max`. */
function tickSurvivorsUntil(net: Net, done: () => boolean, max = 4 * E): number {
  let ticks = 0;
  while (!done() && ticks < max) { net.tick('b'); net.tick('c'); net.stabilize(); ticks++; }
  return ticks;
}

describe('R5: the evidence is acted on only while it is about the leader this node follows, inside its vote lease', () => {
  it('the bypass covers only the leader the evidence named: a voter that follows the newer leader keeps its vote lease for it', () => {
    const net = steady();
    net.crash('a');
    gone(net, ['b', 'c']);
    tickSurvivorsUntil(net, () => newest(net, ['b', 'c']) !== null);
    const leader = newest(net, ['b', 'c'])!;
    const other = leader === 'b' ? 'c' : 'b';
    net.tick('b'); net.tick('c'); net.stabilize(); // `other` hears the new leader
    expect(net.rn(other).status().lead).toBe(leader);
    const res = net.rn(other).campaign();
    expect(res.ok).toBe(false);
    expect(res.ok ? null : res.code).toBe('E_LEASE_HELD');
  });

  it('evidence about the old leader while no leader is known (a transfer campaign under way) is ignored: the vote lease still holds', () => {
    const net = steady();
    expect(net.rn('a').transferLeadership(nodeId('b')).ok).toBe(true);
    const toB = net.flush().filter((m) => m.type === 'timeout-now');
    expect(toB.length).toBe(1);
    net.deliver(toB[0]!); // b starts its transfer campaign, exempt from the vote lease
    const votes = net.flush().filter((m) => m.type === 'vote' && m.to === 'c');
    expect(votes.length).toBe(1);
    net.deliver(votes[0]!); // c adopts the new term with no leader, a heard a tick ago
    expect(net.rn('c').status().lead).toBeNull();
    net.rn('c').leaderGone(nodeId('a')); // a is not c's leader any more: nothing to act on
    const res = net.rn('c').campaign();
    expect(res.ok ? null : res.code).toBe('E_LEASE_HELD');
  });

  it('evidence that comes after the vote lease ran out leaves the normal election timing alone', () => {
    const withEvidence = steady();
    const without = steady();
    for (const net of [withEvidence, without]) {
      net.crash('a');
      for (let i = 0; i < E; i++) { net.tick('b'); net.tick('c'); net.stabilize(); } // the vote lease is over
    }
    gone(withEvidence, ['b', 'c']);
    const took = [withEvidence, without].map((net) => tickSurvivorsUntil(net, () => newest(net, ['b', 'c']) !== null));
    expect(newest(without, ['b', 'c'])).not.toBeNull();
    expect(took[0]).toBe(took[1]);
    expect(newest(withEvidence, ['b', 'c'])).toBe(newest(without, ['b', 'c']));
  });

  it('survivors campaign by rank, rank r within [1 + r * spacing, (r + 1) * spacing] ticks of the evidence (ties broken by the random part)', () => {
    const net = steady();
    net.crash('a');
    net.cut.add('b->c'); net.cut.add('c->b'); // each campaigns on its own: neither can win
    gone(net, ['b', 'c']);
    const first: Record<string, number> = {};
    for (let t = 1; t <= 3 * LEADER_GONE_SPACING_TICKS; t++) {
      net.tick('b'); net.tick('c'); net.stabilize();
      for (const id of ['b', 'c']) if (first[id] === undefined && net.rn(id).status().role !== 'follower') first[id] = t;
    }
    const S = LEADER_GONE_SPACING_TICKS;
    expect(first.b).toBeGreaterThanOrEqual(1); expect(first.b).toBeLessThanOrEqual(S);
    expect(first.c).toBeGreaterThanOrEqual(1 + S); expect(first.c).toBeLessThanOrEqual(2 * S);
  });

  it('ranks follow the ids in order, not the order of the configured voter list (every survivor ranks alike)', () => {
    const logs = { term: 1, entries: [[1, 1]] as [number, number][] }; // a log from before conf entries: the configured order rules
    const net = new Net({ voters: ['c', 'b', 'a'], logs: { a: logs, b: logs, c: logs } });
    expect(net.rn('b').status().conf.voters).toEqual(['c', 'b', 'a']);
    net.elect('a');
    net.tickAll(3);
    net.crash('a');
    gone(net, ['b', 'c']);
    tickSurvivorsUntil(net, () => newest(net, ['b', 'c']) !== null);
    expect(newest(net, ['b', 'c'])).toBe('b'); // b ranks first, whatever the list order
  });
});
