// Membership changes through the real node shell, in one process, in simulated time: real
// ClusterNodes (Raft core, writer role, membership controller, peer directory) over the
// simulated md driver, with an in-memory network that behaves like the TLS transport (a frame
// passes only if each side has the other in its peer set), driven by the cluster simulator's
// deterministic scheduler. Requests go through the control dispatcher, as from mdctl.
import { afterEach, describe, expect, it } from 'vitest';
import { OpError } from '../../daemon/src/common/errors.js';
import { RAFT_MAX_ENTRIES_PER_APPEND, RAFT_MAX_INFLIGHT_APPENDS } from '../../daemon/src/common/limits.js';
import { nodeId, type NodeId } from '../../daemon/src/common/types.js';
import type { HostPort } from '../../daemon/src/config/hostport.js';
import { makeHandler } from '../../daemon/src/control/handlers.js';
import type { ControlConnection, Handler } from '../../daemon/src/control/server.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import { statusJson } from '../../daemon/src/status/source.js';
import { SeededIds } from '../../daemon/src/md/sim/deps.js';
import { MemoryDiskStore, MemoryDisks } from '../../daemon/src/md/sim/disk-store.js';
import { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';
import type { PeerTransport } from '../../daemon/src/node/deps.js';
import { ClusterNode } from '../../daemon/src/node/node.js';
import { createPrng } from '../../daemon/src/raft/prng.js';
import { NodeTime } from '../sim/cluster/node-time.js';
import { newRaftDisk, SimRaftStorage } from '../sim/cluster/raft-storage.js';
import { runUntil, Scheduler } from '../sim/cluster/scheduler.js';
import { Rand } from '../sim/rand.js';

const TICK_MS = 10;
const ELECTION_TICKS = 30;
/** One-way link delay; a world may use a slower network (see the master's self-removal). */
const LINK_DELAY_US = 500;
const address = (id: string): string => `10.0.0.${id.slice(1)}:7001`;

/** In-memory peers: delivery needs both ends live and each in the other's peer set. */
class Net {
  readonly ends = new Map<NodeId, MemTransport>();
  constructor(readonly sched: Scheduler, readonly delayUs: number) {}
  linked(a: NodeId, b: NodeId): boolean {
    const x = this.ends.get(a);
    const y = this.ends.get(b);
    return x !== undefined && y !== undefined && x.peers.has(b) && y.peers.has(a) && !x.cut && !y.cut;
  }
  /** Reports link changes to both ends (the real transport's onPeerState). */
  refresh(): void {
    for (const [id, t] of this.ends) {
      for (const peer of t.peers.keys()) {
        const up = this.linked(id, peer);
        if (t.reported.get(peer) !== up) {
          t.reported.set(peer, up);
          this.sched.after(0, () => t.peerHandler(peer, up));
        }
      }
    }
  }
}

class MemTransport implements PeerTransport {
  readonly peers: Map<NodeId, string>;
  readonly reported = new Map<NodeId, boolean>();
  msgHandler: (from: NodeId, p: Uint8Array) => void = () => {};
  peerHandler: (peer: NodeId, up: boolean) => void = () => {};
  cut = false;
  constructor(private readonly net: Net, readonly id: NodeId, configured: Map<NodeId, string>) {
    this.peers = new Map([...configured].filter(([p]) => p !== id));
  }
  async start(): Promise<void> { this.net.ends.set(this.id, this); this.net.refresh(); }
  send(to: NodeId, payload: Uint8Array): void {
    if (!this.net.linked(this.id, to)) return;
    const copy = payload.slice();
    this.net.sched.after(this.net.delayUs, () => { if (this.net.linked(this.id, to)) this.net.ends.get(to)!.msgHandler(this.id, copy); });
  }
  onMessage(h: (from: NodeId, p: Uint8Array) => void): void { this.msgHandler = h; }
  onPeerState(h: (peer: NodeId, up: boolean) => void): void { this.peerHandler = h; }
  async close(): Promise<void> { this.net.ends.delete(this.id); this.net.refresh(); }
  addPeer(id: NodeId, a: HostPort): boolean { this.peers.set(id, `${a.host}:${a.port}`); this.net.refresh(); return true; }
  removePeer(id: NodeId): boolean { this.peers.delete(id); this.reported.delete(id); this.net.refresh(); return true; }
}

interface SimNode { id: NodeId; node: ClusterNode; transport: MemTransport; control: Handler }

class World {
  readonly sched = new Scheduler(1_000_000, (w) => { throw new Error(w); });
  readonly net: Net;
  constructor(delayUs = LINK_DELAY_US) { this.net = new Net(this.sched, delayUs); }
  readonly disks = new MemoryDisks();
  readonly nodes = new Map<string, SimNode>();
  private reqId = 0;

  start(id: string, configured: string[], join: boolean): SimNode {
    const nid = nodeId(id);
    const time = new NodeTime(this.sched, 0, 1000, 0);
    const seed = [...id].reduce((a, c) => a * 31 + c.charCodeAt(0), 7);
    const peers = configured.map((p) => ({ id: nodeId(p), address: address(p) }));
    const transport = new MemTransport(this.net, nid, new Map(peers.map((p) => [p.id, p.address])));
    const driver = new SimMdDriver({ store: new MemoryDiskStore(this.disks), hostName: id,
      deps: { clock: time, timers: time, ids: new SeededIds(seed), logger: silentLogger } });
    const node = new ClusterNode({
      id: nid, peers, join, tickMs: TICK_MS,
      raft: { electionTimeoutTicks: ELECTION_TICKS, heartbeatTicks: 2, leaseTicks: 20, clockDriftBoundTicks: 2,
        maxInflightAppends: RAFT_MAX_INFLIGHT_APPENDS, maxEntriesPerAppend: RAFT_MAX_ENTRIES_PER_APPEND, checkQuorum: true, preVote: true },
      writer: { demoteMarginTicks: 4, fenceAction: 'none', fenceCommand: [], fenceTimeoutMs: 1000, fenceRequired: false, checkpointIntervalMs: 1000, unconfirmedGraceMs: 0, reboot: () => {} },
      writerLogFile: null, snapshotEveryEntries: 50,
    }, { clock: time, timers: time, logger: silentLogger, transport, driver, prng: createPrng(seed),
      storage: new SimRaftStorage(newRaftDisk(), time, new Rand(createPrng(seed)), { lo: 0, hi: 0 }, (m) => { throw new Error(m); }) });
    const control = makeHandler({ node, seesDevice: async () => true });
    const n = { id: nid, node, transport, control };
    this.nodes.set(id, n);
    void node.start();
    return n;
  }

  get(id: string): SimNode { return this.nodes.get(id)!; }

  /** Runs simulated time until `cond` holds (checked after every event) or `ms` passed. */
  until(cond: () => boolean, ms: number): Promise<boolean> {
    return runUntil(this.sched, cond, ms);
  }

  /** Sends a control request and runs the world until it settles; returns its result or error. */
  async request(id: string, req: Record<string, unknown> & { type: string }, ms = 70_000): Promise<{ ok: true; result: unknown } | { ok: false; error: OpError }> {
    let out: { ok: true; result: unknown } | { ok: false; error: OpError } | null = null;
    const conn: ControlConnection = { push: () => false, onClose: () => {} };
    this.get(id).control({ ...req, id: ++this.reqId }, conn).then((result) => { out = { ok: true, result }; },
      (e: unknown) => { out = { ok: false, error: e as OpError }; });
    await this.until(() => out !== null, ms);
    if (out === null) throw new Error(`${req.type} on ${id} did not settle in ${ms} simulated ms`);
    return out;
  }

  master(): SimNode | null {
    return [...this.nodes.values()].find((n) => n.node.raft.status().role === 'leader' && n.node.writer.isWriter()) ?? null;
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes.values()) void n.node.stop();
    await this.until(() => false, 100);
  }
}

