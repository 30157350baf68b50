// From replicated state to md effects: what this node's kernel must do so that its md view
// matches the cluster's. Owns: the ordered, idempotent list of md actions per array, for the
// master (writable) and for standbys (read-only). Pure: the node shell runs the actions
// through the MdDriver and calls plan again after each one (plan -> act -> re-read -> plan).
// Invariants:
// - A standby's plan never contains an action that writes superblocks other than stop and a
//   read-only assemble; a writable array on a standby is switched read-only first.
// - The master's array goes read-write only after it was re-assembled from the superblocks
//   since this node gained the writer role, and after the sync checkpoint was restored; never
//   while its superblocks' reshape position is behind the replicated reshape checkpoint.
import type { Sectors, Term } from '../common/types.js';
import type { ArrayState, AssembleSpec, CreateSpec, MemberState, SyncAction } from '../md/types.js';
import type { Command, CommandOf } from './commands.js';
import { growActions, growOwed, growStale, kernelBitmap, kernelChunkKiB, reshapeDone, type GrowAction } from './grow.js';
import type { ArrayRecord, MemberRecord } from './types.js';

export type MdAction =
  | { kind: 'create'; spec: CreateSpec }
  | { kind: 'assemble'; spec: AssembleSpec }
  | { kind: 'stop' }
  | { kind: 'read-only' }
  | { kind: 'read-write' }
  | { kind: 'set-faulty' | 'hot-remove' | 'hot-add' | 're-add'; member: string }
  | { kind: 'write-mostly'; member: string; on: boolean }
  | { kind: 'replace'; member: string; with: string }
  | { kind: 'sync-action'; action: SyncAction }
  | { kind: 'resync-start'; sectors: Sectors }
  | { kind: 'recovery-start'; member: string; sectors: Sectors }
  /** A grow the record owes md (cluster/grow.ts). */
  | GrowAction
  /** Propose an observe command: the master's kernel changed the array on its own. */
  | { kind: 'observe'; command: Command };

export interface PlanContext {
  node: string;
  /** This node holds the writer role now (leader, lease valid, master entry of its term applied). */
  writer: boolean;
  /** Fencing token of this node's writer role. */
  term: Term;
  /** Since gaining the writer role, this node re-assembled the array from the superblocks. */
  freshSincePromotion: boolean;
  /** Applied index of the record being planned from (an observation's base: cluster/apply.ts applyObserve). */
  base?: number;
}

const READ_ONLY_STATES = new Set(['readonly', 'read-auto']);

export function localPath(m: MemberRecord, node: string): string {
  return m.localPaths[node] ?? m.path;
}

function byPath(actual: ArrayState): Map<string, MemberState> {
  return new Map(actual.members.map((m) => [m.devPath, m]));
}

function assembleSpec(rec: ArrayRecord, node: string, readOnly: boolean): AssembleSpec {
  const members = rec.members.filter((m) => m.role !== 'removed' && m.role !== 'faulty' && m.pendingAdd === null).map((m) => localPath(m, node));
  return { device: rec.device, uuid: rec.uuid, members, readOnly, run: true };
}

export function createSpec(rec: ArrayRecord, node: string): CreateSpec {
  const slots: string[] = Array.from({ length: rec.raidDisks }, () => 'missing');
  for (const m of rec.members) if (m.role === 'active' && m.slot !== null) slots[m.slot] = localPath(m, node);
  const spares = rec.members.filter((m) => m.role === 'spare').map((m) => localPath(m, node));
  return {
    device: rec.device, uuid: rec.uuid, level: rec.level, raidDevices: rec.raidDisks, members: [...slots, ...spares],
    spareDevices: spares.length, metadata: rec.metadata, bitmap: rec.bitmap, name: rec.name, assumeClean: rec.assumeClean,
    ...(rec.chunkKiB !== null ? { chunkKiB: rec.chunkKiB } : {}), ...(rec.layout !== null ? { layout: rec.layout } : {}),
    ...(rec.componentSizeKiB !== null ? { sizeKiB: rec.componentSizeKiB } : {}),
  };
}

