// The register model of one md0 member's admin state, and a Porcupine/Knossos-style
// linearizability search of the client history of one member against it.
//
// The model. A member's state is (pres, wm, sticky, ro):
// - pres: 'out' (no record, or role removed), 'in' (active or spare, whatever its sync state),
//   'faulty';
// - wm: the record's writeMostly flag;
// - sticky: a client's write-mostly op set wm and the member has kept its pres since;
// - ro: md0's adminReadOnly (the array register; every member's history includes its ops).
// Client ops (their possible outcomes and effects, as validate.ts/apply.ts define them):
//   set-faulty   out: refused E_NO_SUCH_DEVICE | in: ok -> faulty, or refused E_LAST_IN_SYNC
//                (the other members' sync state decides; not modelled) | faulty: ok, no change
//   hot-remove   ro: refused E_INVALID_STATE | out: refused E_NO_SUCH_DEVICE | faulty: ok -> out
//                | in: ok -> out (a spare), or refused E_DEVICE_BUSY (an active member)
//   hot-add      ro: refused E_INVALID_STATE | out: ok -> in | in, faulty: refused E_DEVICE_BUSY
//   re-add       ro: refused E_INVALID_STATE | out, faulty: ok -> in, or refused E_INVALID_STATE
//                (no known superblock) | in: refused E_INVALID_STATE
//   write-mostly out: refused E_NO_SUCH_DEVICE | faulty: refused E_INVALID_STATE (md keeps no
//                flag on a failed device) | in: ok -> wm = on, sticky
//   read-only    ok -> ro, or refused E_ARRAY_BUSY (member work on md0 still owed to md; the
//                other members' state decides: not modelled) | read-write: ok -> not ro
//   Any op that would be ok may instead be refused E_SESSIONS_FULL (too many md operations
//   pending on the array), changing nothing. A change of pres clears sticky. Nothing else.
// The environment (everything that is not a client op: the master's observations of its
// kernel, a node proposing a failed member faulty) may at any time: in -> faulty, in -> out,
// faulty -> out (md failed or dropped the device), each clearing sticky (wm then free); and
// change wm while not sticky. It may never bring a member back (out -> in, faulty -> in,
// out -> faulty), revert a client's write-mostly (wm while sticky) nor change ro: that would be
// an observation undoing a client command committed after the kernel read.
//
// md's verdict: a client op that changes a member is applied at once (the record changes) and
// carried out by the master's md afterwards; if md refuses it, the master's md-done entry puts
// the record back as it was before the op, and the client is answered with md's error. Such an
// op is TRANSIENT: its effect may be visible between its application and its undo (both inside
// its interval), or never. No other change of the member can come in between (any other command
// on the member supersedes the pending one, which then is not undone).
//
// The search (Wing & Gong, with Lowe's memoisation as in Porcupine/Knossos): a history of
// client ops on one member, each with its real-time interval [invoke, complete] (complete =
// infinity when the outcome is unknown: such an op may take effect at any point after its
// invoke, with any outcome, or never), is linearizable iff some order of the answered ops (and
// some of the unknown ones) respecting real time (a op completed before b was invoked comes
// first) takes the model from its initial states through states where each op's answer is a
// possible outcome. A transient op is placed as a no-op, or as its ok effect ("do") plus, later
// but before any op invoked after its completion, the return to the states before it ("undo"). Nondeterminism (environment, several possible outcomes) is handled by
// carrying the SET of possible model states (a 24-bit mask) instead of one state.
// Invariants: pure functions; the search visits each (linearized set, state set) pair at most
// once and gives up after LINEARIZE_MAX_STEPS (reported as a failure, never as a pass).
export type Pres = 'out' | 'in' | 'faulty';

export interface MemberState {
  pres: Pres;
  wm: boolean;
  sticky: boolean;
  ro: boolean;
}

export type MemberOp =
  | { op: 'set-faulty' | 'hot-remove' | 'hot-add' | 're-add' | 'read-only' | 'read-write' }
  | { op: 'write-mostly'; on: boolean };

/** Model states: 3 x 2 x 2 x 2 (a state set is a 24-bit mask). */
const STATES = 24;

/** ok, or refused with a code; null: unknown (any outcome). */
export type Outcome = { ok: true } | { ok: false; code: string } | null;

/** Search steps before the search gives up (a member sees at most a few hundred ops per run). */
export const LINEARIZE_MAX_STEPS = 2_000_000;

