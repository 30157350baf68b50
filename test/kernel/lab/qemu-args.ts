// Kernel lab: the qemu command line of one guest. Owns: the machine model, kernel command
// line, 9p shares, disks, NIC and monitor socket; pure (no I/O), so it is unit-tested.
// Invariants: disks become /dev/vda, /dev/vdb ... in the given order; shared disks are opened
// with cache=none,file.locking=off and share-rw=on so several qemus can use one file; a NIC
// exists only with netIndex, on a multicast socket segment (the caller runs qemu in a netns);
// -no-reboot makes a guest reboot (sysrq b, panic) end qemu.
import { assert } from '../../../daemon/src/common/assert.js';
import { LAB_MAX_DISKS_PER_GUEST } from '../../lib/limits.js';
import { type Accel, accelArgs } from './machine.js';

export interface ResolvedDisk {
  path: string;
  shared: boolean;
}

export interface QemuArgsInput {
  accel: Accel;
  vmlinuxPath: string;
  initramfsPath: string;
  memMiB: number;
  hostname: string;
  disks: ResolvedDisk[];
  /** Host dir shared read-write as the guest's /lab. */
  resultsDir: string;
  /** Host dir shared read-write as /lab/bus by every guest of a cluster. */
  busDir: string | null;
  /** 1..254 with the multicast segment to join; null: no NIC. */
  net: { netIndex: number; mcastGroup: string; mcastPort: number } | null;
  qmpSocketPath: string;
  pidFilePath: string;
}

const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;

export function guestMac(netIndex: number): string {
  return `52:54:00:6c:61:${netIndex.toString(16).padStart(2, '0')}`;
}

export function guestIp(netIndex: number): string {
  return `10.0.0.${netIndex}`;
}

export function buildQemuArgs(input: QemuArgsInput): string[] {
  assert(input.disks.length <= LAB_MAX_DISKS_PER_GUEST, 'too many disks for one guest');
  assert(HOSTNAME.test(input.hostname), `bad guest hostname ${input.hostname}`);
  assert(Number.isInteger(input.memMiB) && input.memMiB >= 128, 'guest memory below 128 MiB');
  for (const p of [input.resultsDir, input.busDir ?? '', ...input.disks.map((d) => d.path)]) {
    assert(!p.includes(','), `qemu option paths cannot contain a comma: ${p}`);
  }
  // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer test can miss its
  // window and panic ("IO-APIC + timer doesn't work!"); the emulated timer is fine.
  const append = ['console=ttyS0', 'quiet', 'panic=-1', 'cryptomgr.notests', 'no_timer_check', `lab.host=${input.hostname}`];
  const args = [
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-no-reboot',
    '-machine', 'q35', ...accelArgs(input.accel), '-m', `${input.memMiB}M`, '-smp', '1',
    '-kernel', input.vmlinuxPath, '-initrd', input.initramfsPath,
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${input.resultsDir},mount_tag=labres,security_model=none`,
    '-qmp', `unix:${input.qmpSocketPath},server=on,wait=off`,
    '-pidfile', input.pidFilePath,
  ];
  if (input.busDir !== null) {
    args.push('-virtfs', `local,path=${input.busDir},mount_tag=labbus,security_model=none`);
    append.push('lab.bus=1');
  }
  input.disks.forEach((disk, i) => {
    const drive = `file=${disk.path},format=raw,if=none,id=d${i}` + ',cache=none' + (disk.shared ? ',file.locking=off' : '');
    const device = `virtio-blk-pci,drive=d${i},serial=lab${i}` + (disk.shared ? ',share-rw=on' : '');
    args.push('-drive', drive, '-device', device);
  });
  if (input.net !== null) {
    const { netIndex, mcastGroup, mcastPort } = input.net;
    assert(Number.isInteger(netIndex) && netIndex >= 1 && netIndex <= 254, `netIndex out of range: ${netIndex}`);
    args.push('-netdev', `socket,id=n0,mcast=${mcastGroup}:${mcastPort},localaddr=127.0.0.1`);
    args.push('-device', `virtio-net-pci,netdev=n0,mac=${guestMac(netIndex)}`);
    append.push(`lab.ip=${guestIp(netIndex)}/24`);
  }
  args.push('-append', append.join(' '));
  return args;
}
