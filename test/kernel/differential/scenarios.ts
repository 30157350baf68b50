// The differential lane's scenario list, shared by the guest (kernel driver) and the host
// (simulated driver). Owns: which scenarios run, on which component paths.
// Invariant: both sides run the same ScenarioDef on the same component paths (/dev/vda...),
// so member labels ("c0", ...) and device names line up.
import { MD_SCENARIOS, type ScenarioDef } from '../../md-scenarios/index.js';
import { EXTRA_SCENARIOS } from './extra-scenarios.js';

export const DIFF_SCENARIOS: readonly ScenarioDef[] = [...MD_SCENARIOS, ...EXTRA_SCENARIOS];

/** Component paths in the guest (virtio disks, in attach order). */
export const DIFF_COMPONENT_PATHS: readonly string[] = ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'];

/** Disks a guest needs: the most any scenario uses. */
export const DIFF_DISKS = Math.max(...DIFF_SCENARIOS.map((s) => s.components));
/** Size of every disk, MiB (every scenario's reference size). */
export const DIFF_DISK_MIB = 64;

/** The scenarios named in `list` ("a,b"), or all when it is empty/undefined; unknown names throw. */
export function selectedScenarios(list: string | undefined): ScenarioDef[] {
  if (list === undefined || list.trim() === '') return [...DIFF_SCENARIOS];
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.map((n) => {
    const s = DIFF_SCENARIOS.find((x) => x.name === n);
    if (s === undefined) throw new Error(`unknown differential scenario ${JSON.stringify(n)}`);
    return s;
  });
}
