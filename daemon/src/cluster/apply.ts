// Applying committed commands to the replicated state.
// Owns: the only code that changes a ClusterState. Deterministic: the same state and the same
// command give the same result on every node; a refused command changes nothing but
// appliedIndex, and every node refuses it alike (its proposer gets the error).
// Invariant: after apply, the ClusterState invariants in types.ts hold.
import { assert } from '../common/assert.js';
import type { ErrorCode } from '../common/errors.js';
import type { LogIndex, NodeId, Sectors, Term } from '../common/types.js';
import { decodeCommand, type Command, type CommandOf, type DecodeResult } from './commands.js';
import type { ArrayRecord, ClusterState, MasterRecord, MemberRecord } from './types.js';
import { findArray, findMember, validate } from './validate.js';
import { applyGrow, isGrowCommand } from './grow.js';
import { applyMdDone, mdTargetOf, pendingRoom, registerPending, touchedMembers, undoOf } from './md-ops.js';
import { checkSession, recordResult, type MdStatus, type SessionRef, type StoredResult } from './sessions.js';
import { sessionsOf } from './types.js';

/**
 * The outcome of one entry. duplicate: the request's session had already applied it, and this is
 * its stored result (nothing changed). md: where the md operation stands ('pending' until the
 * master's md-done; cluster/md-ops.ts).
 */
export type ApplyResult = ({ ok: true } | { ok: false; code: ErrorCode; message: string }) & { duplicate?: true; md?: MdStatus };

function newMember(path: string, role: MemberRecord['role'], slot: number | null, inSync: boolean): MemberRecord {
  return { path, localPaths: {}, deviceUuid: null, role, slot, inSync, descNumber: -1, writeMostly: false, wantReplacement: false, replacementFor: null, pendingAdd: null, kernelName: null, major: 0, minor: 0 };
}

/**
 * Applies a committed entry's payload. An undecodable payload is refused like an invalid command.
 * A request with a session is applied at most once: a second copy (re-submitted, forwarded twice,
 * retried by its client through another node) gets the first copy's stored result.
 */
export function applyEntry(state: ClusterState, payload: Uint8Array, index: LogIndex): ApplyResult {
  return applyDecoded(state, payload.length === 0 ? null : decodeCommand(payload), index);
}

/**
 * applyEntry for a payload the caller already decoded (null: the leader's empty no-op entry), so
 * each entry is decoded and validated once.
 */
export function applyDecoded(state: ClusterState, d: DecodeResult | null, index: LogIndex): ApplyResult {
  assert(index > state.appliedIndex, `apply out of order: ${index} after ${state.appliedIndex}`);
  state.appliedIndex = index;
  if (d === null) return { ok: true }; // leader's no-op entry
  if (d.session) {
    const v = checkSession(sessionsOf(state), d.session);
    if (v.kind === 'duplicate') return { ...fromStored(v.result), duplicate: true };
    if (v.kind === 'expired') return { ok: false, code: 'E_SESSION_EXPIRED', message: v.message };
  }
  const r: ApplyResult = d.ok ? applyCommand(state, d.command, d.session) : { ok: false, code: 'E_BAD_REQUEST', message: d.message };
  if (d.session) {
    recordResult(sessionsOf(state), d.session, { index, ok: r.ok, md: r.md ?? 'none', ...(r.ok ? {} : { code: r.code, message: r.message }) });
  }
  return r;
}

function fromStored(s: StoredResult): ApplyResult {
  return s.ok ? { ok: true, md: s.md } : { ok: false, code: s.code ?? 'E_INTERNAL', message: s.message ?? '', md: s.md };
}

/**
 * The master record after `node` claims `term`: the master it replaces joins the earlier masters
 * still to be cleared (types.ts MasterRecord); the claimer itself is never on its own list.
 */
function nextMaster(prev: MasterRecord | null, node: NodeId, term: Term): MasterRecord {
  const uncleared = new Set<NodeId>(prev?.uncleared ?? []);
  if (prev) uncleared.add(prev.node);
  uncleared.delete(node);
  return uncleared.size > 0 ? { node, term, uncleared: [...uncleared].sort() } : { node, term };
}

/** The master record with `node` off its uncleared list (the field absent when the list empties). */
function withoutUncleared(m: MasterRecord, node: NodeId): MasterRecord {
  const left = (m.uncleared ?? []).filter((n) => n !== node);
  return left.length > 0 ? { node: m.node, term: m.term, uncleared: left } : { node: m.node, term: m.term };
}

