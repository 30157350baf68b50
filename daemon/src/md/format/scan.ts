// `mdadm --detail --scan` and `--detail --scan --verbose` (mdadm 4.2) ARRAY lines from
// driver state. Owns: the line order (mdstat order reversed, container members last), the
// word order (level=, num-devices=, metadata= or container=/member=, bitmap=, spares=,
// name=, UUID=) and the verbose "   devices=" line.
// Invariant: pure; one ARRAY (or INACTIVE-ARRAY) line per array md would list; an external
// container is an ARRAY line (level=container), never INACTIVE-ARRAY.
import type { ArrayState } from '../types.js';
import { isArrayRunning, layoutDisks, rowPrinted } from './detail-disks.js';
import { isPersistentSuper, metadataText, subarrayOf } from './detail.js';
import { quoteWord } from './mdadm-text.js';

export interface ScanOptions {
  /** --verbose: level=, num-devices= and a devices= line. */
  verbose?: boolean;
  /**
   * Per array device ("md127"): its path in mdadm's map file ("/dev/md/home"); the ARRAY
   * line names it. Default "/dev/<device>".
   */
  mapPaths?: ReadonlyMap<string, string>;
}

/** Arrays in /proc/mdstat order (newest first) -> ARRAY lines, each ending with a newline. */
export function renderScan(arrays: readonly ArrayState[], opts: ScanOptions = {}): string {
  const ordered = [...arrays].reverse();
  const plain = ordered.filter((a) => subarrayOf(a.metadataVersion) === null);
  const members = ordered.filter((a) => subarrayOf(a.metadataVersion) !== null);
  return [...plain, ...members].map((a) => renderScanLine(a, opts)).join('');
}

function pathOf(device: string, opts: ScanOptions): string {
  return opts.mapPaths?.get(device) ?? `/dev/${device}`;
}

export function renderScanLine(a: ArrayState, opts: ScanOptions = {}): string {
  const running = isArrayRunning(a);
  const raidDisks = running ? a.raidDisks : 0;
  const container = a.level === 'container';
  let s = `${running || container ? 'ARRAY' : 'INACTIVE-ARRAY'} ${pathOf(a.device, opts)}`;
  if (opts.verbose) {
    s += raidDisks ? ` level=${a.level} num-devices=${raidDisks}` : `${container ? ' level=container' : ''} num-devices=${a.members.length}`;
  }
  const sub = subarrayOf(a.metadataVersion);
  if (sub) s += ` container=${pathOf(sub.container, opts)} member=${sub.member}`;
  else s += ` metadata=${metadataText(a.metadataVersion)}`;
  if (running && a.bitmap?.file) s += ` bitmap=${a.bitmap.file}`;
  const layout = layoutDisks(a);
  const devices: string[] = [];
  let spares = 0;
  for (let d = 0; d < layout.rows.length; d++) {
    if (!rowPrinted(layout, d)) continue;
    const r = layout.rows[d];
    if (r.state === 0) spares++;
    if (r.devPath !== null) devices.push(r.devPath);
  }
  if (spares && raidDisks) s += ` spares=${spares}`;
  if (a.metadataVersion === '0.90') s += ` UUID=${a.uuid}`;
  else if (a.external?.ddf) s += ` UUID=${a.uuid}`; // DDF: container or virtual disk UUID
  else if (isPersistentSuper(a.metadataVersion)) s += `${a.name ? ` name=${quoteWord(a.name)}` : ''} UUID=${a.uuid}`;
  if (opts.verbose && devices.length > 0) {
    devices.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    s += `\n   devices=${devices.join(',')}`;
  }
  return s + '\n';
}
