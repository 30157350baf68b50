// The cluster-wide view of an array, built from the replicated record alone, so that every
// node renders the same /mdstat, JSON and `mdctl --detail` for it. Owns: record -> ArrayState.
// Invariants: the result depends only on the record (identical on every node); progress comes
// from the master's last checkpoint; member kernel names are the canonical paths' basenames.
import type { Sectors } from '../common/types.js';
import { bitmapPagesTotal } from '../md/format/mdstat-from-arrays.js';
import type { ArrayState, BitmapState, MemberFlag, MemberState, SyncAction } from '../md/types.js';
import { degradedCount } from './redundancy.js';
import type { ArrayRecord, MemberRecord } from './types.js';
import { inSyncSlots } from './validate.js';

const LAYOUT_NUMBERS: Record<string, number> = { 'left-asymmetric': 0, 'right-asymmetric': 1, 'left-symmetric': 2, 'right-symmetric': 3, la: 0, ra: 1, ls: 2, rs: 3, n2: 0x102, n3: 0x103, f2: 0x201, o2: 0x10201 };

function layoutNumber(rec: ArrayRecord): number {
  if (rec.layout !== null && Object.hasOwn(LAYOUT_NUMBERS, rec.layout)) return LAYOUT_NUMBERS[rec.layout];
  if (rec.level === 'raid5' || rec.level === 'raid6') return 2;
  if (rec.level === 'raid10') return 0x102;
  return 0;
}

function memberFlags(m: MemberRecord): MemberFlag[] {
  const f: MemberFlag[] = [];
  if (m.role === 'faulty') f.push('faulty');
  if (m.role === 'active' && m.inSync) f.push('in_sync');
  if (m.role === 'spare') f.push('spare');
  if (m.writeMostly) f.push('write_mostly');
  if (m.wantReplacement) f.push('want_replacement');
  if (m.replacementFor !== null) f.push('replacement');
  return f;
}

function memberView(m: MemberRecord, index: number, sizeKiB: number, recovering: Sectors | null): MemberState {
  const name = m.kernelName ?? m.path.slice(m.path.lastIndexOf('/') + 1);
  return {
    name, devPath: m.path, major: m.major, minor: m.minor, slot: m.role === 'active' ? m.slot : null,
    descNumber: m.descNumber >= 0 ? m.descNumber : index, flags: memberFlags(m), errors: 0,
    recoveryStartSectors: m.role === 'active' && !m.inSync ? recovering : null, deviceUuid: m.deviceUuid,
    dataOffsetSectors: 0 as Sectors, sizeKiB,
  };
}

/**
 * The internal bitmap as every node shows it: present once the master observed its chunk.
 * Pages in use change with every write on the master alone, so the view shows an idle
 * array's "0/N pages"; the total follows from the sync size and the chunk, as md sizes it.
 */
function bitmapView(rec: ArrayRecord): BitmapState | null {
  const chunkKiB = rec.bitmapChunkKiB ?? null;
  if (rec.bitmap !== 'internal' || chunkKiB === null) return null;
  const syncKiB = rec.level === 'raid10' ? (rec.arraySizeKiB ?? 0) : (rec.componentSizeKiB ?? 0);
  return { location: 'internal', pagesUsed: 0, pagesTotal: bitmapPagesTotal(syncKiB * 2, chunkKiB), pagesKiB: 0, chunkKiB, file: null };
}

/** md/consistency_policy: none without redundancy, bitmap with an internal bitmap, else resync. */
function consistencyPolicy(rec: ArrayRecord): string {
  if (rec.level === 'raid0' || rec.level === 'linear') return 'none';
  return rec.bitmap === 'internal' ? 'bitmap' : 'resync';
}

/**
 * In the master kernel's observed list order; members it has not shown yet (pending adds)
 * first, as the kernel binds new ones at the head; without an observed order, the newest
 * desc number first (the order of a freshly created array).
 */
function sortLikeMasterKernel(members: MemberState[], order: readonly string[] | undefined): void {
  const pos = new Map((order ?? []).map((p, i) => [p, i]));
  const rank = (m: MemberState): number => pos.get(m.devPath) ?? -1;
  members.sort((a, b) => rank(a) - rank(b) || b.descNumber - a.descNumber);
}

export function clusterArrayView(rec: ArrayRecord): ArrayState {
  const slots = inSyncSlots(rec);
  const cp = rec.sync;
  const syncing = cp.action !== 'idle' && cp.totalSectors > 0 && cp.doneSectors < cp.totalSectors;
  const comp = rec.componentSizeKiB ?? 0;
  const members = rec.members
    .filter((m) => m.role !== 'removed')
    .map((m, i) => memberView(m, i, comp, syncing && cp.action === 'recover' ? cp.doneSectors : null));
  sortLikeMasterKernel(members, rec.memberOrder);
  const action: SyncAction = syncing ? (cp.action === 'recover' ? 'recover' : cp.action) : 'idle';
  return {
    device: rec.device, uuid: rec.uuid, name: rec.name, level: rec.level, raidDisks: rec.raidDisks, layout: layoutNumber(rec),
    chunkSizeBytes: (rec.chunkKiB ?? 0) * 1024, arraySizeKiB: rec.arraySizeKiB ?? 0, componentSizeKiB: comp,
    metadataVersion: rec.metadata, arrayState: rec.adminReadOnly ? 'readonly' : 'clean', degraded: degradedCount(rec.raidDisks, slots),
    syncAction: action, lastSyncAction: null, syncCompleted: syncing ? { doneSectors: cp.doneSectors, totalSectors: cp.totalSectors } : null,
    syncWaiting: null, syncSpeedKiBps: syncing ? cp.speedKiBps : 0,
    resyncStartSectors: syncing && cp.action === 'resync' ? cp.doneSectors : null, syncMinSectors: 0 as Sectors, syncMaxSectors: 'max',
    consistencyPolicy: consistencyPolicy(rec), bitmap: bitmapView(rec), events: 0, ctimeSec: rec.ctimeSec, utimeSec: rec.ctimeSec,
    mismatchCount: 0, members,
  };
}
