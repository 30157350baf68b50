// listArrays(): the md arrays present on this node. Owns: what counts as "present".
// Invariants:
// - An array is present when /sys/block/mdX/md exists and it is not an empty shell: md creates
//   an empty mddev ("clear", no members) whenever /dev/mdX is merely opened, and /proc/mdstat does
//   not list those either.
// - The result is in natural name order (md2 before md10) and holds at most
//   MD_KERNEL_MAX_LISTED_ARRAYS names.
import { MD_KERNEL_MAX_LISTED_ARRAYS } from '../../common/limits.js';
import { listDir, readAttr } from './sysfs-io.js';
import type { AttrReader } from './attr-cache.js';
import { isArrayName, mdDir, type KernelPaths } from './paths.js';

const collator = new Intl.Collator('en', { numeric: true });

function isEmptyShell(paths: KernelPaths, name: string, entries: string[], read: AttrReader): boolean {
  const state = read(`${mdDir(paths, name)}/array_state`, { syscall: 'md/array_state', device: name });
  return state === 'clear' && !entries.some((e) => e.startsWith('dev-'));
}

export function listArrayNames(paths: KernelPaths, read: AttrReader = readAttr): string[] {
  const blocks = listDir(`${paths.sysRoot}/block`, { syscall: 'block', device: 'sysfs' }) ?? [];
  const names: string[] = [];
  for (const name of blocks.filter(isArrayName).sort(collator.compare)) {
    if (names.length >= MD_KERNEL_MAX_LISTED_ARRAYS) break;
    const entries = listDir(mdDir(paths, name), { syscall: 'md', device: name });
    if (entries === undefined || isEmptyShell(paths, name, entries, read)) continue;
    names.push(name);
  }
  return names;
}
