// mdadm --create for the simulated kernel: validates a CreateSpec, writes fresh superblocks
// to every member like mdadm does, and builds the running array.
// Owns: the create-time decisions mdadm makes (desc numbers, data offsets, used size, default
// chunk/bitmap/name, raid4/5 built as degraded + recovery, resync unless --assume-clean).
// Invariants:
// - Input is untrusted: every bad field is an OpError (E_INVALID_ARGUMENT, E_NOT_SUPPORTED,
//   E_NO_SUCH_DEVICE, E_DEVICE_BUSY), nothing is written before validation passes.
// - Superblocks start at Events 0; the array starts read-write (created arrays are not
//   auto-read-only) and clean; the resync/recovery is started by md_check_recovery.
import { OpError } from '../../common/errors.js';
import { MD_MAX_MEMBERS_PER_ARRAY } from '../../common/limits.js';
import type { CreateSpec, MdLevel } from '../types.js';
import type { KernelCtx } from './context.js';
import { nowSec } from './context.js';
import type { SimDiskRecord } from './disk-store.js';
import { isValidComponentPath } from './disk-store.js';
import { noSuchDevice } from './errors.js';
import {
  AUTO_BITMAP_MIN_KIB, DEFAULT_BITMAP_CHUNK_KIB, DEFAULT_CHUNK_KIB, arraySectors, hasRedundancy, isStriped,
  memberLayout, minRaidDisks, parseLayout, roundComponentSectors,
} from './geometry.js';
import { newUuid, normalizeUuid } from './ids.js';
import type { SimArray, SimMember } from './model.js';
import { enoughWithout } from './model.js';
import { writeAllSuperblocks } from './sb-writer.js';

const LEVELS: readonly MdLevel[] = ['linear', 'raid0', 'raid1', 'raid4', 'raid5', 'raid6', 'raid10'];
const DEVICE_RE = /^(?:\/dev\/)?(md(?:0|[1-9][0-9]{0,3}))$/;
const NAME_RE = /^[A-Za-z0-9_.:-]{1,32}$/;

/** "md0" or "/dev/md0" -> "md0"; anything else is E_INVALID_ARGUMENT. */
export function normalizeDevice(device: unknown): string {
  const m = typeof device === 'string' ? DEVICE_RE.exec(device) : null;
  if (m === null) throw new OpError('E_INVALID_ARGUMENT', `invalid md device name ${JSON.stringify(device)}`);
  return m[1];
}

function bad(msg: string, details: Record<string, unknown> = {}): OpError {
  return new OpError('E_INVALID_ARGUMENT', msg, details);
}

function isCount(n: unknown, max: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= max;
}

/** metadata text -> v1 minor version; 0.90 and others are not modelled. */
export function parseMetadata(text: string | undefined): 0 | 1 | 2 {
  if (text === undefined || text === 'default' || text === '1' || text === '1.2') return 2;
  if (text === '1.1') return 1;
  if (text === '1.0') return 0;
  if (text === '0.90' || text === '0.9' || text === 'ddf' || text === 'imsm') {
    throw new OpError('E_NOT_SUPPORTED', `the simulated driver models v1.x superblocks only, not ${text}`);
  }
  throw bad(`invalid metadata ${JSON.stringify(text)}`);
}

