// Paper tests: the race the leader lease must win (lease.ts, R2 and R3). A leader is cut off
// while its clock runs as slow as the drift bound allows, and another node campaigns on every
// tick; a third node, which heard the old leader last, decides with its vote lease when the
// challenger may win. No node may become leader of a later term while the old lease still runs.
// The same race is run for every timing the config loader accepts, so a timing rule that lets
// the lease reach the election timeout fails here, not only a test of the rule's constants.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../daemon/src/config/load.js';
import type { RaftConfig } from '../../daemon/src/raft/types.js';
import { constPrng, E, DRIFT, Net } from './harness.js';

/** Result of one race: steps at which a later-term leader existed while the old lease was valid. */
interface Race { overlaps: number[]; challengerWon: boolean; votesGrantedInLease: number }

/**
 * a leads; c is cut off from a (so it hears no leader and may campaign); a is then isolated and
 * ticks `E - slowBy` of every `E` steps (slowBy defaults to the drift bound); c campaigns on
 * every step.
 */
function race(cfg: Partial<RaftConfig>, slowBy = cfg.clockDriftBoundTicks ?? DRIFT): Race {
  const e = cfg.electionTimeoutTicks ?? E;
  // Randomized timeouts: a the shortest (it wins the first election), b and c the longest.
  const net = new Net({ voters: ['a', 'b', 'c'], config: cfg, prng: (id) => constPrng(id === 'a' ? 0 : e - 1) });
  for (let i = 0; i < 2 * e && net.leaders().length === 0; i++) net.tickAll(1);
  if (net.leaders().join() !== 'a') throw new Error(`a was not elected first (leaders: ${net.leaders().join()})`);
  net.cut.add('a->c');
  net.cut.add('c->a');
  net.tickAll(2);
  net.isolate('a');
  const out: Race = { overlaps: [], challengerWon: false, votesGrantedInLease: 0 };
  const from = net.sent.length;
  for (let s = 0; s < 6 * e; s++) {
    for (const n of net.nodes.values()) {
      if (n.id === 'a' && s % e < slowBy) continue; // slow from the first step on
      n.rn.tick();
    }
    if (net.rn('c').status().role !== 'leader') net.rn('c').campaign();
    net.stabilize();
    const aLease = net.rn('a').leaseValid();
    const later = net.leaders().filter((l) => l !== 'a' && net.rn(l).status().term > net.rn('a').status().term);
    if (later.length > 0) out.challengerWon = true;
    if (aLease && later.length > 0) out.overlaps.push(s);
    if (aLease) {
      out.votesGrantedInLease += net.sent.slice(from).filter((m) => m.from === 'b' && m.to === 'c' && (m.type === 'vote-resp' || m.type === 'pre-vote-resp') && !m.reject).length;
      net.sent.length = from; // count each message once
    }
  }
  return out;
}

/** The raft timing the daemon derives from a config file whose [timing] section is `timing` (throws if refused). */
function acceptedTiming(timing: string): Partial<RaftConfig> {
  const c = parseConfigText(`node-id = "n1"\n[peers]\nn1 = "10.0.0.1:8401"\nn2 = "10.0.0.2:8401"\nn3 = "10.0.0.3:8401"\n` +
    `[tls]\nca = "/tls/ca.crt"\ncert = "/tls/n1.crt"\nkey = "/tls/n1.key"\n[timing]\n${timing}\n`, '/etc/mdclusterd/mdclusterd.toml');
  const t = c.timing;
  return { electionTimeoutTicks: t.electionTicks, heartbeatTicks: t.heartbeatTicks, leaseTicks: t.leaseTicks, clockDriftBoundTicks: t.driftBoundTicks };
}

describe('lease race', () => {
  it('the race can be lost: with the leader\'s clock slower than the drift bound, its longest lease overlaps a newer leader', () => {
    const r = race({ leaseTicks: E - DRIFT - 1 }, 2 * DRIFT);
    expect(r.overlaps.length).toBeGreaterThan(0);
  });

  it('vote lease: a node that heard the leader grants no vote while that leader\'s lease (as long as allowed) can still run', () => {
    const r = race({ leaseTicks: E - DRIFT - 1 });
    expect(r.challengerWon).toBe(true);
    expect(r.votesGrantedInLease).toBe(0);
    expect(r.overlaps).toEqual([]);
  });

  it('lease timing: for every timing the config loader accepts, an isolated slow leader\'s lease ends before another leader exists', () => {
    let accepted = 0;
    for (const election of [10, 30]) {
      for (const drift of [1, 2, 3]) {
        for (let lease = 2; lease <= election + 1; lease++) {
          let cfg: Partial<RaftConfig>;
          try {
            cfg = acceptedTiming(`election-ticks = ${election}\nheartbeat-ticks = 1\ndrift-bound-ticks = ${drift}\nlease-ticks = ${lease}`);
          } catch {
            continue; // refused by the loader: the daemon never runs with it
          }
          accepted++;
          const r = race(cfg);
          expect({ election, drift, lease, challengerWon: r.challengerWon, overlaps: r.overlaps }).toEqual({ election, drift, lease, challengerWon: true, overlaps: [] });
        }
      }
    }
    expect(accepted).toBeGreaterThan(20);
    // The defaults too, as the daemon would run them.
    const def = race(acceptedTiming(''));
    expect(def.challengerWon).toBe(true);
    expect(def.overlaps).toEqual([]);
  });
});
