// Test-side loader for the real kernel captures in /work/shared/kernel-samples (helper for the
// test/unit/format-*.test.ts files). Owns: reading a case's files and rebuilding each array's
// ArrayState from the captured FACTS (sysfs.txt, ioctl.txt, examine.txt, case.txt), never from
// the outputs under test (mdstat.txt, detail.txt, export.txt, scan.txt).
// Documented exceptions, i.e. facts the captures do not hold outside the outputs under test:
// - Member ORDER (the kernel's rdev list order) is not in sysfs (glob order is alphabetical);
//   it is taken from the names, in order, on the array's mdstat.txt line.
// - descNumber of an INACTIVE array's members (GET_DISK_INFO fails with ENODEV, and
//   --examine of v1.x does not print dev_number) is taken from mdstat.txt's [N].
// - Bitmap pages in use: sysfs has no counter; the loader assumes every page is allocated
//   (pagesUsed = pagesTotal, computed from the resync size and bitmap chunk).
// - The level of an inactive array (sysfs level is empty) comes from --examine; a DDF
//   container (metadata_version external:FORMAT) is level 'container'.
// - DDF facts (container GUID, Seq, virtual disks, the VD GUIDs the UUIDs derive from) come
//   from the DDF --examine records; the UUIDs are derived by native/src/ddf-format.ts.
// - The map-file path of an unnamed (external-metadata) array comes from case.txt's
//   "--create /dev/md/X" commands: mdadm gives them md127, md126, ... in creation order.
// - Array size is computed from the level geometry and member sizes (the block device size
//   /sys/block/mdX/size was not captured).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ArrayState, DdfFacts, ExternalFacts, MdLevel, MemberFlag, MemberState, SyncAction, ArrayRunState } from '../../daemon/src/md/types.js';
import { externalUuid, parseExternal } from '../../daemon/src/md/kernel/external.js';
import { ddfUuid } from '../../native/src/ddf-format.js';
import { sectors } from '../../daemon/src/common/types.js';
import { parseMdstat } from '../../daemon/src/md/format/mdstat.js';
import { bitmapPagesKiB, bitmapPagesTotal } from '../../daemon/src/md/format/mdstat-from-arrays.js';
import { mdadmUuidFromSysfs } from '../../daemon/src/md/format/mdadm-text.js';
import { parseExamine, type ExamineRecord } from '../../daemon/src/md/format/examine.js';
import { moduleOfLevel, personalitiesForModules, raid10Geometry } from '../../daemon/src/md/format/levels.js';

export const SAMPLES_DIR = '/work/shared/kernel-samples';
export const SAMPLE_HOMEHOST = 'labhost';

export function listSampleCases(): string[] {
  return readdirSync(SAMPLES_DIR).filter((n) => statSync(join(SAMPLES_DIR, n)).isDirectory()).sort();
}

export function hasSampleFile(c: string, file: string): boolean {
  return existsSync(join(SAMPLES_DIR, c, file));
}

export function readSampleFile(c: string, file: string): string {
  return readFileSync(join(SAMPLES_DIR, c, file), 'utf8');
}

/** Splits a file at "==> X <==" header lines; a file without headers is one part keyed ''. */
export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const heads = [...text.matchAll(/^==> (.*) <==\n/gm)];
  if (heads.length === 0) {
    out.set('', text);
    return out;
  }
  for (let i = 0; i < heads.length; i++) {
    const start = heads[i].index + heads[i][0].length;
    const end = i + 1 < heads.length ? heads[i + 1].index : text.length;
    out.set(heads[i][1], text.slice(start, end));
  }
  return out;
}

/** The section for one array: the headed part, or the whole file for a single array. */
export function sectionFor(text: string, header: string): string | null {
  const s = splitSections(text);
  return s.get(header) ?? (s.size === 1 && s.has('') ? s.get('')! : null);
}

function parseSysfs(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return m;
}

interface IoctlDisk { number: number; major: number; minor: number; raidDisk: number; state: number; dev: string | null }
interface IoctlFacts { info: Map<string, number> | null; disks: IoctlDisk[]; bitmapFile: string }

function parseIoctl(text: string): IoctlFacts {
  const info = new Map<string, number>();
  let infoOk = false;
  const disks: IoctlDisk[] = [];
  let bitmapFile = '';
  for (const line of text.split('\n')) {
    if (/^GET_ARRAY_INFO .* rc=0$/.test(line)) infoOk = true;
    const f = /^ {2}([a-z_]+)=(-?[0-9]+)/.exec(line);
    if (f && infoOk) info.set(f[1], Number(f[2]));
    const d = /^ {2}number=([0-9]+) major=([0-9]+) minor=([0-9]+) raid_disk=(-?[0-9]+) state=([0-9]+) .*?(?:dev=(\S+))?$/.exec(line);
    if (d) disks.push({ number: +d[1], major: +d[2], minor: +d[3], raidDisk: +d[4], state: +d[5], dev: d[6] ?? null });
    const b = /^GET_BITMAP_FILE .* pathname="(.*)"$/.exec(line);
    if (b) bitmapFile = b[1];
  }
  return { info: infoOk ? info : null, disks, bitmapFile };
}

