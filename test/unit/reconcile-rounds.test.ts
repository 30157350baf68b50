// The reconcile loop's rounds (daemon/src/node/reconcile.ts) against the simulated md driver:
// every plan/act round of a pass must plan from what is true NOW - the kernel's array as it is
// after the previous round's action, and the writer role as it is after that action returned
// (a lease can end while an md call runs). Each test here was seen to fail with the loop
// changed to read that input once per pass.
import { describe, expect, it } from 'vitest';
import { applyCommand } from '../../daemon/src/cluster/apply.js';
import { parseCommand, type Command } from '../../daemon/src/cluster/commands.js';
import { createSpec, observeCommand } from '../../daemon/src/cluster/plan.js';
import { emptyClusterState, type ClusterState } from '../../daemon/src/cluster/types.js';
import { silentLogger } from '../../daemon/src/log/logger.js';
import type { MdDriver } from '../../daemon/src/md/driver.js';
import type { SimMdDriver } from '../../daemon/src/md/sim/sim-driver.js';
import { Reconciler } from '../../daemon/src/node/reconcile.js';
import { WriterLog } from '../../daemon/src/node/writer-log.js';
import { term } from '../../daemon/src/common/types.js';
import { SimFixture } from './simdriver-fixture.js';

const NODE = 'node1';
const TERM = term(5);
/** Event-loop turns a pass of a few md calls on the simulated driver needs at most (it takes no simulated time). */
const PASS_TURNS = 200;

function cmd(c: unknown): Command {
  const r = parseCommand(c);
  if (!r.ok) throw new Error(r.message);
  return r.command;
}

/** A cluster whose md0 (raid1 sda+sdb, spare sdc) exists on the shared disks, recorded as observed, and is stopped on this node. */
async function stoppedArray(): Promise<{ fx: SimFixture; sim: SimMdDriver; state: ClusterState }> {
  const fx = new SimFixture();
  fx.addDisks(['sda', 'sdb', 'sdc']);
  const sim = fx.host({ name: NODE });
  const state = emptyClusterState();
  for (const n of ['node1', 'node2', 'node3']) applyCommand(state, cmd({ op: 'node-add', node: n, address: `127.0.0.1:${n.slice(4)}` }));
  applyCommand(state, cmd({ op: 'master', node: NODE, term: TERM }));
  for (const p of ['/dev/sda', '/dev/sdb', '/dev/sdc']) for (const n of ['node1', 'node2']) applyCommand(state, cmd({ op: 'device-seen', node: n, path: p }));
  const created = applyCommand(state, cmd({ op: 'create', device: 'md0', uuid: '93a5f505:69825d0d:413c4afa:010d8c59', name: 'r:0', level: 'raid1', raidDevices: 2,
    members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], spares: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: null, layout: null, assumeClean: true, sizeKiB: null }));
  expect(created).toMatchObject({ ok: true });
  await sim.create(createSpec(state.arrays[0], NODE));
  const obs = observeCommand(state.arrays[0], await sim.readArray('md0'), { node: NODE, term: TERM });
  expect(obs).not.toBeNull();
  expect(applyCommand(state, obs!)).toEqual({ ok: true });
  expect(state.arrays[0].materialized).toBe(true);
  await sim.stop('md0');
  return { fx, sim, state };
}

interface Run { reconciler: Reconciler; log: WriterLog; calls: string[]; proposed: Command[]; role: { writer: boolean } }

/** A Reconciler on `sim`; `afterAssemble` runs when an assemble call returned (e.g. the lease ends). */
function reconcilerOn(fx: SimFixture, sim: SimMdDriver, state: ClusterState, afterAssemble: (role: { writer: boolean }) => void): Run {
  const role = { writer: true };
  const calls: string[] = [];
  const proposed: Command[] = [];
  const driver = new Proxy(sim, {
    get: (target, p) => {
      const v: unknown = Reflect.get(target, p, target);
      if (typeof v !== 'function') return v;
      const f = (v as (...a: unknown[]) => unknown).bind(target);
      if (p === 'readArray') return f;
      return async (...args: unknown[]) => {
        calls.push(String(p));
        const r = await f(...args);
        if (p === 'assemble') afterAssemble(role);
        return r;
      };
    },
  }) as MdDriver;
  const log = new WriterLog({ monoMs: () => fx.time.nowMs(), wallMs: () => fx.time.nowMs() }, null);
  const reconciler = new Reconciler(NODE, driver, {
    state: () => state,
    writer: () => ({ writer: role.writer, term: TERM }),
    propose: (c) => { proposed.push(c); },
  }, log, { monoMs: () => fx.time.nowMs(), wallMs: () => fx.time.nowMs() }, silentLogger, null);
  return { reconciler, log, calls, proposed, role };
}

/** Requests one pass and lets it run to its end (the simulated driver answers without simulated time). */
async function onePass(r: Run): Promise<void> {
  const before = r.reconciler.passes;
  r.reconciler.request();
  for (let i = 0; i < PASS_TURNS; i++) await new Promise((res) => setImmediate(res));
  expect(r.reconciler.passes).toBe(before + 1);
}

describe('reconcile rounds plan from the present', () => {
  it('the writer role is re-checked after each md call: a lease that ended during the assemble leaves the array read-only', async () => {
    const { fx, sim, state } = await stoppedArray();
    const r = reconcilerOn(fx, sim, state, (role) => { role.writer = false; });
    await onePass(r);
    expect(r.calls).toContain('assemble');
    expect(r.calls).not.toContain('setReadWrite');
    expect(r.log.openDevices()).toEqual([]);
    expect(['readonly', 'read-auto']).toContain((await sim.readArray('md0')).arrayState);
  });

  it('the md state is re-read after each md call: one pass takes a writer\'s stopped array through assemble to read-write', async () => {
    const { fx, sim, state } = await stoppedArray();
    const r = reconcilerOn(fx, sim, state, () => {});
    await onePass(r);
    expect(r.reconciler.failures).toBe(0);
    expect(r.calls.filter((c) => c === 'assemble')).toHaveLength(1);
    expect(r.calls).toContain('setReadWrite');
    expect(r.log.openDevices()).toEqual(['md0']);
    const k = await sim.readArray('md0');
    expect(['readonly', 'read-auto', 'inactive', 'clear']).not.toContain(k.arrayState);
    // The pass ends on the truth: nothing it would still observe differs from the kernel.
    expect(observeCommand(state.arrays[0], k, { node: NODE, term: TERM, base: state.appliedIndex })).toEqual(r.proposed.at(-1) ?? null);
  });
});
