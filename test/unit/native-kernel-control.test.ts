// Unit tests for the kernel driver's change path that can run without md: sysfs writes over a
// capture's tree (sync control, speed limits), input validation before any I/O, idempotent
// no-ops decided from sysfs, and the mdadm runner (real child processes, never a shell).
import { describe, expect, it, afterAll } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sectors } from '../../daemon/src/common/types.js';
import { KernelMdDriver } from '../../daemon/src/md/kernel/driver.js';
import { addArgs, assembleArgs, createArgs, realMdadm, type MdadmRunner } from '../../daemon/src/md/kernel/mdadm.js';
import type { KernelPaths } from '../../daemon/src/md/kernel/paths.js';
import type { CreateSpec } from '../../daemon/src/md/types.js';
import { buildTree } from './native-samples.js';
import { samplePorts } from './native-kernel-fakes.js';

const roots: string[] = [];
afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });
function tree(caseName: string): KernelPaths {
  const root = buildTree(caseName);
  roots.push(root);
  mkdirSync(join(root, 'proc/sys/dev/raid'), { recursive: true });
  writeFileSync(join(root, 'proc/sys/dev/raid/speed_limit_min'), '1000\n');
  writeFileSync(join(root, 'proc/sys/dev/raid/speed_limit_max'), '200000\n');
  return { sysRoot: join(root, 'sys'), procRoot: join(root, 'proc'), devRoot: join(root, 'dev') };
}
function recordingMdadm(calls: string[][]): MdadmRunner {
  return { run: async (args) => { calls.push([...args]); return { stdout: '', stderr: '' }; } };
}
const attr = (paths: KernelPaths, array: string, name: string) => readFileSync(join(paths.sysRoot, 'block', array, 'md', name), 'utf8');

