// Runs INSIDE a kernel-lab guest (eight 64 MiB disks): a one-node mdclusterd with the kernel md
// driver, then each case of mdctl-modes-cases.ts with mdadm (set A) and mdctl (set B), and
// writes every command's exit code and output to $LAB_OUT/mdctl-modes.json after each case.
// Phase 1 (arrays the cluster created): create with a size suffix, an unknown level,
// --examine --brief/--scan, --wait-clean, --zero-superblock of a busy member, --stop --scan,
// --zero-superblock of stopped and blank devices. Phase 2 (arrays made by mdadm, unknown to the
// cluster): --assemble --scan from an mdadm.conf, --stop, --incremental.
// Environment: MDCTL_LAB_SETUP (mdclusterd.toml + TLS files from the host), LAB_OUT.
// Invariants: the daemon is stopped however the run ends; exit 0 when every case ran (verdicts
// are the host's), 1 when one could not run (the record says why).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, sleep } from '../mdctl/guest-io.js';
import { MODES_RESULT_FILE, type ModeCaseRecord, type ModeCmd, type ModesRecord } from './mdctl-modes-cases.js';

const REPO = process.cwd();
const OUT = process.env.LAB_OUT ?? '/lab/out';
const SETUP = process.env.MDCTL_LAB_SETUP ?? '';
const SOCKET = '/run/mdclusterd/control.sock';
const MDCTL_JS = join(REPO, 'dist/mdctl/src/main.js');
const DAEMON_JS = join(REPO, 'dist/daemon/src/main.js');
const DAEMON_READY_MS = 240_000;
/** Bound on waiting for an array to appear/disappear in the kernel after a command. */
const KERNEL_WAIT_MS = 60_000;

const cmd = async (tool: 'mdadm' | 'mdctl', args: string[]): Promise<ModeCmd> => {
  const r = tool === 'mdadm' ? await run(['mdadm', ...args]) : await run([process.execPath, MDCTL_JS, '--socket', SOCKET, ...args], ['mdctl', ...args]);
  return { argv: [tool, ...args], code: r.code, stdout: r.stdout, stderr: r.stderr };
};

function startDaemon(): ChildProcess {
  const fd = openSync(join(OUT, 'daemon.log'), 'a');
  try {
    return spawn(process.execPath, [DAEMON_JS, '--config', join(SETUP, 'mdclusterd.toml')], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

async function stopDaemon(d: ChildProcess): Promise<void> {
  if (d.exitCode !== null || d.signalCode !== null) return;
  const exited = new Promise<void>((r) => d.once('exit', () => r()));
  d.kill('SIGTERM');
  const t = setTimeout(() => d.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

async function waitReady(d: ChildProcess): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (d.exitCode !== null) throw new Error(`mdclusterd exited with ${d.exitCode} during start-up (see daemon.log)`);
    const r = await cmd('mdctl', ['--cluster', 'status']);
    if (r.code === 0 && /master node1/.test(r.stdout) && /, writer,/.test(r.stdout)) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > DAEMON_READY_MS) throw new Error(`mdclusterd not a writable master within ${DAEMON_READY_MS} ms`);
    await sleep(500);
  }
}

/** Waits until /sys/block/<md>/md/array_state reads one of `states` (absent counts as "absent"). */
async function waitArray(md: string, states: string[]): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const r = await run(['cat', `/sys/block/${md}/md/array_state`]);
    const s = r.code === 0 ? r.stdout.trim() : 'absent';
    if (states.includes(s)) return;
    if (performance.now() - t0 > KERNEL_WAIT_MS) throw new Error(`${md}: array_state ${s}, waited for ${states.join('/')}`);
    await sleep(300);
  }
}

const RUNNING = ['clean', 'active', 'active-idle', 'read-auto', 'readonly'];
const GONE = ['absent', 'clear', 'inactive'];

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
