// The writer role (daemon/src/node/writer.ts) on fake hooks: two rules found by the cluster
// simulator's slow-md world, each with a test that fails when the rule is broken.
// - A step-down waits for a demotion already under way (else leadership moves while the arrays
//   are still writable here).
// - An old master that says, in the new term, that it still holds a writable array is never
//   clear by the unconfirmed grace (the grace is for an old master that does not answer).
// - Every earlier master on the replicated uncleared list must be clear, not only the last one:
//   a master that never became writer (its predecessor was frozen) hands that predecessor on
//   (cluster simulator seeds 434 and 697: two writers after such a chain).
import { describe, expect, it } from 'vitest';
import type { ClusterState } from '../../daemon/src/cluster/types.js';
import { emptyClusterState } from '../../daemon/src/cluster/types.js';
import { applyCommand } from '../../daemon/src/cluster/apply.js';
import type { Command } from '../../daemon/src/cluster/commands.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { MdDriver } from '../../daemon/src/md/driver.js';
import type { RaftStatus } from '../../daemon/src/raft/types.js';
import { WriterLog } from '../../daemon/src/node/writer-log.js';
import { WriterRole, type WriterHooks, type WriterSettings } from '../../daemon/src/node/writer.js';
import { nodeId, term as termOf, type NodeId } from '../../daemon/src/common/types.js';

const SETTINGS: WriterSettings = {
  fenceAction: 'none', fenceCommand: [], fenceTimeoutMs: 1000, fenceRequired: false, checkpointIntervalMs: 1000,
  unconfirmedGraceMs: 500, demoteMarginTicks: 2, reboot: () => { throw new Error('reboot'); },
};

interface Fake { nowMs: number; status: RaftStatus; state: ClusterState; said: Map<string, { term: number; writable: number }>; proposed: Command[]; inFlight?: Map<string, Promise<void>> }

function role(fake: Fake, driver: Partial<MdDriver> = {}): { w: WriterRole; log: WriterLog } {
  const clock = { monoMs: () => fake.nowMs, wallMs: () => fake.nowMs };
  const log = new WriterLog(clock, null);
  const hooks: WriterHooks = {
    syncTicks: () => {},
    raftStatus: () => fake.status,
    leaseValid: () => true,
    state: () => fake.state,
    saidNoneWritable: (n, t) => { const s = fake.said.get(n); return s !== undefined && s.term >= t && s.writable === 0; },
    saidStillWritable: (n, t) => { const s = fake.said.get(n); return s !== undefined && s.term >= t && s.writable > 0; },
    propose: (cmd) => { fake.proposed.push(cmd); },
    requestReconcile: () => {},
    mdSettled: (device) => fake.inFlight?.get(device) ?? Promise.resolve(),
    configuredPeers: () => [],
  };
  const w = new WriterRole(hooks, log, SETTINGS, { clock, logger: silentLogger, driver: driver as MdDriver, commands: { run: async () => ({ ok: true, message: '' }) } });
  return { w, log };
}

function leaderStatus(id: NodeId, term: number): RaftStatus {
  return { id, term: termOf(term), role: 'leader', lead: id, leaseEndTick: 1000, nowTick: 10, conf: { voters: [id], learners: [] } } as unknown as RaftStatus;
}

