// Validation of a command against the replicated state: the rules an admin expects from md.
// Owns: every "may this change happen now" decision. Pure and deterministic: apply.ts calls it
// at apply time (all nodes reach the same verdict) and the node shell at propose time (early
// refusal with the same code).
// Invariant: validate() never mutates the state and never throws on a decoded command.
import type { ErrorCode } from '../common/errors.js';
import { MD_MAX_ARRAYS, MD_MAX_MEMBERS_PER_ARRAY, RAFT_MAX_MEMBERS } from '../common/limits.js';
import type { Command, CommandOf } from './commands.js';
import { validateGrow } from './grow.js';
import { arrayUsable } from './redundancy.js';
import type { ArrayRecord, ClusterState, MemberRecord } from './types.js';

export type Verdict = { ok: true } | { ok: false; code: ErrorCode; message: string };
const OK: Verdict = { ok: true };
const no = (code: ErrorCode, message: string): Verdict => ({ ok: false, code, message });

export function findArray(state: ClusterState, device: string): ArrayRecord | undefined {
  return state.arrays.find((a) => a.device === device);
}
export function findMember(array: ArrayRecord, path: string): MemberRecord | undefined {
  return array.members.find((m) => m.path === path);
}
/** The array (not `except`) that currently uses `path` as a non-removed member. */
function arrayUsing(state: ClusterState, path: string, except?: string): ArrayRecord | undefined {
  return state.arrays.find((a) => a.device !== except && a.members.some((m) => m.path === path && m.role !== 'removed'));
}

/** Voters that confirmed seeing `path`; a device may join an array once a majority of nodes did. */
export function deviceConfirmed(state: ClusterState, path: string): boolean {
  const seen = new Set(state.deviceSeen[path] ?? []);
  const confirmed = state.nodes.filter((n) => seen.has(n.id)).length;
  return state.nodes.length === 0 || confirmed * 2 > state.nodes.length;
}

export function inSyncSlots(array: ArrayRecord, without?: string): Set<number> {
  const s = new Set<number>();
  for (const m of array.members) if (m.role === 'active' && m.inSync && m.slot !== null && m.path !== without) s.add(m.slot);
  return s;
}

export function validate(state: ClusterState, cmd: Command): Verdict {
  switch (cmd.op) {
    case 'create': return validateCreate(state, cmd);
    case 'assemble': return validateAssemble(state, cmd);
    case 'device-seen': return OK;
    case 'master':
      if (state.master && cmd.term < state.master.term) return no('E_INVALID_STATE', `stale master term ${cmd.term}`);
      return OK;
    case 'alerts-sent':
      if (!state.master || state.master.term !== cmd.term) return no('E_NOT_WRITABLE', `fencing token ${cmd.term} is not the current master's`);
      return cmd.through <= state.appliedIndex ? OK : no('E_INVALID_ARGUMENT', `alerts of entry ${cmd.through} cannot have been sent before it was applied`);
    case 'master-cleared':
      // Only the master of the current term may clear: a late entry from an older claim proves
      // nothing about what the node did since (it may have been master again in between).
      if (!state.master || state.master.term !== cmd.term) return no('E_INVALID_STATE', `stale master term ${cmd.term}`);
      return OK;
    case 'node-add':
      if (state.nodes.length >= RAFT_MAX_MEMBERS && !state.nodes.some((n) => n.id === cmd.node)) return no('E_INVALID_ARGUMENT', `a cluster has at most ${RAFT_MAX_MEMBERS} nodes`);
      return OK;
    case 'node-remove':
      return state.nodes.some((n) => n.id === cmd.node) ? OK : no('E_UNKNOWN_NODE', `no node ${cmd.node}`);
    case 'demote-failed': case 'fence-ran': return OK;
    case 'degraded-at-boot': {
      if (!state.master || state.master.term !== cmd.term) return no('E_NOT_WRITABLE', `fencing token ${cmd.term} is not the current master's`);
      return findArray(state, cmd.array) ? OK : no('E_NO_SUCH_ARRAY', `no array /dev/${cmd.array}`);
    }
    case 'move-spare': return validateMoveSpare(state, cmd);
    default: break;
  }
  const array = findArray(state, cmd.device);
  if (!array) return no('E_NO_SUCH_ARRAY', `no array /dev/${cmd.device}`);
  return validateOnArray(state, array, cmd);
}

