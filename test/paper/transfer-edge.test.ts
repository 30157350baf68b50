// Paper tests: leadership transfer (Ongaro §3.10) edge cases beyond transfer-lease.test.ts:
// requests without a leader, repeated and competing requests, cancelling by transferring to
// self, catching up a lagging target at once (also while an R5 quiet period holds MsgTimeoutNow
// back), MsgTimeoutNow going out alone, and the abort deadline of one election timeout (counted
// from the first request; the abandoning tick still heartbeats).
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import { E, Net, bytes } from './harness.js';

/** a leads a, b, c; c is down and behind; a starts a leadership transfer to c (which cannot complete). */
function transferToLaggingC(): Net {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    net.rn('a').propose(bytes('x')); // c misses it: it lags and never catches up while down
    net.stabilize();
    net.rn('a').transferLeadership(nodeId('c'));
  return net;
}

describe('leadership transfer: edge cases', () => {
  it('a node that knows no leader answers E_NO_LEADER and sends nothing', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    expect(net.rn('b').transferLeadership(nodeId('c'))).toEqual({ ok: false, code: 'E_NO_LEADER', leader: null });
    expect(net.flush().filter((m) => m.type === 'transfer-leader')).toEqual([]);
  });

  it('repeating a transfer under way is accepted; another target is refused once MsgTimeoutNow went out', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    net.rn('a').propose(bytes('x'));
    net.stabilize();
    expect(net.rn('a').transferLeadership(nodeId('c'))).toEqual({ ok: true }); // c is down: catching up
    expect(net.rn('a').transferLeadership(nodeId('c'))).toEqual({ ok: true });
    expect(net.flush().filter((m) => m.type === 'timeout-now')).toEqual([]);
    // b is caught up: the transfer switches to b, MsgTimeoutNow goes out (lost here)
    net.filter = (m) => m.type !== 'timeout-now';
    expect(net.rn('a').transferLeadership(nodeId('b'))).toEqual({ ok: true });
    net.stabilize();
    expect(net.sent.filter((m) => m.type === 'timeout-now').map((m) => m.to)).toEqual(['b']);
    expect(net.rn('a').transferLeadership(nodeId('c'))).toEqual({ ok: false, code: 'E_TRANSFER_FAILED', leader: 'a' });
    expect(net.rn('a').transferLeadership(nodeId('a'))).toEqual({ ok: false, code: 'E_TRANSFER_FAILED', leader: 'a' });
  });

  it('transferring to self cancels a transfer still catching up: proposals are accepted again', () => {
    const net = transferToLaggingC();
    expect(net.rn('a').propose(bytes('refused'))).toMatchObject({ ok: false, code: 'E_PROPOSAL_DROPPED' });
    expect(net.rn('a').transferLeadership(nodeId('a'))).toEqual({ ok: true });
    expect(net.rn('a').propose(bytes('accepted'))).toEqual({ ok: true });
  });

  it('a lagging target gets an append at once, not only at the next heartbeat', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.crash('c');
    for (let i = 0; i < 5; i++) net.rn('a').propose(bytes(`v${i}`));
    net.stabilize();
    net.restart('c');
    net.rn('a').reportUnreachable(nodeId('c')); // probe c again from its match
    const out = (net.rn('a').transferLeadership(nodeId('c')), net.flush());
    expect(out.some((m) => m.type === 'app' && m.to === 'c')).toBe(true);
    expect(out.some((m) => m.type === 'timeout-now')).toBe(false);
  });

  it('a transfer that cannot complete holds for a whole election timeout, then is abandoned', () => {
    const net = transferToLaggingC();
    net.tickAll(E - 1);
    expect(net.rn('a').propose(bytes('still-refused'))).toMatchObject({ ok: false, code: 'E_PROPOSAL_DROPPED' });
    net.tickAll(1);
    expect(net.rn('a').propose(bytes('accepted'))).toEqual({ ok: true });
    expect(net.leaders()).toEqual(['a']);
  });

  it('repeating a transfer to the same target does not restart its abort deadline (one election timeout from the first request)', () => {
    const net = transferToLaggingC();
    net.tickAll(E - 3);
    expect(net.rn('a').transferLeadership(nodeId('c'))).toEqual({ ok: true });
    net.tickAll(3);
    expect(net.rn('a').propose(bytes('accepted'))).toEqual({ ok: true }); // abandoned E ticks after the first request
  });

  it('repeating a transfer whose MsgTimeoutNow already went out is accepted (the same transfer), not refused', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.stabilize();
    net.filter = (m) => m.type !== 'timeout-now';
    expect(net.rn('a').transferLeadership(nodeId('b'))).toEqual({ ok: true });
    net.stabilize();
    expect(net.sent.filter((m) => m.type === 'timeout-now').map((m) => m.to)).toEqual(['b']);
    expect(net.rn('a').transferLeadership(nodeId('b'))).toEqual({ ok: true });
  });

  it('MsgTimeoutNow to a caught-up target goes out alone: no append follows it', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.stabilize();
    expect(net.rn('a').transferLeadership(nodeId('b'))).toEqual({ ok: true });
    expect(net.flush().filter((m) => m.from === 'a').map((m) => `${m.type}->${m.to}`)).toEqual(['timeout-now->b']);
  });

  it('the tick that abandons an overdue transfer still sends the leader\'s heartbeats', () => {
    const net = transferToLaggingC();
    for (let i = 1; i <= E + 1; i++) {
      const before = net.sent.length;
      net.tickAll(1);
      const hb = net.sent.slice(before).some((m) => m.type === 'heartbeat' && m.from === 'a' && m.to === 'b');
      expect([i, hb]).toEqual([i, true]);
    }
    expect(net.rn('a').propose(bytes('accepted'))).toEqual({ ok: true });
  });

  it('a transfer requested in the R5 quiet period sends the target an append at once while MsgTimeoutNow waits', () => {
    const net = new Net({ voters: ['a', 'b', 'c'] });
    net.elect('a');
    net.rn('a').propose(bytes('x'));
    net.tickAll(3);
    net.crash('a');
    for (const id of ['b', 'c']) net.rn(id).leaderGone(nodeId('a'));
    let leader: string | undefined;
    for (let t = 0; t < 3 * E && leader === undefined; t++) {
      net.tick('b'); net.tick('c'); net.stabilize();
      leader = ['b', 'c'].find((id) => net.rn(id).status().role === 'leader');
    }
    expect(leader).toBeDefined();
    const target = leader === 'b' ? 'c' : 'b';
    expect(net.rn(leader!).leaseValid()).toBe(false); // still quiet
    expect(net.rn(leader!).transferLeadership(nodeId(target))).toEqual({ ok: true });
    const out = net.flush().filter((m) => m.from === leader);
    expect(out.some((m) => m.type === 'app' && m.to === target)).toBe(true);
    expect(out.some((m) => m.type === 'timeout-now')).toBe(false);
  });
});
