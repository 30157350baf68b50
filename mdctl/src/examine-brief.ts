// `mdadm --examine --brief` / `--examine --scan` (mdadm 4.2, v1.x): one mdadm.conf ARRAY line
// per array found among the examined devices. Owns: grouping devices by array (set UUID),
// the order (the last array first seen comes first, as mdadm prepends each new one), the
// line's words and spacing, spares= and, with --verbose, level=, num-devices= and devices=.
// Invariant: pure; the text comes only from the superblocks given.
import type { SuperblockInfo } from '../../daemon/src/md/types.js';

export interface ExaminedDevice {
  path: string;
  sb: SuperblockInfo;
}

const PERSONALITIES: Readonly<Record<number, string>> = {
  [-5]: 'faulty', [-4]: 'multipath', [-1]: 'linear', 0: 'raid0', 1: 'raid1', 4: 'raid4', 5: 'raid5', 6: 'raid6', 10: 'raid10',
};
/** dev_roles values without the in-sync state (md_p.h): spare, faulty, journal. */
const ROLES_NOT_IN_SYNC = new Set([0xffff, 0xfffe, 0xfffd]);

function roleOf(sb: SuperblockInfo): number {
  return sb.devNumber < sb.devRoles.length ? sb.devRoles[sb.devNumber] : 0xfffe;
}

/** mdadm names the minor version by where the superblock sits. */
function metadataOf(sb: SuperblockInfo): string {
  const off = sb.superOffsetSectors;
  return off <= 4 ? '1.1' : off <= 8 ? '1.2' : '1.0';
}

/** The ARRAY line of one superblock (brief_examine_super1), newline included. */
export function briefLine(sb: SuperblockInfo, verbose: boolean): string {
  const colon = sb.setName.indexOf(':');
  const nm = colon >= 0 ? sb.setName.slice(colon + 1) : sb.setName;
  const level = PERSONALITIES[sb.level];
  let s = 'ARRAY ';
  if (nm !== '' || colon >= 0) s += `/dev/md/${nm} `;
  if (verbose && level !== undefined) s += ` level=${level}`;
  s += ` metadata=${metadataOf(sb)} `;
  if (verbose) s += `num-devices=${sb.raidDisks} `;
  s += `UUID=${sb.setUuid}`;
  if (sb.setName !== '') s += ` name=${sb.setName}`;
  return `${s}\n`;
}

export function renderExamineBrief(devices: readonly ExaminedDevice[], opts: { verbose?: boolean } = {}): string {
  const groups: { first: SuperblockInfo; paths: string[]; spares: number }[] = [];
  for (const d of devices) {
    let g = groups.find((x) => x.first.setUuid === d.sb.setUuid);
    if (!g) {
      g = { first: d.sb, paths: [], spares: 0 };
      groups.unshift(g);
    }
    if (ROLES_NOT_IN_SYNC.has(roleOf(d.sb))) g.spares++;
    g.paths.push(d.path);
  }
  let out = '';
  for (const g of groups) {
    out += briefLine(g.first, opts.verbose === true);
    if (g.spares > 0) out += `   spares=${g.spares}`;
    if (opts.verbose === true) out += `   devices=${g.paths.join(',')}`;
    if (g.spares > 0 || opts.verbose === true) out += '\n';
  }
  return out;
}
