// Pure unit tests of the kernel lab's host side (no qemu): the qemu command line, the job
// script's quoting (run through a real sh), the console marker scanner and its bounds, and
// the capture readers. Run in the kernel lane (test/kernel/vitest.config.ts).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LAB_MAX_CONSOLE_BYTES, LAB_MAX_CONSOLE_LINE_BYTES } from '../../lib/limits.js';
import { capturedStates, parseSysfsCapture } from './captures.js';
import { ConsoleLog } from './console.js';
import { buildQemuArgs, guestMac, type QemuArgsInput } from './qemu-args.js';
import { renderJobScript, shellQuote } from './shell.js';

const base: QemuArgsInput = {
  accel: 'tcg', vmlinuxPath: '/c/vmlinux', initramfsPath: '/c/initramfs.cpio.gz', memMiB: 256, hostname: 'node1',
  disks: [{ path: '/r/d0.img', shared: false }, { path: '/r/s0.img', shared: true }],
  resultsDir: '/r/lab', busDir: null, net: null, qmpSocketPath: '/r/qmp.sock', pidFilePath: '/r/qemu.pid',
};

function valueAfter(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

describe('buildQemuArgs', () => {
  it('uses TCG with -cpu max, PVH vmlinux, q35, no reboot, and the host root read-only over 9p', () => {
    const args = buildQemuArgs(base);
    expect(valueAfter(args, '-accel')).toEqual(['tcg,tb-size=256']);
    expect(valueAfter(args, '-cpu')).toEqual(['max']);
    expect(valueAfter(args, '-kernel')).toEqual(['/c/vmlinux']);
    expect(args).toContain('-no-reboot');
    expect(valueAfter(args, '-virtfs')[0]).toBe('local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap');
    expect(valueAfter(args, '-append')[0]).toBe('console=ttyS0 quiet panic=-1 cryptomgr.notests no_timer_check lab.host=node1');
    expect(buildQemuArgs({ ...base, accel: 'kvm' })).toEqual(expect.arrayContaining(['-accel', 'kvm', '-cpu', 'host']));
  });

  it('attaches disks in order, shared ones without locking and with share-rw', () => {
    const args = buildQemuArgs(base);
    expect(valueAfter(args, '-drive')).toEqual([
      'file=/r/d0.img,format=raw,if=none,id=d0,cache=none',
      'file=/r/s0.img,format=raw,if=none,id=d1,cache=none,file.locking=off',
    ]);
    expect(valueAfter(args, '-device')).toEqual(['virtio-blk-pci,drive=d0,serial=lab0', 'virtio-blk-pci,drive=d1,serial=lab1,share-rw=on']);
  });

  it('adds the NIC on the multicast segment, the address word and the bus share only when asked', () => {
    expect(valueAfter(buildQemuArgs(base), '-netdev')).toEqual([]);
    const args = buildQemuArgs({ ...base, busDir: '/c/bus', net: { netIndex: 3, mcastGroup: '230.0.0.1', mcastPort: 47001 } });
    expect(valueAfter(args, '-netdev')).toEqual(['socket,id=n0,mcast=230.0.0.1:47001,localaddr=127.0.0.1']);
    expect(valueAfter(args, '-device')).toContain(`virtio-net-pci,netdev=n0,mac=${guestMac(3)}`);
    expect(valueAfter(args, '-append')[0]).toMatch(/ lab\.bus=1 lab\.ip=10\.0\.0\.3\/24$/);
    expect(valueAfter(args, '-virtfs')).toContain('local,path=/c/bus,mount_tag=labbus,security_model=none');
    expect(guestMac(3)).not.toBe(guestMac(4));
  });

  it('refuses what qemu would misread: commas in paths, bad hostnames, netIndex out of range', () => {
    expect(() => buildQemuArgs({ ...base, disks: [{ path: '/r/a,b.img', shared: false }] })).toThrow(/comma/);
    expect(() => buildQemuArgs({ ...base, hostname: 'a b' })).toThrow(/hostname/);
    expect(() => buildQemuArgs({ ...base, net: { netIndex: 0, mcastGroup: '230.0.0.1', mcastPort: 1 } })).toThrow(/netIndex/);
  });
});

describe('job script', () => {
  const nasty = ["it's", '"dq"', '$HOME', '`id`', 'a\nb', '\\', '*', ' lead', ''];

  it('passes every argv word and env value byte for byte through a real sh', () => {
    const script = renderJobScript({ cmd: ['printf', '%s\\0', ...nasty], cwd: '/', env: { X_VAL: nasty.join('|') } })
      .replace(/^exec /m, '');
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(nasty);
    const env = execFileSync('sh', ['-c', renderJobScript({ cmd: ['sh', '-c', 'printf %s "$X_VAL"'], cwd: '/', env: { X_VAL: nasty.join('|') } })], { encoding: 'utf8' });
    expect(env).toBe(nasty.join('|'));
  });

  it('exits 125 when the cwd does not exist, and refuses NUL and bad env names', () => {
    expect(() => execFileSync('sh', ['-c', renderJobScript({ cmd: ['true'], cwd: '/no/such/dir', env: {} })], { stdio: 'ignore' }))
      .toThrow(expect.objectContaining({ status: 125 }));
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => renderJobScript({ cmd: ['true'], cwd: '/', env: { 'A-B': 'x' } })).toThrow(/env name/);
    expect(() => renderJobScript({ cmd: [], cwd: '/', env: {} })).toThrow(/empty/);
  });
});

