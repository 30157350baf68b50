// The checks of the history test, over the recorded operations (history-clients.ts) and the
// committed logs the nodes left on disk (history-log.ts). Owns the definitions:
// - duplicate application: a (client, seq) that went through applyCommand more than once;
// - lost (reverted) acknowledged op: an op answered ok that the log does not show applied exactly
//   once, ok, at the index it was answered with, and not undone by a failing md verdict (md-done);
//   for a create: its array (uuid) missing from the final state;
// - lying refusal: an op answered with a refusal that the log shows applied and not undone;
// - real-time order: op A answered ok before op B was invoked, both ok: A's index < B's index;
// - register: each (array, member) flag that clients set is a register; its final value must be
//   the value of an ok write W that no other ok write to it strictly follows (invoked after W
//   completed), or of an indeterminate write the log shows applied (it may have landed anytime).
//   Overlapping writes may take effect in either order, so every one of them is acceptable.
// Invariant: every check returns the offending records (empty: holds); nothing here retries.
import type { ClusterState } from '../../../daemon/src/cluster/types.js';
import type { OpRecord } from './history-clients.js';
import { requestKey, type RequestTrace } from './history-log.js';

export interface Violation {
  check: string;
  detail: string;
}

/** md-done verdicts found in a log, per client#seq they settle. */
export type MdVerdicts = Map<string, { index: number; ok: boolean; code?: string }[]>;

function undone(verdicts: MdVerdicts, key: string): boolean {
  return (verdicts.get(key) ?? []).some((v) => !v.ok);
}

export function checkDuplicates(traces: Map<string, RequestTrace>): Violation[] {
  return [...traces.values()].filter((t) => t.appliedAt.length > 1)
    .map((t) => ({ check: 'duplicate application', detail: `${t.client}#${t.seq} (${t.op}) applied at ${t.appliedAt.join(', ')}` }));
}

export function checkAcked(ops: readonly OpRecord[], traces: Map<string, RequestTrace>, verdicts: MdVerdicts, finalState: ClusterState): Violation[] {
  const out: Violation[] = [];
  for (const o of ops) {
    const key = requestKey(o.client, o.seq);
    const t = traces.get(key);
    const name = `${key} ${JSON.stringify(o.command)}`;
    if (o.outcome === 'ok') {
      if (!t || t.appliedAt.length !== 1) out.push({ check: 'lost acknowledged op', detail: `${name} answered ok at index ${o.index}; applied at [${t?.appliedAt.join(', ') ?? ''}]` });
      else if (t.appliedAt[0] !== o.index) out.push({ check: 'lost acknowledged op', detail: `${name} answered index ${o.index}, applied at ${t.appliedAt[0]}` });
      else if (t.applyOk !== true) out.push({ check: 'lost acknowledged op', detail: `${name} answered ok, refused at apply (${t.applyCode})` });
      else if (undone(verdicts, key)) out.push({ check: 'lost acknowledged op', detail: `${name} answered ok (md ${o.md}), undone by md-done ${JSON.stringify(verdicts.get(key))}` });
      if (o.command.op === 'create' && !finalState.arrays.some((a) => a.uuid === o.command.uuid)) out.push({ check: 'lost acknowledged op', detail: `${name}: the created array is not in the final state` });
    } else if (o.outcome === 'refused' && t && t.appliedAt.length > 0 && t.applyOk === true && !undone(verdicts, key)) {
      out.push({ check: 'lying refusal', detail: `${name} answered ${o.code}, but applied at ${t.appliedAt[0]} and not undone` });
    }
  }
  return out;
}

