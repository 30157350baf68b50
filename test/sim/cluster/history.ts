// The history checker of the cluster simulator (exactly once, issue #12). Judges, at the end of
// a run, the global applied log (raft-checks.ts: the entry applied at each index, and when it
// was first applied), the sim clients' records (clients.ts) and the nodes' final states:
// (a) every answered client op appears in the applied order exactly once as a non-duplicate
//     application (the session's first one);
// (b) no (client, seq) is applied twice as a state change: a later application of the same
//     session is flagged duplicate and changes nothing (but appliedIndex and session bookkeeping);
// (c) an answer (ok, or refused with a code) is the session's stored result: the outcome of its
//     first application, or md's refusal reported by the master's md-done entry; its index is
//     that first application's; a re-proposal of an answered op gets that same answer; an op's
//     first application happens within its real-time interval [invoke, answer];
// (d) per md0 member, the record's changes follow the register model of member-model.ts (a
//     client op's first application makes one of the model's transitions for its outcome; an
//     md-done refusal puts the member back exactly as it was before the refused command; any
//     other entry - observations, md-done successes - only environment transitions; md0's
//     adminReadOnly changes only by client ops and their undo), and the client-visible history of
//     each member is linearizable against the model (member-model.ts linearizable(); an op md
//     refused is transient there, and so is a command of the nodes themselves that md refused,
//     e.g. a member a node saw fail, proposed faulty, and md would not fail: it is visible from its
//     application to its undo);
// (e) replaying the applied log from an empty state gives, at each node's final applied index,
//     exactly that node's final state (so the nodes' final states agree).
// Owns: the replay. Invariants: never changes a node or the log; reports the first broken
// property through `fail`; the replay is linear in the log length.
import { applyEntry } from '../../../daemon/src/cluster/apply.js';
import { decodeCommand, type Command } from '../../../daemon/src/cluster/commands.js';
import { mdTargetOf } from '../../../daemon/src/cluster/md-ops.js';
import { findResult } from '../../../daemon/src/cluster/sessions.js';
import { emptyClusterState, sessionsOf, type ArrayRecord, type ClusterState } from '../../../daemon/src/cluster/types.js';
import type { LogIndex } from '../../../daemon/src/common/types.js';
import type { Answer, OpRecord, Reproposal, SessionRef } from './clients.js';
import { describeAnswer } from './clients.js';
import {
  describeState, envReaches, linearizable, opNext, type HistoryOp, type MemberOp, type MemberState, type Outcome,
} from './member-model.js';
import type { AppliedEntry } from './raft-checks.js';
import { ARRAY_DEVICE, DISK_IDS } from './world.js';

export interface HistoryInput {
  log: readonly AppliedEntry[];
  /** index -> simulated time it was first applied anywhere. */
  appliedAtUs: readonly number[];
  ops: readonly OpRecord[];
  reproposals: readonly Reproposal[];
  clientIds: ReadonlySet<string>;
  /** Each live node's final state. */
  finals: readonly { node: string; state: ClusterState }[];
}

export interface HistoryStats {
  answered: number;
  indeterminate: number;
  duplicatesApplied: number;
  reproposalsAnswered: number;
  searchSteps: number;
}

/** A session's first application and its stored result (updated by md's verdict). */
interface Application {
  index: number;
  ok: boolean;
  code: string | null;
  /** md refused it after it was applied (md-done failure: the record was put back). */
  mdFailed: boolean;
}

/** What a tracked command's target looked like just before its first application (for md's undo). */
interface Before {
  /** The member it acts on, or 'array' (read-only/read-write: md0's adminReadOnly), or null. */
  target: string | 'array' | null;
  /** The target member's state (member target), or any member's (array target: its ro). */
  state: MemberState | null;
  /** Index of the command's first application, and the command as a model op (null: none). */
  index: number;
  op: MemberOp | null;
}

/** A command from outside the clients that md refused: visible on its member from its apply to its undo. */
interface EnvTransient {
  member: string;
  name: string;
  op: MemberOp;
  fromIndex: number;
  toIndex: number;
}

const PATHS = DISK_IDS.map((d) => `/dev/${d}`);

function project(a: ArrayRecord | undefined, path: string, sticky: boolean): MemberState {
  const m = a?.members.find((x) => x.path === path);
  const pres = m === undefined || m.role === 'removed' ? 'out' : m.role === 'faulty' ? 'faulty' : 'in';
  return { pres, wm: m?.writeMostly ?? false, sticky, ro: a?.adminReadOnly ?? false };
}