const errorCode = (r: { ok: boolean; error?: OpError }): string | null => (r.ok ? null : r.error!.code);

async function foundedWorld(delayUs = LINK_DELAY_US): Promise<{ w: World; master: SimNode }> {
  const w = new World(delayUs);
  for (const id of ['n1', 'n2', 'n3']) w.start(id, ['n1', 'n2', 'n3'], false);
  expect(await w.until(() => w.master() !== null && w.master()!.node.state.nodes.length === 3, 10_000)).toBe(true);
  return { w, master: w.master()! };
}

let world: World | null = null;
afterEach(async () => { await world?.stopAll(); world = null; });

describe('membership through the node shell', () => {
  it('a joining node has no membership of its own and never campaigns until added', async () => {
    const { w } = await foundedWorld();
    world = w;
    const j = w.start('n4', ['n1', 'n2', 'n3', 'n4'], true);
    await w.until(() => false, 3000);
    expect(j.node.raft.status()).toMatchObject({ role: 'follower', lead: null, term: 0, lastIndex: 0, conf: { voters: [], learners: [] } });
    // Not a peer of anyone yet: the members' transports refuse it.
    expect(w.get('n1').transport.peers.has(j.id)).toBe(false);
  });

  it('add-node: refused on a follower with the master named; on the master the joiner becomes a voter everywhere', async () => {
    const { w, master } = await foundedWorld();
    world = w;
    const j = w.start('n4', ['n1', 'n2', 'n3', 'n4'], true);
    const follower = [...w.nodes.values()].find((n) => n.id !== master.id && n.id !== j.id)!;
    const refused = await w.request(follower.id, { type: 'add-node', node: 'n4', address: address('n4') });
    expect(errorCode(refused)).toBe('E_NOT_LEADER');
    expect(refused.ok ? null : refused.error.message).toContain(`run it on the master ${master.id} (${address(master.id)})`);
    expect(refused.ok ? null : refused.error.details).toMatchObject({ master: master.id });

    const r = await w.request(master.id, { type: 'add-node', node: 'n4', address: address('n4') });
    expect(r).toMatchObject({ ok: true, result: { node: 'n4', role: 'voter', steps: ['node-add', 'add-learner', 'promote'] } });
    for (const n of w.nodes.values()) {
      await w.until(() => n.node.raft.status().conf.voters.length === 4, 1000);
      expect(n.node.raft.status().conf).toEqual({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
      if (n.id !== j.id) expect(n.transport.peers.get(j.id)).toBe(address('n4'));
    }
    await w.until(() => j.node.state.nodes.length === 4, 1000);
    expect(j.node.state.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3', 'n4']);
    // The same request again changes nothing.
    expect(await w.request(master.id, { type: 'add-node', node: 'n4', address: address('n4') })).toMatchObject({ ok: true, result: { steps: [] } });
  });

  it('add-node of an unreachable node times out as E_LEARNER_BEHIND, leaves a learner, and resumes when run again', async () => {
    const { w, master } = await foundedWorld();
    world = w;
    const r = await w.request(master.id, { type: 'add-node', node: 'n5', address: address('n5'), timeoutMs: 2000 });
    expect(errorCode(r)).toBe('E_LEARNER_BEHIND');
    expect(master.node.raft.status().conf.learners).toEqual(['n5']);
    const learnerRole = (n: SimNode): unknown => (statusJson(n.node.view()).nodes as { id: string; role: string }[]).find((x) => x.id === 'n5')?.role;
    expect(learnerRole(master)).toBe('down');
    const n5 = w.start('n5', ['n1', 'n2', 'n3', 'n5'], true);
    // /api/v1/status: a reachable learner is shown as one, on the master and on itself.
    expect(await w.until(() => master.node.view().peers.get('n5')?.up === true && n5.node.raft.status().role === 'learner', 2000)).toBe(true);
    expect(learnerRole(master)).toBe('learner');
    expect(statusJson(n5.node.view())).toMatchObject({ node: 'n5', role: 'learner', leader: master.id });
    const again = await w.request(master.id, { type: 'add-node', node: 'n5', address: address('n5') });
    expect(again).toMatchObject({ ok: true, result: { steps: ['promote'] } });
    expect(master.node.raft.status().conf.voters).toContain('n5');
  });

  it('bad requests, a concurrent change and an address clash get stable codes', async () => {
    const { w, master } = await foundedWorld();
    world = w;
    expect(errorCode(await w.request(master.id, { type: 'add-node', node: 'n 4', address: address('n4') }))).toBe('E_BAD_REQUEST');
    expect(errorCode(await w.request(master.id, { type: 'add-node', node: 'n4', address: 'nowhere' }))).toBe('E_BAD_REQUEST');
    expect(errorCode(await w.request(master.id, { type: 'add-node', node: 'n4', address: address('n4'), timeoutMs: -1 }))).toBe('E_BAD_REQUEST');
    expect(errorCode(await w.request(master.id, { type: 'add-node', node: 'n4', address: address('n2') }))).toBe('E_INVALID_ARGUMENT');
    expect(errorCode(await w.request(master.id, { type: 'remove-node', node: 'zz' }))).toBe('E_UNKNOWN_NODE');
    expect(errorCode(await w.request(master.id, { type: 'remove-node', node: 'n2', force: 'yes' }))).toBe('E_BAD_REQUEST');
    // Two changes at once on the master: the second is refused at once.
    const conn: ControlConnection = { push: () => false, onClose: () => {} };
    const first = master.control({ type: 'add-node', id: 1, node: 'n6', address: address('n6'), timeoutMs: 1000 }, conn).catch((e: unknown) => e);
    const second = await w.request(master.id, { type: 'add-node', node: 'n7', address: address('n7') }, 100);
    expect(errorCode(second)).toBe('E_CONF_CHANGE_PENDING');
    await w.until(() => false, 1500);
    expect((await first as OpError).code).toBe('E_LEARNER_BEHIND');
  });

  it('remove-node of a follower: conf first, then its record; everyone forgets it after the linger', async () => {
    const { w, master } = await foundedWorld();
    world = w;
    const victim = [...w.nodes.values()].find((n) => n.id !== master.id)!;
    const r = await w.request(master.id, { type: 'remove-node', node: victim.id });
    expect(r).toMatchObject({ ok: true, result: { steps: ['conf-remove', 'node-remove'], handedOver: false } });
    const rest = [...w.nodes.values()].filter((n) => n.id !== victim.id);
    for (const n of rest) {
      expect(await w.until(() => !n.transport.peers.has(victim.id), 2 * ELECTION_TICKS * TICK_MS + 500)).toBe(true);
      expect(n.node.raft.status().conf.voters).not.toContain(victim.id);
      expect(n.node.state.nodes.map((x) => x.id)).not.toContain(victim.id);
    }
    // The two left still commit; the removed node cannot disturb them.
    await w.until(() => false, 3000);
    expect(w.master()?.node.raft.status().term).toBe(master.node.raft.status().term);
    expect((await w.request(master.id, { type: 'propose', command: { op: 'device-seen', node: master.id, path: '/dev/sda' } })).ok).toBe(true);
  });

  it('a removal that would leave no reachable quorum is refused unless forced', async () => {
    const { w, master } = await foundedWorld();
    world = w;
    const [a, b] = [...w.nodes.values()].filter((n) => n.id !== master.id);
    b.transport.cut = true;
    w.net.refresh();
    await w.until(() => master.node.view().peers.get(b.id)?.up === false, 1000);
    const r = await w.request(master.id, { type: 'remove-node', node: a.id });
    expect(errorCode(r)).toBe('E_NO_QUORUM');
    expect(master.node.raft.status().conf.voters).toContain(a.id);
    // Forced: the change is appended, but with b cut off the two voters left cannot commit it ...
    const forced = await w.request(master.id, { type: 'remove-node', node: a.id, force: true, timeoutMs: 1000 });
    expect(errorCode(forced)).toBe('E_TIMEOUT');
    // ... until b is back.
    b.transport.cut = false;
    w.net.refresh();
    expect(await w.until(() => b.node.raft.status().conf.voters.length === 2 && b.node.raft.status().commit >= master.node.raft.status().lastIndex, 5000)).toBe(true);
    expect(b.node.raft.status().conf.voters).not.toContain(a.id);
  });

  it('the master removing itself gives up the writer role first and hands leadership over', async () => {
    // Links slower than a tick: the followers' acks of the removal (and the MsgTimeoutNow) are
    // still in flight when the followers append the entry and drop the master from their peer
    // set; they arrive only because a departed peer lingers in the transport.
    const { w, master } = await foundedWorld(15_000);
    world = w;
    const term = master.node.raft.status().term;
    const r = await w.request(master.id, { type: 'remove-node', node: master.id });
    expect(r).toMatchObject({ ok: true, result: { steps: ['node-remove', 'conf-remove'], handedOver: true } });
    expect(master.node.raft.status().role).not.toBe('leader');
    expect(master.node.writer.isWriter()).toBe(false);
    // MsgTimeoutNow: the next master is elected without waiting an election timeout.
    expect(await w.until(() => { const m = w.master(); return m !== null && m.id !== master.id; }, ELECTION_TICKS * TICK_MS)).toBe(true);
    const next = w.master()!;
    expect(next.node.raft.status().term).toBe(term + 1);
    expect(next.node.raft.status().conf.voters).toHaveLength(2);
    expect(next.node.state.nodes.map((n) => n.id)).not.toContain(master.id);
  });
});
