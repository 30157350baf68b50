// Property test: random schedules (ticks, proposals, crashes, restarts, partitions, message
// loss and reordering, reads, transfers, compaction) on small clusters of real RawNodes,
// checking Raft's safety properties and the lease after every step. A compact in-test
// companion to the simulator (test/sim); the TEST-ONLY faults show the checks can fail.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../daemon/src/common/types.js';
import { createPrng, randomBelow } from '../../daemon/src/raft/prng.js';
import type { Prng, RaftFaults } from '../../daemon/src/raft/types.js';
import { Net, bytes, tickChecked } from '../paper/harness.js';

type Action =
  | { k: 'tick'; n: number } | { k: 'propose'; who: number } | { k: 'crash'; who: number } | { k: 'restart'; who: number }
  | { k: 'isolate'; who: number } | { k: 'heal' } | { k: 'read'; who: number } | { k: 'transfer'; who: number; to: number }
  | { k: 'compact'; who: number } | { k: 'deliver' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('propose' as const), who: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const), who: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('restart' as const), who: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('isolate' as const), who: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.constant({ k: 'heal' as const }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('read' as const), who: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('transfer' as const), who: fc.nat(4), to: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('compact' as const), who: fc.nat(4) }) },
  { weight: 4, arbitrary: fc.constant({ k: 'deliver' as const }) },
);

class Violation extends Error {}

/** Safety checks over a whole run. */
class Checker {
  private readonly leaderOfTerm = new Map<number, string>();
  private readonly appliedTerm = new Map<number, number>();
  constructor(private readonly net: Net) {}

  check(): void {
    const net = this.net;
    const up = [...net.nodes.values()].filter((n) => n.up);
    for (const n of up) {
      const st = n.rn.status();
      if (st.role === 'leader') {
        const prev = this.leaderOfTerm.get(st.term);
        if (prev !== undefined && prev !== n.id) throw new Violation(`two leaders in term ${st.term}: ${prev}, ${n.id}`);
        this.leaderOfTerm.set(st.term, n.id);
      }
      for (const e of n.applied) {
        const t = this.appliedTerm.get(e.index);
        if (t !== undefined && t !== e.term) throw new Violation(`index ${e.index} applied with terms ${t} and ${e.term}`);
        this.appliedTerm.set(e.index, e.term);
      }
    }
    const holders = up.filter((n) => n.rn.leaseValid());
    if (holders.length > 1) throw new Violation(`lease held by ${holders.map((h) => h.id).join(', ')}`);
    if (holders.length === 1) {
      const ht = holders[0]!.rn.status().term;
      const later = up.find((n) => n.rn.status().role === 'leader' && n.rn.status().term > ht);
      if (later !== undefined) throw new Violation(`${holders[0]!.id} holds the lease of term ${ht} while ${later.id} leads a later term`);
    }
  }
}

function run(seed: number, actions: Action[], size: number, faults?: RaftFaults): void {
  const ids = ['a', 'b', 'c', 'd', 'e'].slice(0, size);
  const net = new Net({ voters: ids, faults, prng: (id) => createPrng(seed * 31 + id.charCodeAt(0)) });
  const rnd: Prng = createPrng(seed);
  const checker = new Checker(net);
  const pick = (i: number): string => ids[i % ids.length]!;
  let seq = 0;
  const deliverSome = (): void => {
    net.drainReadies();
    const q = net.queue;
    net.queue = [];
    // shuffle, drop ~10%
    for (let i = q.length - 1; i > 0; i--) {
      const j = randomBelow(rnd, i + 1);
      [q[i], q[j]] = [q[j]!, q[i]!];
    }
    for (const m of q) {
      if (randomBelow(rnd, 10) === 0) continue;
      net.deliver(m);
      checker.check();
    }
  };
  for (const a of actions) {
    switch (a.k) {
      case 'tick':
        for (let i = 0; i < a.n; i++) {
          for (const n of net.nodes.values()) if (n.up) tickChecked(n.rn);
          deliverSome();
        }
        break;
      case 'propose': {
        const n = net.node(pick(a.who));
        if (n.up) n.rn.propose(bytes(`p${seq++}`));
        break;
      }
      case 'crash': net.crash(pick(a.who)); break;
      case 'restart': if (!net.node(pick(a.who)).up) net.restart(pick(a.who)); break;
      case 'isolate': net.isolate(pick(a.who)); break;
      case 'heal': net.heal(); break;
      case 'read': if (net.node(pick(a.who)).up) net.rn(pick(a.who)).readIndex(`r${seq++}`); break;
      case 'transfer': if (net.node(pick(a.who)).up) net.rn(pick(a.who)).transferLeadership(nodeId(pick(a.to))); break;
      case 'compact': if (net.node(pick(a.who)).up) net.compact(pick(a.who), bytes(`snap${seq++}`)); break;
      case 'deliver': deliverSome(); break;
    }
    checker.check();
  }
  // Liveness smoke check: heal everything, restart all, and the cluster must make progress.
  net.heal();
  for (const id of ids) if (!net.node(id).up) net.restart(id);
  for (let i = 0; i < 40 * 10; i++) {
    for (const n of net.nodes.values()) tickChecked(n.rn);
    net.stabilize();
    checker.check();
  }
  const leaders = net.leaders();
  if (leaders.length !== 1) throw new Violation(`no single leader after healing: ${leaders.join(',')}`);
  const l = leaders[0]!;
  expect(net.rn(l).propose(bytes('final'))).toEqual({ ok: true });
  net.stabilize();
  for (const id of ids) expect(net.appliedData(id).at(-1)).toBe('final');
}

describe('random schedules', () => {
  it('keep election safety, state machine safety and lease exclusivity, and recover after healing', () => {
    fc.assert(fc.property(fc.nat(), fc.array(action, { minLength: 20, maxLength: 120 }), fc.constantFrom(3, 5), (seed, actions, size) => {
      run(seed, actions, size);
    }), { numRuns: Number(process.env.RAFT_PROPERTY_RUNS ?? 60) });
  });

  it('the checks catch the TEST-ONLY fault ignoreLease', () => {
    let caught = 0;
    for (let seed = 0; seed < 30 && caught === 0; seed++) {
      const actions: Action[] = [{ k: 'tick', n: 6 }, { k: 'tick', n: 6 }, { k: 'tick', n: 6 }, { k: 'tick', n: 6 },
        { k: 'isolate', who: seed }, ...Array.from({ length: 20 }, () => ({ k: 'tick' as const, n: 3 }))];
      try {
        run(seed, actions, 3, { ignoreLease: true });
      } catch (e) {
        if (e instanceof Violation && /lease/.test(e.message)) caught++;
      }
    }
    expect(caught).toBeGreaterThan(0);
  });
});
