// md operations between commit and md's verdict: what an applied client command still waits
// for, and what happens when md refuses it.
// Owns: registering a pending md operation when a client command that md must carry out is
// applied, superseding older ones on the same target, and applying the master's md-done verdict
// (on failure: the record goes back to what it was before the command, a recorded failed state).
// Invariants: pure and deterministic (apply time only); pendingMd per array <=
// MD_MAX_PENDING_OPS_PER_ARRAY (a command past it is refused before it changes anything); a
// pending op's session result is 'pending' until exactly one of md-done or supersession settles it.
import type { ErrorCode } from '../common/errors.js';
import { MD_MAX_PENDING_OPS_PER_ARRAY } from '../common/limits.js';
import type { Command, CommandOf } from './commands.js';
import { growUndo } from './grow.js';
import { findResult, type MdStatus, type SessionRef } from './sessions.js';
import type { ArrayRecord, ClusterState, MdTarget, MemberRecord, PendingMdOp } from './types.js';
import { sessionsOf } from './types.js';

/** The command kinds md carries out on the master, and the target each acts on. */
export function mdTargetOf(cmd: Command): MdTarget | null {
  switch (cmd.op) {
    case 'create': case 'assemble': case 'stop': case 'run': return { array: 'run' };
    case 'read-only': case 'read-write': return { array: 'read-only' };
    case 'sync-action': return { array: 'sync' };
    case 'grow-bitmap': case 'grow-size': case 'grow-raid-devices': case 'grow-chunk': return { array: 'grow' };
    case 'set-faulty': case 'hot-remove': case 'hot-add': case 'add-spare': case 're-add': case 'replace': case 'write-mostly':
      return { member: cmd.member };
    default: return null;
  }
}

export function sameTarget(a: MdTarget, b: MdTarget): boolean {
  return 'member' in a ? 'member' in b && a.member === b.member : 'array' in b && a.array === b.array;
}

/** The member paths a command changes (replace changes two). */
export function touchedMembers(cmd: Command): string[] {
  if (cmd.op === 'replace') return [cmd.member, cmd.with];
  return 'member' in cmd && typeof cmd.member === 'string' ? [cmd.member] : [];
}

/** True if a new pending op fits: refuse (E_SESSIONS_FULL) before anything changes otherwise. */
export function pendingRoom(array: ArrayRecord | undefined): boolean {
  return array === undefined || (array.pendingMd?.length ?? 0) < MD_MAX_PENDING_OPS_PER_ARRAY;
}

/**
 * The undo record of `cmd`, taken before it is applied to `array` (created: the command creates
 * it). Only what the command itself changes: its members, or the one array field of its target,
 * so undoing it never touches what other commands changed (another member, read-only, run).
 */
export function undoOf(array: ArrayRecord | undefined, cmd: Command): PendingMdOp['undo'] {
  if (!array) return { members: [], array: null, created: true };
  const members = touchedMembers(cmd).map((path) => {
    const m = array.members.find((x) => x.path === path);
    return { path, before: m ? copyMember(m) : null };
  });
  const target = mdTargetOf(cmd);
  const fields = target === null || 'member' in target ? null
    : target.array === 'run' ? { run: array.run }
      : target.array === 'read-only' ? { adminReadOnly: array.adminReadOnly }
        : target.array === 'grow' ? growUndo(array)
          : { requestedAction: array.requestedAction };
  return { members, array: fields, created: false };
}

function copyMember(m: MemberRecord): MemberRecord {
  return { ...m, localPaths: { ...m.localPaths } };
}

/**
 * Registers `cmd` (just applied at `index` for `session`) as awaiting md; older pending ops on the
 * same target are settled 'superseded'. Returns the md status for the command's session result.
 */
export function registerPending(state: ClusterState, array: ArrayRecord, cmd: Command, session: SessionRef, index: number, undo: PendingMdOp['undo']): MdStatus {
  const target = mdTargetOf(cmd);
  if (!target) return 'none';
  const keep: PendingMdOp[] = [];
  for (const p of array.pendingMd ?? []) {
    if (sameTarget(p.target, target)) settle(state, p, { md: 'superseded' });
    else keep.push(p);
  }
  keep.push({ client: session.client, seq: session.seq, op: cmd.op, target, sinceIndex: index, undo });
  array.pendingMd = keep;
  return 'pending';
}

function settle(state: ClusterState, p: PendingMdOp, how: { md: MdStatus; code?: ErrorCode; message?: string }): void {
  const r = findResult(sessionsOf(state), p.client, p.seq);
  if (!r || r.md !== 'pending') return; // the session window moved on: nobody can ask any more
  r.md = how.md;
  if (how.md === 'failed') {
    r.ok = false;
    r.code = how.code ?? 'E_KERNEL';
    r.message = how.message ?? 'md refused the operation';
  }
}

/**
 * The master's md verdict on one pending op. Success settles it 'done'. Failure settles it
 * 'failed' with md's code and puts back what the command changed, marking the members changed at
 * `index` so no older observation overrides the undo. Unknown (already settled) ops: no change.
 */
export function applyMdDone(state: ClusterState, array: ArrayRecord, cmd: CommandOf<'md-done'>, index: number): void {
  const i = (array.pendingMd ?? []).findIndex((p) => p.client === cmd.client && p.seq === cmd.seq);
  if (i < 0) return;
  const p = array.pendingMd![i];
  array.pendingMd!.splice(i, 1);
  if (cmd.ok) {
    settle(state, p, { md: 'done' });
    return;
  }
  settle(state, p, { md: 'failed', code: cmd.code, message: cmd.message });
  if (p.undo.created) {
    for (const other of array.pendingMd!) settle(state, other, { md: 'failed', code: cmd.code, message: `/dev/${array.device} could not be created` });
    state.arrays = state.arrays.filter((a) => a !== array);
    return;
  }
  if (p.undo.array) Object.assign(array, p.undo.array);
  for (const u of p.undo.members) {
    const at = array.members.findIndex((m) => m.path === u.path);
    if (u.before === null) {
      if (at >= 0) Object.assign(array.members[at], { role: 'removed', slot: null, inSync: false, pendingAdd: null, replacementFor: null, changedIndex: index });
    } else if (at >= 0) {
      array.members[at] = { ...u.before, changedIndex: index };
    } else {
      array.members.push({ ...u.before, changedIndex: index });
    }
  }
}
