// Paper tests: leadership transfer (Ongaro §3.10) and the leader lease (lease.ts R1-R4).
// The lease decides which node may write md superblocks: no two nodes may hold it at once.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import type { Message } from '../../daemon/src/raft/types.js';
import { E, LEASE, Net, bytes } from './harness.js';

describe('leadership transfer', () => {
  it('transfer: the leader sends MsgTimeoutNow to a caught-up target, which wins at once despite the vote lease', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const t = net.rn('a').status().term;
    expect(net.rn('a').transferLeadership(nodeId('b'))).toEqual({ ok: true });
    net.stabilize(); // no ticks: the followers still hear from a (vote lease), the transfer is exempt
    expect(net.leaders()).toEqual(['b']);
    expect(net.rn('b').status().term).toBe(t + 1);
    expect(net.sent.filter((m) => m.type === 'timeout-now').map((m) => m.to)).toEqual(['b']);
  });

  it('transfer: a lagging target is caught up before MsgTimeoutNow', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    for (let i = 0; i < 20; i++) net.rn('a').propose(bytes(`v${i}`));
    net.stabilize();
    net.restart('c');
    const from = net.sent.length;
    net.rn('a').transferLeadership(nodeId('c'));
    net.tickAll(3);
    const toC = net.sent.slice(from).filter((m) => m.to === 'c' && (m.type === 'app' || m.type === 'timeout-now'));
    const tn = toC.findIndex((m) => m.type === 'timeout-now');
    expect(tn).toBeGreaterThan(0);
    expect(toC.slice(0, tn).some((m) => m.type === 'app' && m.entries.length > 0)).toBe(true);
    expect(net.leaders()).toEqual(['c']);
    expect(net.appliedData('c')).toHaveLength(20);
  });

  it('transfer: proposals are refused during the transfer and the transfer aborts after an election timeout', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    net.rn('a').transferLeadership(nodeId('c')); // c is down: it never catches up
    expect(net.rn('a').propose(bytes('refused'))).toEqual({ ok: false, code: 'E_PROPOSAL_DROPPED', leader: 'a' });
    expect(net.rn('a').leaseValid()).toBe(false);
    net.tickAll(E);
    expect(net.leaders()).toEqual(['a']);
    expect(net.rn('a').propose(bytes('accepted'))).toEqual({ ok: true });
    net.stabilize();
    expect(net.rn('a').leaseValid()).toBe(true);
    expect(net.sent.some((m) => m.type === 'timeout-now')).toBe(false);
    expect(net.appliedData('b')).toEqual(['x', 'accepted']);
  });

  it('transfer: the old leader\'s lease ends when it sends MsgTimeoutNow, for good, even if the message is lost', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.tickAll(1);
    expect(net.rn('a').leaseValid()).toBe(true);
    net.filter = (m) => m.type !== 'timeout-now';
    net.rn('a').transferLeadership(nodeId('b'));
    expect(net.rn('a').leaseValid()).toBe(false);
    expect(net.rn('a').status().leaseEndTick).toBeNull();
    for (let i = 0; i < E; i++) {
      net.tickAll(1);
      expect(net.rn('a').leaseValid()).toBe(false); // heartbeats are still acknowledged: no lease anyway
    }
    // the transfer was aborted after MsgTimeoutNow: a steps down rather than resume
    expect(net.rn('a').status().role).toBe('follower');
  });

  it('transfer: requests are validated and a follower forwards them to the leader', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], joiners: ['d'] });
    net.elect('a');
    expect(net.rn('a').transferLeadership(nodeId('zz'))).toMatchObject({ ok: false, code: 'E_UNKNOWN_NODE' });
    net.rn('a').proposeConfChange({ type: 'add-learner', node: nodeId('d') });
    net.stabilize();
    expect(net.rn('a').transferLeadership(nodeId('d'))).toMatchObject({ ok: false, code: 'E_INVALID_STATE' });
    expect(net.rn('b').transferLeadership(nodeId('c'))).toEqual({ ok: false, code: 'E_NOT_LEADER', leader: 'a' });
    net.stabilize();
    expect(net.leaders()).toEqual(['c']);
  });
});

/** Runs `steps` real-time steps; node `slow` ticks on `slowNum` of every `slowDen` steps. */
function runChecked(net: Net, steps: number, slow: string | null, slowNum: number, slowDen: number,
  onStep?: (step: number) => void): { overlaps: number; leaders: Set<string> } {
  let overlaps = 0;
  const leaders = new Set<string>();
  for (let s = 0; s < steps; s++) {
    for (const n of net.nodes.values()) {
      if (!n.up) continue;
      if (n.id === slow && s % slowDen >= slowNum) continue;
      n.rn.tick();
    }
    net.stabilize();
    onStep?.(s);
    const holders = [...net.nodes.values()].filter((n) => n.up && n.rn.leaseValid()).map((n) => n.id);
    const ls = net.leaders();
    for (const l of ls) leaders.add(l);
    // At most one lease holder, and no leader of a later term exists while it holds the lease
    // (a deposed leader of an earlier term that has not noticed yet holds no lease).
    const termOf = (id: string): number => net.rn(id).status().term;
    if (holders.length > 1 || (holders.length === 1 && ls.some((l) => termOf(l) > termOf(holders[0]!)))) {
      overlaps++;
      if (process.env.DEBUG_LEASE) console.log(s, holders, ls, [...net.nodes.values()].map((n) => n.rn.status()));
    }
  }
  return { overlaps, leaders };
}

