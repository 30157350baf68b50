// Builds an MdstatDoc from md driver state (ArrayState). Owns: the mapping from one node's
// kernel view to what md_seq_show would print, including status_resync's arithmetic.
// Invariants:
// - Arrays are emitted in the order given (callers pass the kernel's order: newest first), and
//   members in the order of ArrayState.members (the kernel's list order: newest bound first).
// - A progress line's done count is the live position (syncPositionSectors) when the state
//   carries it, else the sysfs checkpoint (syncCompleted.doneSectors); a null live position
//   (mdstat shows no progress line) prints none.
// - Progress numbers follow the kernel exactly: per-mille = ((done>>10)*1000) /
//   ((total>>10)+1) rounded down; the bar has perMille/50 '=' cells; the finish estimate is
//   ((total-done) / (db/32+1)) * dt >> 5 seconds with db = 2*speed sectors over dt = 1 s.
// - A state that md would not print (inactive with no member) yields no block.
import type { ArrayState, MemberState, SyncAction } from '../types.js';
import {
  levelHasSync, moduleOfLevel, personalitiesForModules, personalityName, raid10Geometry,
} from './levels.js';
import type {
  MdstatArray, MdstatBitmap, MdstatDiskSummary, MdstatDoc, MdstatMember, MdstatProgressAction, MdstatStatus, MdstatSync,
} from './mdstat-types.js';

/** md's MD_RESYNC_ACTIVE: the smallest curr_resync value shown as a running sync. */
const MD_RESYNC_ACTIVE_SECTORS = 3;
/** Bitmap counters per 4 KiB page (16-bit counters). */
const BITMAP_COUNTERS_PER_PAGE = 2048;
/** KiB of one bitmap page (PAGE_SIZE 4096). */
const BITMAP_PAGE_KIB = 4;

export interface MdstatFromArraysOptions {
  /**
   * The "Personalities :" list (registered personalities in registration order). Default:
   * the personalities of the modules the arrays need, loaded oldest array first.
   */
  personalities?: string[];
  /** Devices on the kernel's pending list; default none. */
  unusedDevices?: string[];
}

export function mdstatFromArrays(arrays: readonly ArrayState[], opts: MdstatFromArraysOptions = {}): MdstatDoc {
  const blocks: MdstatArray[] = [];
  for (const a of arrays) {
    const block = mdstatArrayFromState(a);
    if (block !== null) blocks.push(block);
  }
  return {
    personalities: opts.personalities ? [...opts.personalities] : defaultPersonalities(arrays),
    arrays: blocks,
    unusedDevices: opts.unusedDevices ? [...opts.unusedDevices] : [],
  };
}

/** Modules are loaded when an array first needs them: scan from the oldest (last) array. */
export function defaultPersonalities(arrays: readonly ArrayState[]): string[] {
  const modules: string[] = [];
  for (let i = arrays.length - 1; i >= 0; i--) {
    if (isRunning(arrays[i])) modules.push(moduleOfLevel(arrays[i].level));
  }
  return personalitiesForModules(modules);
}

function isRunning(a: ArrayState): boolean {
  return a.arrayState !== 'inactive' && a.arrayState !== 'clear';
}

export function mdstatArrayFromState(a: ArrayState): MdstatArray | null {
  const active = isRunning(a);
  if (!active && a.members.length === 0 && a.raidDisks === 0) return null;
  const readOnly = !active ? null : a.arrayState === 'readonly' ? 'read-only' : a.arrayState === 'read-auto' ? 'auto-read-only' : null;
  return {
    device: a.device,
    active,
    readOnly,
    personality: active ? personalityName(a.level) : null,
    members: a.members.map(memberFromState),
    blocksKiB: a.members.length === 0 ? null : active ? a.arraySizeKiB : inactiveBlocks(a.members),
    superblock: superToken(a.metadataVersion),
    status: active ? statusFromState(a) : null,
    sync: active && levelHasSync(a.level) ? syncFromState(a) : null,
    bitmap: active ? bitmapFromState(a) : null,
  };
}

function has(m: MemberState, flag: MemberState['flags'][number]): boolean {
  return m.flags.includes(flag);
}

function memberFromState(m: MemberState): MdstatMember {
  const faulty = has(m, 'faulty');
  const journal = has(m, 'journal');
  return {
    name: m.name,
    descNumber: m.descNumber,
    writeMostly: has(m, 'write_mostly'),
    journal,
    faulty,
    spare: !faulty && !journal && m.slot === null,
    replacement: !faulty && has(m, 'replacement'),
  };
}

/** An inactive array counts the sizes of its non-faulty members. */
function inactiveBlocks(members: readonly MemberState[]): number {
  let kib = 0;
  for (const m of members) if (!has(m, 'faulty')) kib += m.sizeKiB;
  return kib;
}

/** md/metadata_version -> the " super X" token (none for persistent 0.90). */
export function superToken(metadataVersion: string): string | null {
  if (metadataVersion === '0.90') return null;
  if (metadataVersion === 'none') return 'non-persistent';
  return metadataVersion;
}

/** Slot i is "U" when its (non-replacement) member is in sync. */
function diskSummary(a: ArrayState): MdstatDiskSummary {
  const slotsUp: boolean[] = [];
  for (let i = 0; i < a.raidDisks; i++) {
    slotsUp.push(a.members.some((m) => m.slot === i && has(m, 'in_sync') && !has(m, 'faulty') && !has(m, 'replacement')));
  }
  return { raidDisks: a.raidDisks, workingDisks: a.raidDisks - a.degraded, slotsUp };
}

