// `mdadm --examine DEV` (mdadm 4.2) text for a v1.x superblock, as mdctl prints it from the
// superblock the daemon read. Owns: the field order, labels and wording, and the quantities
// mdadm derives (Version from the superblock's position, Array Size from size/level/layout,
// Unused Space, Device Role, Array State).
// Invariants: pure; every value comes from the SuperblockInfo and the options. A line whose
// raw facts the driver did not supply (sb.raw absent: the simulated driver) is left out, never
// guessed; with sb.raw present the output is mdadm's byte for byte (golden-tested against
// every v1.x record in the kernel captures).
import { raid10LayoutText } from '../../daemon/src/md/format/detail.js';
import { raid5AlgorithmName } from '../../daemon/src/md/format/levels.js';
import { formatCtime, humanSize } from '../../daemon/src/md/format/mdadm-text.js';
import type { SuperblockInfo, SuperblockRawFacts } from '../../daemon/src/md/types.js';

export interface ExamineOptions {
  /** mdadm's HOMEHOST: "Name : host:0  (local to host host)". */
  homehost?: string;
  /** IANA zone for the times (mdadm uses local time); default UTC. */
  timeZone?: string;
}

export const MD_MAGIC = 0xa92b4efc;
/** feature_map bits (md_p.h MD_FEATURE_*). */
const F_BITMAP = 0x1;
const F_RECOVERY_OFFSET = 0x2;
const F_RESHAPE = 0x4;
const F_BAD_BLOCKS = 0x8;
const F_REPLACEMENT = 0x10;
const F_NEW_OFFSET = 0x40;
const F_PPL = 0x400;
const F_MULTIPLE_PPLS = 0x800;
/** The raid0 layout is meaningful (md writes it for raid0 over members of unequal sizes). */
const F_RAID0_LAYOUT = 0x1000;
/** mdadm's r0layout names: 1 original, 2 alternate, 0 dangerous (layout depends on the kernel). */
const RAID0_LAYOUTS: Readonly<Record<number, string>> = { 0: 'dangerous', 1: 'original', 2: 'alternate' };
/** dev_roles values (0xffff spare, 0xfffe faulty: both read as "spare"). */
const ROLE_FAULTY = 0xfffe;
const ROLE_JOURNAL = 0xfffd;
/** The kernel keeps the superblock and room after it: (32+4) KiB from the superblock. */
const SB_RESERVED_SECTORS = (32 + 4) * 2;
const LABEL_WIDTH = 15;
/** mdadm prints the two role lines one column to the left of the others. */
const ROLE_LABEL_WIDTH = 14;

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  [-5]: 'faulty', [-4]: 'multipath', [-1]: 'linear', 0: 'raid0', 1: 'raid1', 4: 'raid4', 5: 'raid5', 6: 'raid6', 10: 'raid10',
};

export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? '-unknown-';
}

function field(label: string, value: string, width = LABEL_WIDTH): string {
  return `${label.padStart(width)} : ${value}`;
}

/** mdadm names the minor version by where the superblock sits, not by what it says. */
function versionText(sb: SuperblockInfo): string {
  const off = sb.superOffsetSectors;
  return off <= 4 ? '1.1' : off <= 8 ? '1.2' : '1.0';
}

function nameText(name: string, homehost: string | undefined): string {
  const n = name.slice(0, 32);
  const l = homehost?.length ?? 0;
  return homehost !== undefined && l > 0 && l < 32 && n.startsWith(`${homehost}:`) ? `${n}  (local to host ${homehost})` : n;
}

/** Array Size for levels with redundancy: size * data disks / copies, in KiB. */
function arraySizeBytes(sb: SuperblockInfo): bigint | null {
  const size = BigInt(sb.sizeSectors) * 512n;
  const n = BigInt(sb.raidDisks);
  switch (sb.level) {
    case 1: return size;
    case 4: case 5: return size * (n - 1n);
    case 6: return size * (n - 2n);
    case 10: {
      const copies = BigInt((sb.layout & 0xff) * ((sb.layout >> 8) & 0xff));
      return copies === 0n ? null : (size * n) / copies;
    }
    default: return null;
  }
}

