// `mdadm --examine DEV` (mdadm 4.2) text for a 0.90 superblock, as mdctl prints it from the
// superblock the daemon read. Owns: the 0.90 field order, labels and the descriptor table
// ("this" row, then disks[0 .. raid_disks + spare_disks (+ disks a shrinking reshape drops)]).
// Invariants: pure; every value comes from the Superblock090Info and the options (golden-tested
// byte for byte against every 0.90 record in the kernel captures). Device names in the table
// are the daemon's (devPath, null when major:minor names no device: nothing printed).
import { raid10LayoutText } from '../../daemon/src/md/format/detail.js';
import { raid5AlgorithmName } from '../../daemon/src/md/format/levels.js';
import { formatCtime, humanSize, uuid090MatchesHost } from '../../daemon/src/md/format/mdadm-text.js';
import type { Superblock090Disk, Superblock090Info } from '../../daemon/src/md/types.js';
import { levelName, type ExamineOptions } from './examine-format.js';

/** MD_SB_* state bits and MD_DISK_* disk state bits (md_p.h). */
const SB_CLEAN = 1 << 0;
const SB_BITMAP_PRESENT = 1 << 8;
const DISK_FAULTY = 1 << 0;
const DISK_ACTIVE = 1 << 1;
const DISK_SYNC = 1 << 2;
const DISK_REMOVED = 1 << 3;
const DISK_WRITEMOSTLY = 1 << 9;
const DISK_FAILFAST = 1 << 10;

function field(label: string, value: string): string {
  return `${label.padStart(15)} : ${value}`;
}

/** Array Size in bytes: size times data disks over copies, as mdadm computes it; null: no line. */
function arraySizeBytes(sb: Superblock090Info): bigint | null {
  const size = BigInt(sb.sizeKiB) * 1024n;
  switch (sb.level) {
    case 1: return size;
    case 4: case 5: return size * BigInt(sb.raidDisks - 1);
    case 6: return size * BigInt(sb.raidDisks - 2);
    case 10: {
      const copies = BigInt((sb.layout & 255) * ((sb.layout >> 8) & 255));
      return copies === 0n ? null : (size * BigInt(sb.raidDisks)) / copies;
    }
    default: return null;
  }
}

function headLines(sb: Superblock090Info, opts: ExamineOptions): string[] {
  const local = opts.homehost !== undefined && sb.minorVersion >= 90 && uuid090MatchesHost(sb.setUuid, opts.homehost)
    ? ` (local to host ${opts.homehost})` : '';
  const out = [
    field('Magic', 'a92b4efc'),
    field('Version', `${sb.majorVersion}.${String(sb.minorVersion).padStart(2, '0')}.${String(sb.patchVersion).padStart(2, '0')}`),
    field('UUID', (sb.minorVersion >= 90 ? sb.setUuid : sb.setUuid.slice(0, 8)) + local),
  ];
  if (sb.notPersistent !== 0) out.push(field('Eedk', 'not persistent'));
  out.push(field('Creation Time', formatCtime(sb.ctimeSec, opts.timeZone)), field('Raid Level', levelName(sb.level)));
  if (sb.level > 0) {
    out.push(field('Used Dev Size', `${sb.sizeKiB}${humanSize(BigInt(sb.sizeKiB) * 1024n)}`));
    const asize = arraySizeBytes(sb);
    if (asize !== null) out.push(field('Array Size', `${asize >> 10n}${humanSize(asize)}`));
  }
  out.push(field('Raid Devices', String(sb.raidDisks)), field('Total Devices', String(sb.nrDisks)), field('Preferred Minor', String(sb.mdMinor)), '');
  return out;
}

function layoutText(level: number, layout: number): string {
  if (level === 10) return raid10LayoutText(layout).trimStart();
  return raid5AlgorithmName(layout) ?? '-unknown-';
}

