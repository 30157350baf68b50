// Runs INSIDE a kernel-lab guest (eight 64 MiB disks): a one-node mdclusterd with the kernel md
// driver, then each case of mdctl-modes-cases.ts with mdadm (set A) and mdctl (set B), and
// writes every command's exit code and output to $LAB_OUT/mdctl-modes.json after each case.
// Phase 1 (arrays the cluster created): create with a size suffix, an unknown level,
// --examine --brief/--scan, --wait-clean, --zero-superblock of a busy member, --stop --scan,
// --zero-superblock of stopped and blank devices. Phase 2 (arrays made by mdadm, unknown to the
// cluster): --assemble --scan from an mdadm.conf, --stop, --incremental. Phase 3 (issue #17
// item 3): --examine of a 0.90 member (same device, both tools) and a DDF container made by
// mdadm, which mdctl must refuse to manage with E_EXTERNAL_METADATA.
// Environment: MDCTL_LAB_SETUP (mdclusterd.toml + TLS files from the host), LAB_OUT.
// Invariants: the daemon is stopped however the run ends; exit 0 when every case ran (verdicts
// are the host's), 1 when one could not run (the record says why).
import { realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { run } from '../mdctl/guest-io.js';
import { cmd, GONE, OUT, RUNNING, startDaemon, stopDaemon, waitArray, waitReady } from './guest-daemon.js';
import { MODES_RESULT_FILE, type ModeCaseRecord, type ModesRecord } from './mdctl-modes-cases.js';

async function detailFacts(md: string): Promise<string> {
  const r = await run(['mdadm', '--detail', `/dev/${md}`]);
  return r.stdout.split('\n').filter((l) => /^\s*(Raid Level|Array Size|Used Dev Size|Raid Devices) :/.test(l)).map((l) => l.trim()).join('; ');
}

async function uuidOf(md: string): Promise<string> {
  const r = await run(['mdadm', '--detail', '--export', `/dev/${md}`]);
  const m = /^MD_UUID=(\S+)$/m.exec(r.stdout);
  if (!m) throw new Error(`no MD_UUID for ${md}: ${r.stdout}${r.stderr}`);
  return m[1];
}

async function main(): Promise<number> {
  const rec: ModesRecord = { daemonReadyMs: -1, cases: [], error: null };
  const save = () => writeFileSync(join(OUT, MODES_RESULT_FILE), JSON.stringify(rec, null, 1));
  const add = (c: ModeCaseRecord) => { rec.cases.push(c); save(); };
  const pair = async (name: string, mode: string, a: string[][], b: string[][]): Promise<ModeCaseRecord> => {
    const c: ModeCaseRecord = { name, mode, mdadm: [], mdctl: [] };
    for (const x of a) c.mdadm.push(await cmd('mdadm', x));
    for (const x of b) c.mdctl.push(await cmd('mdctl', x));
    return c;
  };
  const daemon = startDaemon();
  try {
    await run(['modprobe', 'raid1']);
    rec.daemonReadyMs = await waitReady(daemon);
    // ---- phase 1: cluster arrays (A: md0 on vda,vdb; B: md1 on vdd,vde)
    const createA = ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '--size=32M', '--bitmap=none', '--assume-clean', '--run', '/dev/vda', '/dev/vdb'];
    const createB = ['--create', '/dev/md1', '--level=1', '--raid-devices=2', '--size=32M', '--bitmap=none', '--assume-clean', '--run', '/dev/vdd', '/dev/vde'];
    const created = await pair('create-size-suffix', 'create', [createA], [createB]);
    await waitArray('md0', RUNNING);
    await waitArray('md1', RUNNING);
    created.factsA = await detailFacts('md0');
    created.factsB = await detailFacts('md1');
    add(created);
    add(await pair('create-unknown-level', 'create', [['-C', '/dev/md2', '-l', 'raid7', '-n2', '/dev/vdc', '/dev/vdf']], [['-C', '/dev/md3', '-l', 'raid7', '-n2', '/dev/vdf', '/dev/vdc']]));
    const same = async (name: string, mode: string, args: string[][]) => pair(name, mode, args, args);
    add(await same('examine-brief', 'misc --examine --brief', [['-Eb', '/dev/vda', '/dev/vdb', '/dev/vdd', '/dev/vde']]));
    add(await same('examine-scan', 'misc --examine --scan', [['--examine', '--scan']]));
    add(await same('examine-scan-verbose', 'misc --examine --scan -v', [['-Esv']]));
    add(await pair('wait-clean', 'misc --wait-clean', [['--wait-clean', '/dev/md0']], [['--wait-clean', '/dev/md1']]));
    add(await pair('zero-superblock-busy', 'misc --zero-superblock', [['--zero-superblock', '/dev/vda']], [['--zero-superblock', '/dev/vdd']]));
    // mdctl stops only the cluster's arrays, mdadm every array: mdctl first.
    const stopB = await cmd('mdctl', ['--stop', '--scan']);
    await waitArray('md1', GONE);
    const stopA = await cmd('mdadm', ['--stop', '--scan']);
    await waitArray('md0', GONE);
    add({ name: 'stop-scan', mode: 'misc --stop --scan', mdadm: [stopA], mdctl: [stopB] });
    // mdctl keeps a stopped cluster array's disks unless --force (mdadm zeroes them): vdb/vde
    // without, vda/vdd with --force, then vda/vdd again, now blank.
    add(await pair('zero-superblock-stopped', 'misc --zero-superblock', [['--zero-superblock', '/dev/vdb']], [['--zero-superblock', '/dev/vde']]));
    add(await pair('zero-superblock-stopped-force', 'misc --zero-superblock --force', [['--zero-superblock', '--force', '/dev/vda']], [['--zero-superblock', '--force', '/dev/vdd']]));
    add(await pair('zero-superblock-blank', 'misc --zero-superblock', [['--zero-superblock', '/dev/vda']], [['--zero-superblock', '/dev/vdd']]));
    // ---- phase 2: arrays mdadm made (A: md10 on vdc,vdg; B: md11 on vdf,vdh), unknown to the cluster
    for (const [md, d1, d2] of [['md10', '/dev/vdc', '/dev/vdg'], ['md11', '/dev/vdf', '/dev/vdh']]) {
      const r = await cmd('mdadm', ['--create', `/dev/${md}`, '--level=1', '--raid-devices=2', '--bitmap=none', '--assume-clean', '--run', '--homehost=labhost', d1, d2]);
      if (r.code !== 0) throw new Error(`mdadm --create ${md}: ${r.stderr}`);
      await waitArray(md, RUNNING);
    }
    const uuidA = await uuidOf('md10');
    const uuidB = await uuidOf('md11');
    for (const md of ['md10', 'md11']) { await cmd('mdadm', ['--stop', `/dev/${md}`]); await waitArray(md, GONE); }
    writeFileSync('/tmp/a.conf', `DEVICE /dev/vdc /dev/vdg\nARRAY /dev/md10 UUID=${uuidA}\n`);
    writeFileSync('/tmp/b.conf', `DEVICE /dev/vdf /dev/vdh\nARRAY /dev/md11 UUID=${uuidB}\n`);
    add(await pair('assemble-scan-conf', 'assemble --scan', [['--assemble', '--scan', '--config=/tmp/a.conf']], [['--assemble', '--scan', '--config=/tmp/b.conf']]));
    await waitArray('md10', RUNNING);
    await waitArray('md11', RUNNING);
    const stopped = await pair('stop-named', 'misc --stop', [['--stop', '/dev/md10']], [['--stop', '/dev/md11']]);
    await waitArray('md10', GONE);
    await waitArray('md11', GONE);
    add(stopped);
    add(await pair('incremental', 'incremental', [['--incremental', '/dev/vdc'], ['--incremental', '/dev/vdg']], [['--incremental', '/dev/vdf'], ['--incremental', '/dev/vdh']]));
    // ---- phase 3: formats (vda, vdb, vdd blank after phase 1; vde zeroed here)
    const old = await cmd('mdadm', ['--create', '/dev/md20', '--metadata=0.90', '--level=1', '--raid-devices=2', '--assume-clean', '--run', '/dev/vda', '/dev/vdb']);
    if (old.code !== 0) throw new Error(`mdadm --create md20 (0.90): ${old.stderr}`);
    await waitArray('md20', RUNNING);
    add(await same('examine-090', 'misc --examine (0.90)', [['--examine', '/dev/vda', '/dev/vdb']]));
    await cmd('mdadm', ['--zero-superblock', '/dev/vde']);
    const ddf = await cmd('mdadm', ['--create', '/dev/md/ddf', '--run', '--metadata=ddf', '--raid-devices=2', '/dev/vdd', '/dev/vde']);
    if (ddf.code !== 0) throw new Error(`mdadm --create /dev/md/ddf: ${ddf.stderr}`);
    // The container's md number: md127 may be taken by an earlier case's array (--incremental's).
    const container = basename(realpathSync('/dev/md/ddf'));
    // A container never runs: md shows it inactive, or read-auto where md_mod's start_ro=1.
    await waitArray(container, ['inactive', 'read-auto']);
    // mdadm manages the container; mdctl refuses (the host checks the code, not identity).
    add(await same('ddf-container-refused', 'manage (DDF container)', [[`/dev/${container}`, '--remove', '/dev/vde']]));
    return 0;
  } catch (e) {
    rec.error = (e as Error).stack ?? String(e);
    save();
    return 1;
  } finally {
    await stopDaemon(daemon);
  }
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
