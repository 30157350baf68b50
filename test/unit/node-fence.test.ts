// The fence hook of the writer role (node/writer.ts maybeFence/runFence), run through the
// injected command runner (node/deps.ts CommandRunner), so the very code production runs is
// exercised here in simulated time. Rule: with fenceRequired, a new master whose predecessor
// never said "nothing writable" makes no array writable before the fence command for that
// predecessor has completed successfully; the command gets the old master's id for "{node}".
// Seen to fail with the rule broken: with runFence marking the old master fenced before the
// command returned, the new master wrote while the fence was still running.
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../daemon/src/node/deps.js';
import { World, type WorldNode } from './node-world.js';

let world: World | null = null;
afterEach(async () => { await world?.stopAll(); world = null; });

/** Simulated time the fence command takes. */
const FENCE_RUN_US = 400_000;

describe('fence hook', () => {
  it('a new master writes only after the fence command for its silent predecessor completed', async () => {
    const w = (world = new World());
    const calls: { cmd: string; argv: string[]; startUs: number; endUs: number | null }[] = [];
    const commands: CommandRunner = {
      run: (cmd, argv) => new Promise((resolve) => {
        const call = { cmd, argv, startUs: w.sched.nowUs, endUs: null as number | null };
        calls.push(call);
        w.sched.after(FENCE_RUN_US, () => { call.endUs = w.sched.nowUs; resolve({ ok: true }); });
      }),
    };
    w.start(['n1', 'n2', 'n3'], {
      writer: { fenceRequired: true, fenceCommand: ['fence-node', '--target={node}'], unconfirmedGraceMs: 600_000 },
      commands,
    });
    const old: WorldNode = await w.withArray();
    const freezeMs = 5000;
    old.time.freeze(freezeMs * 1000);
    const frozenAtUs = w.sched.nowUs;
    // A frozen old master cannot gossip "nothing writable": the new one must fence it first.
    expect(await w.until(() => w.writable.some((x) => x.node !== old.id), freezeMs - 100)).toBe(true);
    expect(calls.length).toBe(1);
    expect(calls[0]).toMatchObject({ cmd: 'fence-node', argv: [`--target=${old.id}`] });
    expect(calls[0].endUs).not.toBeNull();
    const firstWriteUs = Math.min(...w.writable.filter((x) => x.node !== old.id).map((x) => x.startUs));
    expect(firstWriteUs).toBeGreaterThan(frozenAtUs);
    expect(firstWriteUs).toBeGreaterThanOrEqual(calls[0].endUs!);
    // The run is recorded in the log: every live node raises one FenceRan with its exit status,
    // from the same entry (the alert path delivers it once, node/alert-delivery.ts).
    expect(await w.until(() => [...w.nodes.values()].filter((x) => x !== old).every((x) => x.node.events.history.some((e) => e.name === 'FenceRan')), 2000)).toBe(true);
    for (const x of [...w.nodes.values()].filter((y) => y !== old)) {
      const fr = x.node.events.history.filter((e) => e.name === 'FenceRan');
      expect(fr.map((e) => [e.key, e.detail])).toEqual([[fr[0].key, expect.stringMatching(new RegExp(`fenced ${old.id} \\(term \\d+\\): exit status 0$`))]]);
      expect(fr[0].key).toMatch(/^[0-9]+$/);
    }
  });
});