function validateCreate(state: ClusterState, cmd: CommandOf<'create'>): Verdict {
  if (findArray(state, cmd.device)) return no('E_ARRAY_EXISTS', `/dev/${cmd.device} already exists`);
  if (state.arrays.some((a) => a.uuid === cmd.uuid)) return no('E_ARRAY_EXISTS', `an array with UUID ${cmd.uuid} already exists`);
  if (state.arrays.length >= MD_MAX_ARRAYS) return no('E_INVALID_ARGUMENT', `at most ${MD_MAX_ARRAYS} arrays`);
  if (cmd.members.length !== cmd.raidDevices + cmd.spares) {
    return no('E_INVALID_ARGUMENT', `${cmd.members.length} devices given for ${cmd.raidDevices} raid devices and ${cmd.spares} spares`);
  }
  const real = cmd.members.filter((m) => m !== 'missing');
  if (new Set(real).size !== real.length) return no('E_INVALID_ARGUMENT', 'a device is listed twice');
  for (const p of real) {
    const used = arrayUsing(state, p);
    if (used && !(cmd.force === true && used.run === 'stopped')) {
      return no('E_DEVICE_BUSY', `${p} is already a member of /dev/${used.device}${used.run === 'stopped' ? ' (stopped: --force takes it)' : ''}`);
    }
    if (!deviceConfirmed(state, p)) return no('E_DEVICE_NOT_CONFIRMED', `${p} has not been confirmed by a majority of nodes`);
  }
  const slots = new Set<number>();
  cmd.members.slice(0, cmd.raidDevices).forEach((m, i) => { if (m !== 'missing') slots.add(i); });
  if (!arrayUsable(cmd.level, cmd.raidDevices, cmd.layout, slots)) return no('E_INVALID_ARGUMENT', 'too many missing devices for this level');
  if (cmd.members.slice(cmd.raidDevices).includes('missing')) return no('E_INVALID_ARGUMENT', 'a spare cannot be "missing"');
  if (cmd.level === 'raid1' && cmd.chunkKiB !== null) return no('E_INVALID_ARGUMENT', 'raid1 has no chunk size');
  return OK;
}

function validateAssemble(state: ClusterState, cmd: CommandOf<'assemble'>): Verdict {
  const existing = findArray(state, cmd.device);
  if (existing) {
    if (existing.uuid !== cmd.uuid) return no('E_ARRAY_EXISTS', `/dev/${cmd.device} is another array (UUID ${existing.uuid})`);
    return OK; // re-assembling a known array: run it again
  }
  if (state.arrays.some((a) => a.uuid === cmd.uuid)) return no('E_ARRAY_EXISTS', `UUID ${cmd.uuid} is already assembled under another name`);
  for (const p of cmd.members) {
    const used = arrayUsing(state, p);
    if (used) return no('E_DEVICE_BUSY', `${p} is already a member of /dev/${used.device}`);
  }
  return state.arrays.length >= MD_MAX_ARRAYS ? no('E_INVALID_ARGUMENT', `at most ${MD_MAX_ARRAYS} arrays`) : OK;
}

function fenced(state: ClusterState, term: number): Verdict {
  if (!state.master || state.master.term !== term) return no('E_NOT_WRITABLE', `fencing token ${term} is not the current master's`);
  return OK;
}

/** What member work the master still owes md on `array` (a client command awaiting md, or an add), or null. */
function outstandingMemberWork(array: ArrayRecord): string | null {
  const op = array.pendingMd?.[0];
  if (op !== undefined) return `an operation of client ${op.client} (#${op.seq})`;
  const add = array.members.find((m) => m.pendingAdd !== null);
  return add === undefined ? null : `the ${add.pendingAdd} of ${add.path}`;
}

/** md refuses to change the members of an array that is read-only (md_ioctl: EROFS). */
function readOnlyRefusal(array: ArrayRecord, what: string): Verdict | null {
  return array.adminReadOnly ? no('E_INVALID_STATE', `cannot ${what} /dev/${array.device}: it is read-only (mdctl --readwrite first)`) : null;
}

/** md has no members to change in an array that is not running (mdadm: "Cannot get array info"). */
function stoppedRefusal(array: ArrayRecord, what: string): Verdict | null {
  return array.run === 'stopped' ? no('E_INVALID_STATE', `cannot ${what} /dev/${array.device}: it is stopped (mdctl --assemble /dev/${array.device} starts it)`) : null;
}