/** Coarse member class used to decide whether a standby's kernel view is stale. */
function recordClass(m: MemberRecord): 'A' | 'R' | '-' {
  if (m.role === 'active' && m.inSync) return 'A';
  if (m.role === 'active' || m.role === 'spare') return m.pendingAdd === null ? 'R' : '-';
  return '-';
}
function kernelClass(m: MemberState | undefined): 'A' | 'R' | '-' {
  if (!m || m.flags.includes('faulty')) return '-';
  return m.flags.includes('in_sync') && m.slot !== null ? 'A' : 'R';
}

/** True if the kernel's member view differs from the record in a way a re-read would fix. */
export function memberViewStale(rec: ArrayRecord, actual: ArrayState, node: string): boolean {
  const k = byPath(actual);
  const known = new Set<string>();
  for (const m of rec.members) {
    const p = localPath(m, node);
    known.add(p);
    if (recordClass(m) !== kernelClass(k.get(p))) return true;
  }
  return actual.members.some((m) => !known.has(m.devPath) && !m.flags.includes('faulty'));
}

export function plan(rec: ArrayRecord, ctx: PlanContext, actual: ArrayState | null): MdAction[] {
  if (rec.run === 'stopped') return actual ? [{ kind: 'stop' }] : [];
  if (actual === null) {
    if (ctx.writer) {
      if (!rec.materialized && rec.origin === 'create') return [{ kind: 'create', spec: createSpec(rec, ctx.node) }];
      return [{ kind: 'assemble', spec: assembleSpec(rec, ctx.node, true) }];
    }
    return rec.materialized ? [{ kind: 'assemble', spec: assembleSpec(rec, ctx.node, true) }] : [];
  }
  return ctx.writer ? planWriter(rec, ctx, actual) : planStandby(rec, ctx, actual);
}

function planStandby(rec: ArrayRecord, ctx: PlanContext, actual: ArrayState): MdAction[] {
  if (!READ_ONLY_STATES.has(actual.arrayState) && actual.arrayState !== 'inactive') return [{ kind: 'read-only' }];
  if (rec.materialized && (memberViewStale(rec, actual, ctx.node) || growStale(rec, actual))) {
    return [{ kind: 'stop' }, { kind: 'assemble', spec: assembleSpec(rec, ctx.node, true) }];
  }
  return [];
}

function planWriter(rec: ArrayRecord, ctx: PlanContext, actual: ArrayState): MdAction[] {
  const readOnly = READ_ONLY_STATES.has(actual.arrayState);
  if (readOnly && !ctx.freshSincePromotion) {
    return [{ kind: 'stop' }, { kind: 'assemble', spec: assembleSpec(rec, ctx.node, true) }];
  }
  const out: MdAction[] = [];
  if (readOnly && !rec.adminReadOnly) {
    // A reshape resumes from the superblocks' reshape_position; superblocks behind the
    // replicated checkpoint are stale copies: running them would re-reshape data already moved.
    if (reshapeBehind(rec, actual)) return [];
    out.push(...resumeActions(rec, actual), { kind: 'read-write' });
    return out; // member changes wait until the array is writable
  }
  if (!readOnly && rec.adminReadOnly) return [{ kind: 'read-only' }];
  // On a read-only array md still fails a member (SET_DISK_FAULTY comes before md_ioctl's
  // read-only gate) and sets write-mostly (sysfs); adds, removes and replacements get EROFS, so
  // they wait for read-write (validate.ts refuses read-only while such work is owed).
  const members = memberActions(rec, ctx, actual);
  out.push(...(readOnly ? members.filter((a) => a.kind === 'set-faulty' || a.kind === 'write-mostly') : members));
  if (!readOnly) out.push(...growActions(rec, actual));
  if (rec.requestedAction !== null && actual.syncAction !== rec.requestedAction) out.push({ kind: 'sync-action', action: rec.requestedAction });
  if (out.length === 0) {
    const obs = observeCommand(rec, actual, ctx);
    if (obs) out.push({ kind: 'observe', command: obs });
  }
  return out;
}

