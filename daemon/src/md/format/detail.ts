// Renders `mdadm --detail` (mdadm 4.2) text for one array from driver state. Owns: the
// field order, labels, alignment and the State/Status wording of that output.
// Invariants:
// - Pure: every fact comes from the ArrayState and the options (homehost, time zone, path).
// - The sync wording (", recovering", "Rebuild Status : N% complete", "(PENDING)") is taken
//   from the /proc/mdstat block the same state renders to, exactly as mdadm reads mdstat.
// - External metadata: a container prints no State line and, with its DDF facts
//   (ArrayState.external.ddf), the DDF block (Container GUID, Seq, Virtual Disks) in place of
//   Name/UUID/Events, then "Member Arrays" (paths given in the options); a member array prints
//   "Container : PATH, member N", no Spare Devices, and the same DDF block. IMSM facts are not
//   read (no block is printed for them).
import type { ArrayState } from '../types.js';
import {
  type DiskLayout, MD_DISK_ACTIVE, MD_DISK_FAILFAST, MD_DISK_FAULTY, MD_DISK_JOURNAL, MD_DISK_REMOVED, MD_DISK_SYNC,
  MD_DISK_WRITEMOSTLY, enoughDisks, isArrayRunning, layoutDisks, rowPrinted,
} from './detail-disks.js';
import { levelNumber, raid10Geometry, raid5AlgorithmName } from './levels.js';
import { formatCtime, formatDdfGuid, humanSize, uuid090MatchesHost } from './mdadm-text.js';
import { mdstatArrayFromState } from './mdstat-from-arrays.js';
import type { MdstatSync } from './mdstat-types.js';

export interface DetailOptions {
  /** The path given to mdadm (first line "PATH:"); default "/dev/<device>". */
  devPath?: string;
  /** mdadm's HOMEHOST: names/UUIDs that belong to it get "(local to host X)". */
  homehost?: string;
  /** IANA zone for Creation/Update Time (mdadm uses local time); default UTC. */
  timeZone?: string;
  /** For a member of an external container: the container's path (default "/dev/<container>"). */
  containerPath?: string;
  /** For an external container: its member arrays' paths, as "Member Arrays" lists them. */
  memberArrays?: readonly string[];
}

/** Labels are right-aligned to this width, then " : ". */
const LABEL_WIDTH = 18;
const CONSISTENCY_POLICIES = new Set(['unknown', 'none', 'resync', 'bitmap', 'journal', 'ppl']);
const R0_LAYOUTS: ReadonlyMap<number, string> = new Map([[1, 'original'], [2, 'alternate']]);

function field(label: string, value: string): string {
  return `${label.padStart(LABEL_WIDTH, ' ')} : ${value}`;
}

/** "external:/md127/0" -> {container: "md127", member: "0"}; null when not a subarray. */
export function subarrayOf(metadataVersion: string): { container: string; member: string } | null {
  const m = /^external:\/([^/]+)\/(.*)$/.exec(metadataVersion);
  return m ? { container: m[1], member: m[2] } : null;
}

/** sysfs text_version as mdadm prints it: "1.2", "0.90", "ddf" (external), "" (none). */
export function metadataText(metadataVersion: string): string {
  if (metadataVersion === 'none') return '';
  if (metadataVersion.startsWith('external:')) return metadataVersion.slice('external:'.length);
  return metadataVersion;
}

export function isPersistentSuper(metadataVersion: string): boolean {
  return metadataVersion !== 'none' && !metadataVersion.startsWith('external:');
}

/** The mdstat entry as mdadm's mdstat_read sees it: percent (or -1) and the action index. */
interface MdstatView { percent: number; waiting: 'DELAYED' | 'PENDING' | 'REMOTE' | null; action: 0 | 1 | 2 | 3 }

function mdstatView(a: ArrayState): MdstatView | null {
  const sync: MdstatSync | null = mdstatArrayFromState(a)?.sync ?? null;
  if (sync === null) return null;
  if (sync.kind === 'waiting') {
    return { percent: -1, waiting: sync.state, action: sync.word === 'recover' ? 0 : sync.word === 'reshape' ? 2 : 1 };
  }
  const action = sync.action === 'recovery' ? 0 : sync.action === 'resync' ? 1 : sync.action === 'reshape' ? 2 : 3;
  return { percent: Math.floor(sync.perMille / 10), waiting: null, action };
}