describe('leader lease', () => {
  it('lease: leaseEndTick = the tick of the last quorum-acknowledged round + leaseTicks', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    const elected = net.rn('a').status().nowTick;
    expect(net.rn('a').status().leaseEndTick).toBe(elected + LEASE); // the election appends' round
    net.tickAll(1);
    const st = net.rn('a').status();
    expect(st.leaseEndTick).toBe(st.nowTick + LEASE);
    expect(net.rn('a').leaseValid()).toBe(true);
    expect(net.rn('b').leaseValid()).toBe(false);
  });

  it('lease: only a quorum counts; acknowledgements of a minority do not extend it', () => {
    const net = new Net({ voters: ['a', 'b', 'c', 'd', 'e'] });
    net.elect('a');
    net.tickAll(1);
    const end = net.rn('a').status().leaseEndTick!;
    net.crash('c');
    net.crash('d');
    net.crash('e');
    net.tickAll(3); // b alone acknowledges: 2 of 5
    expect(net.rn('a').status().leaseEndTick).toBe(end);
  });

  it('lease: an isolated leader\'s lease expires leaseTicks after its last acknowledged round, before another leader exists', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.tickAll(2);
    net.isolate('a');
    const isolatedAt = net.rn('a').status().nowTick;
    let expiredAt = -1;
    const { overlaps, leaders } = runChecked(net, 4 * E, null, 1, 1, () => {
      if (expiredAt < 0 && !net.rn('a').leaseValid()) expiredAt = net.rn('a').status().nowTick;
    });
    expect(expiredAt).toBe(isolatedAt + LEASE);
    expect(overlaps).toBe(0);
    expect([...leaders].some((l) => l !== 'a')).toBe(true);
  });

  it('lease: no overlap when the old leader\'s clock runs slow within clockDriftBoundTicks', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], prng: (id) => ({ nextU32: () => (id === 'b' ? 1 : 4) }) });
    net.elect('a');
    net.tickAll(2);
    net.isolate('a');
    // a counts 8 ticks while the others count 10: drift 2 per election timeout (DRIFT = 2)
    const { overlaps, leaders } = runChecked(net, 6 * E, 'a', 4, 5);
    expect(overlaps).toBe(0);
    expect(leaders.has('b') || leaders.has('c')).toBe(true);
  });

  it('lease: the guarantee rests on the drift bound: an old leader 3x slow (far beyond it) overlaps', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], prng: (id) => ({ nextU32: () => (id === 'b' ? 1 : 4) }) });
    net.elect('a');
    net.tickAll(2);
    net.isolate('a');
    const { overlaps } = runChecked(net, 6 * E, 'a', 1, 3);
    expect(overlaps).toBeGreaterThan(0);
  });

  it('lease: a restarted follower does not help elect a new leader while the old lease runs', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], prng: (id) => ({ nextU32: () => (id === 'c' ? 1 : 5) }) });
    net.elect('a');
    net.cut.add('a->c');
    net.cut.add('c->a');
    net.tickAll(2 * E); // c campaigns in vain: b hears from a
    expect(net.leaders()).toEqual(['a']);
    let restarted = false;
    const { overlaps, leaders } = runChecked(net, 6 * E, null, 1, 1, (s) => {
      if (s === 0 && !restarted) {
        restarted = true;
        net.crash('b');
        net.restart('b'); // b forgets when it last heard from a ...
        net.isolate('a'); // ... and a is cut off, its lease still running on b's last ack
      }
    });
    expect(overlaps).toBe(0);
    expect(leaders.has('c')).toBe(true);
  });

  it('lease: the TEST-ONLY fault ignoreLease produces overlapping leases (the check above can fail)', () => {
    const net = new Net({ voters: ['a', 'b', 'c'], faults: { ignoreLease: true }, prng: (id) => ({ nextU32: () => (id === 'b' ? 1 : 4) }) });
    net.elect('a');
    net.tickAll(2);
    net.isolate('a');
    const { overlaps } = runChecked(net, 6 * E, null, 1, 1);
    expect(overlaps).toBeGreaterThan(0);
  });

  it('lease: a leader that steps down (CheckQuorum) has no lease', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    net.tickAll(2 * E);
    expect(net.rn('a').status().role).not.toBe('leader');
    expect(net.rn('a').leaseValid()).toBe(false);
    expect(net.rn('a').status().leaseEndTick).toBeNull();
  });

  it('lease: replies with forged or stale round tags never extend the lease', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.isolate('a');
    net.tickAll(LEASE + 1);
    expect(net.rn('a').leaseValid()).toBe(false);
    const now = net.rn('a').status().nowTick;
    const t = net.rn('a').status().term;
    const resp = (round: number, roundTick: number): Message => ({ type: 'heartbeat-resp', from: nodeId('b'), to: nodeId('a'),
      term: t, round, roundTick });
    net.rn('a').step(resp(1_000_000, now)); // a round never sent
    net.rn('a').step(resp(1, now + 50)); // a tick in the future
    net.rn('a').step(resp(0, now)); // round 0 is never sent by a leader
    expect(net.rn('a').leaseValid()).toBe(false);
  });
});
