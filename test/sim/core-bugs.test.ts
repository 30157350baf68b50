// Minimal reproductions of Raft core bugs found by the simulator (test/sim), kept as
// regression tests. Each test drives RawNode directly with a tiny in-memory message pump,
// drops exactly the messages the scenario needs, and asserts what a correct core must do.
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../daemon/src/common/types.js';
import type { NodeId } from '../../daemon/src/common/types.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import { RawNode } from '../../daemon/src/raft/rawnode.js';
import type { Message } from '../../daemon/src/raft/types.js';

/** Bound of pump rounds (each delivers every pending message once). */
const MAX_PUMP_ROUNDS = 100;

class Cluster {
  readonly nodes = new Map<string, RawNode>();

  constructor(ids: string[], maxInflightAppends: number) {
    const voters = ids.map((i) => nodeId(i));
    ids.forEach((id, k) => {
      this.nodes.set(id, new RawNode({
        id: nodeId(id), electionTimeoutTicks: 10, heartbeatTicks: 1, leaseTicks: 5, clockDriftBoundTicks: 1,
        maxInflightAppends, maxEntriesPerAppend: 64, checkQuorum: true, preVote: true,
      }, { hardState: null, snapshot: null, entries: [], initialConf: { voters, learners: [] } }, createPrng(k + 1)));
    });
  }

  /** Runs Ready cycles and delivers messages until quiet; `drop` filters out messages. */
  pump(drop: (m: Message) => boolean = () => false): void {
    for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
      const inFlight: Message[] = [];
      for (const n of this.nodes.values()) {
        while (n.hasReady()) {
          const rd = n.ready();
          inFlight.push(...rd.messages);
          n.advance(rd);
        }
      }
      if (inFlight.length === 0) return;
      for (const m of inFlight) if (!drop(m)) this.nodes.get(m.to)!.step(m);
    }
  }

  tickAll(rounds: number, drop?: (m: Message) => boolean): void {
    for (let i = 0; i < rounds; i++) {
      for (const n of this.nodes.values()) n.tick();
      this.pump(drop);
    }
  }

  leader(): [string, RawNode] {
    for (const [id, n] of this.nodes) if (n.status().role === 'leader') return [id, n];
    throw new Error('no leader');
  }
}

describe('core bug: a follower whose in-flight appends were all lost is never caught up', () => {
  // Found by `npm run sim -- --seed=28` (maxInflightAppends=1, 20% loss) and --seed=35
  // (maxInflightAppends=64, a follower crashed while 64 appends were in flight, then restarted):
  // after the network healed, the leader kept sending heartbeats (commit capped at the stale
  // match) but never another append, because the replicate-state window stayed full of
  // appends that will never be acknowledged; handleHeartbeatResp calls sendAppends, which
  // does nothing while inflights.full(). etcd frees one slot per heartbeat response in
  // that state (Inflights.FreeFirstOne) so the follower rejects the gap and is probed again.
  for (const inflight of [1, 4]) {
    it(`maxInflightAppends=${inflight}: the follower catches up after the loss stops`, () => {
      const c = new Cluster(['n1', 'n2', 'n3'], inflight);
      c.tickAll(40);
      const [leaderId, leader] = c.leader();
      const victim = [...c.nodes.keys()].find((id) => id !== leaderId)!;
      // One committed entry brings every follower to 'replicate'.
      leader.propose(new Uint8Array([0]));
      c.pump();
      // Every append carrying entries to the victim is lost while the window fills up.
      let lost = 0;
      const dropAppends = (m: Message): boolean => m.type === 'app' && m.to === victim && m.entries.length > 0 && ++lost > 0;
      for (let i = 1; i <= inflight + 2; i++) {
        leader.propose(new Uint8Array([i]));
        c.pump(dropAppends);
      }
      expect(lost).toBeGreaterThanOrEqual(1);
      // Lossless from here on: 50 heartbeat intervals must be plenty to catch up.
      c.tickAll(50);
      const want = leader.status().lastIndex;
      expect(c.nodes.get(victim as NodeId)!.status().lastIndex).toBe(want);
    });
  }
});