describe('writer role', () => {
  it('a step-down waits for a demotion already under way before it returns', async () => {
    let release!: () => void;
    const slow = new Promise<void>((res) => { release = res; });
    const fake: Fake = { nowMs: 0, status: leaderStatus(nodeId('n1'), 3), state: emptyClusterState(), said: new Map(), proposed: [] };
    const { w, log } = role(fake, { setReadOnly: () => slow });
    log.open('md0', 3, 'test');
    void w.demote('lease lost'); // the first demotion: STOP_ARRAY_RO is slow
    let handedOver = false;
    const stepDown = w.suspendForStepDown().then(() => { handedOver = true; });
    await new Promise((r) => setImmediate(r));
    expect(handedOver, 'the step-down returned while md0 was still writable').toBe(false);
    release();
    await stepDown;
    expect(log.openDevices()).toEqual([]);
  });

  // Cluster simulator seed 711 (slow-md world): the reconcile loop's read-write was still in
  // flight when the lease ran out; the demotion's read-only returned first, the read-write landed
  // after it, and the array stayed writable with its writer-log interval closed.
  it('a demotion waits for the md action in flight on the array before switching it read-only', async () => {
    let landed!: () => void;
    const readWrite = new Promise<void>((res) => { landed = res; });
    const calls: string[] = [];
    const fake: Fake = { nowMs: 0, status: leaderStatus(nodeId('n1'), 3), state: emptyClusterState(), said: new Map(), proposed: [], inFlight: new Map([['md0', readWrite]]) };
    const { w, log } = role(fake, { setReadOnly: async () => { calls.push('read-only'); } });
    log.open('md0', 3, 'promote');
    const demoted = w.demote('lease lost');
    await new Promise((r) => setImmediate(r));
    expect(calls, 'read-only issued while the read-write was in flight').toEqual([]);
    calls.push('read-write landed');
    landed();
    await demoted;
    expect(calls).toEqual(['read-write landed', 'read-only']);
    expect(log.openDevices()).toEqual([]);
  });

  it('an old master that says it is still writable in the new term is not clear when the grace has passed', () => {
    const n2 = nodeId('n2');
    const fake: Fake = { nowMs: 0, status: leaderStatus(n2, 4), state: emptyClusterState(), said: new Map(), proposed: [] };
    fake.state.master = { node: nodeId('n1'), term: termOf(3) };
    const { w } = role(fake);
    w.onSoftState({ role: 'leader', lead: n2 } as never); // claims: previous master n1
    fake.state.master = { node: n2, term: termOf(4), uncleared: [nodeId('n1')] }; // the claim is applied
    fake.said.set('n1', { term: 4, writable: 1 }); // n1 answers: md0 still writable here
    fake.nowMs = 10 * SETTINGS.unconfirmedGraceMs;
    expect(w.isWriter(), 'promoted although the old master said it still holds a writable array').toBe(false);
    fake.said.set('n1', { term: 4, writable: 0 });
    expect(w.isWriter()).toBe(true);
  });

  it('an old master that never answers is clear once the grace has passed (fencing not required)', () => {
    const n2 = nodeId('n2');
    const fake: Fake = { nowMs: 0, status: leaderStatus(n2, 4), state: emptyClusterState(), said: new Map(), proposed: [] };
    fake.state.master = { node: nodeId('n1'), term: termOf(3) };
    const { w } = role(fake);
    w.onSoftState({ role: 'leader', lead: n2 } as never);
    fake.state.master = { node: n2, term: termOf(4), uncleared: [nodeId('n1')] };
    expect(w.isWriter()).toBe(false);
    fake.nowMs = SETTINGS.unconfirmedGraceMs;
    expect(w.isWriter()).toBe(true);
  });

  it('a master that never became writer passes its own uncleared predecessor on to the next master', () => {
    const [n1, n2, n3] = [nodeId('n1'), nodeId('n2'), nodeId('n3')];
    const state = emptyClusterState();
    const claim = (node: NodeId, t: number): void => { expect(applyCommand(state, { op: 'master', node, term: termOf(t) })).toMatchObject({ ok: true }); };
    claim(n3, 3); // n3 writes, then freezes with md0 writable
    claim(n1, 4); // n1 waits for n3, never becomes writer
    claim(n2, 5); // a step-down hands leadership to n2
    expect(state.master).toEqual({ node: n2, term: termOf(5), uncleared: [n1, n3] });
    const fake: Fake = { nowMs: 0, status: leaderStatus(n2, 5), state, said: new Map(), proposed: [] };
    const { w } = role(fake);
    w.onSoftState({ role: 'leader', lead: n2 } as never);
    fake.said.set('n1', { term: 5, writable: 0 }); // n1 answers: nothing writable here
    fake.said.set('n3', { term: 3, writable: 1 }); // n3 is frozen: its last word is from term 3
    expect(w.isWriter(), 'promoted while n3, the master before n1, may still be writable').toBe(false);
    w.onTick();
    expect(fake.proposed).toContainEqual({ op: 'master-cleared', node: n1, term: termOf(5) });
    expect(fake.proposed).not.toContainEqual(expect.objectContaining({ op: 'master-cleared', node: n3 }));
    fake.said.set('n3', { term: 5, writable: 0 }); // n3 thaws, demotes, says so in term 5
    expect(w.isWriter()).toBe(true);
  });

  it('fences every unproven earlier master on the list, each once', async () => {
    const [n1, n2, n3] = [nodeId('n1'), nodeId('n2'), nodeId('n3')];
    const state = emptyClusterState();
    state.master = { node: n2, term: termOf(5), uncleared: [n1, n3] };
    const fake: Fake = { nowMs: 0, status: leaderStatus(n2, 5), state, said: new Map(), proposed: [] };
    const fencedNodes: string[] = [];
    const clock = { monoMs: () => fake.nowMs, wallMs: () => fake.nowMs };
    const hooks = {
      syncTicks: () => {}, raftStatus: () => fake.status, leaseValid: () => true, state: () => fake.state,
      saidNoneWritable: () => false, saidStillWritable: () => false, propose: (c: Command) => { fake.proposed.push(c); },
      requestReconcile: () => {}, mdSettled: async () => {}, emit: () => {}, configuredPeers: () => [],
    };
    const w = new WriterRole(hooks, new WriterLog(clock, null), { ...SETTINGS, fenceRequired: true, fenceCommand: ['/bin/fence'] },
      { clock, logger: silentLogger, driver: {} as MdDriver, commands: { run: async (_c, argv) => { fencedNodes.push(argv[argv.length - 1]); return { ok: true, message: '' }; } } });
    state.master = null;
    w.onSoftState({ role: 'leader', lead: n2 } as never); // claims term 5
    state.master = { node: n2, term: termOf(5), uncleared: [n1, n3] };
    fake.status = { ...fake.status, nowTick: 10 + 10 } as RaftStatus;
    w.onTick();
    w.onTick();
    await new Promise((r) => setImmediate(r));
    expect(fencedNodes.sort()).toEqual(['n1', 'n3']);
    expect(w.isWriter()).toBe(true);
    w.onTick();
    expect(fake.proposed.filter((c) => c.op === 'master-cleared').map((c) => (c as { node: string }).node).sort()).toEqual(['n1', 'n3']);
  });
});
