// Applying committed commands to the replicated state.
// Owns: the only code that changes a ClusterState. Deterministic: the same state and the same
// command give the same result on every node; a refused command changes nothing but
// appliedIndex, and every node refuses it alike (its proposer gets the error).
// Invariant: after apply, the ClusterState invariants in types.ts hold.
import { assert } from '../common/assert.js';
import type { ErrorCode } from '../common/errors.js';
import type { LogIndex, NodeId, Sectors, Term } from '../common/types.js';
import { decodeCommand, type Command, type CommandOf } from './commands.js';
import type { ArrayRecord, ClusterState, MemberRecord } from './types.js';
import { findArray, findMember, validate } from './validate.js';

export type ApplyResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

function newMember(path: string, role: MemberRecord['role'], slot: number | null, inSync: boolean): MemberRecord {
  return { path, localPaths: {}, deviceUuid: null, role, slot, inSync, descNumber: -1, writeMostly: false, wantReplacement: false, replacementFor: null, pendingAdd: null, kernelName: null, major: 0, minor: 0 };
}

/** Applies a committed entry's payload. An undecodable payload is refused like an invalid command. */
export function applyEntry(state: ClusterState, payload: Uint8Array, index: LogIndex): ApplyResult {
  assert(index > state.appliedIndex, `apply out of order: ${index} after ${state.appliedIndex}`);
  state.appliedIndex = index;
  if (payload.length === 0) return { ok: true }; // leader's no-op entry
  const d = decodeCommand(payload);
  if (!d.ok) return { ok: false, code: 'E_BAD_REQUEST', message: d.message };
  return applyCommand(state, d.command);
}

export function applyCommand(state: ClusterState, cmd: Command): ApplyResult {
  const v = validate(state, cmd);
  if (!v.ok) return v;
  switch (cmd.op) {
    case 'create': applyCreate(state, cmd); break;
    case 'assemble': applyAssemble(state, cmd); break;
    case 'device-seen': {
      const seen = new Set(state.deviceSeen[cmd.path] ?? []);
      seen.add(cmd.node);
      state.deviceSeen[cmd.path] = [...seen].sort();
      break;
    }
    case 'master': state.master = { node: cmd.node, term: cmd.term }; break;
    case 'node-add': {
      state.nodes = state.nodes.filter((n) => n.id !== cmd.node).concat({ id: cmd.node, address: cmd.address });
      state.nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      break;
    }
    case 'node-remove': {
      state.nodes = state.nodes.filter((n) => n.id !== cmd.node);
      for (const p of Object.keys(state.deviceSeen)) state.deviceSeen[p] = state.deviceSeen[p].filter((n) => n !== cmd.node);
      break;
    }
    default: {
      const a = findArray(state, cmd.device)!;
      if (cmd.op === 'run' && a.run !== 'running') a.startedIndex = state.appliedIndex;
      applyOnArray(a, cmd);
    }
  }
  return { ok: true };
}

function applyCreate(state: ClusterState, cmd: CommandOf<'create'>): void {
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

type ArrayCommand = Exclude<Command, { op: 'create' | 'assemble' | 'device-seen' | 'master' | 'node-add' | 'node-remove' }>;

function applyOnArray(a: ArrayRecord, cmd: ArrayCommand): void {
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
    case 'checkpoint': {
      a.sync = { action: cmd.action, doneSectors: cmd.doneSectors, totalSectors: cmd.totalSectors, term: cmd.term, speedKiBps: cmd.speedKiBps ?? 0 };
      const req = a.requestedAction;
      if (req !== null && (req === cmd.action || ((req === 'idle' || req === 'frozen') && cmd.action === 'idle'))) a.requestedAction = null;
      return;
    }
    case 'observe': applyObserve(a, cmd); return;
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

/** The master's kernel view becomes the record: roles, slots, sync state, sizes. */
function applyObserve(a: ArrayRecord, cmd: CommandOf<'observe'>): void {
  const seen = new Set<string>();
  for (const o of cmd.members) {
    seen.add(o.path);
    let m = findMember(a, o.path);
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
    if (!seen.has(m.path) && m.role !== 'removed' && m.pendingAdd === null) Object.assign(m, { role: 'removed', slot: null, inSync: false });
  }
  a.componentSizeKiB = cmd.componentSizeKiB;
  a.arraySizeKiB = cmd.arraySizeKiB;
  if (cmd.ctimeSec !== undefined) a.ctimeSec = cmd.ctimeSec;
  if (cmd.bitmapChunkKiB !== undefined) a.bitmapChunkKiB = cmd.bitmapChunkKiB;
  if (cmd.order !== undefined) a.memberOrder = [...cmd.order];
  if (cmd.chunkKiB !== undefined) a.chunkKiB = cmd.chunkKiB;
  a.materialized = true;
}

/** The node ids that must confirm a device before it may be added (all known nodes). */
export function confirmingNodes(state: ClusterState): NodeId[] {
  return state.nodes.map((n) => n.id);
}
