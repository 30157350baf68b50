// Resync/recovery control through sysfs and /proc/sys/dev/raid: sync_action, sync_min/max,
// resync_start, dev-X/recovery_start and the global speed limits. Owns: validating these values
// and writing them.
// Invariants:
// - Values are validated before any write (E_INVALID_ARGUMENT): actions from the SyncAction set,
//   sector counts as non-negative safe integers, speed limits as positive integers with
//   min <= max. md's own refusals (EBUSY while a sync runs, EINVAL for misaligned values) come
//   back as E_KERNEL with the errno.
// - resync_start is refused with E_INVALID_STATE while a sync runs (md would answer EBUSY).
import { OpError } from '../../common/errors.js';
import { isSectors, type Sectors } from '../../common/types.js';
import type { SyncAction } from '../types.js';
import type { SpeedLimits } from '../driver.js';
import { readAttr, writeAttr } from './sysfs-io.js';
import { parseSyncAction } from './sysfs-parse.js';
import { isSyncRunning } from './events-diff.js';
import { resolveBoundMember } from './members.js';
import { mdDir, speedLimitPath, type KernelPaths } from './paths.js';

const WRITABLE_ACTIONS: readonly SyncAction[] = ['idle', 'frozen', 'resync', 'recover', 'check', 'repair', 'reshape'];
/** md's speed limits are ints in KiB/s. */
const MAX_SPEED_KIBPS = 0x7fffffff;

function noArray(array: string): () => OpError {
  return () => new OpError('E_NO_SUCH_ARRAY', `no such array: ${array}`, { device: array });
}

function writeArrayAttr(paths: KernelPaths, array: string, name: string, value: string): Promise<void> {
  return writeAttr(`${mdDir(paths, array)}/${name}`, value, { syscall: `md/${name}`, device: array }, noArray(array));
}

function checkSectors(value: unknown, what: string): Sectors {
  if (!isSectors(value)) throw new OpError('E_INVALID_ARGUMENT', `${what} must be a non-negative integer sector count`, { [what]: value });
  return value;
}

export function setSyncAction(paths: KernelPaths, array: string, action: SyncAction): Promise<void> {
  if (!WRITABLE_ACTIONS.includes(action)) {
    return Promise.reject(new OpError('E_INVALID_ARGUMENT', `unknown sync action ${JSON.stringify(action)}`, { action }));
  }
  return writeArrayAttr(paths, array, 'sync_action', action);
}

export async function setSyncMin(paths: KernelPaths, array: string, value: Sectors): Promise<void> {
  await writeArrayAttr(paths, array, 'sync_min', String(checkSectors(value, 'syncMinSectors')));
}

export async function setSyncMax(paths: KernelPaths, array: string, value: Sectors | 'max'): Promise<void> {
  await writeArrayAttr(paths, array, 'sync_max', value === 'max' ? 'max' : String(checkSectors(value, 'syncMaxSectors')));
}

export async function setResyncStart(paths: KernelPaths, array: string, value: Sectors | null): Promise<void> {
  const text = value === null ? 'none' : String(checkSectors(value, 'resyncStartSectors'));
  const action = readAttr(`${mdDir(paths, array)}/sync_action`, { syscall: 'md/sync_action', device: array });
  if (action === undefined) throw noArray(array)();
  const parsed = parseSyncAction(action);
  if (isSyncRunning(parsed)) {
    throw new OpError('E_INVALID_STATE', `${array} is running ${parsed}; freeze it before setting resync_start`, { device: array, syncAction: parsed });
  }
  await writeArrayAttr(paths, array, 'resync_start', text);
}

export async function setRecoveryStart(paths: KernelPaths, array: string, member: string, value: Sectors): Promise<void> {
  const text = String(checkSectors(value, 'recoveryStartSectors'));
  const m = await resolveBoundMember(paths, array, member);
  const gone = () => new OpError('E_NO_SUCH_DEVICE', `${m.dev.path} left ${array}`, { device: array, member: m.dev.path });
  await writeAttr(`${m.dir}/recovery_start`, text, { syscall: `md/dev-${m.dev.kernelName}/recovery_start`, device: array, member: m.dev.path }, gone);
}

function checkSpeed(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_SPEED_KIBPS) {
    throw new OpError('E_INVALID_ARGUMENT', `${what} must be an integer in [1, ${MAX_SPEED_KIBPS}] KiB/s`, { [what]: value });
  }
  return value;
}

export async function setSpeedLimits(paths: KernelPaths, limits: SpeedLimits): Promise<void> {
  const min = checkSpeed(limits?.minKiBps, 'minKiBps');
  const max = checkSpeed(limits?.maxKiBps, 'maxKiBps');
  if (min > max) throw new OpError('E_INVALID_ARGUMENT', 'minKiBps must not exceed maxKiBps', { minKiBps: min, maxKiBps: max });
  const missing = () => new OpError('E_NOT_SUPPORTED', 'md is not loaded (no /proc/sys/dev/raid)', {});
  await writeAttr(speedLimitPath(paths, 'min'), String(min), { syscall: 'speed_limit_min', device: 'raid' }, missing);
  await writeAttr(speedLimitPath(paths, 'max'), String(max), { syscall: 'speed_limit_max', device: 'raid' }, missing);
}