function reshapeLines(sb: Superblock090Info): string[] {
  if (sb.minorVersion <= 90 || sb.reshapePositionSectors === null) return [];
  const pos = sb.reshapePositionSectors;
  const out = [field("Reshape pos'n", `${Math.floor(pos / 2)}${humanSize(BigInt(pos) * 512n)}`)];
  if (sb.deltaDisks !== 0) out.push(field('Delta Devices', `${sb.deltaDisks} (${sb.raidDisks - sb.deltaDisks}->${sb.raidDisks})`));
  if (sb.newLevel !== sb.level) out.push(field('New Level', levelName(sb.newLevel)));
  if (sb.newLayout !== sb.layout) {
    if (sb.level === 5 || sb.level === 6) out.push(field('New Layout', raid5AlgorithmName(sb.newLayout) ?? '-unknown-'));
    if (sb.level === 10) {
      out.push(field('New Layout', `near=${sb.newLayout & 255}, ${(sb.newLayout & 0x10000) !== 0 ? 'offset' : 'far'}=${(sb.newLayout >> 8) & 255}`));
    }
  }
  if (sb.newChunkBytes !== sb.chunkSizeBytes) out.push(field('New Chunksize', String(sb.newChunkBytes)));
  out.push('');
  return out;
}

function stateLines(sb: Superblock090Info, opts: ExamineOptions): string[] {
  const out = [field('Update Time', formatCtime(sb.utimeSec, opts.timeZone)), field('State', (sb.state & SB_CLEAN) !== 0 ? 'clean' : 'active')];
  if ((sb.state & SB_BITMAP_PRESENT) !== 0) out.push(field('Internal Bitmap', 'present'));
  const hex = (n: number) => (n >>> 0).toString(16);
  out.push(
    field('Active Devices', String(sb.activeDisks)), field('Working Devices', String(sb.workingDisks)),
    field('Failed Devices', String(sb.failedDisks)), field('Spare Devices', String(sb.spareDisks)),
    field('Checksum', sb.storedCsum === sb.computedCsum ? `${hex(sb.storedCsum)} - correct` : `${hex(sb.storedCsum)} - expected ${hex(sb.computedCsum)}`),
    field('Events', String(sb.events)), '',
  );
  if (sb.level === 5 || sb.level === 6 || sb.level === 10) out.push(field('Layout', layoutText(sb.level, sb.layout)));
  if ([0, 4, 5, 6, 10].includes(sb.level)) out.push(field('Chunk Size', `${Math.floor(sb.chunkSizeBytes / 1024)}K`));
  else if (sb.level === -1) out.push(field('Rounding', `${Math.floor(sb.chunkSizeBytes / 1024)}K`));
  out.push('');
  return out;
}

function diskRow(label: string, d: Superblock090Disk): string {
  const pad = (n: number, w: number) => String(n).padStart(w);
  let s = `${label.padStart(4)} ${pad(d.number, 5)}   ${pad(d.major, 5)}    ${pad(d.minor, 5)}    ${pad(d.raidDisk, 5)}     `;
  const state = d.state & ~(DISK_WRITEMOSTLY | DISK_FAILFAST);
  if (state & DISK_FAULTY) s += ' faulty';
  if (state & DISK_ACTIVE) s += ' active';
  if (state & DISK_SYNC) s += ' sync';
  if (state & DISK_REMOVED) s += ' removed';
  if (d.state & DISK_WRITEMOSTLY) s += ' write-mostly';
  if (d.state & DISK_FAILFAST) s += ' failfast';
  if (state === 0) s += ' spare';
  if (d.devPath !== null) s += `   ${d.devPath}`;
  return s;
}

/** `mdadm --examine DEV` output for one 0.90 component, ending with a newline. */
export function renderExamine090(devPath: string, sb: Superblock090Info, opts: ExamineOptions = {}): string {
  const extra = sb.minorVersion > 90 && sb.reshapePositionSectors !== null && sb.deltaDisks < 0 ? -sb.deltaDisks : 0;
  const rows = [diskRow('this', sb.thisDisk), ''];
  const count = Math.min(sb.raidDisks + extra + sb.spareDisks, sb.disks.length);
  for (let d = 0; d < count; d++) rows.push(diskRow(String(d), sb.disks[d]));
  const lines = [
    `${devPath}:`, ...headLines(sb, opts), ...reshapeLines(sb), ...stateLines(sb, opts),
    '      Number   Major   Minor   RaidDevice State', ...rows,
  ];
  return lines.join('\n') + '\n';
}
