// Issue 12, a focused reproduction of a lost acknowledged hot-add first seen in the history test
// (there: a one-way cut master -> follower made the master drop and regain its writer role). Here
// the master is stalled (SIGSTOP) for longer than its lease but shorter than an election while a
// hot-add is carried out: it loses and regains the writer role, staying leader. After settling,
// the record must still hold the added member (spare or active): the add was answered ok (md
// done) and no later command touched it. Tries: MDCI_READD_TRIES (default 20).
// KNOWN FAILING (reported to the lead, 2026-12-07; about 1 try in 4 on this machine): on the
// writer loss the master's standby plan stops and re-assembles the array without the just-added
// spare; back as writer it observes its kernel without it, with a base newer than the add, and
// the record marks it removed. Do not weaken: it must pass once the daemon keeps the add.
import { describe, expect, test } from 'vitest';
import { createRaid1 } from './lib/arrays.js';
import { useCluster } from './lib/vitest-cluster.js';
import { sleep, waitFor } from './lib/wait.js';

const TRIES = Number(process.env.MDCI_READD_TRIES ?? 20);
/** Longer than the lease (DEFAULT_TEST_TIMING: 200 ms), shorter than an election timeout (300-600 ms). */
const STALL_MS = 250;
const DISKS = ['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: 32_768 }));

interface St { state: { appliedIndex: number; arrays: { device: string; members: { path: string; role: string; pendingAdd: string | null }[] }[] } }

describe('a hot-added spare survives a stall of the master (writer role lost and regained) during the add', () => {
  const cluster = useCluster({ name: 'hist-readd', disks: DISKS }, async (c) => {
    await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], raidDevices: 2, spares: 1, assumeClean: true });
  });

  test(`${TRIES} tries: fail, remove, add with a stall; the acknowledged add holds`, async () => {
    const c = cluster();
    const lost: string[] = [];
    let seq = 0;
    const session = { client: 'readd-test' };
    const propose = async (command: Record<string, unknown>): Promise<unknown> => {
      const s = { ...session, seq: ++seq };
      for (;;) {
        const m = await c.waitForMaster();
        try { return await c.control(m.id, 'propose', { command, session: s, timeoutMs: 5000 }, 7000); } catch (e) {
          const code = (e as { code?: string }).code;
          if (code && !['E_NOT_LEADER', 'E_NO_LEADER', 'E_TIMEOUT', 'E_NO_DAEMON', 'E_PROPOSAL_DROPPED'].includes(code)) return code;
        }
      }
    };
    for (let i = 0; i < TRIES; i++) {
      await propose({ op: 'set-faulty', device: 'md0', member: '/dev/sdc', force: false });
      await propose({ op: 'hot-remove', device: 'md0', member: '/dev/sdc' });
      // The stall lands while the add is carried out, at varied points.
      const m = await c.waitForMaster();
      const answer = propose({ op: 'hot-add', device: 'md0', member: '/dev/sdc' });
      await sleep((i * 25) % 150);
      c.pause(m.id);
      await sleep(STALL_MS);
      c.resume(m.id);
      const r = await answer;
      if (typeof r === 'string') continue; // the add was refused: nothing to hold
      const m2 = await c.waitForMaster();
      const sdc = await waitFor('the record of /dev/sdc settled', async () => {
        const st = await c.control<St>(m2.id, 'state', {});
        const x = st.state.arrays.find((a) => a.device === 'md0')!.members.find((mm) => mm.path === '/dev/sdc');
        return x && x.pendingAdd !== null ? undefined : (x?.role ?? 'absent');
      }, 10_000);
      await sleep(500);
      const st = await c.control<St>(m2.id, 'state', {});
      const role = st.state.arrays.find((a) => a.device === 'md0')!.members.find((mm) => mm.path === '/dev/sdc')?.role ?? 'absent';
      if (role !== 'spare' && role !== 'active') lost.push(`try ${i}: hot-add answered ${JSON.stringify(r)}, /dev/sdc then ${sdc}, now ${role}`);
    }
    process.stdout.write(`readd: ${TRIES} tries, lost adds: ${JSON.stringify(lost)}\n`);
    // SAFETY (issue 12): an acknowledged hot-add is never reverted without a later command.
    expect(lost).toEqual([]);
  }, 60_000 + TRIES * 20_000);
});