/** getinfo_super1's space_before / space_after (after === 1: "no room", not printed). */
export function unusedSpace(sb: SuperblockInfo, raw: SuperblockRawFacts): { before: number; after: number } | null {
  const superOff: number = sb.superOffsetSectors;
  const dataOff: number = sb.dataOffsetSectors;
  const dataSize: number = sb.level <= 0 ? sb.dataSizeSectors : sb.sizeSectors;
  const bitmapOff = (sb.featureMap & F_BITMAP) !== 0 ? raw.bitmapOffsetSectors : 0;
  const ppl = (sb.featureMap & F_BITMAP) === 0 && (sb.featureMap & (F_PPL | F_MULTIPLE_PPLS)) !== 0;
  const pplOff = ppl ? raw.pplOffsetSectors : 0;
  const hasBblog = raw.bblogOffsetSectors !== 0 && raw.bblogSizeSectors !== 0;
  let before: number;
  let after: number;
  if (dataOff < superOff) {
    before = dataOff;
    let end = superOff;
    if (hasBblog && superOff + raw.bblogOffsetSectors < end) end = superOff + raw.bblogOffsetSectors;
    if (superOff + bitmapOff + pplOff < end) end = superOff + bitmapOff + pplOff;
    after = dataOff + dataSize < end ? end - dataSize - dataOff : 0;
  } else {
    // The bitmap's own size is not among the facts: a bitmap after a 1.1/1.2 superblock that
    // reaches beyond the kernel's reserved area is not accounted (mdadm reads its header).
    let earliest = superOff + SB_RESERVED_SECTORS;
    if (ppl && pplOff > 0 && pplOff + raw.pplSizeSectors > earliest) earliest = pplOff + raw.pplSizeSectors;
    if (hasBblog && superOff + raw.bblogOffsetSectors + raw.bblogSizeSectors > earliest) earliest = superOff + raw.bblogOffsetSectors + raw.bblogSizeSectors;
    before = earliest < dataOff ? dataOff - earliest : 0;
    if (raw.deviceSectors === null) return null;
    after = raw.deviceSectors - dataSize - dataOff;
  }
  if (before === 0 && after === 0) after = 1;
  return { before, after };
}

function geometryHead(sb: SuperblockInfo, raw: SuperblockRawFacts | undefined): string[] {
  const out = [field('Avail Dev Size', `${sb.dataSizeSectors} sectors${humanSize(BigInt(sb.dataSizeSectors) * 512n)}`)];
  const asize = sb.level > 0 ? arraySizeBytes(sb) : null;
  if (asize !== null) out.push(field('Array Size', `${asize >> 10n} KiB${humanSize(asize)}`));
  if (sb.sizeSectors !== sb.dataSizeSectors) out.push(field('Used Dev Size', `${sb.sizeSectors} sectors${humanSize(BigInt(sb.sizeSectors) * 512n)}`));
  if (sb.dataOffsetSectors !== 0) out.push(field('Data Offset', `${sb.dataOffsetSectors} sectors`));
  if (raw && raw.newOffsetSectors !== 0 && (sb.featureMap & F_NEW_OFFSET) !== 0) {
    out.push(field('New Offset', `${sb.dataOffsetSectors + raw.newOffsetSectors} sectors`));
  }
  out.push(field('Super Offset', `${sb.superOffsetSectors} sectors`));
  if ((sb.featureMap & F_RECOVERY_OFFSET) !== 0) out.push(field('Recovery Offset', `${sb.recoveryOffsetSectors} sectors`));
  const space = raw && (sb.featureMap & F_NEW_OFFSET) === 0 ? unusedSpace(sb, raw) : null;
  if (space !== null && space.after !== 1) out.push(field('Unused Space', `before=${space.before} sectors, after=${space.after} sectors`));
  out.push(field('State', sb.resyncOffsetSectors === 'max' ? 'clean' : 'active'));
  out.push(field('Device UUID', sb.deviceUuid), '');
  return out;
}

function layoutName(level: number, layout: number): string {
  if (level === 10) return raid10LayoutText(layout);
  return raid5AlgorithmName(layout) ?? '-unknown-';
}

function reshapeLines(sb: SuperblockInfo, raw: SuperblockRawFacts): string[] {
  if ((sb.featureMap & F_RESHAPE) === 0) return [];
  const pos = raw.reshapePositionSectors;
  const out = [field("Reshape pos'n", `${Math.floor(pos / 2)}${humanSize(BigInt(pos) * 512n)}`)];
  if (raw.deltaDisks !== 0) out.push(field('Delta Devices', `${raw.deltaDisks} (${sb.raidDisks - raw.deltaDisks}->${sb.raidDisks})`));
  if (raw.newLevel !== sb.level) out.push(field('New Level', levelName(raw.newLevel)));
  if (raw.newLayout !== sb.layout && (sb.level === 5 || sb.level === 6 || sb.level === 10)) out.push(field('New Layout', layoutName(sb.level, raw.newLayout)));
  if (raw.newChunkSectors !== sb.chunkSectors) out.push(field('New Chunksize', `${Math.floor(raw.newChunkSectors / 2)}K`));
  out.push('');
  return out;
}