const md0 = (s: ClusterState): ArrayRecord | undefined => s.arrays.find((a) => a.device === ARRAY_DEVICE);
const sameMember = (a: MemberState, b: MemberState): boolean => a.pres === b.pres && a.wm === b.wm && a.ro === b.ro;
const sessionKey = (s: SessionRef): string => `${s.client}#${s.seq}`;

/** The state as compared across a duplicate's application: without appliedIndex and session bookkeeping. */
function comparable(state: ClusterState): string {
  return JSON.stringify({ ...state, appliedIndex: 0, sessions: null });
}

function describeApplication(a: Application): string {
  return `${a.ok ? 'ok' : `refused ${a.code}`} at ${a.index}${a.mdFailed ? ' (md refused it)' : ''}`;
}

function memberOp(c: Command): MemberOp | null {
  switch (c.op) {
    case 'set-faulty': case 'hot-remove': case 'hot-add': case 're-add': return { op: c.op };
    case 'write-mostly': return { op: 'write-mostly', on: c.on };
    case 'read-only': case 'read-write': return c.device === ARRAY_DEVICE ? { op: c.op } : null;
    default: return null;
  }
}

function outcomeOf(a: Answer): Outcome {
  return a.kind === 'ok' ? { ok: true } : { ok: false, code: a.code };
}

export class HistoryChecker {
  readonly stats: HistoryStats = { answered: 0, indeterminate: 0, duplicatesApplied: 0, reproposalsAnswered: 0, searchSteps: 0 };
  /** "client#seq" -> its first application (our clients' sessions). */
  private readonly first = new Map<string, Application>();
  /** "client#seq" -> its target before its first application (every session: md may undo any). */
  private readonly befores = new Map<string, Before>();
  /** md0 members' model state after the replay so far (sticky is tracked here, not in the record). */
  private readonly members = new Map<string, MemberState>();
  /** Commands of no sim client that md refused after they were applied (transient in the search). */
  private readonly envTransients: EnvTransient[] = [];
  /** The members' state when md0 was created (the search's initial states). */
  private initial: Map<string, MemberState> | null = null;

  constructor(private readonly input: HistoryInput, private readonly fail: (property: string, message: string) => void) {}

  /** Runs every check; false after the first violation. */
  check(): boolean {
    return this.replay() && this.checkAnswers() && this.checkReproposals() && this.checkLinearizable();
  }

  // ---- (b), (d) white-box, (e): the replay ---------------------------------------------------

  private replay(): boolean {
    const state = emptyClusterState();
    const finals = [...this.input.finals].sort((a, b) => a.state.appliedIndex - b.state.appliedIndex);
    let f = 0;
    for (const e of this.input.log) {
      while (f < finals.length && finals[f].state.appliedIndex < e.index) {
        if (!this.sameState(state, finals[f])) return false;
        f++;
      }
      if (e.type === 'conf') {
        state.appliedIndex = e.index as LogIndex;
        continue;
      }
      const d = e.data.length > 0 ? decodeCommand(e.data) : null;
      const session = d === null ? undefined : d.session;
      const key = session === undefined ? null : sessionKey(session);
      const ours = session !== undefined && this.input.clientIds.has(session.client);
      const seenBefore = key !== null && this.befores.has(key);
      const beforeJson = seenBefore ? comparable(state) : null;
      const before = PATHS.map((p) => project(md0(state), p, this.members.get(p)?.sticky ?? false));
      // An md-done refusal undoes its command only if that is still pending (not superseded).
      const c0 = d !== null && d.ok ? d.command : null;
      const undoes = c0 !== null && c0.op === 'md-done' && !c0.ok && c0.device === ARRAY_DEVICE &&
        (md0(state)?.pendingMd ?? []).some((p) => p.client === c0.client && p.seq === c0.seq);
      const r = applyEntry(state, e.data, e.index as LogIndex) as { ok: boolean; code?: string; duplicate?: true };
      const cmd = d !== null && d.ok ? d.command : null;
      if (cmd !== null && cmd.op === 'create' && cmd.device === ARRAY_DEVICE && r.ok) {
        for (const p of PATHS) this.members.set(p, project(md0(state), p, false));
        this.initial = new Map(this.members);
        if (key !== null) this.befores.set(key, { target: null, state: null, index: e.index, op: null });
        continue;
      }
      if (seenBefore) {
        // (b): a second copy of an applied request.
        if (ours) this.stats.duplicatesApplied++;
        if (comparable(state) !== beforeJson) {
          this.fail('exactly-once', `${key} (${cmd?.op ?? '?'}) was applied again as a state change at index ${e.index}`);
          return false;
        }
        if (r.duplicate !== true) {
          this.fail('exactly-once', `${key} applied again at index ${e.index} without the duplicate flag`);
          return false;
        }
        continue;
      }
      if (r.duplicate === true) {
        this.fail('exactly-once', `${key ?? 'an entry without a session'} at index ${e.index} is answered as a duplicate of nothing applied`);
        return false;
      }
      if (key !== null) {
        const target = cmd === null ? null : mdTargetOf(cmd);
        const member = target !== null && 'member' in target ? target.member : null;
        const at = member === null ? -1 : PATHS.indexOf(member);
        const mop = cmd === null ? null : memberOp(cmd);
        if (at >= 0) this.befores.set(key, { target: member, state: before[at], index: e.index, op: mop });
        else if (target !== null && 'array' in target && target.array === 'read-only') this.befores.set(key, { target: 'array', state: before[0], index: e.index, op: mop });
        else this.befores.set(key, { target: null, state: null, index: e.index, op: null });
        if (ours) this.first.set(key, { index: e.index, ok: r.ok, code: r.ok ? null : r.code ?? null, mdFailed: false });
      }
      if (this.initial === null) continue;
      if (!this.judgeChange(e.index, cmd, ours ? session : undefined, r, before, state, undoes)) return false;
    }
    for (; f < finals.length; f++) if (!this.sameState(state, finals[f])) return false;
    return true;
  }

