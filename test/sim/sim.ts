// One deterministic simulated run: runSeed(seed, options). Owns: the event loop over simulated
// real time, wiring the seeded world (scenario.ts) to simulated nodes (node.ts), network
// (network.ts), clients (client.ts) and checkers (checkers.ts); the safety phase (faults) and
// the liveness phase (heal everything, then a fresh entry must commit on every live voter within
// SIM_LIVENESS_BOUND_TICKS nominal ticks).
// Invariants: the run is a pure function of (seed, options): one PRNG stream per concern, one
// event queue ordered by (time, insertion); the checkers run after every step (event) on each
// node the step touched (a node's state only changes when one of its methods runs, so this
// covers every instant); the first violation ends the run.
import { SIM_DEFAULT_STEPS, SIM_LIVENESS_BOUND_TICKS, SIM_MAX_PENDING_EVENTS, SIM_TRACE_RING_EVENTS } from '../lib/limits.js';
import { nodeId } from '../../daemon/src/common/types.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import type { ConfChange, ConfState, Message, RaftConfig } from '../../daemon/src/raft/types.js';
import { Checkers, SimViolation } from './checkers.js';
import { Clients } from './client.js';
import type { ClientPort } from './client.js';
import { NodeClock, NOMINAL_TICK_US } from './clock.js';
import type { Delivery } from './network.js';
import { SimNetwork } from './network.js';
import { SimNode } from './node.js';
import { EventQueue } from './queue.js';
import { Rand, streamSeed } from './rand.js';
import { Nemesis } from './nemesis.js';
import type { NemesisPort } from './nemesis.js';
import { describeWorld } from './result.js';
import type { RunOptions, RunResult, RunStats, Violation } from './result.js';
import type { SimControl, World } from './scenario.js';
import { drawWorld, FaultSchedule } from './scenario.js';
import { describeMessage, Trace } from './trace.js';
import { WireCodec } from './wire.js';

type SimEvent =
  | { kind: 'tick'; node: string }
  | { kind: 'deliver'; d: Delivery<Uint8Array> }
  | { kind: 'chaos' }
  | { kind: 'client' }
  | { kind: 'restart'; node: string }
  | { kind: 'probe' }
  /** `node`'s shell learns that `peer`'s process is gone (a refused dial: raft/leader-gone.ts). */
  | { kind: 'gone'; node: string; peer: string };

/** Evidence that a peer is gone reaches the others within this many µs (a refused redial). */
const GONE_NOTICE_MAX_US = 5_000;
/** Share of cut-offs of a live node also reported as gone: false evidence (a rejecting firewall). */
const FALSE_GONE_SHARE = 0.5;

export type { RunOptions, RunResult, RunStats, Violation } from './result.js';

export function runSeed(seed: number, options: RunOptions = {}): RunResult {
  return new Sim(seed, options).run();
}

class Sim implements SimControl, ClientPort, NemesisPort {
  nowUs = 0;
  private step = 0;
  private phase: 'safety' | 'liveness' = 'safety';
  readonly world: World;
  private readonly queue = new EventQueue<SimEvent>(SIM_MAX_PENDING_EVENTS);
  private readonly nodes = new Map<string, SimNode>();
  private readonly checkers = new Checkers();
  private readonly trace: Trace;
  private readonly net: SimNetwork<Uint8Array>;
  private readonly schedule: FaultSchedule;
  private readonly clients: Clients;
  private readonly crashRand: Rand;
  private readonly goneRand: Rand;
  private readonly clientRand: Rand;
  private readonly nemesis: Nemesis;
  private readonly wire = new WireCodec();
  private readonly stats = { crashes: 0, restarts: 0, faultActions: 0 };

  constructor(private readonly seed: number, private readonly options: RunOptions) {
    const rand = (name: string): Rand => new Rand(createPrng(streamSeed(seed, name)));
    this.world = drawWorld(rand('world'), options.profile);
    this.trace = new Trace(SIM_TRACE_RING_EVENTS, options.sink ?? null);
    this.net = new SimNetwork(this.world.net, rand('net'), (atUs, d) => this.push(atUs, { kind: 'deliver', d }));
    this.schedule = new FaultSchedule(this.world, rand('faults'));
    this.crashRand = rand('crash');
    this.goneRand = rand('gone');
    this.clientRand = rand('client');
    this.nemesis = new Nemesis(rand('nemesis'), this.world.cutOnFirstCommitRate);
    this.clients = new Clients(rand('client-choice'), this.checkers, this.world.readFraction);
    this.createNodes();
  }

  run(): RunResult {
    const violations: Violation[] = [];
    try {
      this.trace.record(0, 'world', '-', () => describeWorld(this.world));
      this.safetyPhase();
      this.livenessPhase();
    } catch (e) {
      violations.push(this.toViolation(e));
    }
    return {
      seed: this.seed,
      violations,
      trace: this.trace.last(SIM_TRACE_RING_EVENTS),
      stats: this.collectStats(),
      world: this.world,
    };
  }

