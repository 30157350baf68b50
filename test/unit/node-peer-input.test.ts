// Authenticated but wrong peers (issue 19, item 4): frames that arrive on a link authenticated
// as one peer and are wrong in a way only the node can see. Each is refused before it changes
// anything (term, leader, log, state), counted, and logged (rate-limited) with its reason, and
// the cluster goes on committing:
// - a message naming another sender than the link's certificate (ready-loop.ts id check),
// - a term far in the future (RAFT_MAX_TERM_JUMP),
// - a message from a node outside the membership (a removed member: raft.ts knows()),
// - an acknowledgement of an index past the end of the leader's log (replication.ts),
// - a snapshot chunk out of order (snapshot-transfer.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { RAFT_MAX_TERM_JUMP } from '../../daemon/src/common/limits.js';
import { logIndex, nodeId, term as mkTerm, type NodeId } from '../../daemon/src/common/types.js';
import { CapturingLogger } from '../../daemon/src/log/logger.js';
import { encodeMessage } from '../../daemon/src/raft/codec.js';
import type { Message } from '../../daemon/src/raft/types.js';
import { World, type WorldNode } from './node-world.js';

const FRAME_RAFT = 1;
let world: World | null = null;
afterEach(async () => { await world?.stopAll(); world = null; });

function frame(m: Message): Uint8Array {
  const body = encodeMessage(m);
  const out = new Uint8Array(body.length + 1);
  out[0] = FRAME_RAFT;
  out.set(body, 1);
  return out;
}

/** Hands `m` to `to` as if it arrived on the link authenticated as `linkPeer`. */
function inject(to: WorldNode, linkPeer: string, m: Message): void {
  to.time.runAsDaemon(() => to.transport.msgHandler(nodeId(linkPeer), frame(m)));
}

function snapshotOf(n: WorldNode): { term: number; lead: string | null; commit: number; lastIndex: number; applied: number; role: string } {
  const v = n.node.view();
  return { term: v.term, lead: v.lead, commit: v.commit, lastIndex: v.lastIndex, applied: v.state.appliedIndex, role: v.role };
}

describe('authenticated but wrong peer input', () => {
  it('is refused, counted and logged by reason, changes nothing, and the cluster keeps committing', async () => {
    const log = new CapturingLogger();
    const w = (world = new World());
    w.start(['n1', 'n2', 'n3'], { logger: log });
    expect(await w.until(() => w.masterId() !== null, 10_000)).toBe(true);
    const leaderId = w.masterId()!;
    const [followerId, otherId] = [...w.nodes.keys()].filter((id) => id !== leaderId);
    const leader = w.get(leaderId);
    const follower = w.get(followerId);
    await w.until(() => false, 200); // settle: heartbeats flowing
    const term = follower.node.view().term;
    const L = nodeId(leaderId);
    const F = nodeId(followerId);
    const O = nodeId(otherId);
    const before = { leader: snapshotOf(leader), follower: snapshotOf(follower) };
    const droppedBefore = follower.node.view().counters.droppedFrames + leader.node.view().counters.droppedFrames;
    const round = { round: 1, roundTick: 0 };

    // 1. On the link authenticated as the other follower, a heartbeat claiming to be the leader's, one term ahead.
    inject(follower, otherId, { type: 'heartbeat', from: L, to: F, term: mkTerm(term + 1), commit: logIndex(0), ...round });
    // 2. A (transfer) vote request from a real member, its term more than RAFT_MAX_TERM_JUMP ahead.
    inject(follower, otherId, { type: 'vote', from: O, to: F, term: mkTerm(term + RAFT_MAX_TERM_JUMP + 1), index: logIndex(10 ** 6), logTerm: mkTerm(term), transfer: true });
    // 3. A transfer vote request from a node outside the membership (as a removed member would send).
    inject(follower, 'n9', { type: 'vote', from: nodeId('n9'), to: F, term: mkTerm(term + 1), index: logIndex(10 ** 6), logTerm: mkTerm(term), transfer: true });
    // 4. The follower "acknowledging" entries far past the end of the leader's log.
    inject(leader, followerId, { type: 'app-resp', from: F, to: L, term: mkTerm(term), index: logIndex(before.leader.lastIndex + 1000), reject: false,
      rejectHint: logIndex(0), logTerm: mkTerm(0), ...round });
    // 5. The leader's snapshot transfer starting in the middle (a chunk out of order).
    inject(follower, leaderId, { type: 'snap', from: L, to: F, term: mkTerm(term), meta: { index: logIndex(before.follower.commit + 100), term: mkTerm(term),
      conf: { voters: [L, F, O].sort() as NodeId[], learners: [] } }, offsetBytes: 10, totalBytes: 20, chunk: new Uint8Array(10).fill(7) });

    // Nothing changed: term, leader, log, commit, applied state, roles.
    expect(snapshotOf(follower)).toEqual(before.follower);
    expect(snapshotOf(leader)).toEqual(before.leader);
    // Each refusal counted (the metrics' dropped-frames total) and logged with its reason.
    const droppedAfter = follower.node.view().counters.droppedFrames + leader.node.view().counters.droppedFrames;
    expect(droppedAfter - droppedBefore).toBe(5);
    const reasons = log.find('refused a peer frame', 'warn').map((r) => [r.fields['reason'], r.fields['peer'], r.fields['code']]);
    expect(reasons).toEqual(expect.arrayContaining([
      ['spoofed-sender', O, 'E_PEER_PROTOCOL'],
      ['term-jump', O, 'E_PEER_PROTOCOL'],
      ['raft-refused', 'n9', 'E_PEER_PROTOCOL'],
      ['raft-refused', F, 'E_PEER_PROTOCOL'],
    ]));
    // 'raft-refused' for the snapshot chunk falls in the same interval as the n9 vote on the follower: counted, not logged again.
    expect(log.find('refused a peer frame', 'warn')).toHaveLength(4);

    // The cluster goes on: same leader, and a command commits on every node.
    const r = await w.propose(leaderId, { op: 'device-seen', node: followerId, path: '/dev/sda' });
    expect(r).toEqual({ ok: true });
    expect(w.masterId()).toBe(leaderId);
    expect(follower.node.view().term).toBe(term);
    expect(await w.until(() => [...w.nodes.values()].every((n) => n.node.view().state.appliedIndex === leader.node.view().state.appliedIndex), 2000)).toBe(true);
  });
});