  private sameState(state: ClusterState, final: { node: string; state: ClusterState }): boolean {
    if (final.state.appliedIndex !== state.appliedIndex) {
      this.fail('final-state', `${final.node} ended at applied index ${final.state.appliedIndex}, beyond the applied log (${state.appliedIndex})`);
      return false;
    }
    if (JSON.stringify(state) !== JSON.stringify(final.state)) {
      this.fail('final-state', `${final.node}'s final state differs from the replay of the applied log at index ${state.appliedIndex}`);
      return false;
    }
    return true;
  }

  /** (d) white-box: how the entry at index changed md0's members (and its adminReadOnly). */
  private judgeChange(
    index: number, cmd: Command | null, session: SessionRef | undefined, r: { ok: boolean; code?: string },
    before: MemberState[], state: ClusterState, undoes: boolean,
  ): boolean {
    const what = `${session !== undefined ? `${sessionKey(session)} ` : ''}${cmd?.op ?? 'entry'} at index ${index}`;
    // md refused a pending command: the master's md-done puts its target back as it was before it.
    // Only a command still pending is undone (`undoes`; a superseded one is settled already).
    const undoneKey = undoes && r.ok && cmd !== null && cmd.op === 'md-done' ? sessionKey(cmd) : null;
    const undone = undoneKey === null ? undefined : this.befores.get(undoneKey);
    if (undoneKey !== null && cmd !== null && cmd.op === 'md-done') {
      const stored = findResult(sessionsOf(state), cmd.client, cmd.seq);
      const app = this.first.get(undoneKey);
      if (app !== undefined && app.ok && stored?.md === 'failed') { app.ok = false; app.code = stored.code ?? 'E_KERNEL'; app.mdFailed = true; }
      if (!this.input.clientIds.has(cmd.client) && undone !== undefined && undone.op !== null && undone.target !== null) {
        const members = undone.target === 'array' ? PATHS : [undone.target];
        for (const m of members) this.envTransients.push({ member: m, name: `${undoneKey} ${undone.op.op} (not a sim client's)`, op: undone.op, fromIndex: undone.index, toIndex: index });
      }
    }
    const mop = cmd !== null && session !== undefined ? memberOp(cmd) : null;
    for (let i = 0; i < PATHS.length; i++) {
      const p = PATHS[i];
      const b = before[i];
      const after = project(md0(state), p, false);
      const onP = mop !== null && cmd !== null && (('member' in cmd && cmd.member === p) || mop.op === 'read-only' || mop.op === 'read-write');
      let next: MemberState | undefined;
      if (undone !== undefined && undone.state !== null && (undone.target === p || undone.target === 'array')) {
        // The target goes back: the member record (member target) or md0's adminReadOnly (array target).
        const back: MemberState = undone.target === p ? { ...undone.state, ro: b.ro } : { ...b, ro: undone.state.ro };
        if (!sameMember(after, back) && !(undone.target === 'array' && sameMember(after, b))) {
          const roNote = undone.target === p && after.ro !== back.ro ? `; md0's adminReadOnly went ${b.ro} -> ${after.ro} at this undo of a command that did not set it` : '';
          this.fail('member-model', `${what} (md refused ${undoneKey}) left ${p} at ${describeState(after)}, not as it was before that command (${describeState(back)})${roNote}`);
          return false;
        }
        next = sameMember(after, back) ? back : b;
      } else if (onP) {
        const outcome: Outcome = r.ok ? { ok: true } : { ok: false, code: r.code ?? '?' };
        next = opNext(b, mop, outcome).find((n) => sameMember(n, after));
        if (next === undefined) {
          this.fail('member-model', `${what} (${r.ok ? 'ok' : `refused ${r.code}`}) took ${p} from ${describeState(b)} to ${describeState(after)}, which the model does not allow`);
          return false;
        }
      } else if (sameMember(b, after)) {
        next = b;
      } else if (envReaches(b, { ...after, sticky: false })) {
        next = { ...after, sticky: false };
      } else {
        this.fail('member-model', `${what} (not a client op on ${p}) took ${p} from ${describeState(b)} to ${describeState(after)}: only a client op may do that`);
        return false;
      }
      this.members.set(p, next);
    }
    return true;
  }