function statusFromState(a: ArrayState): MdstatStatus {
  const chunkKiB = Math.floor(a.chunkSizeBytes / 1024);
  switch (a.level) {
    case 'raid1':
    case 'multipath': // md's multipath status is the mirror's " [n/m] [UU]"
      return { kind: 'mirror', disks: diskSummary(a) };
    case 'faulty': // its status shows only injected-fault counters, which ArrayState does not hold
    case 'container': // never active: mdstat prints no status for it
      return { kind: 'raw', text: '' };
    case 'raid0':
      return { kind: 'raid0', chunkKiB };
    case 'linear':
      return { kind: 'linear', roundingKiB: chunkKiB };
    case 'raid4':
    case 'raid5':
    case 'raid6':
      return { kind: 'raid456', level: Number(a.level.slice(4)), chunkKiB, algorithm: a.layout, disks: diskSummary(a) };
    case 'raid10': {
      const g = raid10Geometry(a.layout, a.raidDisks);
      return {
        kind: 'raid10',
        chunkKiB: g.nearCopies < a.raidDisks ? chunkKiB : null,
        nearCopies: g.nearCopies > 1 ? g.nearCopies : null,
        farCopies: g.farCopies > 1 ? g.farCopies : null,
        farOffset: g.farOffset,
        devicesPerSet: g.farCopies > 1 && g.farSetSize !== a.raidDisks ? g.farSetSize : null,
        disks: diskSummary(a),
      };
    }
  }
}

function progressAction(action: SyncAction | null): MdstatProgressAction | null {
  switch (action) {
    case 'resync': case 'repair': return 'resync';
    case 'check': return 'check';
    case 'recover': return 'recovery';
    case 'reshape': return 'reshape';
    default: return null;
  }
}

function syncFromState(a: ArrayState): MdstatSync | null {
  if (a.syncWaiting === 'DELAYED') return { kind: 'waiting', word: 'resync', state: 'DELAYED' };
  // syncPositionSectors null: md's thread runs but has no position yet (curr_resync 0): no line.
  if (a.syncCompleted !== null && a.syncCompleted.totalSectors > 0 && a.syncPositionSectors !== null) {
    const action = progressAction(a.syncAction) ?? progressAction(a.lastSyncAction) ??
      (a.resyncStartSectors !== null ? 'resync' : 'recovery');
    const done = a.syncPositionSectors ?? a.syncCompleted.doneSectors;
    return syncProgress(action, done, a.syncCompleted.totalSectors, a.syncSpeedKiBps);
  }
  if (a.syncWaiting === 'PENDING') return { kind: 'waiting', word: 'resync', state: 'PENDING' };
  if (a.syncWaiting === 'REMOTE') {
    const word = a.syncAction === 'recover' ? 'recover' : a.syncAction === 'reshape' ? 'reshape' : 'resync';
    return { kind: 'waiting', word, state: 'REMOTE' };
  }
  return null;
}

/** The kernel's per-mille: ((done >> 10) * 1000) / (u32)((total >> 10) + 1), rounded down. */
export function syncPerMille(doneSectors: number, totalSectors: number): number {
  const divisor = (BigInt(Math.floor(totalSectors / 1024)) + 1n) & 0xffffffffn;
  if (divisor === 0n) return 0;
  return Number((BigInt(Math.floor(doneSectors / 1024)) * 1000n) / divisor);
}

/** status_resync's finish estimate in seconds, from the speed over a one-second mark window. */
export function syncFinishSec(doneSectors: number, totalSectors: number, speedKiBps: number): number {
  const dbSectors = 2 * speedKiBps;
  const dtSec = 1;
  const remaining = Math.max(0, totalSectors - doneSectors);
  return Math.floor((Math.floor(remaining / (Math.floor(dbSectors / 32) + 1)) * dtSec) / 32);
}

/** finish=W.Tmin as tenths: W = rt/60, T = (rt%60)/6. */
export function finishTenthsFromSec(rtSec: number): number {
  return Math.floor(rtSec / 60) * 10 + Math.floor((rtSec % 60) / 6);
}

/** The progress line for `done` of `total` sectors at `speed` KiB/s, as status_resync prints it. */
export function syncProgress(action: MdstatProgressAction, doneSectors: number, totalSectors: number, speedKiBps: number): MdstatSync {
  const resync = doneSectors > totalSectors ? totalSectors : Math.max(doneSectors, MD_RESYNC_ACTIVE_SECTORS);
  return {
    kind: 'progress',
    action,
    perMille: syncPerMille(resync, totalSectors),
    doneKiB: Math.floor(resync / 2),
    totalKiB: Math.floor(totalSectors / 2),
    finishTenthsMin: finishTenthsFromSec(syncFinishSec(resync, totalSectors, speedKiBps)),
    speedKiBps,
  };
}

function bitmapFromState(a: ArrayState): MdstatBitmap | null {
  const b = a.bitmap;
  if (b === null || b.location === 'none') return null;
  return {
    pagesUsed: b.pagesUsed, pagesTotal: b.pagesTotal, pagesKiB: b.pagesKiB,
    chunk: b.chunkKiB, chunkUnit: 'KB', file: b.file,
  };
}

/**
 * Pages of in-memory bitmap counters md allocates for `syncSizeSectors` (the personality's
 * resync size: the member size, or the array size for raid10) in chunks of `chunkKiB`.
 */
export function bitmapPagesTotal(syncSizeSectors: number, chunkKiB: number): number {
  if (chunkKiB <= 0) return 0;
  const chunks = Math.ceil(syncSizeSectors / (chunkKiB * 2));
  return Math.ceil(chunks / BITMAP_COUNTERS_PER_PAGE);
}

/** "[NKB]" of the bitmap line for `pagesUsed` allocated pages. */
export function bitmapPagesKiB(pagesUsed: number): number {
  return pagesUsed * BITMAP_PAGE_KIB;
}