  // ---- phases -----------------------------------------------------------------------------

  private safetyPhase(): void {
    for (const n of this.nodes.values()) {
      n.start();
      this.push(n.clock.nextTickUs, { kind: 'tick', node: n.id });
    }
    this.push(this.schedule.nextGapUs(), { kind: 'chaos' });
    this.push(this.clientGapUs(), { kind: 'client' });
    const steps = this.options.steps ?? SIM_DEFAULT_STEPS;
    while (this.step < steps) this.runOne();
  }

  private livenessPhase(): void {
    this.phase = 'liveness';
    this.nemesis.disarm();
    this.trace.record(this.nowUs, 'liveness', '-', 'heal network, restart crashed nodes, stop faults');
    this.net.setFaultsEnabled(false);
    this.healAll();
    for (const n of this.nodes.values()) {
      n.crashInReadies = null;
      if (!n.running) this.restart(n);
    }
    const startUs = this.nowUs;
    const deadlineUs = startUs + SIM_LIVENESS_BOUND_TICKS * NOMINAL_TICK_US;
    this.push(this.nowUs, { kind: 'probe' });
    while (!this.livenessDone()) {
      const next = this.queue.peek();
      if (next === undefined || next.atUs > deadlineUs) {
        throw new SimViolation('liveness', `no leader committed a fresh entry on every live voter within ${SIM_LIVENESS_BOUND_TICKS} ticks (${this.livenessState()})`);
      }
      this.runOne();
    }
    this.livenessMs = (this.nowUs - startUs) / 1000;
    for (const v of this.conf()!.voters) this.checkers.checkAcksApplied(v, this.nodes.get(v)!.app.appliedIndex);
  }
  private livenessMs = 0;

  /**
   * Done: a leader exists and every voter of its membership is up, applied the probe and
   * every acknowledged entry.
   */
  private livenessDone(): boolean {
    if (this.clients.probeAppliedBy.size === 0) return false;
    const l = this.leader();
    if (l === null) return false;
    const conf = this.nodes.get(l)!.raw!.status().conf;
    const ackedTo = this.checkers.maxAckedIndex;
    return conf.voters.every((v: string) => {
      const n = this.nodes.get(v);
      return n !== undefined && n.running && this.clients.probeAppliedBy.has(v) && n.app.appliedIndex >= ackedTo;
    });
  }

  private livenessState(): string {
    const l = this.leader();
    const conf = this.conf();
    const nodes = this.world.nodeIds.map((id) => {
      const n = this.nodes.get(id)!;
      if (n.raw === null) return `${id}:down`;
      const st = n.raw.status();
      return `${id}:${st.role}/t${st.term}/lead=${st.lead ?? '-'}/applied=${n.app.appliedIndex}/dropped=${st.droppedMessages}`;
    }).join(' ');
    return `leader=${l ?? 'none'} voters=${conf?.voters.join(',') ?? '?'} acked to ${this.checkers.maxAckedIndex}; ` +
      `probe applied by ${[...this.clients.probeAppliedBy].sort().join(',') || 'nobody'} after ${this.clients.probeAttempts} attempts; ${nodes}`;
  }

  // ---- the event loop ---------------------------------------------------------------------

  private runOne(): void {
    const q = this.queue.pop();
    if (q === undefined) throw new SimViolation('stall', 'the event queue ran empty');
    this.nowUs = q.atUs;
    const ev = q.body;
    this.step++;
    switch (ev.kind) {
      case 'tick': return this.onTick(ev.node);
      case 'deliver': return this.onDeliver(ev.d);
      case 'chaos': return this.onChaos();
      case 'client': return this.onClient();
      case 'restart': return this.onRestart(ev.node);
      case 'probe': return this.onProbe();
      case 'gone': return this.onGone(ev.node, ev.peer);
    }
  }

  private onTick(id: string): void {
    const n = this.nodes.get(id)!;
    n.clock.advance();
    this.push(n.clock.nextTickUs, { kind: 'tick', node: id });
    if (n.raw === null) return;
    n.raw.tick();
    this.after(n);
  }

  private onGone(id: string, peer: string): void {
    const n = this.nodes.get(id)!;
    if (n.raw === null) return;
    this.trace.record(this.nowUs, 'gone', id, `told ${peer} is gone`);
    n.raw.leaderGone(nodeId(peer));
    this.after(n);
  }

  /** Tells every other running node, each after its own short delay, that `peer` is gone. */
  private reportGone(peer: string): void {
    for (const o of this.runningIds()) {
      if (o !== peer) this.push(this.nowUs + this.goneRand.int(0, GONE_NOTICE_MAX_US), { kind: 'gone', node: o, peer });
    }
  }