describe('core bug: a deposed leader whose log removes the new leader ignores it forever', () => {
  // Found by `npm run sim -- --seed=71`: leader n4 (term 7) appended "remove n2" and was
  // deposed before it committed; n2 (still a voter in the committed membership) won term 8.
  // Raft.knows() drops every message whose sender is outside the membership of the node's
  // log (which includes uncommitted conf entries), so n4 dropped every append and heartbeat
  // of n2: it never learned of term 8, never truncated the uncommitted entry, and stayed a
  // pre-candidate forever (after healing, after restarts: the entry is durable).
  it('the old leader catches up with the new leader once the network heals', () => {
    const c = new Cluster(['n1', 'n2', 'n3'], 4);
    c.tickAll(40);
    const [oldId, old] = c.leader();
    const [victim, other] = [...c.nodes.keys()].filter((id) => id !== oldId);
    // Cut the leader off, then let it append (never commit) the removal of `victim`.
    const cutOff = (m: Message): boolean => m.from === oldId || m.to === oldId;
    expect(old.proposeConfChange({ type: 'remove', node: nodeId(victim) }).ok).toBe(true);
    c.pump(cutOff);
    // The others elect `victim` (handing over if `other` won first).
    for (let i = 0; i < 100 && c.nodes.get(victim)!.status().role !== 'leader'; i++) {
      if (c.nodes.get(other)!.status().role === 'leader') c.nodes.get(other)!.transferLeadership(nodeId(victim));
      c.tickAll(1, cutOff);
    }
    expect(c.nodes.get(victim)!.status().role).toBe('leader');
    // Heal: the old leader must follow the new one and drop its uncommitted removal.
    c.tickAll(100);
    const lead = c.nodes.get(victim)!.status();
    const st = old.status();
    expect({ term: st.term, lead: st.lead, lastIndex: st.lastIndex }).toEqual({ term: lead.term, lead: victim, lastIndex: lead.lastIndex });
  });
});

describe('core bug: a node cannot restart from a torn (unsynced) Ready batch', () => {
  // Found by `npm run sim -- --seed=291` (and --seed=42): a node crashed while writing a Ready
  // (entries, then hard state, one fsync at the end, as daemon/src/storage does); the entries
  // record reached the disk, the hard-state record did not. Nothing of that Ready was sent (the
  // fsync never returned), so the state is legal, but RawNode's constructor asserts
  // 'restored log holds a term above the hard state term' and the node can never start again.
  // A correct restart takes term = max(hardState.term, last entry term) (with no vote when it
  // was raised: a vote is only ever sent after its hard state was synced).
  const conf = { voters: [nodeId('n1'), nodeId('n2'), nodeId('n3')], learners: [] };
  const config = {
    id: nodeId('n1'), electionTimeoutTicks: 10, heartbeatTicks: 1, leaseTicks: 5, clockDriftBoundTicks: 1,
    maxInflightAppends: 4, maxEntriesPerAppend: 64, checkQuorum: true as const, preVote: true as const,
  };
  const entry = (index: number, t: number) => ({ index: logIndex(index), term: term(t), type: 'normal' as const, data: new Uint8Array([index]) });
  it('restarts when the hard state of a later term was lost (entries of term 2, hard state of term 1)', () => {
    const restored = { hardState: { term: term(1), vote: nodeId('n2'), commit: logIndex(1) }, snapshot: null, entries: [entry(1, 1), entry(2, 2)], initialConf: conf };
    expect(() => new RawNode(config, restored, createPrng(1))).not.toThrow();
  });
  it('restarts when the very first Ready lost its hard state (entries only)', () => {
    const restored = { hardState: null, snapshot: null, entries: [entry(1, 1)], initialConf: conf };
    expect(() => new RawNode(config, restored, createPrng(1))).not.toThrow();
  });
});
