// The OpErrors the simulated kernel raises, shaped like the kernel driver's.
// Owns: the mapping from "what md would return" (an errno from an ioctl or sysfs write) to the
// catalog codes of driver.ts's contract.
// Invariants: a refused ioctl/sysfs write is E_KERNEL with details {errno, syscall, device,
// member?}; a missing array is E_NO_SUCH_ARRAY (errno ENODEV); a component path this node
// does not have is E_NO_SUCH_DEVICE (errno ENOENT).
import { OpError } from '../../common/errors.js';

export type Errno = 'EBUSY' | 'EINVAL' | 'ENODEV' | 'ENXIO' | 'ENOENT' | 'ENOSPC' | 'EROFS' | 'EPERM' | 'EIO' | 'EEXIST';

const ERRNO_TEXT: Readonly<Record<Errno, string>> = {
  EBUSY: 'Device or resource busy',
  EINVAL: 'Invalid argument',
  ENODEV: 'No such device',
  ENXIO: 'No such device or address',
  ENOENT: 'No such file or directory',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EPERM: 'Operation not permitted',
  EIO: 'Input/output error',
  EEXIST: 'File exists',
};

/** md refused an ioctl or a sysfs write. `syscall` names it, e.g. "ioctl(HOT_REMOVE_DISK)". */
export function kernelError(errno: Errno, syscall: string, device: string, member?: string): OpError {
  const details: Record<string, unknown> = { errno, syscall, device };
  if (member !== undefined) details.member = member;
  const on = member === undefined ? device : `${device} ${member}`;
  return new OpError('E_KERNEL', `${syscall} on ${on}: ${ERRNO_TEXT[errno]}`, details);
}

export function noSuchArray(device: string): OpError {
  return new OpError('E_NO_SUCH_ARRAY', `no such array: ${device}`, { errno: 'ENODEV', device });
}

export function noSuchDevice(member: string): OpError {
  return new OpError('E_NO_SUCH_DEVICE', `no such device: ${member}`, { errno: 'ENOENT', member });
}