/**
 * Restores the replicated resync checkpoint into a read-only array before it goes read-write
 * (md/resync_start is writable while no sync runs). Recovery needs no action: Linux refuses
 * dev-X/recovery_start on a running array (EBUSY), and the re-assembly from the superblocks
 * already resumes recovery from each member's recovery_offset, which md checkpoints itself.
 */
function resumeActions(rec: ArrayRecord, actual: ArrayState): MdAction[] {
  const cp = rec.sync;
  if (cp.doneSectors <= 0 || cp.action !== 'resync') return [];
  if (actual.resyncStartSectors !== null && actual.resyncStartSectors < cp.doneSectors) {
    return [{ kind: 'resync-start', sectors: cp.doneSectors }];
  }
  return [];
}

/**
 * The kernel's reshape (md/reshape_position from the superblocks) is behind the replicated
 * reshape checkpoint (both counted in the reshape's direction), or shows no reshape at all for
 * an array the record says is mid-reshape to another device count or chunk.
 */
export function reshapeBehind(rec: ArrayRecord, actual: ArrayState): boolean {
  const cp = rec.sync;
  if (cp.action !== 'reshape' || cp.doneSectors <= 0) return false;
  const done = reshapeDone(actual);
  if (done === null) return actual.raidDisks !== rec.raidDisks || (rec.chunkKiB !== null && kernelChunkKiB(actual) !== null && kernelChunkKiB(actual) !== rec.chunkKiB);
  return done.doneSectors < cp.doneSectors;
}

function memberActions(rec: ArrayRecord, ctx: PlanContext, actual: ArrayState): MdAction[] {
  const k = byPath(actual);
  const out: MdAction[] = [];
  for (const m of rec.members) {
    const p = localPath(m, ctx.node);
    const km = k.get(p);
    const kFaulty = km?.flags.includes('faulty') ?? false;
    if ((m.role === 'faulty' || m.role === 'removed') && km && !kFaulty) out.push({ kind: 'set-faulty', member: p });
    if (m.role === 'removed' && km) out.push({ kind: 'hot-remove', member: p });
    // A pending (re-)add of a device md still holds as faulty: md needs it removed first.
    if (m.pendingAdd !== null && km && kFaulty) out.push({ kind: 'hot-remove', member: p });
    if (m.pendingAdd !== null && !km) out.push({ kind: m.pendingAdd === 're-add' ? 're-add' : 'hot-add', member: p });
    // A member the record holds (spare or active, no add pending) that the master's kernel lacks:
    // md never drops a device on its own (it marks it faulty), so a re-assembly left it out (a
    // stale superblock after a writer lapse). Add it back rather than observe it removed: an
    // acknowledged add must not be undone by the master's own re-assembly. An add md refuses
    // for good is withdrawn by the reconciler (a logged hot-remove), never retried forever.
    if (m.pendingAdd === null && !km && rec.materialized && (m.role === 'spare' || m.role === 'active')) {
      out.push({ kind: m.deviceUuid !== null && rec.bitmap === 'internal' ? 're-add' : 'hot-add', member: p });
    }
    if (km && !kFaulty && m.role !== 'removed' && m.role !== 'faulty' && m.writeMostly !== km.flags.includes('write_mostly')) {
      out.push({ kind: 'write-mostly', member: p, on: m.writeMostly });
    }
    if (m.replacementFor !== null && km && !km.flags.includes('replacement') && m.role === 'spare') {
      const old = rec.members.find((x) => x.path === m.replacementFor);
      const kOld = old ? k.get(localPath(old, ctx.node)) : undefined;
      if (old && kOld && !kOld.flags.includes('want_replacement')) out.push({ kind: 'replace', member: localPath(old, ctx.node), with: p });
    }
  }
  return out;
}