/** Applies a decoded command (validated here: every node reaches the same verdict). */
export function applyCommand(state: ClusterState, cmd: Command, session?: SessionRef): ApplyResult {
  const v = validate(state, cmd);
  if (!v.ok) return v;
  const device = 'device' in cmd ? cmd.device : undefined;
  const before = device === undefined ? undefined : findArray(state, device);
  const tracked = session !== undefined && mdTargetOf(cmd) !== null;
  if (tracked && !pendingRoom(before)) return { ok: false, code: 'E_SESSIONS_FULL', message: `too many md operations pending on /dev/${device}` };
  const undo = tracked ? undoOf(before, cmd) : null;
  switch (cmd.op) {
    case 'create': applyCreate(state, cmd); break;
    case 'assemble': applyAssemble(state, cmd); break;
    case 'device-seen': {
      const seen = new Set(state.deviceSeen[cmd.path] ?? []);
      seen.add(cmd.node);
      state.deviceSeen[cmd.path] = [...seen].sort();
      break;
    }
    case 'master': state.master = nextMaster(state.master, cmd.node, cmd.term); break;
    case 'alerts-sent': state.alertsSentThrough = Math.max(state.alertsSentThrough ?? 0, cmd.through); break;
    case 'master-cleared': state.master = withoutUncleared(state.master!, cmd.node); break;
    case 'node-add': {
      state.nodes = state.nodes.filter((n) => n.id !== cmd.node).concat({ id: cmd.node, address: cmd.address });
      state.nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      break;
    }
    case 'node-remove': {
      state.nodes = state.nodes.filter((n) => n.id !== cmd.node);
      if (state.master) state.master = withoutUncleared(state.master, cmd.node);
      for (const p of Object.keys(state.deviceSeen)) state.deviceSeen[p] = state.deviceSeen[p].filter((n) => n !== cmd.node);
      break;
    }
    case 'md-done': applyMdDone(state, findArray(state, cmd.device)!, cmd, state.appliedIndex); break;
    case 'demote-failed': case 'fence-ran': case 'degraded-at-boot': break; // records of fact: the event is the point
    case 'move-spare': applyMoveSpare(state, cmd); break;
    default: {
      const a = findArray(state, cmd.device)!;
      if (cmd.op === 'run' && a.run !== 'running') a.startedIndex = state.appliedIndex;
      applyOnArray(a, cmd, state.appliedIndex);
    }
  }
  if (undo === null) return { ok: true }; // null exactly when not tracked
  const after = findArray(state, device!)!;
  return { ok: true, md: registerPending(state, after, cmd, session!, state.appliedIndex, undo) };
}

function applyCreate(state: ClusterState, cmd: CommandOf<'create'>): void {
  // --force took members of stopped arrays (validate.ts): they leave those arrays.
  if (cmd.force === true) {
    for (const a of state.arrays) {
      if (a.run !== 'stopped') continue;
      for (const m of a.members) if (m.role !== 'removed' && cmd.members.includes(m.path)) Object.assign(m, { role: 'removed', slot: null, inSync: false, pendingAdd: null, replacementFor: null });
    }
  }
  const members: MemberRecord[] = [];
  cmd.members.forEach((p, i) => {
    if (p === 'missing') return;
    members.push(i < cmd.raidDevices ? newMember(p, 'active', i, true) : newMember(p, 'spare', null, false));
  });
  insertArray(state, {
    device: cmd.device, uuid: cmd.uuid, name: cmd.name, level: cmd.level, raidDisks: cmd.raidDevices,
    layout: cmd.layout, chunkKiB: cmd.chunkKiB, metadata: cmd.metadata, bitmap: cmd.bitmap, assumeClean: cmd.assumeClean,
    componentSizeKiB: cmd.sizeKiB, arraySizeKiB: null, ctimeSec: 0, run: 'running', startedIndex: state.appliedIndex, adminReadOnly: false, materialized: false, members,
    sync: { action: cmd.assumeClean || cmd.level === 'raid0' || cmd.level === 'linear' ? 'idle' : 'resync', doneSectors: 0 as Sectors, totalSectors: 0 as Sectors, term: currentTerm(state), speedKiBps: 0 },
    requestedAction: null, origin: 'create',
  });
}