function validateShape(spec: CreateSpec): void {
  if (typeof spec !== 'object' || spec === null) throw bad('create spec must be an object');
  if (!LEVELS.includes(spec.level)) throw bad(`invalid level ${JSON.stringify(spec.level)}`);
  if (!isCount(spec.raidDevices, MD_MAX_MEMBERS_PER_ARRAY) || spec.raidDevices < minRaidDisks(spec.level)) {
    throw bad(`invalid raid device count ${spec.raidDevices} for ${spec.level}`);
  }
  if (!isCount(spec.spareDevices, MD_MAX_MEMBERS_PER_ARRAY)) throw bad('invalid spare device count');
  if (!Array.isArray(spec.members) || spec.members.length !== spec.raidDevices + spec.spareDevices ||
    spec.members.length > MD_MAX_MEMBERS_PER_ARRAY) {
    throw bad('members must list raidDevices + spareDevices devices');
  }
  const redundant = hasRedundancy(spec.level);
  if (!redundant && (spec.spareDevices > 0 || spec.members.includes('missing'))) throw bad(`${spec.level} takes no spares or missing devices`);
  if (!redundant && spec.bitmap === 'internal') throw bad(`bitmaps are not meaningful with ${spec.level}`);
  spec.members.forEach((p, i) => {
    if (p === 'missing' ? i >= spec.raidDevices : !isValidComponentPath(p)) throw bad(`invalid member ${JSON.stringify(p)}`, { index: i });
  });
  const real = spec.members.filter((p) => p !== 'missing');
  if (new Set(real).size !== real.length) throw bad('a device is listed twice');
  if (spec.name !== undefined && (typeof spec.name !== 'string' || !NAME_RE.test(spec.name))) throw bad('invalid array name');
  if (spec.sizeKiB !== undefined && (!isCount(spec.sizeKiB, Number.MAX_SAFE_INTEGER / 2) || spec.sizeKiB === 0)) throw bad('invalid size');
  if (spec.bitmap !== undefined && spec.bitmap !== 'internal' && spec.bitmap !== 'none') throw bad('invalid bitmap');
  if (spec.assumeClean !== undefined && typeof spec.assumeClean !== 'boolean') throw bad('invalid assumeClean');
}

function chunkSectorsOf(spec: CreateSpec): number {
  if (!isStriped(spec.level)) return 0;
  const kib = spec.chunkKiB ?? DEFAULT_CHUNK_KIB;
  if (!isCount(kib, 1 << 20) || kib < 4 || (kib & (kib - 1)) !== 0) throw bad(`invalid chunk ${kib} KiB`);
  return kib * 2;
}

interface Resolved {
  path: string;
  rec: SimDiskRecord | null;
}

function resolveMembers(ctx: KernelCtx, spec: CreateSpec, inUse: (diskId: string) => boolean): Resolved[] {
  const out: Resolved[] = [];
  const seen = new Set<string>();
  for (const path of spec.members) {
    if (path === 'missing') {
      out.push({ path, rec: null });
      continue;
    }
    const id = ctx.store.resolve(path);
    const rec = id === null ? null : ctx.store.read(id);
    if (rec === null) throw noSuchDevice(path);
    if (seen.has(rec.diskId)) throw bad(`${path} names a device listed twice`, { member: path });
    seen.add(rec.diskId);
    if (inUse(rec.diskId)) throw new OpError('E_DEVICE_BUSY', `${path} is in use by another array`, { member: path });
    out.push({ path, rec });
  }
  return out;
}

function arrayName(ctx: KernelCtx, spec: CreateSpec, device: string): string {
  const base = spec.name ?? device.slice(2);
  const name = base.includes(':') ? base : `${ctx.hostName}:${base}`;
  if (name.length > 32) throw bad('array name too long (32 bytes at most)');
  return name;
}

/** Used size per member and whether an internal bitmap is used. */
function sizing(spec: CreateSpec, minor: 0 | 1 | 2, chunk: number, recs: SimDiskRecord[]): { componentSectors: number; bitmap: boolean } {
  const minAvail = (bitmap: boolean): number => Math.min(...recs.map((r) => memberLayout(minor, r.sizeSectors, chunk, bitmap).availSectors));
  const wanted = spec.sizeKiB === undefined ? null : spec.sizeKiB * 2;
  const probe = roundComponentSectors(spec.level, chunk, wanted ?? minAvail(false));
  const bitmap = hasRedundancy(spec.level) && (spec.bitmap === 'internal' || (spec.bitmap === undefined && probe / 2 >= AUTO_BITMAP_MIN_KIB));
  const avail = minAvail(bitmap);
  const componentSectors = roundComponentSectors(spec.level, chunk, wanted ?? avail);
  if (componentSectors <= 0) throw bad('devices too small for an array');
  if (componentSectors > avail) throw bad(`size ${spec.sizeKiB} KiB does not fit the smallest device`, { availKiB: Math.floor(avail / 2) });
  return { componentSectors, bitmap };
}

