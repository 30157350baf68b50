// readArray(): one array's full ArrayState from sysfs, md's GET_* ioctls, /proc/mdstat and the
// members' v1.x superblocks. Owns: which source each ArrayState field comes from.
// Invariants:
// - sysfs is the source for live state (array_state, sync_*, member flags/slots/offsets);
//   GET_DISK_INFO for each member's desc number; GET_ARRAY_INFO for ctime/utime; superblocks
//   (v1.x, or 0.90 for metadata_version 0.90) for the array name, events and device UUIDs; /proc/mdstat for bitmap pages, resync waits,
//   the live sync position and the members' order (the kernel's list order, newest first).
// - A member whose superblock cannot be read (failed disk, external metadata) or has none
//   (0.90 has no device UUID) keeps deviceUuid null; it does not fail the read. Events come from the freshest in-sync member.
// - Level, raid_disks, layout and chunk of an inactive array (empty in sysfs) come from its
//   superblocks; an external-metadata container reads as level 'container' (its DDF facts and
//   UUID from a member disk: external.ts); an array whose level is still unknown rejects with
//   E_NOT_SUPPORTED. multipath and faulty are read as what they are.
import { OpError } from '../../common/errors.js';
import { sectors, type Sectors } from '../../common/types.js';
import type { ArrayState, BitmapState, MdLevel, MemberState, ReshapeState, Superblock090Info } from '../types.js';
import type { SuperblockV1 } from '../../../../native/src/superblock-format.js';
import { MD_SB_CLUSTERED } from '../../../../native/src/ioctl.js';
import { readRawArray, type RawArray, type RawMember } from './sysfs-array.js';
import {
  parseArrayState, parseArrayUuid, parseBitmapLocation, parseCount, parseDevNumber, parseLastSyncAction, parseLevel,
  parseMemberState, parseNewOld, parseRaidDisks, parseSectorsOrNone, parseSlot, parseSyncAction, parseSyncCompleted,
  parseSyncMax, parseSyncSpeed, type ParsedLevel,
} from './sysfs-parse.js';
import { extractFromMdstat, type MdstatExtract } from './mdstat-extract.js';
import { externalUuid, readExternal } from './external.js';
import { devKey, type IoctlFacts, type ReadPorts } from './ports.js';
import { memberDevPath } from './snapshot.js';
import type { KernelPaths } from './paths.js';

const SB_LEVELS: ReadonlyMap<number, MdLevel> = new Map([
  [-5, 'faulty'], [-4, 'multipath'], [-1, 'linear'], [0, 'raid0'], [1, 'raid1'], [4, 'raid4'], [5, 'raid5'], [6, 'raid6'], [10, 'raid10'],
]);

/** "1.2" -> 2; other metadata (0.90, none, external) has no v1 superblock. */
export function v1Minor(metadataVersion: string): 0 | 1 | 2 | null {
  const m = /^1\.([012])$/.exec(metadataVersion);
  return m === null ? null : (Number(m[1]) as 0 | 1 | 2);
}

/** What readArray takes from a member's superblock, whichever its format (v1.x or 0.90). */
export interface MemberSuper {
  setUuid: string;
  /** v1.x set name; 0.90 has none. */
  setName: string | null;
  /** v1.x device UUID; 0.90 has none. */
  deviceUuid: string | null;
  devNumber: number;
  events: number;
  level: number;
  raidDisks: number;
  layout: number;
  chunkSizeBytes: number;
  ctimeSec: number;
  utimeSec: number;
}

function fromV1(sb: SuperblockV1): MemberSuper {
  return {
    setUuid: sb.setUuid, setName: sb.setName, deviceUuid: sb.deviceUuid, devNumber: sb.devNumber, events: sb.events,
    level: sb.level, raidDisks: sb.raidDisks, layout: sb.layout, chunkSizeBytes: sb.chunkSectors * 512, ctimeSec: sb.ctimeSec, utimeSec: sb.utimeSec,
  };
}

function from090(sb: Superblock090Info): MemberSuper {
  return {
    setUuid: sb.setUuid, setName: null, deviceUuid: null, devNumber: sb.thisDisk.number, events: sb.events,
    level: sb.level, raidDisks: sb.raidDisks, layout: sb.layout, chunkSizeBytes: sb.chunkSizeBytes, ctimeSec: sb.ctimeSec, utimeSec: sb.utimeSec,
  };
}

async function readSuperblocks(ports: ReadPorts, members: readonly MemberState[], metadataVersion: string): Promise<(MemberSuper | null)[]> {
  const minor = v1Minor(metadataVersion);
  const read = (m: MemberState): Promise<MemberSuper> | null => {
    if (minor !== null) return ports.superblock(m.devPath, minor).then(fromV1);
    if (metadataVersion === '0.90') return ports.superblock090(m.devPath).then(from090);
    return null;
  };
  return Promise.all(members.map((m) => read(m)?.catch((err: unknown) => {
    if (err instanceof OpError) return null; // unreadable member: no uuid, not fatal
    throw err;
  }) ?? null));
}