  private onDeliver(d: Delivery<Uint8Array>): void {
    if (!this.net.arrive(d)) return;
    const n = this.nodes.get(d.to);
    if (n === undefined || n.raw === null) return;
    const msg = this.wire.decode(d.payload);
    this.trace.record(this.nowUs, 'recv', d.to, () => describeMessage(msg));
    n.raw.step(msg);
    this.after(n);
  }

  private onChaos(): void {
    if (this.phase !== 'safety') return;
    this.stats.faultActions++;
    const a = this.schedule.act(this);
    this.trace.record(this.nowUs, 'fault', '-', `${a} blocked=[${this.net.blockedLinks().join(' ')}]`);
    this.push(this.nowUs + this.schedule.nextGapUs(), { kind: 'chaos' });
  }

  private onClient(): void {
    if (this.phase !== 'safety') return;
    this.clients.act(this);
    this.push(this.nowUs + this.clientGapUs(), { kind: 'client' });
  }

  private onRestart(id: string): void {
    const n = this.nodes.get(id)!;
    if (n.running) return;
    this.restart(n);
  }

  private onProbe(): void {
    const retryUs = 2 * this.world.raft.electionTimeoutTicks * NOMINAL_TICK_US;
    this.clients.probe(this, retryUs);
    if (!this.livenessDone()) this.push(this.nowUs + NOMINAL_TICK_US, { kind: 'probe' });
  }

  /** Drains the node's Ready and runs the per-node checks on its new state. */
  private after(n: SimNode): void {
    if (!n.drain(this.crashRand)) {
      this.onCrashed(n);
      return;
    }
    const raw = n.raw!;
    const st = raw.status();
    this.checkers.onRole(n.id, st.role, st.term, n.storage);
    this.checkers.onCommit(n.id, st.role === 'leader' ? st.term : null, st.commit, n.storage);
    this.checkers.onLease(n.id, raw.leaseValid(), this.nowUs);
    if (st.role === 'leader') this.nemesis.onLeader(this, n.id, st.term, st.commit);
  }

  private push(atUs: number, ev: SimEvent): boolean {
    if (!this.queue.push(atUs, ev)) {
      throw new SimViolation('event-queue', `more than ${SIM_MAX_PENDING_EVENTS} pending events (message storm?)`);
    }
    return true;
  }

  private clientGapUs(): number {
    return Math.max(1, Math.round(-Math.log(1 - this.clientRand.float()) * this.world.clientMeanUs));
  }

  // ---- node lifecycle ---------------------------------------------------------------------

  private createNodes(): void {
    const w = this.world;
    const initialConf: ConfState = { voters: w.initialVoters.map((v) => nodeId(v)), learners: [] };
    w.nodeIds.forEach((id, i) => {
      const config: RaftConfig = { id: nodeId(id), ...w.raft, checkQuorum: true, preVote: true };
      if (this.options.faults !== undefined) config.faults = { ...this.options.faults };
      const clock = new NodeClock(w.driftRates[i], 0, w.phasesUs[i]);
      const node = new SimNode(id, config, initialConf, clock, this.seed, this.checkers, {
        send: (from, m) => this.send(from, m),
        applied: (nd, e) => this.clients.onApplied(nd.id, e, this),
        readState: (nd, rs) => this.clients.onReadState(nd.id, rs),
        trace: (kind, node, detail) => this.trace.record(this.nowUs, kind, node, detail),
      }, w.compactEveryEntries);
      this.nodes.set(id, node);
    });
  }

  private send(from: SimNode, m: Message): void {
    if (m.from !== from.id) throw new SimViolation('message', `${from.id} sent a message claiming to be from ${m.from}`);
    if (!this.nodes.has(m.to)) return;
    this.net.send(this.nowUs, from.id, m.to, this.wire.encode(m));
  }

  private restart(n: SimNode): void {
    const hs = n.storage.hardState;
    this.trace.record(this.nowUs, 'restart', n.id,
      `from snapshot ${n.storage.snapshotIndex}, log to ${n.storage.lastIndex}, term ${hs?.term ?? 0}, commit ${hs?.commit ?? 0}`);
    n.start();
    this.stats.restarts++;
    this.after(n);
  }

  private onCrashed(n: SimNode): void {
    this.stats.crashes++;
    this.reportGone(n.id);
    this.checkers.onStop(n.id);
    this.net.dropHeldFrom(n.id);
    if (n.restartAfterCrashUs !== null && this.phase === 'safety') this.push(this.nowUs + n.restartAfterCrashUs, { kind: 'restart', node: n.id });
    n.restartAfterCrashUs = null;
  }

  // ---- SimControl / ClientPort ----------------------------------------------------------------

  isRunning(id: string): boolean {
    return this.nodes.get(id)?.running === true;
  }