const PRES: readonly Pres[] = ['out', 'in', 'faulty'];

export function encodeState(s: MemberState): number {
  return PRES.indexOf(s.pres) * 8 + (s.ro ? 4 : 0) + (s.wm ? 2 : 0) + (s.sticky ? 1 : 0);
}

export function decodeState(k: number): MemberState {
  return { pres: PRES[Math.floor(k / 8)], ro: (k & 4) !== 0, wm: (k & 2) !== 0, sticky: (k & 1) !== 0 };
}

export function describeState(s: MemberState): string {
  return `${s.pres}${s.wm ? '+wm' : ''}${s.sticky ? '(client wm)' : ''}${s.ro ? ' md0:ro' : ''}`;
}

const refuse = (code: string, s: MemberState): [Outcome, MemberState][] => [[{ ok: false, code }, s]];
const ok = (s: MemberState): [Outcome, MemberState] => [{ ok: true }, s];

/** Every (outcome, next state) a client op may have from s. */
export function opTransitions(s: MemberState, m: MemberOp): [Outcome, MemberState][] {
  const base = validated(s, m);
  // Validated ops may still find no room for another pending md operation.
  return base.some(([o]) => o !== null && o.ok) ? [...base, [{ ok: false, code: 'E_SESSIONS_FULL' }, s]] : base;
}

function validated(s: MemberState, m: MemberOp): [Outcome, MemberState][] {
  const moved = (pres: Pres): MemberState => ({ ...s, pres, sticky: false });
  if (s.ro && (m.op === 'hot-remove' || m.op === 'hot-add' || m.op === 're-add')) return refuse('E_INVALID_STATE', s);
  switch (m.op) {
    // E_ARRAY_BUSY: member work on md0 (a pending client op or add, any member) is still owed.
    case 'read-only': return [ok({ ...s, ro: true }), [{ ok: false, code: 'E_ARRAY_BUSY' }, s]];
    case 'read-write': return [ok({ ...s, ro: false })];
    case 'set-faulty':
      if (s.pres === 'out') return refuse('E_NO_SUCH_DEVICE', s);
      if (s.pres === 'faulty') return [ok(s)];
      return [ok(moved('faulty')), [{ ok: false, code: 'E_LAST_IN_SYNC' }, s]];
    case 'hot-remove':
      if (s.pres === 'out') return refuse('E_NO_SUCH_DEVICE', s);
      if (s.pres === 'faulty') return [ok(moved('out'))];
      return [ok(moved('out')), [{ ok: false, code: 'E_DEVICE_BUSY' }, s]];
    case 'hot-add':
      return s.pres === 'out' ? [ok(moved('in'))] : refuse('E_DEVICE_BUSY', s);
    case 're-add':
      return s.pres === 'in' ? refuse('E_INVALID_STATE', s) : [ok(moved('in')), [{ ok: false, code: 'E_INVALID_STATE' }, s]];
    case 'write-mostly':
      if (s.pres === 'out') return refuse('E_NO_SUCH_DEVICE', s);
      return s.pres === 'faulty' ? refuse('E_INVALID_STATE', s) : [ok({ ...s, wm: m.on, sticky: true })];
  }
}

const sameOutcome = (a: Outcome, b: Outcome): boolean =>
  a === null || b === null || (a.ok && b.ok) || (!a.ok && !b.ok && a.code === b.code);

/** The states a client op with this outcome may lead to from s (empty: impossible). */
export function opNext(s: MemberState, m: MemberOp, outcome: Outcome): MemberState[] {
  return opTransitions(s, m).filter(([o]) => sameOutcome(o, outcome)).map(([, n]) => n);
}

/** One environment step from s (not including s itself). */
export function envNext(s: MemberState): MemberState[] {
  const out: MemberState[] = [];
  const freeWm = (pres: Pres): void => { out.push({ pres, wm: false, sticky: false, ro: s.ro }, { pres, wm: true, sticky: false, ro: s.ro }); };
  if (s.pres === 'in') { freeWm('faulty'); freeWm('out'); }
  if (s.pres === 'faulty') freeWm('out');
  if (!s.sticky) out.push({ ...s, wm: !s.wm });
  return out;
}

/** Whether the environment may take a member from `a` to `b` (in any number of steps). */
export function envReaches(a: MemberState, b: MemberState): boolean {
  return (closure(1 << encodeState(a)) & (1 << encodeState(b))) !== 0;
}

