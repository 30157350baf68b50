// mdadm --assemble for the simulated kernel: reads the members' superblocks and builds the
// running array the way md's analyze_sbs / super_1_validate and mdadm would.
// Owns: which devices join (freshness by Events), each member's role from its own
// superblock, and when assembly is refused.
// Invariants (Linux 6.1 + mdadm 4.2):
// - The freshest superblock (highest Events) gives the array geometry and Events.
// - A device whose own role is a slot and whose Events is more than one behind the freshest
//   is kicked as non-fresh (one behind is allowed: md lowers Events on dirty -> clean).
// - Not enough devices to run: refused. Fewer working devices than the superblocks expect:
//   refused unless `run` (mdadm's "use --run to insist"). A refused assembly leaves nothing.
// - Assembled arrays start auto-read-only (start_ro=1), or read-only with readOnly; an
//   unclean superblock (resync_offset < max) leaves a resync pending (resync=PENDING).
import { OpError } from '../../common/errors.js';
import { MD_MAX_MEMBERS_PER_ARRAY } from '../../common/limits.js';
import type { AssembleSpec, MdLevel } from '../types.js';
import type { KernelCtx } from './context.js';
import type { SimDiskRecord } from './disk-store.js';
import { isValidComponentPath } from './disk-store.js';
import { noSuchDevice } from './errors.js';
import { arraySectors, enoughSlots, hasRedundancy, levelFromNumber, memberLayout, roundComponentSectors } from './geometry.js';
import { normalizeUuid } from './ids.js';
import type { SimArray, SimMember } from './model.js';
import { normalizeDevice } from './create.js';
import type { SimSuperblock } from './superblock.js';
import { DEVFLAG_WRITE_MOSTLY, FEATURE_RECOVERY_OFFSET, FEATURE_REPLACEMENT, FEATURE_RESHAPE_ACTIVE, ROLE_FAULTY, ROLE_SPARE, isSlotRole, ownRole } from './superblock.js';
import { dataDisks } from '../format/levels.js';

interface Candidate {
  path: string;
  rec: SimDiskRecord;
  sb: SimSuperblock;
}

function bad(msg: string, details: Record<string, unknown> = {}): OpError {
  return new OpError('E_INVALID_ARGUMENT', msg, details);
}

function candidates(ctx: KernelCtx, spec: AssembleSpec, inUse: (diskId: string) => boolean): Candidate[] {
  if (!Array.isArray(spec.members) || spec.members.length === 0 || spec.members.length > MD_MAX_MEMBERS_PER_ARRAY) {
    throw bad('members must list 1 to MD_MAX_MEMBERS_PER_ARRAY devices');
  }
  const wantUuid = spec.uuid === undefined ? null : normalizeUuid(String(spec.uuid));
  if (spec.uuid !== undefined && wantUuid === null) throw bad('invalid uuid');
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const path of spec.members) {
    if (!isValidComponentPath(path)) throw bad(`invalid member ${JSON.stringify(path)}`);
    const id = ctx.store.resolve(path);
    const rec = id === null ? null : ctx.store.read(id);
    if (rec === null) throw noSuchDevice(path);
    if (seen.has(rec.diskId)) throw bad(`${path} names a device listed twice`, { member: path });
    seen.add(rec.diskId);
    if (rec.superblock === null) throw new OpError('E_NO_SUPERBLOCK', `no md superblock on ${path}`, { member: path });
    if (inUse(rec.diskId)) throw new OpError('E_DEVICE_BUSY', `${path} is in use by another array`, { member: path });
    const uuid = wantUuid ?? out[0]?.sb.setUuid ?? rec.superblock.setUuid;
    if (rec.superblock.setUuid !== uuid) {
      if (wantUuid !== null) {
        ctx.deps.logger.warn('assemble: device has the wrong uuid; skipped', { member: path });
        continue;
      }
      throw new OpError('E_INVALID_STATE', `superblock on ${path} does not match the others`, { member: path });
    }
    out.push({ path, rec, sb: rec.superblock });
  }
  if (out.length === 0) throw new OpError('E_INVALID_STATE', 'no device carries the requested array', { uuid: wantUuid });
  return out;
}

function memberOf(c: Candidate, a: SimArray): SimMember {
  const role = ownRole(c.sb);
  const slotted = isSlotRole(role);
  const recovering = slotted && (c.sb.featureMap & FEATURE_RECOVERY_OFFSET) !== 0;
  const layout = memberLayout(a.minorVersion, c.rec.sizeSectors, a.chunkSectors, a.bitmapChunkKiB !== null);
  return {
    diskId: c.rec.diskId, devPath: c.path, name: c.rec.kernelName, major: c.rec.major, minor: c.rec.minor,
    descNumber: c.sb.devNumber, deviceUuid: c.sb.deviceUuid, slot: slotted ? role : null,
    inSync: slotted && !recovering, faulty: role === ROLE_FAULTY, writeMostly: (c.sb.devFlags & DEVFLAG_WRITE_MOSTLY) !== 0,
    replacement: slotted && (c.sb.featureMap & FEATURE_REPLACEMENT) !== 0, wantReplacement: false,
    recoveryOffsetSectors: recovering ? c.sb.recoveryOffsetSectors : 0, savedSlot: null, bitmapRecovery: false, errors: 0,
    dataOffsetSectors: c.sb.dataOffsetSectors || layout.dataOffsetSectors, superOffsetSectors: c.sb.superOffsetSectors,
    availSectors: c.sb.dataSizeSectors || layout.availSectors,
  };
}