/** The "new (old)" form sysfs uses during a reshape. */
function newOld(v: string | undefined): { now: number; old: number | null } {
  const m = /^(-?[0-9]+)(?: \((-?[0-9]+)\))?$/.exec(v ?? '');
  if (!m) return { now: 0, old: null };
  return { now: Number(m[1]), old: m[2] === undefined ? null : Number(m[2]) };
}

const MEMBER_FLAGS: ReadonlySet<string> = new Set(['faulty', 'in_sync', 'write_mostly', 'blocked', 'spare', 'write_error',
  'want_replacement', 'replacement', 'external_bbl', 'failfast', 'journal']);
const LEVELS: ReadonlySet<string> = new Set(['linear', 'raid0', 'raid1', 'raid4', 'raid5', 'raid6', 'raid10', 'multipath', 'faulty', 'container']);

/** virtio-blk: /dev/vdX is 254:(16 * index), partitions add their number (README facts). */
function virtioDevno(name: string): { major: number; minor: number } {
  const m = /^vd([a-z])([0-9]*)$/.exec(name);
  if (!m) return { major: 0, minor: 0 };
  return { major: 254, minor: (m[1].charCodeAt(0) - 97) * 16 + (m[2] ? Number(m[2]) : 0) };
}

function syncActionOf(v: string | undefined): SyncAction | null {
  if (v === 'recovery') return 'recover';
  const all: SyncAction[] = ['idle', 'resync', 'recover', 'check', 'repair', 'frozen', 'reshape'];
  return all.includes(v as SyncAction) ? (v as SyncAction) : null;
}

function arraySizeKiB(level: MdLevel, raidDisks: number, layout: number, chunkBytes: number, componentKiB: number, members: MemberState[]): number {
  const live = members.filter((m) => m.slot !== null);
  switch (level) {
    case 'raid1': case 'multipath': case 'faulty': return componentKiB;
    case 'container': return 0;
    case 'raid4': case 'raid5': return componentKiB * (raidDisks - 1);
    case 'raid6': return componentKiB * (raidDisks - 2);
    case 'raid0': case 'linear': return live.reduce((s, m) => s + m.sizeKiB, 0);
    case 'raid10': {
      const g = raid10Geometry(layout, raidDisks);
      const chunkSectors = chunkBytes / 512;
      let size = Math.floor((componentKiB * 2) / chunkSectors);
      size = Math.floor(size / g.farCopies) * raidDisks;
      size = Math.floor(size / g.nearCopies);
      return (size * chunkSectors) / 2;
    }
  }
}

export interface LoadedArray {
  state: ArrayState;
  /** mdadm's map-file path for the array (ARRAY line, MD_DEVNAME). */
  mapPath: string;
}

export interface LoadedCase {
  arrays: LoadedArray[];
  personalities: string[];
}

function memberOrderFromMdstat(c: string): Map<string, Array<{ name: string; descNumber: number }>> {
  const r = parseMdstat(readSampleFile(c, 'mdstat.txt'));
  if (!r.ok) throw new Error(`${c}: mdstat.txt does not parse: ${r.error.message}`);
  return new Map(r.value.arrays.map((a) => [a.device, a.members.map((m) => ({ name: m.name, descNumber: m.descNumber }))]));
}

function bootModules(caseText: string): string[] {
  const m = /modules loaded at boot: ([^ ]+)/.exec(caseText);
  return m ? m[1].split(',') : [];
}

function mapPathOf(device: string, name: string | null, caseText: string): string {
  // External arrays have no name: mdadm numbers "--create /dev/md/X" arrays md127 downward
  // in creation order (case 63: ddf -> md127, vol -> md126).
  const created = [...caseText.matchAll(/--create \/dev\/md\/(\S+)/g)].map((m) => m[1]);
  const byOrder = created[127 - Number(device.slice(2))];
  if (name === null && byOrder !== undefined && /^md[0-9]+$/.test(device)) return `/dev/md/${byOrder}`;
  const suffix = name?.split(':').pop();
  if (suffix && (caseText.includes(`--create /dev/md/${suffix} `) || caseText.includes('mdadm --incremental'))) {
    return `/dev/md/${suffix}`;
  }
  return `/dev/${device}`;
}