function baseMember(paths: KernelPaths, m: RawMember): MemberState {
  const dev = parseDevNumber(m.attrs['block/dev']);
  return {
    name: m.name,
    devPath: memberDevPath(paths, m.name),
    major: dev.major,
    minor: dev.minor,
    slot: parseSlot(m.attrs.slot),
    descNumber: -1,
    flags: parseMemberState(m.attrs.state),
    errors: parseCount('dev-X/errors', m.attrs.errors),
    recoveryStartSectors: parseSectorsOrNone('dev-X/recovery_start', m.attrs.recovery_start),
    deviceUuid: null,
    dataOffsetSectors: sectors(parseCount('dev-X/offset', m.attrs.offset)),
    sizeKiB: parseCount('dev-X/size', m.attrs.size),
  };
}

/** Events of the freshest superblock among in-sync members (any member if none is in sync). */
function pickEvents(members: readonly MemberState[], sbs: readonly (MemberSuper | null)[]): MemberSuper | null {
  let best: MemberSuper | null = null;
  const inSync = (i: number) => members[i].flags.includes('in_sync') && !members[i].flags.includes('faulty');
  const anyInSync = members.some((_, i) => inSync(i) && sbs[i] !== null);
  sbs.forEach((sb, i) => {
    if (sb === null || (anyInSync && !inSync(i))) return;
    if (best === null || sb.events > best.events) best = sb;
  });
  return best;
}

interface Geometry { level: MdLevel; raidDisks: number; layout: number; chunkSizeBytes: number }

function resolveGeometry(raw: RawArray, level: ParsedLevel, sb: MemberSuper | null, container: boolean): Geometry {
  const raid = parseRaidDisks(raw.attrs.raid_disks);
  const layout = parseNewOld('layout', raw.attrs.layout);
  const chunk = parseNewOld('chunk_size', raw.attrs.chunk_size);
  if (level !== null) {
    return { level, raidDisks: raid?.value ?? sb?.raidDisks ?? 0, layout: layout.old, chunkSizeBytes: chunk.old };
  }
  if (level === null && container) return { level: 'container', raidDisks: 0, layout: 0, chunkSizeBytes: 0 };
  const sbLevel = sb === null ? undefined : SB_LEVELS.get(sb.level);
  if (level === null && sb !== null && sbLevel !== undefined) {
    return { level: sbLevel, raidDisks: sb.raidDisks, layout: sb.layout, chunkSizeBytes: sb.chunkSizeBytes };
  }
  throw new OpError('E_NOT_SUPPORTED', `array ${raw.device} has no level (an inactive array without a readable superblock, or an external-metadata container)`, { device: raw.device, level });
}

function readReshape(raw: RawArray, geometry: Geometry): ReshapeState | null {
  const position = parseSectorsOrNone('reshape_position', raw.attrs.reshape_position);
  if (position === null) return null;
  const raid = parseRaidDisks(raw.attrs.raid_disks);
  return {
    positionSectors: position,
    deltaDisks: raid === null ? 0 : raid.value - raid.old,
    newLevel: geometry.level,
    newLayout: parseNewOld('layout', raw.attrs.layout).value,
    newChunkSizeBytes: parseNewOld('chunk_size', raw.attrs.chunk_size).value,
    ...(raw.attrs.reshape_direction?.trim() === 'backwards' ? { backwards: true } : {}),
  };
}

function readBitmap(raw: RawArray, facts: IoctlFacts, mdstat: MdstatExtract): BitmapState | null {
  const location = parseBitmapLocation(raw.attrs['bitmap/location']);
  if (location.kind === 'none' && mdstat.bitmap === null) return null;
  const clustered = facts.arrayInfo !== null && (facts.arrayInfo.state & (1 << MD_SB_CLUSTERED)) !== 0;
  const file = facts.bitmapFile ?? mdstat.bitmap?.file ?? null;
  const chunkBytes = raw.attrs['bitmap/chunksize'] === undefined ? 0 : parseCount('bitmap/chunksize', raw.attrs['bitmap/chunksize']);
  return {
    location: clustered ? 'clustered' : location.kind === 'file' ? (file ?? 'file') : 'internal',
    pagesUsed: mdstat.bitmap?.pagesUsed ?? 0,
    pagesTotal: mdstat.bitmap?.pagesTotal ?? 0,
    pagesKiB: mdstat.bitmap?.pagesKiB ?? 0,
    chunkKiB: chunkBytes > 0 ? Math.floor(chunkBytes / 1024) : (mdstat.bitmap?.chunkKiB ?? 0),
    file,
  };
}

