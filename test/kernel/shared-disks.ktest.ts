// Several lab guests on the same raw disks, in one private netns: the ground later cluster
// tests build on. Owns: checking that (1) the guests reach each other over TCP on their
// segment, and (2) a standby that assembled the shared array read-only keeps a stale kernel
// view after the master fails a disk (kernel-lab.md), while the superblocks it can read on
// disk already record the failure, and only stop + assemble shows it.
// Invariant: the scenario (scenarios/shared-disks.sh) runs once for all tests in this file.
import { describe, expect, it } from 'vitest';
import { parseMdstat, renderMdstat, type MdstatArray } from '../../daemon/src/md/format/mdstat.js';
import { capturedStates, saveCaptures, type CapturedState } from './lab/captures.js';
import { bootCluster, describeResult, type GuestResult } from './lab/index.js';

const NODES = 3;

let cluster: Promise<GuestResult[]> | null = null;

function runCluster(): Promise<GuestResult[]> {
  cluster ??= (async () => {
    const results = await bootCluster(NODES, {
      sharedDisks: [{ sizeMiB: 32 }, { sizeMiB: 32 }],
      node: () => ({ cmd: ['sh', 'test/kernel/scenarios/shared-disks.sh'], timeoutMs: 300_000 }),
    });
    for (const r of results) {
      await saveCaptures(`shared-disks/${r.name}`, r.files);
      console.log(`${r.name}: boot-to-command ${Math.round(r.bootToCommandMs ?? -1)} ms, guest total ${Math.round(r.totalMs)} ms`);
    }
    return results;
  })();
  return cluster;
}

async function node(i: number): Promise<GuestResult> {
  const r = (await runCluster())[i - 1]!;
  expect(r.outcome === 'exited' && r.exitCode === 0, describeResult(r)).toBe(true);
  return r;
}

async function state(i: number, name: string): Promise<CapturedState> {
  const s = capturedStates((await node(i)).files).find((x) => x.name === name);
  expect(s, `node${i} captured ${name}`).toBeDefined();
  return s!;
}

function md0(s: CapturedState): MdstatArray {
  const p = parseMdstat(s.mdstat);
  if (!p.ok) throw new Error(`${s.name}: ${p.error.message}`);
  const a = p.value.arrays.find((x) => x.device === 'md0');
  if (a === undefined) throw new Error(`${s.name}: no md0 in\n${s.mdstat}`);
  return a;
}

function view(s: CapturedState): string {
  const a = md0(s);
  const st = a.status;
  const disks = st !== null && 'disks' in st ? `[${st.disks.raidDisks}/${st.disks.workingDisks}] [${st.disks.slotsUp.map((u) => (u ? 'U' : '_')).join('')}]` : '?';
  return `${a.readOnly ?? 'rw'} ${disks}`;
}

function examined(r: GuestResult, stateName: string): { events: number; arrayState: string } {
  const text = r.files[`${stateName}/examine-vda.txt`] ?? '';
  const events = /^ +Events : ([0-9]+)$/m.exec(text);
  const arrayState = /^ +Array State : (\S+)/m.exec(text);
  if (events === null || arrayState === null) throw new Error(`${r.name} ${stateName}: no examine output:\n${text}`);
  return { events: Number(events[1]), arrayState: arrayState[1]! };
}

describe(`shared disks, ${NODES} guests in one netns`, () => {
  it('every guest runs the scenario to the end', async () => {
    for (let i = 1; i <= NODES; i++) await node(i);
  });

  it('each guest got one TCP line from the previous node in the ring', async () => {
    for (let i = 1; i <= NODES; i++) {
      const prev = ((i + NODES - 2) % NODES) + 1;
      expect((await node(i)).files['tcp-received']).toBe(`hello from node${prev}\n`);
    }
  });

  it('the master runs the array read-write and sees its own failure', async () => {
    expect(view(await state(1, '01-master'))).toBe('rw [2/2] [UU]');
    const failed = await state(1, '02-master');
    expect(view(failed)).toBe('rw [2/1] [U_]');
    expect(failed.sysfs.get('md0')?.['dev-vdb/state']).toBe('faulty');
    expect(examined(await node(1), '02-master').arrayState).toBe('A.');
  });

  it("a standby's read-only kernel view stays stale after the master failed a disk", async () => {
    const master = examined(await node(1), '02-master');
    for (let i = 2; i <= NODES; i++) {
      expect(view(await state(i, '01-standby'))).toBe('read-only [2/2] [UU]');
      const before = examined(await node(i), '01-standby');
      expect(before.arrayState).toBe('AA');
      const stale = await state(i, '02-standby');
      expect(view(stale), `node${i} kernel view after the master's fail`).toBe('read-only [2/2] [UU]');
      expect(stale.sysfs.get('md0')).toMatchObject({ array_state: 'readonly', 'dev-vdb/state': 'in_sync', degraded: '0' });
      // ... while the superblock on the shared disk already says otherwise:
      const onDisk = examined(await node(i), '02-standby');
      expect(onDisk).toEqual(master);
      expect(onDisk.events).toBeGreaterThan(before.events);
    }
  });

  it('only stop + assemble shows a standby the failure', async () => {
    for (let i = 2; i <= NODES; i++) expect(view(await state(i, '03-standby'))).toBe('read-only [2/1] [U_]');
  });

  it('our mdstat parser + renderer reproduce every captured mdstat byte for byte', async () => {
    for (let i = 1; i <= NODES; i++) {
      for (const s of capturedStates((await node(i)).files)) {
        const p = parseMdstat(s.mdstat);
        expect(p.ok, `node${i} ${s.name}`).toBe(true);
        if (p.ok) expect(renderMdstat(p.value), `node${i} ${s.name}`).toBe(s.mdstat);
      }
    }
  });
});