/** The set of states the environment can reach from the set `mask`. */
export function closure(mask: number): number {
  let m = mask;
  for (;;) {
    let next = m;
    for (let k = 0; k < STATES; k++) if (m & (1 << k)) for (const n of envNext(decodeState(k))) next |= 1 << encodeState(n);
    if (next === m) return m;
    m = next;
  }
}

export interface HistoryOp {
  /** For messages: client#seq and the command. */
  name: string;
  op: MemberOp;
  invokeUs: number;
  /** Infinity when the outcome is unknown. */
  completeUs: number;
  outcome: Outcome;
  /** md refused it after it was applied: its ok effect may have been visible for a while (see above). */
  transient?: boolean;
}

export type SearchVerdict = { ok: true; steps: number } | { ok: false; steps: number; why: string };

/** Whether `ops` (one member's client history) is linearizable from the initial state. */
export function linearizable(ops: readonly HistoryOp[], initial: MemberState): SearchVerdict {
  const n = ops.length;
  const answered = ops.filter((o) => o.outcome !== null).length;
  /** 0: not placed; 1: placed; 2: a transient op whose "do" is placed, its undo not yet. */
  const done = new Uint8Array(n);
  /** Transient ops between do and undo -> the state set before their do. */
  const saved = new Map<number, number>();
  const seen = new Set<string>();
  let steps = 0;
  let best = 0;
  let bestMask = 0;
  const apply = (mask: number, o: HistoryOp): number => {
    let next = 0;
    for (let k = 0; k < STATES; k++) {
      if (!(mask & (1 << k))) continue;
      for (const s of opNext(decodeState(k), o.op, o.outcome)) next |= 1 << encodeState(s);
    }
    return next === 0 ? 0 : closure(next);
  };
  for (const o of ops) if (o.transient === true && o.outcome === null) throw new Error(`${o.name}: a transient op has an answer (md's refusal)`);
  const okEffect = (mask: number, o: HistoryOp): number => apply(mask, { ...o, outcome: { ok: true }, transient: false });
  /** Places op i in state `next` (done[i] = mark); explores on; undoes the placement. */
  const tryStep = (i: number, mark: number, next: number, answeredDone: number): boolean | 'bound' => {
    if (next === 0) return false;
    const prev = done[i];
    done[i] = mark;
    const key = `${next}:${done.join('')}:${[...saved].join(',')}`;
    let r: boolean | 'bound' = false;
    if (!seen.has(key)) {
      seen.add(key);
      r = dfs(next, answeredDone + (mark === 1 && ops[i].outcome !== null ? 1 : 0));
    }
    done[i] = prev;
    return r;
  };
  const dfs = (mask: number, answeredDone: number): boolean | 'bound' => {
    if (answeredDone === answered && saved.size === 0) return true;
    if (++steps > LINEARIZE_MAX_STEPS) return 'bound';
    if (answeredDone > best) { best = answeredDone; bestMask = mask; }
    let minComplete = Infinity;
    for (let i = 0; i < n; i++) if (done[i] !== 1 && ops[i].completeUs < minComplete) minComplete = ops[i].completeUs;
    for (let i = 0; i < n; i++) {
      const o = ops[i];
      if (done[i] === 2) {
        // Undo of a transient op: back to the states before its do.
        const before = saved.get(i)!;
        saved.delete(i);
        const r = tryStep(i, 1, closure(before), answeredDone);
        saved.set(i, before);
        if (r !== false) return r;
        continue;
      }
      if (done[i] === 1 || o.invokeUs > minComplete) continue;
      if (o.transient === true) {
        let r = tryStep(i, 1, mask, answeredDone); // md refused it before anyone could see it
        if (r !== false) return r;
        saved.set(i, mask);
        r = tryStep(i, 2, okEffect(mask, o), answeredDone);
        saved.delete(i);
        if (r !== false) return r;
        continue;
      }
      const r = tryStep(i, 1, apply(mask, o), answeredDone);
      if (r !== false) return r;
    }
    return false;
  };
  const r = dfs(closure(1 << encodeState(initial)), 0);
  if (r === true) return { ok: true, steps };
  if (r === 'bound') return { ok: false, steps, why: `the search gave up after ${LINEARIZE_MAX_STEPS} steps` };
  const states: string[] = [];
  for (let k = 0; k < STATES; k++) if (bestMask & (1 << k)) states.push(describeState(decodeState(k)));
  return { ok: false, steps, why: `at most ${best} of ${answered} answered ops linearize (then possible states {${states.join(', ')}})` };
}