const STATE_ACTIONS = [', recovering', ', resyncing', ', reshaping', ', checking'];
const STATUS_LABELS = ['Rebuild', 'Resync', 'Reshape', 'Check'];

function layoutLine(a: ArrayState): string | null {
  switch (a.level) {
    case 'raid5':
      return raid5AlgorithmName(a.layout) ?? '-unknown-';
    case 'raid6':
      return raid5AlgorithmName(a.layout) ?? '-unknown-';
    case 'raid0':
      return a.layout !== 0 ? (R0_LAYOUTS.get(a.layout) ?? '-unknown-') : null;
    case 'raid10':
      return raid10LayoutText(a.layout);
    default:
      return null;
  }
}

/** mdadm print_r10_layout(), without the leading space. */
export function raid10LayoutText(layout: number): string {
  const g = raid10Geometry(layout, 0);
  let s = '';
  let sep = '';
  if (g.nearCopies !== 1) {
    s += `${sep} near=${g.nearCopies}`;
    sep = ',';
  }
  if (g.farCopies !== 1) s += `${sep} ${g.farOffset ? 'offset' : 'far'}=${g.farCopies}`;
  if (g.nearCopies * g.farCopies === 0) s += 'NO REDUNDANCY';
  return s.startsWith(' ') ? s.slice(1) : s;
}

function headerLines(a: ArrayState, opts: DetailOptions, running: boolean): string[] {
  const out: string[] = [];
  const sub = subarrayOf(a.metadataVersion);
  if (sub) out.push(field('Container', `${opts.containerPath ?? `/dev/${sub.container}`}, member ${sub.member}`));
  else out.push(field('Version', metadataText(a.metadataVersion)));
  if (running && a.ctimeSec) out.push(field('Creation Time', formatCtime(a.ctimeSec, opts.timeZone)));
  out.push(field('Raid Level', a.level));
  const arrayBytes = running ? a.arraySizeKiB * 1024 : 0;
  if (arrayBytes) out.push(field('Array Size', `${a.arraySizeKiB}${humanSize(arrayBytes)}`));
  if (running && levelNumber(a.level) >= 1) {
    out.push(field('Used Dev Size', `${a.componentSizeKiB}${humanSize(BigInt(a.componentSizeKiB) * 1024n)}`));
  }
  if (running && a.raidDisks) out.push(field('Raid Devices', String(a.raidDisks)));
  out.push(field('Total Devices', String(a.members.length)));
  if (!sub && a.metadataVersion === '0.90') out.push(field('Preferred Minor', String(mdMinor(a.device))));
  if (isPersistentSuper(a.metadataVersion)) out.push(field('Persistence', 'Superblock is persistent'));
  out.push('');
  return out;
}

function mdMinor(device: string): number {
  const m = /([0-9]+)$/.exec(device);
  return m ? Number(m[1]) : 0;
}

function bitmapLines(a: ArrayState, running: boolean): string[] {
  const b = a.bitmap;
  if (!running || b === null || b.location === 'none') return [];
  if (b.file !== null) return [field('Intent Bitmap', b.file), ''];
  return [field('Intent Bitmap', b.location === 'clustered' ? 'Internal(Clustered)' : 'Internal'), ''];
}

function stateLine(a: ArrayState, layout: DiskLayout, view: MdstatView | null): string {
  const inSync = a.arrayState === 'clean' || a.arrayState === 'readonly' || a.arrayState === 'read-auto';
  const up = layout.avail.filter(Boolean).length;
  const health = up === a.raidDisks ? '' : enoughDisks(a, layout.avail) ? ', degraded' : ', FAILED';
  const showAction = view !== null && (view.percent >= 0 || view.waiting !== null);
  const action = showAction ? STATE_ACTIONS[view.action] : '';
  const notStarted = a.arraySizeKiB ? '' : ', Not Started';
  const waiting = view?.waiting ? ` (${view.waiting})` : '';
  return field('State', `${inSync ? 'clean' : 'active'}${health}${action}${notStarted}${waiting} `);
}

interface DeviceCounts { active: number; working: number; failed: number; spare: number }

