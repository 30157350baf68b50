// Scenarios a-c for one RAID level, as vitest tests on a lane cluster: mdctl commands issued
// on a STANDBY change md on the master, and every node's kernel and cluster view follow.
//   a. create (+1 spare, internal write-intent bitmap): the master creates, the standbys
//      assemble read-only, every node's /mdstat equals the master kernel's /proc/mdstat;
//   b. a disk failed on a standby's kernel (sysfs "faulty"): faulty cluster-wide, the master
//      takes it out of its slot and recovers onto the spare;
//   c1. --remove of the failed disk;
//   c2. `--fail X --remove X` in one command line (X the recovered spare): degraded, no spare;
//   c3. --re-add X: the bitmap-based recovery puts X back into its slot;
//   c4. --add and --add-spare of blank disks: both become spares.
// Owns: the steps and checks, parametrised by the level's disks. Invariant: the tests run in
// order on one array; each leaves it in the state the next one needs; `roles` tells later
// tests (in the same file) who is master and which standby issues commands.
import { expect, it } from 'vitest';
import { waitFor } from '../../integration/lib/wait.js';
import type { LaneCluster } from './cluster.js';
import { CONVERGE_MS, expectMdstatsEqualMaster, waitIdleClean, waitReadOnly, waitWritable } from './md-checks.js';
import { memberStates, mustMdctl, mustSh, procMdstat, status, waitMaster, type MasterView } from './node-ops.js';

export interface StandbyOpsSpec {
  md: string;
  /** Kernel personality name as mdstat prints it ("raid1", "raid10"). */
  level: string;
  /** mdadm's --level value. */
  levelArg: string;
  /** Active members in slot order (kernel names, e.g. "vda"), then the initial spare. */
  active: string[];
  spare: string;
  /** An active member failed through a standby's sysfs in b. */
  failOnStandby: string;
  /** Blank disks added in c1 (--add, --add-spare). */
  add: string;
  addSpare: string;
}

export interface Roles {
  master: MasterView;
  standby: number;
}

const dev = (name: string): string => `/dev/${name}`;

export function allDisks(s: StandbyOpsSpec): string[] {
  return [...s.active, s.spare, s.add, s.addSpare];
}

async function waitRemoved(c: LaneCluster, r: Roles, md: string, name: string): Promise<void> {
  await waitFor(`${name} removed from ${md} on the master`, async () => ((await memberStates(c, r.master.index, md))[name] === undefined ? true : undefined), CONVERGE_MS, 300);
}