function stateLines(sb: SuperblockInfo, raw: SuperblockRawFacts | undefined, opts: ExamineOptions): string[] {
  const out: string[] = [];
  if (raw) {
    if ((sb.featureMap & F_BITMAP) !== 0) out.push(field('Internal Bitmap', `${raw.bitmapOffsetSectors} sectors from superblock`));
    else if ((sb.featureMap & (F_PPL | F_MULTIPLE_PPLS)) !== 0) {
      out.push(field('PPL', `${raw.pplSizeSectors} sectors at offset ${raw.pplOffsetSectors} sectors from superblock`));
    }
    out.push(...reshapeLines(sb, raw));
    if (raw.devFlags !== 0) out.push(field('Flags', `${raw.devFlags & 1 ? ' write-mostly' : ''}${raw.devFlags & 2 ? ' failfast' : ''}`.trimStart()));
  }
  out.push(field('Update Time', formatCtime(sb.utimeSec, opts.timeZone)));
  if (raw && raw.bblogSizeSectors !== 0 && raw.bblogOffsetSectors !== 0) {
    const present = (sb.featureMap & F_BAD_BLOCKS) !== 0 ? ' - bad blocks present.' : '';
    out.push(field('Bad Block Log', `${(raw.bblogSizeSectors * 512) / 8} entries available at offset ${raw.bblogOffsetSectors} sectors${present}`));
  }
  if (raw) {
    const hex = (n: number) => (n >>> 0).toString(16);
    out.push(field('Checksum', raw.storedCsum === raw.computedCsum ? `${hex(raw.storedCsum)} - correct` : `${hex(raw.storedCsum)} - expected ${hex(raw.computedCsum)}`));
  }
  out.push(field('Events', String(sb.events)), '');
  return out;
}

function chunkLines(sb: SuperblockInfo): string[] {
  const out: string[] = [];
  if (sb.level === 0 && (sb.featureMap & F_RAID0_LAYOUT) !== 0) out.push(field('Layout', RAID0_LAYOUTS[sb.layout] ?? '-unknown-'));
  if (sb.level === 5 || sb.level === 6 || sb.level === 10) out.push(field('Layout', layoutName(sb.level, sb.layout)));
  if ([0, 4, 5, 6, 10].includes(sb.level)) out.push(field('Chunk Size', `${Math.floor(sb.chunkSectors / 2)}K`));
  else if (sb.level === -1) out.push(field('Rounding', `${Math.floor(sb.chunkSectors / 2)}K`));
  out.push('');
  return out;
}

/** Device Role and Array State ('A' one device in the slot, 'R' two, '.' none, '?' more). */
function roleLines(sb: SuperblockInfo, raw: SuperblockRawFacts | undefined): string[] {
  const roles = sb.devRoles;
  const role = sb.devNumber < roles.length ? roles[sb.devNumber] : ROLE_FAULTY;
  let roleText: string;
  if (role >= ROLE_FAULTY) roleText = 'spare';
  else if (role === ROLE_JOURNAL) roleText = 'Journal';
  else if ((sb.featureMap & F_REPLACEMENT) !== 0) roleText = `Replacement device ${role}`;
  else roleText = `Active device ${role}`;
  const extra = raw && (sb.featureMap & F_RESHAPE) !== 0 && raw.deltaDisks < 0 ? -raw.deltaDisks : 0;
  let state = '';
  for (let d = 0; d < sb.raidDisks + extra; d++) {
    const cnt = roles.filter((r) => r === d).length;
    state += cnt === 2 ? 'R' : cnt === 1 ? 'A' : cnt === 0 ? '.' : '?';
  }
  return [field('Device Role', roleText, ROLE_LABEL_WIDTH), field('Array State', `${state} ('A' == active, '.' == missing, 'R' == replacing)`, ROLE_LABEL_WIDTH)];
}

/** `mdadm --examine DEV` output for one v1.x component, ending with a newline. */
export function renderExamine(devPath: string, sb: SuperblockInfo, opts: ExamineOptions = {}): string {
  const raw = sb.raw;
  const lines = [
    `${devPath}:`,
    field('Magic', MD_MAGIC.toString(16)),
    field('Version', versionText(sb)),
    field('Feature Map', `0x${(sb.featureMap >>> 0).toString(16)}`),
    field('Array UUID', sb.setUuid),
    field('Name', nameText(sb.setName, opts.homehost)),
    field('Creation Time', formatCtime(sb.ctimeSec, opts.timeZone)),
    field('Raid Level', levelName(sb.level)),
    field('Raid Devices', String(sb.raidDisks)),
    '',
    ...geometryHead(sb, raw),
    ...stateLines(sb, raw, opts),
    ...chunkLines(sb),
    ...roleLines(sb, raw),
  ];
  return lines.join('\n') + '\n';
}