function baseArray(device: string, f: SimSuperblock): SimArray {
  const level = levelFromNumber(f.level);
  if (level === null) throw new OpError('E_NOT_SUPPORTED', `raid level ${f.level} is not modelled`);
  return {
    device, uuid: f.setUuid, name: f.setName, level, layout: f.layout, chunkSectors: f.chunkSectors,
    raidDisks: f.raidDisks, minorVersion: f.minorVersion, componentSectors: f.sizeSectors, arraySizeSectors: 0,
    ro: 'read-auto', inSync: true, recoveryCpSectors: f.resyncOffsetSectors === 'max' ? null : f.resyncOffsetSectors,
    syncMinSectors: 0, syncMaxSectors: null, frozen: false, requested: null, sync: null, lastSyncAction: null,
    events: f.events, canDecreaseEvents: false, sbPending: false, ctimeSec: f.ctimeSec, utimeSec: f.utimeSec,
    bitmapChunkKiB: f.bitmapChunkKiB > 0 ? f.bitmapChunkKiB : null, bitmapDirtySectors: 0, mismatchCount: 0,
    broken: false, openCount: 0, members: [], timer: null, safeModeTimer: null,
    // A reshape in progress resumes from the superblock's reshape_position (md's raid5 run()).
    reshape: (f.featureMap & FEATURE_RESHAPE_ACTIVE) !== 0 && f.reshapePositionSectors !== undefined && f.deltaDisks !== undefined ? resumedReshape(level, f) : null,
  };
}

/** The reshape a superblock records (its position counted in the reshape's direction). */
function resumedReshape(level: MdLevel, f: SimSuperblock): NonNullable<SimArray['reshape']> {
  const perDevice = Math.floor(f.reshapePositionSectors! / dataDisks(level, f.raidDisks));
  return {
    oldDisks: f.raidDisks - f.deltaDisks!, deviceProgressSectors: f.reshapeBackwards === true ? f.sizeSectors - perDevice : perDevice,
    ...(f.newChunkSectors === undefined ? {} : { newChunkSectors: f.newChunkSectors }),
    ...(f.reshapeBackwards === true ? { backwards: true } : {}),
    ...(f.newOffsetDeltaSectors === undefined ? {} : { offsetDeltaSectors: f.newOffsetDeltaSectors }),
  };
}

/** Drops non-fresh devices and devices that clash on a slot or desc number (first kept). */
function admitted(ctx: KernelCtx, a: SimArray, cands: Candidate[], maxEvents: number): SimMember[] {
  const out: SimMember[] = [];
  for (const c of cands) {
    const m = memberOf(c, a);
    const role = ownRole(c.sb);
    const stale = isSlotRole(role) && c.sb.events + 1 < maxEvents;
    const clash = out.some((o) => o.descNumber === m.descNumber ||
      (m.slot !== null && o.slot === m.slot && o.replacement === m.replacement));
    if (stale || clash || (m.slot !== null && m.slot >= a.raidDisks) || (role !== ROLE_SPARE && role !== ROLE_FAULTY && !isSlotRole(role))) {
      ctx.deps.logger.warn('assemble: kicking non-fresh or conflicting device', { device: a.device, member: c.path, events: c.sb.events, maxEvents });
      continue;
    }
    out.push(m);
  }
  return out;
}

/** Slots the freshest superblock says are in use: what mdadm expects to find. */
function expectedSlots(f: SimSuperblock): number {
  const slots = new Set<number>();
  for (const r of f.devRoles) if (isSlotRole(r) && r < f.raidDisks) slots.add(r);
  return slots.size;
}

export function assembleArray(ctx: KernelCtx, spec: AssembleSpec, inUse: (diskId: string) => boolean): SimArray {
  if (typeof spec !== 'object' || spec === null) throw bad('assemble spec must be an object');
  const device = normalizeDevice(spec.device);
  const cands = candidates(ctx, spec, inUse);
  const freshest = cands.reduce((best, c) => (c.sb.events > best.sb.events ? c : best));
  const a = baseArray(device, freshest.sb);
  const members = admitted(ctx, a, cands, freshest.sb.events);
  const working = (s: number): boolean => members.some((m) => m.slot === s && m.inSync && !m.replacement);
  if (!enoughSlots(a.level, a.raidDisks, a.layout, working)) {
    throw new OpError('E_INVALID_STATE', `not enough devices to start ${device}`, { device, found: members.length });
  }
  // mdadm counts rebuilding devices too (okcnt + rebuilding_cnt against the recorded count).
  const up = members.filter((m) => m.slot !== null && !m.replacement && !m.faulty).length;
  const expected = expectedSlots(freshest.sb);
  if (up < expected && spec.run !== true) {
    throw new OpError('E_INVALID_STATE', `assembled from ${up} drives - need all ${expected} to start it (use run to insist)`, { device, found: up, expected });
  }
  const order = [...members].sort((x, y) => (x.slot ?? 1e9) - (y.slot ?? 1e9) || x.descNumber - y.descNumber);
  const fresh = order.find((m) => m.diskId === freshest.rec.diskId);
  for (const m of order) if (m !== fresh) a.members.unshift(m);
  if (fresh !== undefined) a.members.unshift(fresh);
  const used = a.members.map((m) => roundComponentSectors(a.level, a.chunkSectors, m.availSectors));
  // While reshaping, the array keeps its old size until the reshape ends.
  a.arraySizeSectors = arraySectors(a.level, a.reshape?.oldDisks ?? a.raidDisks, a.layout, a.componentSectors, hasRedundancy(a.level) ? [] : used);
  a.ro = spec.readOnly === true ? 'readonly' : 'read-auto';
  return a;
}