export function checkRealTimeOrder(ops: readonly OpRecord[]): Violation[] {
  const acked = ops.filter((o) => o.outcome === 'ok' && o.index !== undefined);
  const byComplete = [...acked].sort((a, b) => a.completeWallMs - b.completeWallMs);
  const out: Violation[] = [];
  // For each B: the highest index among ops completed before B was invoked must be below B's.
  const byInvoke = [...acked].sort((a, b) => a.invokeWallMs - b.invokeWallMs);
  let k = 0;
  let best: OpRecord | null = null;
  for (const b of byInvoke) {
    while (k < byComplete.length && byComplete[k].completeWallMs < b.invokeWallMs) {
      if (best === null || byComplete[k].index! > best.index!) best = byComplete[k];
      k++;
    }
    if (best !== null && best.index! >= b.index!) {
      out.push({ check: 'real-time order', detail: `${best.client}#${best.seq} (index ${best.index}) completed before ${b.client}#${b.seq} was invoked, which got index ${b.index}` });
    }
  }
  return out;
}

/** The register a command writes and the value it writes, or null. */
export function registerWrite(cmd: Record<string, unknown>): { register: string; value: string } | null {
  const dev = String(cmd.device);
  switch (cmd.op) {
    case 'write-mostly': return { register: `write-mostly ${dev} ${String(cmd.member)}`, value: String(cmd.on) };
    case 'read-only': return { register: `read-only ${dev}`, value: 'true' };
    case 'read-write': return { register: `read-only ${dev}`, value: 'false' };
    // md may drop a failed spare from the array at once: 'failed' is met by faulty or removed.
    case 'set-faulty': return { register: `role ${dev} ${String(cmd.member)}`, value: 'failed' };
    case 'hot-remove': return { register: `role ${dev} ${String(cmd.member)}`, value: 'removed' };
    case 'hot-add': return { register: `role ${dev} ${String(cmd.member)}`, value: 'added' };
    default: return null;
  }
}

/** True if a register read as `actual` holds the value `written`. */
export function holds(written: string, actual: string): boolean {
  return written === actual || (written === 'failed' && (actual === 'faulty' || actual === 'removed'));
}

/** A register's value in a state, in registerWrite's terms. */
export function registerValue(state: ClusterState, register: string): string {
  const [kind, dev, member] = register.split(' ');
  const a = state.arrays.find((x) => x.device === dev);
  if (!a) return '(no array)';
  if (kind === 'read-only') return String(a.adminReadOnly);
  const m = a.members.find((x) => x.path === member);
  if (kind === 'write-mostly') return m ? String(m.writeMostly) : '(no member)';
  if (!m || m.role === 'removed') return 'removed';
  return m.role === 'faulty' ? 'faulty' : 'added';
}

export function checkRegisters(ops: readonly OpRecord[], traces: Map<string, RequestTrace>, finalState: ClusterState): { registers: number; violations: Violation[] } {
  const writes = new Map<string, { o: OpRecord; value: string }[]>();
  for (const o of ops) {
    const w = registerWrite(o.command);
    if (!w) continue;
    const appliedSomehow = o.outcome === 'indeterminate' && (traces.get(requestKey(o.client, o.seq))?.applyOk === true);
    if (o.outcome !== 'ok' && !appliedSomehow) continue;
    writes.set(w.register, [...(writes.get(w.register) ?? []), { o, value: w.value }]);
  }
  const violations: Violation[] = [];
  for (const [register, ws] of writes) {
    const okWrites = ws.filter((w) => w.o.outcome === 'ok');
    const lastInvokeMs = Math.max(...okWrites.map((w) => w.o.invokeWallMs), -Infinity);
    // W is strictly followed by an ok write iff some ok write was invoked after W completed.
    const candidates = ws.filter((w) => w.o.outcome !== 'ok' || !(lastInvokeMs > w.o.completeWallMs));
    const allowed = new Set(candidates.map((w) => w.value));
    const actual = registerValue(finalState, register);
    if (![...allowed].some((v) => holds(v, actual))) {
      violations.push({ check: 'register', detail: `${register} is ${actual}; acceptable: ${[...allowed].join('|')} from ${candidates.map((w) => `${w.o.client}#${w.o.seq}`).join(', ')}` });
    }
  }
  return { registers: writes.size, violations };
}