/** GET_ARRAY_INFO's counts (md.c get_array_info). */
export function deviceCounts(a: ArrayState): DeviceCounts {
  const c = { active: 0, working: 0, failed: 0, spare: 0 };
  for (const m of a.members) {
    if (m.flags.includes('faulty')) {
      c.failed++;
      continue;
    }
    c.working++;
    if (m.flags.includes('in_sync')) c.active++;
    else if (!m.flags.includes('journal')) c.spare++;
  }
  return c;
}

function stateBlock(a: ArrayState, layout: DiskLayout, view: MdstatView | null, running: boolean, opts: DetailOptions): string[] {
  const out: string[] = [];
  if (running && a.utimeSec) out.push(field('Update Time', formatCtime(a.utimeSec, opts.timeZone)));
  const counts = deviceCounts(a);
  const raidDisks = running ? a.raidDisks : 0;
  if (raidDisks) out.push(stateLine(a, layout, view));
  else if (!running && a.level !== 'container') out.push(field('State', 'inactive'));
  if (raidDisks) out.push(field('Active Devices', String(counts.active)));
  out.push(field('Working Devices', String(counts.working)));
  if (raidDisks) {
    out.push(field('Failed Devices', String(counts.failed)));
    if (!a.metadataVersion.startsWith('external:')) out.push(field('Spare Devices', String(counts.spare)));
  }
  out.push('');
  return out;
}

function geometryLines(a: ArrayState, running: boolean): string[] {
  if (!running) return [];
  const out: string[] = [];
  const layoutText = layoutLine(a);
  if (layoutText !== null) out.push(field('Layout', layoutText));
  const chunkKiB = Math.floor(a.chunkSizeBytes / 1024);
  const chunked = a.level === 'raid0' || a.level === 'raid4' || a.level === 'raid5' || a.level === 'raid6' || a.level === 'raid10';
  if (chunked && a.chunkSizeBytes) out.push(field('Chunk Size', `${chunkKiB}K`), '');
  if (a.level === 'linear') out.push(field('Rounding', `${chunkKiB}K`), '');
  if (a.raidDisks && CONSISTENCY_POLICIES.has(a.consistencyPolicy)) out.push(field('Consistency Policy', a.consistencyPolicy), '');
  return out;
}

function progressLines(a: ArrayState, view: MdstatView | null): string[] {
  const out: string[] = [];
  const hasStatus = view !== null && view.percent >= 0;
  if (hasStatus) out.push(`    ${STATUS_LABELS[view.action].padStart(7, ' ')} Status : ${view.percent}% complete`);
  const r = a.reshape ?? null;
  if (r !== null && isPersistentSuper(a.metadataVersion)) {
    if (r.deltaDisks !== 0) {
      out.push(field('Delta Devices', `${r.deltaDisks}, (${a.raidDisks - r.deltaDisks}->${a.raidDisks})`));
    }
    if (r.newLevel !== a.level) out.push(field('New Level', r.newLevel));
    if (r.newLevel !== a.level || r.newLayout !== a.layout) {
      if (r.newLevel === 'raid5' || r.newLevel === 'raid6') out.push(field('New Layout', raid5AlgorithmName(r.newLayout) ?? '-unknown-'));
      if (r.newLevel === 'raid10') {
        const g = raid10Geometry(r.newLayout, 0);
        out.push(field('New Layout', `near=${g.nearCopies}, ${g.farOffset ? 'offset' : 'far'}=${g.farCopies}`));
      }
    }
    if (r.newChunkSizeBytes !== a.chunkSizeBytes) out.push(field('New Chunksize', `${Math.floor(r.newChunkSizeBytes / 1024)}K`));
    out.push('');
  } else if (hasStatus) {
    out.push('');
  }
  return out;
}