function validateOnArray(state: ClusterState, array: ArrayRecord, cmd: Exclude<Command, { op: 'create' | 'assemble' | 'device-seen' | 'master' | 'master-cleared' | 'alerts-sent' | 'node-add' | 'node-remove' | 'demote-failed' | 'fence-ran' | 'degraded-at-boot' | 'move-spare' }>): Verdict {
  switch (cmd.op) {
    case 'read-only': {
      // md refuses member changes on a read-only array (EROFS), so member work committed before
      // this request would be stranded: refuse rather than acknowledge a read-only state that
      // leaves earlier acknowledged operations undone (mdadm: "Device or resource busy").
      const owed = outstandingMemberWork(array);
      return owed === null ? OK : no('E_ARRAY_BUSY', `cannot make /dev/${array.device} read-only: ${owed} still in progress; retry when it finishes`);
    }
    case 'stop': case 'run': case 'read-write':
      return OK;
    case 'sync-action':
      if ((cmd.action === 'check' || cmd.action === 'repair') && (array.level === 'raid0' || array.level === 'linear')) {
        return no('E_INVALID_STATE', `/dev/${array.device} is ${array.level}: it has no redundancy to ${cmd.action}`);
      }
      return array.adminReadOnly && cmd.action !== 'idle' && cmd.action !== 'frozen' ? no('E_INVALID_STATE', `/dev/${array.device} is read-only: md runs no ${cmd.action} on it`) : OK;
    case 'checkpoint': case 'observe': case 'md-done':
      return fenced(state, cmd.term);
    case 'grow-bitmap': case 'grow-size': case 'grow-raid-devices': case 'grow-chunk':
      return validateGrow(array, cmd);
    case 'set-faulty': {
      const stopped = stoppedRefusal(array, 'fail devices of');
      if (stopped) return stopped;
      const m = findMember(array, cmd.member);
      if (!m || m.role === 'removed') return no('E_NO_SUCH_DEVICE', `${cmd.member} is not a member of /dev/${array.device}`);
      if (m.role === 'faulty') return OK;
      const usableAfter = arrayUsable(array.level, array.raidDisks, array.layout, inSyncSlots(array, m.path));
      if (m.role === 'active' && m.inSync && !usableAfter && !cmd.force) {
        return no('E_LAST_IN_SYNC', `failing ${cmd.member} would leave /dev/${array.device} unusable (use --force)`);
      }
      return OK;
    }
    case 'hot-remove': {
      const ro = stoppedRefusal(array, 'remove devices from') ?? readOnlyRefusal(array, 'remove devices from');
      if (ro) return ro;
      const m = findMember(array, cmd.member);
      if (!m || m.role === 'removed') return no('E_NO_SUCH_DEVICE', `${cmd.member} is not a member of /dev/${array.device}`);
      if (m.role === 'active') return no('E_DEVICE_BUSY', `${cmd.member} is active in /dev/${array.device}: fail it first`);
      return OK;
    }
    case 'hot-add': case 'add-spare': case 're-add':
      return stoppedRefusal(array, 'add devices to') ?? readOnlyRefusal(array, 'add devices to') ?? validateAdd(state, array, cmd.member, cmd.op);
    case 'replace': {
      const ro = stoppedRefusal(array, 'replace devices of') ?? readOnlyRefusal(array, 'replace devices of');
      if (ro) return ro;
      if (array.level === 'raid0' || array.level === 'linear') return no('E_INVALID_STATE', `/dev/${array.device} is ${array.level}: md cannot replace its members`);
      const m = findMember(array, cmd.member);
      if (!m || m.role !== 'active') return no('E_INVALID_STATE', `${cmd.member} is not an active member of /dev/${array.device}`);
      if (cmd.with === cmd.member) return no('E_INVALID_ARGUMENT', `${cmd.member} cannot replace itself`);
      // mdadm --replace X --with Y: Y must be a spare already in the array (mdctl --add-spare it first).
      const w = findMember(array, cmd.with);
      if (!w || w.role !== 'spare' || w.pendingAdd !== null) return no('E_INVALID_STATE', `${cmd.with} is not a spare of /dev/${array.device}: add it as a spare first`);
      if (w.replacementFor !== null) return no('E_DEVICE_BUSY', `${cmd.with} is already replacing ${w.replacementFor}`);
      return OK;
    }
    case 'write-mostly': {
      const stopped = stoppedRefusal(array, 'change devices of');
      if (stopped) return stopped;
      const m = findMember(array, cmd.member);
      if (!m || m.role === 'removed') return no('E_NO_SUCH_DEVICE', `${cmd.member} is not a member of /dev/${array.device}`);
      // md keeps no write-mostly flag worth the name on a failed device, and the master's next
      // observation would report it cleared: refuse rather than acknowledge a change that won't hold.
      return m.role === 'faulty' ? no('E_INVALID_STATE', `${cmd.member} is faulty in /dev/${array.device}: remove and re-add it first`) : OK;
    }
  }
}