/** All arrays of a case in /proc/mdstat order, rebuilt from the captured facts. */
export function loadSampleCase(c: string): LoadedCase {
  const caseText = readSampleFile(c, 'case.txt');
  const order = memberOrderFromMdstat(c);
  const sysfsText = readSampleFile(c, 'sysfs.txt');
  const ioctlText = readSampleFile(c, 'ioctl.txt');
  const examined = parseExamine(hasSampleFile(c, 'examine.txt') ? readSampleFile(c, 'examine.txt') : '');
  if (!examined.ok) throw new Error(`${c}: examine.txt does not parse: ${examined.error.message}`);
  const arrays: LoadedArray[] = [];
  for (const [device, members] of order) {
    const sysfs = sectionFor(sysfsText, `/sys/block/${device}/md`);
    const ioctl = sectionFor(ioctlText, `/dev/${device}`);
    if (sysfs === null || ioctl === null) throw new Error(`${c}: no sysfs/ioctl section for ${device}`);
    const state = buildArray(device, parseSysfs(sysfs), parseIoctl(ioctl), examined.value, members);
    arrays.push({ state, mapPath: mapPathOf(device, state.name, caseText) });
  }
  const modules = bootModules(caseText);
  for (let i = arrays.length - 1; i >= 0; i--) {
    const a = arrays[i].state;
    if (a.arrayState !== 'inactive') modules.push(moduleOfLevel(a.level));
  }
  return { arrays, personalities: personalitiesForModules(modules) };
}

function buildMember(name: string, mdstatNumber: number, s: Map<string, string>, io: IoctlFacts, exam: ExamineRecord | undefined, uuid: string): MemberState {
  const p = `dev-${name}/`;
  const slotText = s.get(p + 'slot');
  const disk = io.disks.find((d) => d.dev === name);
  const devno = disk ? { major: disk.major, minor: disk.minor } : virtioDevno(name);
  const rs = s.get(p + 'recovery_start');
  return {
    name,
    devPath: `/dev/${name}`,
    major: devno.major,
    minor: devno.minor,
    slot: slotText !== undefined && /^[0-9]+$/.test(slotText) ? Number(slotText) : null,
    descNumber: disk ? disk.number : mdstatNumber,
    flags: (s.get(p + 'state') ?? '').split(',').filter((f): f is MemberFlag => MEMBER_FLAGS.has(f)),
    errors: Number(s.get(p + 'errors') ?? 0),
    recoveryStartSectors: rs === undefined || rs === 'none' ? null : sectors(Number(rs)),
    deviceUuid: exam && exam.arrayUuid === uuid ? exam.deviceUuid : null,
    dataOffsetSectors: sectors(Number(s.get(p + 'offset') ?? 0)),
    sizeKiB: Number(s.get(p + 'size') ?? 0),
  };
}

/** External facts of a container or member from a DDF --examine record (null for md-native metadata). */
function externalOf(metadataVersion: string, ddfExam: ExamineRecord | undefined): ExternalFacts | null {
  const ext = parseExternal(metadataVersion);
  if (ext === null) return null;
  const field = (k: string) => ddfExam?.fields.find(([key]) => key === k)?.[1];
  const guid = (t: string | undefined) => Buffer.from((t ?? '').replaceAll(':', ''), 'hex');
  const vdGuids = (ddfExam?.fields ?? []).filter(([k]) => /^VD GUID\[\d+\]$/.test(k)).map(([, v]) => guid(v));
  const ddf: DdfFacts | null = ddfExam === undefined ? null : {
    containerGuid: guid(field('Container GUID')).toString('hex').toUpperCase(), seq: parseInt(field('Seq') ?? '0', 16),
    virtualDisks: Number(field('Virtual Disks')), containerUuid: ddfUuid(guid(field('Container GUID'))), vdUuids: vdGuids.map((g) => ddfUuid(g)),
  };
  return { format: ext.format ?? (ddfExam === undefined ? 'unknown' : 'ddf'), container: ext.container, member: ext.member, ddf };
}