  runningIds(): string[] {
    return this.world.nodeIds.filter((id) => this.isRunning(id));
  }

  leader(): string | null {
    let best: string | null = null;
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      if (n.raw === null) continue;
      const st = n.raw.status();
      if (st.role === 'leader' && st.term > bestTerm) {
        best = n.id;
        bestTerm = st.term;
      }
    }
    return best;
  }

  conf(): ConfState | null {
    const l = this.leader() ?? this.runningIds()[0];
    return l === undefined ? null : this.nodes.get(l)!.raw!.status().conf;
  }

  block(from: string, to: string): void {
    this.net.block(from, to);
  }

  healAll(): void {
    this.net.healAll(this.nowUs);
  }

  crash(id: string, tornWrites: boolean, afterReadies: number, restartUs: number | null): void {
    const n = this.nodes.get(id)!;
    if (!n.running) return;
    n.restartAfterCrashUs = restartUs;
    if (tornWrites) {
      n.crashInReadies = afterReadies;
      this.trace.record(this.nowUs, 'crash', id, `armed: dies in Ready #${afterReadies + 1} from now, before its fsync`);
      return;
    }
    const rep = n.crash(this.crashRand);
    this.trace.record(this.nowUs, 'crash', id, `kept ${rep.keptOps}/${rep.pendingOps} unsynced ops${rep.tornEntries ? ', torn' : ''}`);
    this.onCrashed(n);
  }

  cutOff(id: string): void {
    for (const o of this.world.nodeIds) {
      this.net.block(id, o);
      this.net.block(o, id);
    }
    if (this.goneRand.chance(FALSE_GONE_SHARE)) this.reportGone(id);
  }

  restartAllNow(): void {
    this.healAll();
    for (const n of this.nodes.values()) if (!n.running) this.restart(n);
  }

  isolateLeaderOnCommit(): void {
    this.nemesis.armCutOnCommit();
  }

  crashNextLeader(afterReadies: number, restartUs: number | null): void {
    this.nemesis.armLeaderCrash(afterReadies, restartUs);
  }

  propose(at: string, data: Uint8Array, what: string): boolean {
    const n = this.nodes.get(at)!;
    if (n.raw === null) return false;
    const r = n.raw.propose(data);
    this.trace.record(this.nowUs, 'propose', at, () => `${what} -> ${r.ok ? 'ok' : `${r.code} leader=${r.leader ?? '-'}`}`);
    this.after(n);
    return r.ok;
  }

  note(kind: string, node: string, detail: string): void {
    this.trace.record(this.nowUs, kind, node, detail);
  }

  readIndex(at: string, ctx: string): void {
    const n = this.nodes.get(at)!;
    if (n.raw === null) return;
    n.raw.readIndex(ctx);
    this.trace.record(this.nowUs, 'read', at, ctx);
    this.after(n);
  }

  proposeConfChange(at: string, cc: ConfChange): void {
    const n = this.nodes.get(at)!;
    if (n.raw === null) return;
    const r = n.raw.proposeConfChange(cc);
    this.trace.record(this.nowUs, 'conf', at, () => `${cc.type} ${cc.node} -> ${r.ok ? 'ok' : r.code}`);
    this.after(n);
  }

  transferLeadership(at: string, to: string): void {
    const n = this.nodes.get(at)!;
    if (n.raw === null) return;
    n.raw.transferLeadership(nodeId(to));
    this.trace.record(this.nowUs, 'transfer', at, `to ${to}`);
    this.after(n);
  }

  injectGarbage(to: string, value: unknown): void {
    const n = this.nodes.get(to)!;
    if (n.raw === null) return;
    const before = n.raw.status().droppedMessages;
    n.raw.step(value);
    const after = n.raw.status().droppedMessages;
    this.trace.record(this.nowUs, 'garbage', to, () => JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)) ?? String(value));
    if (after !== before + 1) throw new SimViolation('input-validation', `${to} did not drop-and-count a malformed message (dropped ${before} -> ${after})`);
    this.after(n);
  }

  // ---- results ----------------------------------------------------------------------------

  private toViolation(e: unknown): Violation {
    const base = { atUs: this.nowUs, step: this.step, phase: this.phase };
    if (e instanceof SimViolation) return { property: e.property, message: e.message, ...base };
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { property: 'exception', message: `the core or the simulator threw: ${msg}`, ...base };
  }

  private collectStats(): RunStats {
    return {
      steps: this.step,
      simulatedMs: this.nowUs / 1000,
      nodes: this.nodes.size,
      sent: this.net.stats.sent,
      delivered: this.net.stats.delivered,
      ...this.stats,
      maxCommitted: this.checkers.maxCommittedIndex,
      proposed: this.clients.proposed,
      acked: this.clients.acked,
      readsDone: this.clients.readsDone,
      livenessMs: this.livenessMs,
    };
  }
}
