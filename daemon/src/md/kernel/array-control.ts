// Array run-state changes through md ioctls: run, stop, read-only, read-write. Owns: when each
// is a no-op (idempotence) and which ioctl does it.
// Invariants:
// - Each call first reads md/array_state; a change md already shows is a success without an
//   ioctl (stop of a missing array, read-only of a readonly array, read-write of a writable one,
//   run of a running one).
// - /dev/mdX is opened only after md/ exists in sysfs: opening the node of a stopped array would
//   make md create a new, empty array of that name.
import { OpError } from '../../common/errors.js';
import type { ArrayRunState } from '../types.js';
import { withMdDevice } from '../../../../native/src/md-device.js';
import { readAttr } from './sysfs-io.js';
import { parseArrayState } from './sysfs-parse.js';
import { devPath, mdDir, type KernelPaths } from './paths.js';

const NOT_RUNNING: ReadonlySet<ArrayRunState> = new Set(['clear', 'inactive']);
const WRITABLE: ReadonlySet<ArrayRunState> = new Set(['clean', 'active', 'write-pending', 'active-idle']);

/** md/array_state, or null when the array does not exist. */
export function readRunState(paths: KernelPaths, array: string): ArrayRunState | null {
  const text = readAttr(`${mdDir(paths, array)}/array_state`, { syscall: 'md/array_state', device: array });
  return text === undefined ? null : parseArrayState(text);
}

function requireState(paths: KernelPaths, array: string): ArrayRunState {
  const state = readRunState(paths, array);
  if (state === null) throw new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
  return state;
}

function notRunning(array: string, state: ArrayRunState): OpError {
  return new OpError('E_INVALID_STATE', `${array} is not running (array_state ${state})`, { device: array, arrayState: state });
}

export async function runArray(paths: KernelPaths, array: string): Promise<void> {
  const state = requireState(paths, array);
  if (!NOT_RUNNING.has(state)) return;
  await withMdDevice(devPath(paths, array), array, (md) => md.runArray());
}

export async function stopArray(paths: KernelPaths, array: string): Promise<void> {
  if (readRunState(paths, array) === null) return;
  try {
    await withMdDevice(devPath(paths, array), array, (md) => md.stopArray());
  } catch (err) {
    // Stopped by someone else between our check and the open: the goal is reached.
    if (readRunState(paths, array) === null) return;
    throw err;
  }
}

export async function setReadOnly(paths: KernelPaths, array: string): Promise<void> {
  const state = requireState(paths, array);
  if (state === 'readonly') return;
  if (NOT_RUNNING.has(state)) throw notRunning(array, state);
  await withMdDevice(devPath(paths, array), array, (md) => md.stopArrayReadOnly());
}

export async function setReadWrite(paths: KernelPaths, array: string): Promise<void> {
  const state = requireState(paths, array);
  if (WRITABLE.has(state)) return;
  if (NOT_RUNNING.has(state)) throw notRunning(array, state);
  await withMdDevice(devPath(paths, array), array, (md) => md.restartArrayReadWrite());
}