function buildArray(device: string, s: Map<string, string>, io: IoctlFacts, exams: ExamineRecord[],
  order: Array<{ name: string; descNumber: number }>): ArrayState {
  const metadataVersion = s.get('metadata_version') ?? 'none';
  const examOf = (name: string): ExamineRecord | undefined => exams.find((e) => e.device === `/dev/${name}`);
  const sysUuid = mdadmUuidFromSysfs(s.get('uuid') ?? '', metadataVersion);
  const zero = '00000000:00000000:00000000:00000000';
  const firstExam = order.map((m) => examOf(m.name)).find((e) => e?.arrayUuid);
  const external = externalOf(metadataVersion, order.map((m) => examOf(m.name)).find((e) => e?.magic === 'de11de11'));
  const extUuid = external === null ? null : externalUuid(external);
  const uuid = sysUuid && sysUuid !== zero ? sysUuid : (extUuid ?? firstExam?.arrayUuid ?? zero);
  const members = order.map((m) => buildMember(m.name, m.descNumber, s, io, examOf(m.name), uuid));
  const levelText = s.get('level') || (external?.container === null ? 'container' : firstExam?.level) || 'raid1';
  const level = (LEVELS.has(levelText) ? levelText : 'raid1') as MdLevel;
  const disks = newOld(s.get('raid_disks'));
  const layout = newOld(s.get('layout'));
  const chunk = newOld(s.get('chunk_size'));
  const componentSizeKiB = Number(s.get('component_size') ?? 0);
  const sizeDisks = disks.old !== null ? Math.min(disks.now, disks.old) : disks.now;
  const arrayKiB = arraySizeKiB(level, sizeDisks, layout.old ?? layout.now, chunk.old ?? chunk.now, componentSizeKiB, members);
  const syncDone = /^([0-9]+) \/ ([0-9]+)$/.exec(s.get('sync_completed') ?? '');
  const running = s.get('array_state') !== 'inactive';
  const resyncStart = s.get('resync_start');
  const bitmapLoc = s.get('bitmap/location') ?? 'none';
  const bitmapChunkKiB = Number(s.get('bitmap/chunksize') ?? 0) / 1024;
  const syncSizeSectors = level === 'raid10' ? arrayKiB * 2 : componentSizeKiB * 2;
  const pages = bitmapPagesTotal(syncSizeSectors, bitmapChunkKiB);
  // mdadm reads the superblock of the first active (in_sync) disk in GET_DISK_INFO order.
  const byNumber = [...members].sort((x, y) => x.descNumber - y.descNumber);
  const source = byNumber.find((m) => m.flags.includes('in_sync')) ?? byNumber[0];
  const sourceExam = source ? examOf(source.name) : undefined;
  const events = sourceExam?.arrayUuid === uuid ? (sourceExam.events ?? 0) : 0;
  const reshaping = (s.get('reshape_position') ?? 'none') !== 'none';
  return {
    device, uuid, name: firstExam?.name ?? null, level,
    raidDisks: running ? disks.now : 0,
    layout: layout.old ?? layout.now,
    chunkSizeBytes: chunk.old ?? chunk.now,
    arraySizeKiB: running ? arrayKiB : 0,
    componentSizeKiB, metadataVersion,
    arrayState: (s.get('array_state') ?? 'inactive') as ArrayRunState,
    degraded: Number(s.get('degraded') ?? 0),
    syncAction: syncActionOf(s.get('sync_action')) ?? 'idle',
    lastSyncAction: syncActionOf(s.get('last_sync_action')),
    syncCompleted: syncDone ? { doneSectors: sectors(Number(syncDone[1])), totalSectors: sectors(Number(syncDone[2])) } : null,
    syncWaiting: s.get('sync_completed') === 'delayed' ? 'DELAYED'
      : running && s.get('sync_completed') === 'none' && resyncStart !== undefined && resyncStart !== 'none' ? 'PENDING' : null,
    syncSpeedKiBps: /^[0-9]+$/.test(s.get('sync_speed') ?? '') ? Number(s.get('sync_speed')) : 0,
    resyncStartSectors: resyncStart === undefined || resyncStart === 'none' ? null : sectors(Number(resyncStart)),
    syncMinSectors: sectors(Number(s.get('sync_min') ?? 0)),
    syncMaxSectors: s.get('sync_max') === 'max' || s.get('sync_max') === undefined ? 'max' : sectors(Number(s.get('sync_max'))),
    consistencyPolicy: s.get('consistency_policy') ?? 'unknown',
    bitmap: bitmapLoc === 'none' || !running ? null : {
      location: bitmapLoc === 'file' ? io.bitmapFile : 'internal',
      pagesUsed: pages, pagesTotal: pages, pagesKiB: bitmapPagesKiB(pages), chunkKiB: bitmapChunkKiB,
      file: bitmapLoc === 'file' ? io.bitmapFile : null,
    },
    events,
    ctimeSec: io.info?.get('ctime') ?? 0,
    utimeSec: io.info?.get('utime') ?? 0,
    mismatchCount: Number(s.get('mismatch_cnt') ?? 0),
    members,
    external,
    reshape: !reshaping ? null : {
      positionSectors: sectors(Number(s.get('reshape_position'))),
      deltaDisks: disks.old === null ? 0 : disks.now - disks.old,
      newLevel: level, newLayout: layout.now, newChunkSizeBytes: chunk.now,
    },
  };
}