  // ---- (a), (c) -------------------------------------------------------------------------------

  private checkAnswers(): boolean {
    for (const op of this.input.ops) {
      const key = sessionKey(op);
      const first = this.first.get(key);
      if (op.answer === null) {
        this.stats.indeterminate++;
        continue;
      }
      this.stats.answered++;
      const a = op.answer;
      if (first === undefined) {
        this.fail('exactly-once', `${key} (${op.command.op}) was answered ${describeAnswer(a)} but never applied`);
        return false;
      }
      if (!this.sameAsFirst(a, first) || a.index !== first.index) {
        this.fail('exactly-once', `${key} (${op.command.op}) was answered ${describeAnswer(a)} but its stored result is ${describeApplication(first)}`);
        return false;
      }
      const at = this.input.appliedAtUs[first.index];
      if (at < op.invokeUs || at > op.completeUs!) {
        this.fail('exactly-once', `${key}'s first application (index ${first.index}, ${(at / 1000).toFixed(3)} ms) is outside its real-time interval [${(op.invokeUs / 1000).toFixed(3)}, ${(op.completeUs! / 1000).toFixed(3)}] ms`);
        return false;
      }
    }
    return true;
  }

  private sameAsFirst(a: Answer, first: Application): boolean {
    return a.kind === 'ok' ? first.ok : !first.ok && first.code === a.code;
  }

  /** md refused these after applying them (transient in the search). */
  private mdFailed(key: string): boolean {
    return this.first.get(key)?.mdFailed === true;
  }

  private checkReproposals(): boolean {
    for (const r of this.input.reproposals) {
      if (r.answer === null || r.op.answer === null) continue;
      this.stats.reproposalsAnswered++;
      const key = sessionKey(r.op);
      const first = this.first.get(key);
      if (first === undefined || !this.sameAsFirst(r.answer, first) || r.answer.index !== first.index) {
        this.fail('exactly-once', `re-proposal of ${key} (${r.op.command.op}, answered ${describeAnswer(r.op.answer)}) through ${r.host} was answered ${describeAnswer(r.answer)}, not the stored result`);
        return false;
      }
    }
    return true;
  }

  // ---- (d) black-box ----------------------------------------------------------------------------

  private checkLinearizable(): boolean {
    if (this.initial === null) return true;
    for (const p of PATHS) {
      const hist: HistoryOp[] = [];
      for (const op of this.input.ops) {
        const mop = op.member === p || op.member === null ? memberOp(op.command) : null;
        if (mop === null) continue;
        hist.push({
          name: `${sessionKey(op)} ${op.command.op}`, op: mop, invokeUs: op.invokeUs,
          completeUs: op.completeUs ?? Infinity, outcome: op.answer === null ? null : outcomeOf(op.answer),
          transient: op.answer !== null && this.mdFailed(sessionKey(op)),
        });
      }
      for (const t of this.envTransients) {
        if (t.member !== p) continue;
        hist.push({
          name: t.name, op: t.op, invokeUs: this.input.appliedAtUs[t.fromIndex], completeUs: this.input.appliedAtUs[t.toIndex],
          outcome: { ok: false, code: 'E_KERNEL' }, transient: true,
        });
      }
      const v = linearizable(hist, this.initial.get(p)!);
      this.stats.searchSteps += v.steps;
      if (!v.ok) {
        const listing = hist.map((h) => `${h.name} [${(h.invokeUs / 1000).toFixed(1)}, ${(h.completeUs / 1000).toFixed(1)}] ${h.outcome === null ? '?' : h.outcome.ok ? 'ok' : h.outcome.code}`).join('; ');
        this.fail('linearizable', `${p}: the client history is not linearizable against the member model: ${v.why}. History: ${listing}`);
        return false;
      }
    }
    return true;
  }
}