function validateAdd(state: ClusterState, array: ArrayRecord, path: string, op: 'hot-add' | 'add-spare' | 're-add'): Verdict {
  const m = findMember(array, path);
  if (op === 're-add') {
    if (!m || (m.role !== 'removed' && m.role !== 'faulty')) return no('E_INVALID_STATE', `${path} was not a member of /dev/${array.device} that can be re-added`);
    if (m.deviceUuid === null) return no('E_INVALID_STATE', `${path} has no known superblock to re-add`);
    return OK;
  }
  if (m && m.role !== 'removed') return no('E_DEVICE_BUSY', `${path} is already a member of /dev/${array.device}`);
  const used = arrayUsing(state, path, array.device);
  if (used) return no('E_DEVICE_BUSY', `${path} is a member of /dev/${used.device}`);
  if (!deviceConfirmed(state, path)) return no('E_DEVICE_NOT_CONFIRMED', `${path} has not been confirmed by a majority of nodes (mdctl --cluster confirm)`);
  if (array.members.filter((x) => x.role !== 'removed').length >= MD_MAX_MEMBERS_PER_ARRAY) return no('E_INVALID_ARGUMENT', 'too many members');
  return OK;
}

/**
 * mdadm --monitor's spare migration, as a replicated member change: the master of the current
 * term moves a plain spare of a whole, running array to a running array of a redundant level that
 * is degraded and has no spare or rebuilding member (cluster/spare-groups.ts chooses; this is
 * checked again at apply, so a move decided on an older record is refused, never half-done).
 */
function validateMoveSpare(state: ClusterState, cmd: CommandOf<'move-spare'>): Verdict {
  if (!state.master || state.master.term !== cmd.term) return no('E_NOT_WRITABLE', `fencing token ${cmd.term} is not the current master's`);
  const from = findArray(state, cmd.from);
  const to = findArray(state, cmd.to);
  if (!from || !to) return no('E_NO_SUCH_ARRAY', `no array /dev/${from ? cmd.to : cmd.from}`);
  if (from === to) return no('E_INVALID_ARGUMENT', 'a spare moves between two arrays');
  const m = findMember(from, cmd.member);
  if (!m || m.role !== 'spare' || m.pendingAdd !== null || m.replacementFor !== null) return no('E_INVALID_STATE', `${cmd.member} is not a spare of /dev/${from.device}`);
  const why = spareMoveRefusal(from, to);
  return why === null ? OK : no('E_INVALID_STATE', why);
}

/** Why a spare of `from` may not move to `to` now (null: it may): mdadm's donor and receiver rules. */
export function spareMoveRefusal(from: ArrayRecord, to: ArrayRecord): string | null {
  const whole = (a: ArrayRecord): boolean => inSyncSlots(a).size >= a.raidDisks;
  if (from.run !== 'running' || to.run !== 'running' || !from.materialized || !to.materialized) return 'both arrays must be running';
  if (!whole(from)) return `/dev/${from.device} is degraded itself`;
  if (['raid0', 'linear'].includes(to.level)) return `/dev/${to.device} has no redundancy to rebuild`;
  if (whole(to)) return `/dev/${to.device} is not degraded`;
  if (to.members.some((x) => x.role === 'spare' || (x.role === 'active' && !x.inSync))) return `/dev/${to.device} has a spare or a rebuilding member`;
  if ((to.pendingMd ?? []).length > 0 || (from.pendingMd ?? []).length > 0) return 'an md operation is pending on one of the arrays';
  // md refuses a device smaller than the array's component size: the donor's spare is at least the donor's.
  if (from.componentSizeKiB === null || to.componentSizeKiB === null || from.componentSizeKiB < to.componentSizeKiB) return `a spare of /dev/${from.device} may be too small for /dev/${to.device}`;
  return null;
}