export function standbyOpsTests(cluster: () => LaneCluster, s: StandbyOpsSpec, roles: Partial<Roles>): void {
  const md = s.md;
  const r = (): Roles => roles as Roles;

  it(`a: ${s.level} created on a standby: master creates, standbys assemble read-only, all /mdstat = master /proc/mdstat`, async () => {
    const c = cluster();
    roles.master = await waitMaster(c);
    roles.standby = c.indexes.find((i) => i !== roles.master!.index)!;
    const standbys = c.indexes.filter((i) => i !== r().master.index);
    for (const i of c.indexes) await mustMdctl(c, i, ['--cluster', 'confirm', ...allDisks(s).map(dev)]);
    const created = await mustMdctl(c, r().standby, ['--create', dev(md), `--level=${s.levelArg}`, `--raid-devices=${s.active.length}`, '--spare-devices=1', '--bitmap=internal', ...s.active.map(dev), dev(s.spare)]);
    expect(created.stderr).toContain(`array /dev/${md} started.`);
    await waitWritable(c, r().master.index, md);
    for (const i of standbys) await waitReadOnly(c, i, md);
    expect((await status(c, r().standby)).arrays.find((a) => a.device === dev(md))?.writableOn).toBe(r().master.id);
    await waitIdleClean(c, r().master.index, md);
    const kernel = await expectMdstatsEqualMaster(c, r().master.index);
    expect(kernel).toMatch(new RegExp(`^${md} : active ${s.level} `, 'm'));
    for (const i of standbys) expect(await procMdstat(c, i)).toMatch(new RegExp(`^${md} : active \\((auto-)?read-only\\) ${s.level} `, 'm'));
  });

  it(`b: ${s.level}: a disk failed on a standby kernel is failed cluster-wide; the master recovers onto the spare`, async () => {
    const c = cluster();
    await mustSh(c, r().standby, `echo faulty > /sys/block/${md}/md/dev-${s.failOnStandby}/state`);
    await waitFor(`${s.failOnStandby} faulty in the cluster state`, async () => {
      const a = (await status(c, r().master.index)).arrays.find((x) => x.device === dev(md));
      const m = a?.members.find((x) => x.device === dev(s.failOnStandby));
      return m === undefined || m.state === 'faulty' ? true : undefined;
    }, CONVERGE_MS, 200);
    const inSync = [...s.active.filter((d) => d !== s.failOnStandby), s.spare];
    await waitFor(`${s.failOnStandby} out of its slot on the master and ${s.spare} recovered into it`, async () => {
      const k = await memberStates(c, r().master.index, md);
      const failedOut = k[s.failOnStandby] === undefined || k[s.failOnStandby]!.includes('faulty');
      return failedOut && inSync.every((d) => k[d] === 'in_sync') ? k : undefined;
    }, CONVERGE_MS, 500);
    await waitIdleClean(c, r().master.index, md);
    await expectMdstatsEqualMaster(c, r().master.index);
  });

  it(`c1: ${s.level}: --remove of the failed disk issued on a standby`, async () => {
    const c = cluster();
    await mustMdctl(c, r().standby, [dev(md), '--remove', dev(s.failOnStandby)]);
    await waitRemoved(c, r(), md, s.failOnStandby);
    await expectMdstatsEqualMaster(c, r().master.index);
  });

  it(`c2: ${s.level}: \`--fail X --remove X\` in one command line on a standby takes X out of the master's array`, async () => {
    const c = cluster();
    await mustMdctl(c, r().standby, [dev(md), '--fail', dev(s.spare), '--remove', dev(s.spare)]);
    await waitRemoved(c, r(), md, s.spare);
    await expectMdstatsEqualMaster(c, r().master.index);
  });

  it(`c3: ${s.level}: --re-add of the removed member issued on a standby puts it back into its slot`, async () => {
    const c = cluster();
    // c2 may have failed to remove it (that bug is reported there): remove it on its own first.
    if ((await memberStates(c, r().master.index, md))[s.spare] !== undefined) {
      await mustMdctl(c, r().standby, [dev(md), '--remove', dev(s.spare)]);
      await waitRemoved(c, r(), md, s.spare);
    }
    await mustSh(c, r().master.index, `dd if=/dev/zero of=/dev/${md} bs=64k count=16 seek=8 oflag=direct conv=notrunc,fsync status=none`);
    const readded = await mustMdctl(c, r().standby, [dev(md), '--re-add', dev(s.spare)]);
    expect(readded.stderr).toContain(`re-added ${dev(s.spare)}`);
    await waitFor(`${s.spare} back in sync in ${md} on the master`, async () => {
      const k = await memberStates(c, r().master.index, md);
      return k[s.spare] === 'in_sync' ? k : undefined;
    }, CONVERGE_MS, 300);
    await waitIdleClean(c, r().master.index, md);
    const k = await memberStates(c, r().master.index, md);
    expect(Object.values(k).filter((v) => v === 'in_sync'), JSON.stringify(k)).toHaveLength(s.active.length);
    await expectMdstatsEqualMaster(c, r().master.index);
  });

  it(`c4: ${s.level}: --add and --add-spare of blank disks issued on a standby`, async () => {
    const c = cluster();
    await mustMdctl(c, r().standby, [dev(md), '--add', dev(s.add)]);
    await mustMdctl(c, r().standby, [dev(md), '--add-spare', dev(s.addSpare)]);
    await waitFor(`${s.add} and ${s.addSpare} spares on the master`, async () => {
      const k = await memberStates(c, r().master.index, md);
      return k[s.add] === 'spare' && k[s.addSpare] === 'spare' ? k : undefined;
    }, CONVERGE_MS, 300);
    await expectMdstatsEqualMaster(c, r().master.index);
  });
}