function syncWaiting(raw: RawArray, mdstat: MdstatExtract): ArrayState['syncWaiting'] {
  if (mdstat.waiting !== null) return mdstat.waiting;
  const completed = parseSyncCompleted(raw.attrs.sync_completed);
  return completed.kind === 'delayed' ? 'DELAYED' : completed.kind === 'pending' ? 'PENDING' : null;
}

/**
 * The kernel's list order (as /proc/mdstat prints it: newest bound first); members mdstat did
 * not show (read between two changes) follow in desc-number order.
 */
function sortMembers(members: MemberState[], mdstatOrder: readonly number[] | null): MemberState[] {
  const rank = new Map<number, number>();
  (mdstatOrder ?? []).forEach((desc, i) => { if (!rank.has(desc)) rank.set(desc, i); });
  const pos = (m: MemberState): number => rank.get(m.descNumber) ?? Number.MAX_SAFE_INTEGER;
  return members.sort((a, b) => (pos(a) - pos(b)) || (a.descNumber - b.descNumber) || a.name.localeCompare(b.name));
}

/**
 * The live position from the progress line while sysfs also shows a sync; null when mdstat
 * shows no progress line for the array; undefined when mdstat did not show the array at all.
 */
function syncPosition(mdstat: MdstatExtract, completed: ArrayState['syncCompleted']): Sectors | null | undefined {
  if (mdstat.memberOrder === null) return undefined;
  return mdstat.progressDoneKiB === null || completed === null ? null : sectors(mdstat.progressDoneKiB * 2);
}

/** Reads the full state of `device` (a validated kernel name). */
export async function readArrayState(paths: KernelPaths, ports: ReadPorts, device: string): Promise<ArrayState> {
  const raw = readRawArray(paths, device);
  const arrayState = parseArrayState(raw.attrs.array_state);
  const metadataVersion = raw.attrs.metadata_version ?? 'none';
  const members = raw.members.map((m) => baseMember(paths, m));
  const mdstat = extractFromMdstat(ports.mdstatText() ?? '', device);
  const [facts, sbs] = await Promise.all([
    ports.ioctlFacts(device, members),
    readSuperblocks(ports, members, metadataVersion),
  ]);
  members.forEach((m, i) => {
    m.deviceUuid = sbs[i]?.deviceUuid ?? null;
    m.descNumber = facts.descNumbers.get(devKey(m)) ?? sbs[i]?.devNumber ?? -1;
  });
  const fresh = pickEvents(members, sbs);
  const external = await readExternal(paths, ports, metadataVersion, members);
  const geometry = resolveGeometry(raw, parseLevel(raw.attrs.level), fresh ?? sbs.find((s) => s !== null) ?? null, external !== null && external.container === null);
  const completed = parseSyncCompleted(raw.attrs.sync_completed);
  return {
    device,
    uuid: parseArrayUuid(raw.attrs.uuid, metadataVersion) ?? fresh?.setUuid ?? (external && externalUuid(external)) ?? '00000000:00000000:00000000:00000000',
    name: fresh?.setName ?? null,
    ...geometry,
    arraySizeKiB: raw.sizeSectors === undefined ? 0 : Math.floor(parseCount('size', raw.sizeSectors) / 2),
    componentSizeKiB: raw.attrs.component_size === undefined ? 0 : parseCount('component_size', raw.attrs.component_size),
    metadataVersion,
    arrayState,
    degraded: raw.attrs.degraded === undefined ? 0 : parseCount('degraded', raw.attrs.degraded),
    syncAction: parseSyncAction(raw.attrs.sync_action),
    lastSyncAction: parseLastSyncAction(raw.attrs.last_sync_action),
    syncCompleted: completed.kind === 'progress' ? completed.progress : null,
    syncPositionSectors: syncPosition(mdstat, completed.kind === 'progress' ? completed.progress : null),
    syncWaiting: syncWaiting(raw, mdstat),
    syncSpeedKiBps: parseSyncSpeed(raw.attrs.sync_speed),
    resyncStartSectors: raw.attrs.resync_start === undefined ? null : parseSectorsOrNone('resync_start', raw.attrs.resync_start),
    syncMinSectors: raw.attrs.sync_min === undefined ? sectors(0) : sectors(parseCount('sync_min', raw.attrs.sync_min)),
    syncMaxSectors: raw.attrs.sync_max === undefined ? 'max' : parseSyncMax(raw.attrs.sync_max),
    consistencyPolicy: raw.attrs.consistency_policy ?? 'none',
    bitmap: readBitmap(raw, facts, mdstat),
    events: fresh?.events ?? 0,
    ctimeSec: facts.arrayInfo?.ctime || fresh?.ctimeSec || 0,
    utimeSec: facts.arrayInfo?.utime || fresh?.utimeSec || 0,
    mismatchCount: raw.attrs.mismatch_cnt === undefined ? 0 : parseCount('mismatch_cnt', raw.attrs.mismatch_cnt),
    members: sortMembers(members, mdstat.memberOrder),
    reshape: readReshape(raw, geometry),
    external,
  };
}