describe('resync control over a capture tree', () => {
  it('writes sync_action, sync_min, sync_max and resync_start values md accepts', async () => {
    const paths = tree('04-raid1-resync-frozen-pending');
    const d = new KernelMdDriver({ paths, readPorts: samplePorts('04-raid1-resync-frozen-pending') });
    await d.setSyncMax('md0', sectors(65536));
    expect(attr(paths, 'md0', 'sync_max')).toBe('65536');
    await d.setSyncMax('md0', 'max');
    expect(attr(paths, 'md0', 'sync_max')).toBe('max');
    await d.setSyncMin('md0', sectors(1024));
    expect(attr(paths, 'md0', 'sync_min')).toBe('1024');
    await d.setResyncStart('md0', sectors(37120)); // frozen: allowed
    expect(attr(paths, 'md0', 'resync_start')).toBe('37120');
    await d.setResyncStart('md0', null);
    expect(attr(paths, 'md0', 'resync_start')).toBe('none');
    await d.setSyncAction('md0', 'idle');
    expect(attr(paths, 'md0', 'sync_action')).toBe('idle');
    expect((await d.readArray('md0')).syncMaxSectors).toBe('max');
  });

  it('refuses resync_start while a sync runs, and bad values before writing', async () => {
    const paths = tree('03-raid1-resync-parked-at-sync_max');
    const d = new KernelMdDriver({ paths, readPorts: samplePorts('03-raid1-resync-parked-at-sync_max') });
    await expect(d.setResyncStart('md0', sectors(0))).rejects.toMatchObject({ code: 'E_INVALID_STATE', details: { syncAction: 'resync' } });
    expect(attr(paths, 'md0', 'resync_start')).toBe('65536\n');
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, '12' as unknown as number]) {
      await expect(d.setSyncMin('md0', bad as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
    await expect(d.setSyncAction('md0', 'explode' as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(d.setSyncAction('md9', 'idle')).rejects.toMatchObject({ code: 'E_NO_SUCH_ARRAY' });
    await expect(d.setSyncMax('../../etc', 'max')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('writes the global speed limits, validating them first', async () => {
    const paths = tree('01-raid1-clean');
    const d = new KernelMdDriver({ paths });
    await d.setSpeedLimits({ minKiBps: 1, maxKiBps: 300 });
    expect(readFileSync(join(paths.procRoot, 'sys/dev/raid/speed_limit_min'), 'utf8')).toBe('1');
    expect(readFileSync(join(paths.procRoot, 'sys/dev/raid/speed_limit_max'), 'utf8')).toBe('300');
    for (const bad of [{ minKiBps: 0, maxKiBps: 1 }, { minKiBps: 5, maxKiBps: 4 }, { minKiBps: 1, maxKiBps: 2 ** 31 }, null]) {
      await expect(d.setSpeedLimits(bad as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
    const none = new KernelMdDriver({ paths: { ...paths, procRoot: '/nonexistent' } });
    await expect(none.setSpeedLimits({ minKiBps: 1, maxKiBps: 2 })).rejects.toMatchObject({ code: 'E_NOT_SUPPORTED' });
  });
});

describe('array and member changes decided from sysfs', () => {
  it('is idempotent where md already shows the result, without opening /dev/mdX', async () => {
    const ro = tree('13-raid1-readonly');
    await new KernelMdDriver({ paths: ro }).setReadOnly('md0'); // readonly already: no ioctl (no /dev/md0 in the tree)
    const clean = tree('01-raid1-clean');
    const d = new KernelMdDriver({ paths: clean });
    await d.setReadWrite('md0');
    await d.run('md0');
    await d.stop('md5'); // not present: nothing to do
    await expect(d.setReadOnly('md0')).rejects.toMatchObject({ code: 'E_KERNEL', details: { syscall: 'open', errno: 'ENOENT' } });
    const inactive = tree('15-raid1-inactive-incremental');
    await expect(new KernelMdDriver({ paths: inactive }).setReadWrite('md0')).rejects.toMatchObject({ code: 'E_INVALID_STATE' });
  });

  it('validates member paths before any I/O', async () => {
    const d = new KernelMdDriver({ paths: tree('01-raid1-clean') });
    for (const bad of ['vdb', '', 'dev/vdb', '/dev/vd\0b', 7]) {
      await expect(d.setFaulty('md0', bad as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
      await expect(d.hotAdd('md0', bad as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
    await expect(d.setFaulty('md0', '/dev/no-such-disk')).rejects.toMatchObject({ code: 'E_NO_SUCH_DEVICE' });
    await expect(d.setFaulty('md3', '/dev/no-such-disk')).rejects.toMatchObject({ code: 'E_NO_SUCH_ARRAY' });
    await expect(d.setWriteMostly('md0', '/dev/null', 'yes' as never)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(d.reAdd('md0', '/dev/null')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' }); // not a block device
  });
});

describe('mdadm arguments', () => {
  const paths: KernelPaths = { sysRoot: '/sys', procRoot: '/proc', devRoot: '/dev' };
  const spec: CreateSpec = { device: 'md0', level: 'raid5', raidDevices: 3, members: ['/dev/vda', '/dev/vdb', 'missing', '/dev/vdd'], spareDevices: 1, metadata: '1.2', bitmap: 'internal', chunkKiB: 64, layout: 'left-symmetric', name: 'data', assumeClean: true, sizeKiB: 32768 };

  it('builds create/assemble/add argument vectors', () => {
    expect(createArgs(spec, paths)).toEqual([
      '--create', '/dev/md0', '--run', '--level=raid5', '--raid-devices=3', '--spare-devices=1', '--metadata=1.2',
      '--bitmap=internal', '--chunk=64', '--layout=left-symmetric', '--name=data', '--assume-clean', '--size=32768',
      '/dev/vda', '/dev/vdb', 'missing', '/dev/vdd',
    ]);
    expect(assembleArgs({ device: '/dev/md1', members: ['/dev/vda', '/dev/vdb'], readOnly: true, run: true, uuid: '93a5f505:69825d0d:413c4afa:010d8c59' }, paths))
      .toEqual(['--assemble', '/dev/md1', '--uuid=93a5f505:69825d0d:413c4afa:010d8c59', '--readonly', '--run', '/dev/vda', '/dev/vdb']);
    expect(addArgs('md0', '/dev/vdc', paths)).toEqual(['--manage', '/dev/md0', '--add', '/dev/vdc']);
  });

  it('rejects anything that could become an option or a bad value', () => {
    const bad: Partial<CreateSpec>[] = [
      { device: '--zero' }, { level: 'raid7' as never }, { level: 'toString' as never }, { raidDevices: 0 }, { raidDevices: 2.5 },
      { members: ['/dev/vda', '-fake', 'missing', '/dev/vdd'] }, { members: ['/dev/vda', '/dev/vda', 'missing', '/dev/vdd'] },
      { members: ['/dev/vda'] }, { metadata: '2.0' }, { chunkKiB: -4 }, { layout: 'x --force' }, { name: 'a b' },
      { bitmap: 'external' as never }, { sizeKiB: 0 },
    ];
    for (const b of bad) expect(() => createArgs({ ...spec, ...b }, paths), JSON.stringify(b)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => assembleArgs({ device: 'md0', members: [], readOnly: false }, paths)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => assembleArgs({ device: 'md0', members: ['/dev/vda'], readOnly: false, uuid: 'x' }, paths)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('create and assemble go through the runner', async () => {
    const calls: string[][] = [];
    const paths2 = tree('01-raid1-clean');
    const d = new KernelMdDriver({ paths: paths2, mdadm: recordingMdadm(calls) });
    await d.create({ device: 'md3', level: 'raid1', raidDevices: 2, members: ['/dev/vda', '/dev/vdb'], spareDevices: 0 });
    await d.assemble({ device: 'md0', members: ['/dev/vda', '/dev/vdb'], readOnly: false }); // md0 is clean: no switch needed
    expect(calls).toEqual([
      ['--create', `${paths2.devRoot}/md3`, '--run', '--level=raid1', '--raid-devices=2', '/dev/vda', '/dev/vdb'],
      ['--assemble', `${paths2.devRoot}/md0`, '/dev/vda', '/dev/vdb'],
    ]);
  });

  it('a chunk change is mdadm --grow --chunk=NK [--backup-file=F]; bad values never reach mdadm', async () => {
    const calls: string[][] = [];
    const paths2 = tree('01-raid1-clean');
    const d = new KernelMdDriver({ paths: paths2, mdadm: recordingMdadm(calls) });
    await d.setChunkSize('md0', 128, {});
    await d.setChunkSize('md0', 1024, { backupFile: '/var/tmp/md0.bak' });
    expect(calls).toEqual([
      ['--grow', `${paths2.devRoot}/md0`, '--chunk=128K'],
      ['--grow', `${paths2.devRoot}/md0`, '--chunk=1024K', '--backup-file=/var/tmp/md0.bak'],
    ]);
    await expect(d.setChunkSize('md0', 2, {})).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(d.setChunkSize('md0', 128, { backupFile: '-f' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(d.setChunkSize('md0', 128, { backupFile: '/tmp/a b' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    expect(calls).toHaveLength(2);
  });
});

describe('mdadm runner (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdadm-fake-'));
  roots.push(dir);
  const script = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };

  it('a run that leaves a child (mdadm --grow\'s reshape follower) answers at mdadm\'s exit, with its output, not at the child\'s', async () => {
    const release = join(dir, 'release');
    // The "child" holds stdout/stderr open until the test releases it (a pipe would wait for it;
    // it also ends when afterAll removes the directory, so a failed run leaves no process).
    const forking = script('forking', `echo "mdadm: grow started" >&2; echo out; (while [ ! -e ${release} ] && [ -d ${dir} ]; do sleep 0.05; done; echo late >&2) & exit 0`);
    const r = await realMdadm(forking).run(['--grow', '/dev/md0'], { leavesChild: true });
    expect(r).toEqual({ stdout: 'out\n', stderr: 'mdadm: grow started\n' });
    writeFileSync(release, '');
    const failing = script('forking-fail', `echo "mdadm: /dev/md0: Cannot grow - need backup-file" >&2; (while [ ! -e ${release}2 ] && [ -d ${dir} ]; do sleep 0.05; done) & exit 1`);
    await expect(realMdadm(failing).run(['--grow'], { leavesChild: true })).rejects.toMatchObject({ code: 'E_MDADM_FAILED', message: 'mdadm: /dev/md0: Cannot grow - need backup-file', details: { exitCode: 1 } });
    writeFileSync(`${release}2`, '');
    await expect(realMdadm(join(dir, 'nope')).run(['--grow'], { leavesChild: true })).rejects.toMatchObject({ code: 'E_MDADM_MISSING' });
  });

  it('passes arguments verbatim, without a shell', async () => {
    const echo = script('echo-args', 'for a in "$@"; do printf "%s\\n" "$a"; done');
    const marker = join(dir, 'pwned');
    const r = await realMdadm(echo).run(['--create', `/dev/x$(touch ${marker})`, 'a b;c', '*']);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual(['--create', `/dev/x$(touch ${marker})`, 'a b;c', '*']);
    expect(existsSync(marker)).toBe(false);
  });

  it('maps a missing binary and a failing run to stable codes', async () => {
    await expect(realMdadm(join(dir, 'no-mdadm')).run(['--version'])).rejects.toMatchObject({ code: 'E_MDADM_MISSING' });
    const fail = script('fail', 'echo "mdadm: cannot open /dev/vdz: No such file or directory" >&2; echo second >&2; exit 1');
    await expect(realMdadm(fail).run(['--assemble'])).rejects.toMatchObject({
      code: 'E_MDADM_FAILED', message: 'mdadm: cannot open /dev/vdz: No such file or directory', details: { exitCode: 1, timedOut: false },
    });
    const killed = script('killed', 'kill -9 $$');
    await expect(realMdadm(killed).run([])).rejects.toMatchObject({ code: 'E_MDADM_FAILED', details: { signal: 'SIGKILL' } });
  });
});
