// The node shell's fatal handler (node/ready-loop.ts drain): a failure that stops the node is
// reported by its cause, never as a catch-all. A storage write that fails is 'storage' (the
// Raft log may not be durable); an apply that throws is 'invariant' (a state-machine bug: the
// replicas may disagree). After either, the node persists, sends and applies nothing more.
// Seen to fail with the rule broken: with drain() reporting every error as 'storage' (the old
// process.exit(70) labelling), the invariant test fails; with storage errors left unwrapped,
// the storage test fails.
import { afterEach, describe, expect, it } from 'vitest';
import type { FatalCause } from '../../daemon/src/node/deps.js';
import { World } from './node-world.js';

let world: World | null = null;
afterEach(async () => { await world?.stopAll(); world = null; });

describe('fatal errors are named by cause', () => {
  it('a failed Raft write is a storage failure, and the node stops persisting and sending', async () => {
    const w = (world = new World());
    const fatal: { cause: FatalCause; msg: string }[] = [];
    w.start(['n1', 'n2', 'n3'], { fatal: (cause, err) => fatal.push({ cause, msg: err.message }) });
    await w.withArray();
    const victim = w.get('n2');
    let savesAfter = 0;
    let broken = false;
    victim.saveHook = (_batch, inner) => {
      if (broken) { savesAfter++; return inner(); }
      broken = true;
      return Promise.reject(new Error('EIO: disk gone'));
    };
    let sentAfter = 0;
    victim.transport.onSend = () => { if (fatal.length > 0) sentAfter++; };
    expect(await w.until(() => fatal.length > 0, 2000)).toBe(true);
    await w.until(() => false, 500);
    expect(fatal).toEqual([{ cause: 'storage', msg: expect.stringMatching(/could not persist the Raft log: EIO: disk gone/) }]);
    expect(victim.node.view().stopping).toBe(true);
    expect(savesAfter).toBe(0);
    // Gossip frames come from the tick, which stops with the loop too.
    expect(sentAfter).toBe(0);
  });

  it('an apply that throws is an invariant failure, not a storage one', async () => {
    const w = (world = new World());
    const fatal: FatalCause[] = [];
    w.start(['n1', 'n2', 'n3'], { fatal: (cause) => fatal.push(cause) });
    await w.withArray();
    const master = w.masterId()!;
    const buggy = ['n1', 'n2', 'n3'].find((id) => id !== master)!;
    // A state-machine bug: applying an entry throws on this node (node/apply-entries.ts calls
    // events.capture before every command it applies).
    w.get(buggy).node.events.capture = () => { throw new Error('apply bug'); };
    const r = await w.propose(master, { op: 'set-faulty', device: 'md0', member: '/dev/sdb', force: false });
    expect(r.ok).toBe(true);
    await w.until(() => fatal.length > 0, 1000);
    expect(fatal).toEqual(['invariant']);
    expect(w.get(buggy).node.view().stopping).toBe(true);
    expect(w.get(master).node.view().stopping).toBe(false);
  });
});