/** The observe command describing the master's kernel view, or null if the record already says it. */
export function observeCommand(rec: ArrayRecord, actual: ArrayState, ctx: { node: string; term: Term; base?: number }): CommandOf<'observe'> | null {
  const pathOf = new Map(rec.members.map((m) => [localPath(m, ctx.node), m.path]));
  const members = actual.members.map((km) => {
    const faulty = km.flags.includes('faulty');
    const role: 'active' | 'spare' | 'faulty' = faulty ? 'faulty' : km.slot !== null ? 'active' : 'spare';
    const replacedSlotOwner = km.flags.includes('replacement') ? actual.members.find((o) => o !== km && o.slot === km.slot) : undefined;
    return {
      path: pathOf.get(km.devPath) ?? km.devPath, deviceUuid: km.deviceUuid, role, slot: role === 'active' ? km.slot : null,
      inSync: role === 'active' && km.flags.includes('in_sync'), descNumber: km.descNumber, writeMostly: km.flags.includes('write_mostly'),
      wantReplacement: km.flags.includes('want_replacement'),
      replacementFor: replacedSlotOwner ? (pathOf.get(replacedSlotOwner.devPath) ?? replacedSlotOwner.devPath) : null,
      kernelName: km.name, major: km.major, minor: km.minor,
    };
  }).sort((a, b) => (a.path < b.path ? -1 : 1));
  const chunk = rec.level === 'raid1' ? null : kernelChunkKiB(actual);
  const cmd: CommandOf<'observe'> = {
    op: 'observe', device: rec.device, term: ctx.term, ...(ctx.base !== undefined ? { base: ctx.base } : {}), componentSizeKiB: actual.componentSizeKiB, arraySizeKiB: actual.arraySizeKiB,
    ctimeSec: actual.ctimeSec, members, order: actual.members.map((km) => pathOf.get(km.devPath) ?? km.devPath),
    ...(actual.bitmap !== null && actual.bitmap.location !== 'none' && actual.bitmap.chunkKiB > 0 ? { bitmapChunkKiB: actual.bitmap.chunkKiB } : {}),
    // The kernel's shape is reported only when no grow is owed: an owed one is carried out instead.
    // The chunk is the one md runs or restripes to (md/chunk_size "new (old)" during a reshape).
    ...(growOwed(rec) ? {} : { bitmap: kernelBitmap(actual), raidDisks: actual.raidDisks, ...(chunk !== null ? { chunkKiB: chunk } : {}) }),
  };
  return observeMatches(rec, cmd) ? null : cmd;
}

function observeMatches(rec: ArrayRecord, cmd: CommandOf<'observe'>): boolean {
  if (!rec.materialized || rec.componentSizeKiB !== cmd.componentSizeKiB || rec.arraySizeKiB !== cmd.arraySizeKiB) return false;
  if (cmd.ctimeSec !== undefined && rec.ctimeSec !== cmd.ctimeSec) return false;
  if (cmd.bitmapChunkKiB !== undefined && rec.bitmapChunkKiB !== cmd.bitmapChunkKiB) return false;
  if (cmd.chunkKiB !== undefined && rec.chunkKiB !== cmd.chunkKiB) return false;
  if (cmd.bitmap !== undefined && rec.bitmap !== cmd.bitmap) return false;
  if (cmd.raidDisks !== undefined && rec.raidDisks !== cmd.raidDisks) return false;
  if (cmd.order !== undefined && (rec.memberOrder === undefined || rec.memberOrder.join('\n') !== cmd.order.join('\n'))) return false;
  const live = rec.members.filter((m) => m.role !== 'removed');
  if (live.length !== cmd.members.length || live.some((m) => m.pendingAdd !== null)) return false;
  return cmd.members.every((o) => {
    const m = rec.members.find((x) => x.path === o.path);
    return m !== undefined && m.role === o.role && m.slot === o.slot && m.inSync === o.inSync && m.descNumber === o.descNumber &&
      m.writeMostly === o.writeMostly && m.wantReplacement === o.wantReplacement && m.replacementFor === o.replacementFor &&
      (o.deviceUuid === null || m.deviceUuid === o.deviceUuid) && (o.kernelName === undefined || m.kernelName === o.kernelName) &&
      (o.major === undefined || (m.major === o.major && m.minor === o.minor));
  });
}