/** Validates `spec`, writes the superblocks and returns the running array (not yet syncing). */
export function createArray(ctx: KernelCtx, spec: CreateSpec, inUse: (diskId: string) => boolean): SimArray {
  validateShape(spec);
  const device = normalizeDevice(spec.device);
  const minor = parseMetadata(spec.metadata);
  const chunk = chunkSectorsOf(spec);
  const layout = parseLayout(spec.level, spec.layout);
  const uuid = spec.uuid === undefined ? newUuid(ctx.deps.ids) : normalizeUuid(spec.uuid);
  if (uuid === null) throw bad('invalid uuid');
  const name = arrayName(ctx, spec, device);
  const resolved = resolveMembers(ctx, spec, inUse);
  const recs = resolved.flatMap((r) => (r.rec === null ? [] : [r.rec]));
  const { componentSectors, bitmap } = sizing(spec, minor, chunk, recs);
  const now = nowSec(ctx);
  const a: SimArray = {
    device, uuid, name, level: spec.level, layout, chunkSectors: chunk, raidDisks: spec.raidDevices, minorVersion: minor,
    componentSectors, arraySizeSectors: 0, ro: 'rw', inSync: true, recoveryCpSectors: null, syncMinSectors: 0,
    syncMaxSectors: null, frozen: false, requested: null, sync: null, lastSyncAction: null, events: 0,
    canDecreaseEvents: false, sbPending: false, ctimeSec: now, utimeSec: now,
    bitmapChunkKiB: bitmap ? DEFAULT_BITMAP_CHUNK_KIB : null, bitmapDirtySectors: 0, mismatchCount: 0,
    broken: false, openCount: 0, members: [], timer: null, safeModeTimer: null, reshape: null,
  };
  addCreatedMembers(ctx, a, spec, resolved);
  if (!enoughWithout(a, null)) throw bad('not enough devices to start the array');
  const used = a.members.map((m) => roundComponentSectors(a.level, chunk, m.availSectors));
  a.arraySizeSectors = arraySectors(a.level, a.raidDisks, layout, componentSectors, hasRedundancy(a.level) ? [] : used);
  const needsBuild = hasRedundancy(a.level) && spec.assumeClean !== true;
  if (needsBuild && !buildsByRecovery(a.level)) a.recoveryCpSectors = 0;
  writeAllSuperblocks(ctx, a);
  return a;
}

/** mdadm builds raid4/5 as degraded arrays and recovers onto the last device. */
function buildsByRecovery(level: MdLevel): boolean {
  return level === 'raid4' || level === 'raid5';
}

function addCreatedMembers(ctx: KernelCtx, a: SimArray, spec: CreateSpec, resolved: Resolved[]): void {
  const realActive = resolved.slice(0, spec.raidDevices).filter((r) => r.rec !== null).length;
  const recoverLast = buildsByRecovery(a.level) && spec.assumeClean !== true && realActive === spec.raidDevices;
  let nextSpareDesc = spec.raidDevices + (recoverLast ? 1 : 0);
  resolved.forEach((r, i) => {
    if (r.rec === null) return;
    const active = i < spec.raidDevices;
    // The device mdadm builds raid4/5 onto holds its slot from the start, not in sync.
    const rebuilt = recoverLast && i === spec.raidDevices - 1;
    const desc = rebuilt ? spec.raidDevices : active ? i : nextSpareDesc++;
    const layout = memberLayout(a.minorVersion, r.rec.sizeSectors, a.chunkSectors, a.bitmapChunkKiB !== null);
    const m: SimMember = {
      diskId: r.rec.diskId, devPath: r.path, name: r.rec.kernelName, major: r.rec.major, minor: r.rec.minor,
      descNumber: desc, deviceUuid: newUuid(ctx.deps.ids), slot: active ? i : null, inSync: active && !rebuilt, faulty: false,
      writeMostly: false, replacement: false, wantReplacement: false, recoveryOffsetSectors: 0, savedSlot: null,
      bitmapRecovery: false, errors: 0, dataOffsetSectors: layout.dataOffsetSectors,
      superOffsetSectors: layout.superOffsetSectors, availSectors: layout.availSectors,
    };
    a.members.unshift(m);
  });
}