function superLines(a: ArrayState, opts: DetailOptions): string[] {
  const host = opts.homehost;
  if (a.metadataVersion.startsWith('external:')) {
    const ddf = a.external?.ddf ?? null;
    const out = ddf === null ? [] : [
      field('Container GUID', formatDdfGuid(ddf.containerGuid, opts.timeZone)),
      field('Seq', ddf.seq.toString(16).padStart(8, '0')), field('Virtual Disks', String(ddf.virtualDisks)), '',
    ];
    if (a.level === 'container') out.push(field('Member Arrays', (opts.memberArrays ?? []).join(' ')).trimEnd(), '');
    return out;
  }
  if (a.metadataVersion === '0.90') {
    const local = host !== undefined && uuid090MatchesHost(a.uuid, host) ? ` (local to host ${host})` : '';
    const events = `${Math.floor(a.events / 2 ** 32)}.${a.events % 2 ** 32}`;
    return [field('UUID', a.uuid + local), field('Events', events), ''];
  }
  if (!isPersistentSuper(a.metadataVersion)) return [];
  const name = (a.name ?? '').slice(0, 32);
  const l = host?.length ?? 0;
  const local = host !== undefined && l > 0 && l < 32 && name.startsWith(`${host}:`) ? `  (local to host ${host})` : '';
  return [field('Name', name + local), field('UUID', a.uuid), field('Events', String(a.events)), ''];
}

function pad5(n: number): string {
  return String(n).padStart(5, ' ');
}

function rowStateWords(a: ArrayState, state: number, raidDisk: number, raidDisks: number): string {
  let s = '';
  if (state & MD_DISK_FAULTY) s += ' faulty';
  if (state & MD_DISK_ACTIVE) s += ' active';
  if (state & MD_DISK_SYNC) {
    s += ' sync';
    const g = raid10Geometry(a.layout, raidDisks);
    const copies = g.nearCopies * g.farCopies;
    if (a.level === 'raid10' && (a.layout & ~0x1ffff) === 0 && g.farCopies === 1 && copies > 0 &&
        raidDisks % copies === 0 && copies <= 26) {
      s += ` set-${String.fromCharCode(65 + (raidDisk % copies))}`;
    }
  }
  if (state & MD_DISK_REMOVED) s += ' removed';
  if (state & MD_DISK_WRITEMOSTLY) s += ' writemostly';
  if (state & MD_DISK_FAILFAST) s += ' failfast';
  if (state & MD_DISK_JOURNAL) s += ' journal';
  const anyOf = MD_DISK_ACTIVE | MD_DISK_SYNC | MD_DISK_REMOVED | MD_DISK_FAULTY | MD_DISK_JOURNAL;
  if ((state & anyOf) === 0) {
    s += ' spare';
    if (raidDisk >= 0 && raidDisk < raidDisks) s += ' rebuilding';
  }
  return s;
}

function tableLines(a: ArrayState, layout: DiskLayout, running: boolean): string[] {
  const raidDisks = running ? a.raidDisks : 0;
  const out = [raidDisks ? '    Number   Major   Minor   RaidDevice State' : '    Number   Major   Minor   RaidDevice'];
  for (let d = 0; d < layout.rows.length; d++) {
    if (!rowPrinted(layout, d)) continue;
    const r = layout.rows[d];
    if (d === layout.extraStart) out.push('');
    let line: string;
    if (r.number < 0 && r.raidDisk < 0) line = `       -   ${pad5(r.major)}    ${pad5(r.minor)}        -     `;
    else if (r.raidDisk < 0 || r.state & MD_DISK_JOURNAL) line = `   ${pad5(r.number)}   ${pad5(r.major)}    ${pad5(r.minor)}        -     `;
    else if (r.number < 0) line = `       -   ${pad5(r.major)}    ${pad5(r.minor)}    ${pad5(r.raidDisk)}     `;
    else line = `   ${pad5(r.number)}   ${pad5(r.major)}    ${pad5(r.minor)}    ${pad5(r.raidDisk)}     `;
    if (raidDisks) line += rowStateWords(a, r.state, r.raidDisk, raidDisks);
    if (r.devPath !== null) line += `   ${r.devPath}`;
    else if (r.major || r.minor) line += '   missing';
    out.push(line);
  }
  return out;
}

/** `mdadm --detail PATH` output for one array, ending with a newline. */
export function renderDetail(a: ArrayState, opts: DetailOptions = {}): string {
  const running = isArrayRunning(a);
  const layout = layoutDisks(a);
  const view = running ? mdstatView(a) : null;
  const lines = [
    `${opts.devPath ?? `/dev/${a.device}`}:`,
    ...headerLines(a, opts, running),
    ...bitmapLines(a, running),
    ...stateBlock(a, layout, view, running, opts),
    ...geometryLines(a, running),
    ...(running ? progressLines(a, view) : []),
    ...superLines(a, opts),
    ...tableLines(a, layout, running),
  ];
  return lines.join('\n') + '\n';
}
