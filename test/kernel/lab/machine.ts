// Kernel lab machine checks. Owns: choosing the accelerator (KVM only where it truly works,
// TCG otherwise) and locating the guest boot files (built on demand by build-guest.sh).
// Invariants: KVM is chosen only when /dev/kvm is usable AND the CPU shows vmx/svm AND the
// KVM is not the nested paging-only kind (kvm_pvm), where a stock kernel fails; LAB_ACCEL
// overrides; the guest image is resolved once per process.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { HOST_COMMAND_TIMEOUT_MS, labPaths } from './config.js';

export type Accel = 'kvm' | 'tcg';

export interface AccelChoice {
  accel: Accel;
  /** Why this accelerator: shown in the lane's banner and in test failures. */
  reason: string;
}

export function detectAccel(): AccelChoice {
  const forced = process.env.LAB_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, reason: `LAB_ACCEL=${forced}` };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm missing or not accessible' };
  }
  if (existsSync('/sys/module/kvm_pvm')) return { accel: 'tcg', reason: 'nested PVM KVM (kvm_pvm) cannot run a stock kernel' };
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  if (!/^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo)) return { accel: 'tcg', reason: 'no vmx/svm CPU flag' };
  return { accel: 'kvm', reason: '/dev/kvm usable with vmx/svm' };
}

/** qemu arguments selecting the accelerator and a CPU model it can run. */
export function accelArgs(accel: Accel): string[] {
  return accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=256', '-cpu', 'max'];
}

export interface GuestImage {
  kernelVersion: string;
  vmlinuxPath: string;
  initramfsPath: string;
}

let image: GuestImage | null = null;

/**
 * The guest boot files. LAB_GUEST_DIR (set by run.sh) names a built guest; otherwise
 * build-guest.sh builds or reuses the cached one (fast when the stamp matches).
 */
export function guestImage(): GuestImage {
  if (image !== null) return image;
  let dir = process.env.LAB_GUEST_DIR;
  if (dir === undefined || dir === '') {
    const p = labPaths();
    const out = execFileSync('bash', [join(p.labDir, 'build-guest.sh'), p.cacheDir], {
      encoding: 'utf8', timeout: HOST_COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'inherit'],
    });
    dir = out.trim().split('\n').pop() ?? '';
  }
  const stamp = readFileSync(join(dir, 'stamp'), 'utf8');
  const kver = /^kver=(.+)$/m.exec(stamp)?.[1];
  if (kver === undefined) throw new Error(`kernel lab: ${dir}/stamp names no kernel version`);
  image = { kernelVersion: kver, vmlinuxPath: join(dir, 'vmlinux'), initramfsPath: join(dir, 'initramfs.cpio.gz') };
  return image;
}