function applyAssemble(state: ClusterState, cmd: CommandOf<'assemble'>): void {
  const existing = findArray(state, cmd.device);
  if (existing) {
    if (existing.run !== 'running') existing.startedIndex = state.appliedIndex;
    existing.run = 'running';
    return;
  }
  insertArray(state, {
    device: cmd.device, uuid: cmd.uuid, name: cmd.name, level: cmd.level, raidDisks: cmd.raidDisks, layout: cmd.layout,
    chunkKiB: cmd.chunkKiB, metadata: cmd.metadata, bitmap: cmd.bitmap, assumeClean: false, componentSizeKiB: null,
    arraySizeKiB: null, ctimeSec: 0, run: 'running', startedIndex: state.appliedIndex, adminReadOnly: false, materialized: false,
    members: cmd.members.map((p) => newMember(p, 'spare', null, false)),
    sync: { action: 'idle', doneSectors: 0 as Sectors, totalSectors: 0 as Sectors, term: currentTerm(state), speedKiBps: 0 },
    requestedAction: null, origin: 'assemble',
  });
}

const currentTerm = (state: ClusterState): Term => (state.master?.term ?? 0) as Term;

function insertArray(state: ClusterState, a: ArrayRecord): void {
  state.arrays.push(a);
  state.arrays.sort((x, y) => (x.device < y.device ? -1 : x.device > y.device ? 1 : 0));
}

type ArrayCommand = Exclude<Command, { op: 'create' | 'assemble' | 'device-seen' | 'master' | 'master-cleared' | 'alerts-sent' | 'node-add' | 'node-remove' | 'md-done' | 'demote-failed' | 'fence-ran' | 'degraded-at-boot' | 'move-spare' }>;

/**
 * The spare leaves `from` (removed: the master hot-removes it there) and joins `to` as a spare to
 * add (the master hot-adds it, md starts the recovery), in one entry, so no path is ever a member
 * of two arrays and a failover in between leaves nothing half-moved in the record.
 */
function applyMoveSpare(state: ClusterState, cmd: CommandOf<'move-spare'>): void {
  const from = findArray(state, cmd.from)!;
  const to = findArray(state, cmd.to)!;
  const m = findMember(from, cmd.member)!;
  Object.assign(m, { role: 'removed', slot: null, inSync: false, pendingAdd: null });
  const added = addMember(to, cmd.member, 'add');
  added.localPaths = { ...m.localPaths };
  touch(from, [cmd.member], state.appliedIndex);
  touch(to, [cmd.member], state.appliedIndex);
}

/** Marks the members a client command changes at `index` (conditional observations, apply.ts header). */
function touch(a: ArrayRecord, paths: string[], index: number): void {
  for (const m of a.members) if (paths.includes(m.path)) m.changedIndex = index;
}

function applyOnArray(a: ArrayRecord, cmd: ArrayCommand, index: number): void {
  if (isGrowCommand(cmd)) {
    applyGrow(a, cmd, index);
    return;
  }
  if (cmd.op !== 'observe' && cmd.op !== 'checkpoint') {
    applyClientOnArray(a, cmd);
    touch(a, touchedMembers(cmd), index);
    return;
  }
  if (cmd.op === 'observe') applyObserve(a, cmd);
  else applyCheckpoint(a, cmd);
}

function applyCheckpoint(a: ArrayRecord, cmd: CommandOf<'checkpoint'>): void {
  a.sync = { action: cmd.action, doneSectors: cmd.doneSectors, totalSectors: cmd.totalSectors, term: cmd.term, speedKiBps: cmd.speedKiBps ?? 0 };
  if (cmd.mismatchCount !== undefined) a.sync.mismatchCount = cmd.mismatchCount;
  const req = a.requestedAction;
  if (req !== null && (req === cmd.action || ((req === 'idle' || req === 'frozen') && cmd.action === 'idle'))) a.requestedAction = null;
}

function applyClientOnArray(a: ArrayRecord, cmd: Exclude<ArrayCommand, { op: 'observe' | 'checkpoint' | 'grow-bitmap' | 'grow-size' | 'grow-raid-devices' | 'grow-chunk' }>): void {
  switch (cmd.op) {
    case 'stop': a.run = 'stopped'; return;
    case 'run': a.run = 'running'; return;
    case 'read-only': a.adminReadOnly = true; return;
    case 'read-write': a.adminReadOnly = false; return;
    case 'sync-action': a.requestedAction = cmd.action; return;
    case 'set-faulty': {
      const m = findMember(a, cmd.member)!;
      Object.assign(m, { role: 'faulty', slot: null, inSync: false, pendingAdd: null });
      return;
    }
    case 'hot-remove': Object.assign(findMember(a, cmd.member)!, { role: 'removed', slot: null, inSync: false, pendingAdd: null }); return;
    case 'hot-add': case 'add-spare': case 're-add': addMember(a, cmd.member, cmd.op === 're-add' ? 're-add' : 'add'); return;
    case 'replace': {
      findMember(a, cmd.member)!.wantReplacement = true;
      const w = findMember(a, cmd.with) ?? addMember(a, cmd.with, 'add');
      w.replacementFor = cmd.member;
      return;
    }
    case 'write-mostly': findMember(a, cmd.member)!.writeMostly = cmd.on; return;
  }
}