describe('ConsoleLog', () => {
  it('recognises markers split across chunks, with CRs, only at line start', async () => {
    const log = new ConsoleLog();
    let started = 0;
    log.onJobStart = () => { started += 1; };
    const waited = log.waitForLine(/^LAB-MARK ready$/, 1000);
    for (const chunk of ['[ 1.0] boot\r\nLAB-JOB-ST', 'ART uptime=1.95\r\n', 'x LAB-MARK no\nLAB-MARK ready\n', 'LAB-JOB-END rc=3 uptime=2\n']) log.append(chunk);
    await expect(waited).resolves.toBe('LAB-MARK ready');
    expect(log.markers).toEqual({ jobStartUptimeSec: 1.95, jobEndExitCode: 3, initFailure: null, marks: ['ready'] });
    expect(started).toBe(1);
  });

  it('keeps only the tail within its bound and cuts endless lines', () => {
    const log = new ConsoleLog();
    const chunk = 'y'.repeat(64 * 1024);
    for (let i = 0; i < (2 * LAB_MAX_CONSOLE_BYTES) / chunk.length; i++) log.append(chunk);
    expect(log.text().length).toBe(LAB_MAX_CONSOLE_BYTES);
    log.append('\nLAB-INIT-FAILED: no disk\n');
    expect(log.markers.initFailure).toBe('no disk');
    expect(LAB_MAX_CONSOLE_LINE_BYTES).toBeLessThan(LAB_MAX_CONSOLE_BYTES);
  });

  it('rejects waiters when the guest ends or the wait times out', async () => {
    const log = new ConsoleLog();
    const gone = log.waitForLine(/never/, 10_000);
    log.closeWaiters('qemu exited');
    await expect(gone).rejects.toThrow(/qemu exited/);
    await expect(log.waitForLine(/never/, 20)).rejects.toThrow(/within 20 ms/);
  });
});

describe('capture readers', () => {
  it('groups lab_capture files by state in name order and parses sysfs lines', () => {
    const states = capturedStates({
      '02-b/mdstat.txt': 'B', '01-a/mdstat.txt': 'A', '01-a/sysfs-md0.txt': 'array_state=clean\nbitmap/can_clear=\nsync_completed=1 / 2\n',
      '01-a/detail-md0.txt': 'D', 'facts.txt': 'k=v\n',
    });
    expect(states.map((s) => s.name)).toEqual(['01-a', '02-b']);
    expect(states[0]!.sysfs.get('md0')).toEqual({ array_state: 'clean', 'bitmap/can_clear': '', sync_completed: '1 / 2' });
    expect(states[0]!.detail.get('md0')).toBe('D');
    expect(() => parseSysfsCapture('garbage\n')).toThrow(/bad sysfs/);
  });
});
