// mdctl end to end: the built CLI as separate processes against the running 3-node cluster,
// each command through a different node's control socket, and every node's /mdstat
// identical after each step. Covers --create, --detail, --detail --test exit codes, the
// --fail/--remove/--add sequence, --cluster status and a planned --cluster step-down.
import { describe, expect, test } from 'vitest';
import { type Cluster, waitFor } from './harness.js';
import { waitSingleWriter } from './lib/arrays.js';
import { runMdctl, type MdctlResult } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

const DISKS = ['sda', 'sdb', 'sdc', 'sdd', 'sde', 'sdf', 'sdg'].map((id) => ({ id, sizeSectors: 131_072 }));
const cluster = useCluster({ name: 'mdctl', disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT });

async function mdctl(c: Cluster, node: string, args: string[]): Promise<MdctlResult> {
  return runMdctl(c.controlSocket(node), args);
}

function exits(r: MdctlResult, code: number): MdctlResult {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  return r;
}
const ok = (r: MdctlResult): MdctlResult => exits(r, 0);

/** Waits until every node's /mdstat is the same and satisfies `want`; returns it. */
async function sameMdstat(c: Cluster, want: (text: string) => boolean): Promise<string> {
  return c.waitSame('/mdstat', async (id) => {
    const t = await c.mdstat(id);
    return want(t) ? t : `${id}: not yet: ${t}`;
  });
}

const idle = (t: string): boolean => !/resync|recovery/.test(t);

describe('mdctl against the running cluster', () => {
  test('--create through n2, then --detail on every node', async () => {
    const c = cluster();
    for (const id of c.ids) ok(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sda', '/dev/sdb', '/dev/sdc']));
    ok(await mdctl(c, 'n2', ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '/dev/sda', '/dev/sdb', '--wait-all']));
    const text = await sameMdstat(c, (t) => t.includes('md0 : active raid1') && idle(t));
    expect(text).toMatch(/\[2\/2\] \[UU\]/);
    const { id: master } = await c.waitForMaster();
    for (const id of c.ids) {
      const r = ok(await mdctl(c, id, ['--detail', '/dev/md0']));
      expect(r.stdout).toMatch(/Raid Level : raid1/);
      expect(r.stdout).toMatch(/Raid Devices : 2/);
      expect(r.stdout).toMatch(/\/dev\/sda/);
      expect(r.stdout).toMatch(/\/dev\/sdb/);
      expect(r.stdout).toContain(`Master : ${master}`);
    }
    exits(await mdctl(c, 'n1', ['--detail', '--test', '/dev/md0']), 0);
    exits(await mdctl(c, 'n1', ['--detail', '--test', '/dev/md9']), 4);
    exits(await mdctl(c, 'n1', ['--detail', '/dev/md9']), 1);
  });

  test('--fail (n2), --remove (n3), --add (n1): same /mdstat everywhere after each; --test follows', async () => {
    const c = cluster();
    ok(await mdctl(c, 'n2', ['/dev/md0', '--fail', '/dev/sdb']));
    let text = await sameMdstat(c, (t) => t.includes('sdb[1](F)'));
    expect(text).toMatch(/\[2\/1\] \[U_\]/);
    exits(await mdctl(c, 'n3', ['--detail', '--test', '/dev/md0']), 1);
    ok(await mdctl(c, 'n3', ['/dev/md0', '--remove', '/dev/sdb']));
    text = await sameMdstat(c, (t) => t.includes('md0 :') && !t.includes('sdb'));
    expect(text).toMatch(/\[2\/1\] \[U_\]/);
    ok(await mdctl(c, 'n1', ['/dev/md0', '--add', '/dev/sdc']));
    text = await sameMdstat(c, (t) => t.includes('sdc[') && idle(t) && /\[2\/2\] \[UU\]/.test(t));
    expect(text).toContain('sdc[');
    exits(await mdctl(c, 'n2', ['--detail', '--test', '/dev/md0']), 0);
    const { id: master } = await c.waitForMaster();
    await waitSingleWriter(c, master, 'md0');
    c.assertNoWriterOverlap();
  });

  test('--cluster status names the master and lists every node', async () => {
    const c = cluster();
    const { id: master, term } = await c.waitForMaster();
    const r = ok(await mdctl(c, 'n3', ['--cluster', 'status']));
    expect(r.stdout).toContain(`cluster term ${term}, master ${master}, leader ${master}`);
    for (const id of c.ids) expect(r.stdout, `node ${id} row`).toMatch(new RegExp(`^${id} +(master|standby) +yes`, 'm'));
  });

  test('--cluster step-down hands the master role over with no writer overlap', async () => {
    const c = cluster();
    const old = await c.waitForMaster();
    const standby = c.ids.find((id) => id !== old.id)!;
    const refused = await mdctl(c, standby, ['--cluster', 'step-down']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('E_NOT_LEADER');
    const r = ok(await mdctl(c, old.id, ['--cluster', 'step-down']));
    const m = /master is now (\S+) \(term (\d+)\), handed over in (\d+) ms/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const next = await c.waitForMaster({ minTerm: old.term + 1 });
    expect(next.id).toBe(m![1]);
    expect(next.id).not.toBe(old.id);
    await waitSingleWriter(c, next.id, 'md0');
    await sameMdstat(c, (t) => t.includes('md0 :'));
    c.assertNoWriterOverlap();
    await waitFor('the old master to follow', async () => ((await c.status(old.id)).leader === next.id ? true : undefined), 5000);
  });

  test('arrays list as the kernel lists them: /mdstat newest first, --detail --scan oldest first', async () => {
    const c = cluster();
    for (const id of c.ids) ok(await mdctl(c, id, ['--cluster', 'confirm', '/dev/sdd', '/dev/sde', '/dev/sdf', '/dev/sdg']));
    ok(await mdctl(c, 'n1', ['--create', '/dev/md7', '--level=1', '--raid-devices=2', '--assume-clean', '/dev/sdd', '/dev/sde', '--wait-all']));
    ok(await mdctl(c, 'n3', ['--create', '/dev/md2', '--level=1', '--raid-devices=2', '--assume-clean', '/dev/sdf', '/dev/sdg', '--wait-all']));
    const text = await sameMdstat(c, (t) => t.includes('md2 :') && t.includes('md7 :'));
    expect([...text.matchAll(/^(md\d+) :/gm)].map((m) => m[1])).toEqual(['md2', 'md7', 'md0']);
    const scan = ok(await mdctl(c, 'n2', ['--detail', '--scan']));
    expect([...scan.stdout.matchAll(/^ARRAY \/dev\/(md\d+)/gm)].map((m) => m[1])).toEqual(['md0', 'md7', 'md2']);
    const named = ok(await mdctl(c, 'n2', ['--detail', '--brief', '/dev/md2', '/dev/md0']));
    expect([...named.stdout.matchAll(/^ARRAY \/dev\/(md\d+)/gm)].map((m) => m[1])).toEqual(['md2', 'md0']);
  });
});