function addMember(a: ArrayRecord, path: string, how: 'add' | 're-add'): MemberRecord {
  let m = findMember(a, path);
  if (!m) {
    m = newMember(path, 'spare', null, false);
    a.members.push(m);
  }
  Object.assign(m, { role: 'spare', slot: null, inSync: false, pendingAdd: how, wantReplacement: false, replacementFor: null });
  return m;
}

/**
 * The master's kernel view becomes the record: roles, slots, sync state, sizes.
 * Merge rule (conditional observation): the view was read when the record at index `base` was
 * already carried out in the kernel. A member whose admin state a later command changed
 * (changedIndex > base: a fail, remove, add, write-mostly or md's refusal of one, committed after
 * the read) keeps its record; the next observation, based on a newer index, reports it. So no
 * observation can revert a command committed after its kernel read. Array-wide facts (ctime,
 * order) have no admin command and are taken as read; the shape a grow sets (sizes, bitmap, raid
 * disks, chunk) is taken only from a view based at or after the last grow. Entries without a base (written
 * before this rule) are unconditional.
 */
function applyObserve(a: ArrayRecord, cmd: CommandOf<'observe'>): void {
  if (cmd.base !== undefined && cmd.base < (a.observedBase ?? 0)) return; // a newer view is already recorded
  if (cmd.base !== undefined) a.observedBase = cmd.base;
  const base = cmd.base ?? Number.MAX_SAFE_INTEGER;
  const newer = (m: MemberRecord): boolean => (m.changedIndex ?? 0) > base;
  const seen = new Set<string>();
  for (const o of cmd.members) {
    seen.add(o.path);
    let m = findMember(a, o.path);
    if (m && newer(m)) continue;
    if (!m) {
      m = newMember(o.path, o.role, null, false);
      a.members.push(m);
    }
    Object.assign(m, {
      deviceUuid: o.deviceUuid ?? m.deviceUuid, role: o.role, slot: o.role === 'active' ? o.slot : null,
      inSync: o.role === 'active' && o.inSync, descNumber: o.descNumber, writeMostly: o.writeMostly,
      wantReplacement: o.wantReplacement, replacementFor: o.replacementFor, pendingAdd: null,
      kernelName: o.kernelName ?? m.kernelName, major: o.major ?? m.major, minor: o.minor ?? m.minor,
    });
  }
  for (const m of a.members) {
    // md dropped it (e.g. hot-removed by the kernel); keep pending adds the master has not done yet.
    if (!seen.has(m.path) && !newer(m) && m.role !== 'removed' && m.pendingAdd === null) Object.assign(m, { role: 'removed', slot: null, inSync: false });
  }
  // The shape a grow sets (size, bitmap, raid disks, chunk) follows the kernel only from a view read after the last grow (cluster/grow.ts).
  const afterGrow = cmd.base === undefined || cmd.base >= (a.growIndex ?? 0);
  if (afterGrow) {
    a.componentSizeKiB = cmd.componentSizeKiB;
    a.arraySizeKiB = cmd.arraySizeKiB;
  }
  if (cmd.ctimeSec !== undefined) a.ctimeSec = cmd.ctimeSec;
  if (cmd.bitmapChunkKiB !== undefined) a.bitmapChunkKiB = cmd.bitmapChunkKiB;
  if (cmd.bitmap !== undefined && afterGrow) a.bitmap = cmd.bitmap;
  if (cmd.raidDisks !== undefined && afterGrow) a.raidDisks = cmd.raidDisks;
  if (cmd.order !== undefined) a.memberOrder = [...cmd.order];
  if (cmd.chunkKiB !== undefined && afterGrow) a.chunkKiB = cmd.chunkKiB;
  a.materialized = true;
}

/** The node ids that must confirm a device before it may be added (all known nodes). */
export function confirmingNodes(state: ClusterState): NodeId[] {
  return state.nodes.map((n) => n.id);
}
