// The properties the cluster simulator checks, and the verdict when one breaks.
// Owns: the history each property is judged against and the first violation of a run.
// Properties:
// - single writer (THE safety property): at no instant of simulated time is md0 writable
//   (array_state other than readonly / read-auto / inactive) in more than one host's kernel.
//   Checked after every event AND right after every change of any simulated kernel, so an
//   overlap shorter than one event is caught too;
// - election safety: at most one Raft leader per term;
// - applied-prefix agreement: two nodes that applied the same log index hold identical cluster
//   states (fingerprints of the JSON state, compared at equal appliedIndex, across restarts
//   and snapshot restores);
// - convergence (after the healed liveness phase, see convergence()): one writer whose kernel
//   has md0 writable, every standby's md0 read-only, every kernel's member view matching the
//   replicated record (cluster/plan.ts memberViewStale).
// Invariants: the per-event checks never change a node or a kernel (peeks and Raft status
// only); convergence() asks WriterRole.isWriter(), the daemon's own definition of the master,
// which may replay ticks already due by the node's clock (what any daemon call may do). The
// first violation is kept and ends the run; the fingerprint map never exceeds
// CLUSTER_SIM_MAX_FINGERPRINTS.
import { CLUSTER_SIM_MAX_FINGERPRINTS } from '../../lib/limits.js';
import { memberViewStale } from '../../../daemon/src/cluster/plan.js';
import type { ArrayState } from '../../../daemon/src/md/types.js';
import type { SimHost } from './host.js';
import { kernelWritable, peekArrayState } from './kernel.js';
import { ARRAY_DEVICE } from './world.js';

export type Phase = 'setup' | 'chaos' | 'heal';

export interface Violation {
  property: string;
  message: string;
  atUs: number;
  step: number;
  phase: Phase;
}

export interface CheckClock {
  nowUs(): number;
  step(): number;
  phase(): Phase;
}

/** Two independent 32-bit FNV-1a lanes over a string, combined into a safe integer. */
export function fingerprint(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return ((b >>> 0) & 0x1fffff) * 0x1_0000_0000 + (a >>> 0);
}

export class ClusterCheckers {
  violation: Violation | null = null;
  /** term -> the one node seen leading it. */
  private readonly leaderOfTerm = new Map<number, string>();
  /** applied index -> fingerprint of the state after applying it, and who recorded it first. */
  private readonly states = new Map<number, { fp: number; node: string }>();
  /** "host#incarnation" -> applied index last fingerprinted. */
  private readonly lastApplied = new Map<string, number>();
  /** Longest simultaneous-writer set seen (for the stats). */
  maxWriters = 0;
  writerChecks = 0;
  /** Hosts whose kernel had md0 writable at the last check. */
  private writersNow = new Set<string>();
  /** The last time md0 stopped being writable somewhere, and where. */
  private lastEnd: { host: string; atUs: number } | null = null;
  /**
   * Shortest hand-over seen: simulated microseconds from md0 leaving the writable state on one
   * host (read-only, stopped, or the host crashed) to it becoming writable on another. Null
   * until a second host has written. Invariant: never negative (that would be an overlap).
   */
  minHandoverUs: number | null = null;
  handovers = 0;

  constructor(private readonly hosts: readonly SimHost[], private readonly clock: CheckClock) {}

  fail(property: string, message: string): void {
    if (this.violation !== null) return;
    this.violation = { property, message, atUs: this.clock.nowUs(), step: this.clock.step(), phase: this.clock.phase() };
  }

  /** After every event. */
  afterEvent(): void {
    this.checkWriters();
    this.checkLeaders();
    this.checkApplied();
  }

  /** THE safety property; also called right after every simulated-kernel change. */
  checkWriters(): void {
    this.writerChecks++;
    const writers = this.hosts.filter((h) => h.live !== null && kernelWritable(h.live.kernel.sim, ARRAY_DEVICE));
    this.maxWriters = Math.max(this.maxWriters, writers.length);
    this.measureHandover(new Set(writers.map((h) => h.id)));
    if (writers.length <= 1) return;
    const who = writers.map((h) => {
      const st = h.live!.node.raft.status();
      return `${h.id}(${st.role} t${st.term}, lease=${st.role === 'leader' && h.live!.node.raft.leaseValid()})`;
    });
    this.fail('single-writer', `${ARRAY_DEVICE} is writable on ${writers.length} nodes at once: ${who.join(', ')}`);
  }

  private measureHandover(now: Set<string>): void {
    const t = this.clock.nowUs();
    for (const id of this.writersNow) if (!now.has(id)) this.lastEnd = { host: id, atUs: t };
    for (const id of now) {
      if (this.writersNow.has(id) || this.lastEnd === null || this.lastEnd.host === id) continue;
      const gap = t - this.lastEnd.atUs;
      this.handovers++;
      if (this.minHandoverUs === null || gap < this.minHandoverUs) this.minHandoverUs = gap;
    }
    this.writersNow = now;
  }

  private checkLeaders(): void {
    for (const h of this.hosts) {
      if (h.live === null) continue;
      const st = h.live.node.raft.status();
      if (st.role !== 'leader') continue;
      const prev = this.leaderOfTerm.get(st.term);
      if (prev === undefined) this.leaderOfTerm.set(st.term, h.id);
      else if (prev !== h.id) this.fail('election-safety', `two leaders in term ${st.term}: ${prev} and ${h.id}`);
    }
  }

  private checkApplied(): void {
    for (const h of this.hosts) {
      if (h.live === null) continue;
      const key = `${h.id}#${h.live.number}`;
      const state = h.live.node.state;
      const idx = state.appliedIndex;
      if (this.lastApplied.get(key) === idx) continue;
      this.lastApplied.set(key, idx);
      const fp = fingerprint(JSON.stringify(state));
      const seen = this.states.get(idx);
      if (seen === undefined) {
        if (this.states.size < CLUSTER_SIM_MAX_FINGERPRINTS) this.states.set(idx, { fp, node: h.id });
      } else if (seen.fp !== fp) {
        this.fail('applied-prefix', `${h.id} and ${seen.node} hold different cluster states at applied index ${idx}`);
      }
    }
  }
}

const READ_ONLY_STATES: ReadonlySet<string> = new Set(['readonly', 'read-auto']);

function describeMembers(a: ArrayState): string {
  return a.members.map((m) => `${m.devPath}:${m.slot ?? '-'}:${m.flags.join('+') || 'none'}`).join(' ');
}

/**
 * Null once the cluster converged: every host up, exactly one writer, its kernel's md0
 * writable (read-only when an admin made it so), every standby's md0 read-only, every kernel's member view as the writer's record
 * says (memberViewStale). Otherwise why not (for the liveness violation message).
 */
export function convergence(hosts: readonly SimHost[]): string | null {
  const down = hosts.filter((h) => h.live === null).map((h) => h.id);
  if (down.length > 0) return `down: ${down.join(',')}`;
  const writers = hosts.filter((h) => h.live!.node.writer.isWriter());
  if (writers.length !== 1) return `${writers.length} nodes hold the writer role (${hosts.map((h) => describeRole(h)).join(' ')})`;
  const master = writers[0];
  const rec = master.live!.node.state.arrays.find((a) => a.device === ARRAY_DEVICE);
  if (rec === undefined || !rec.materialized) return `the master ${master.id} has no materialized ${ARRAY_DEVICE} record`;
  for (const h of hosts) {
    const actual = peekArrayState(h.live!.kernel.sim, ARRAY_DEVICE);
    if (actual === null) return `${h.id}: ${ARRAY_DEVICE} is not assembled`;
    const readOnly = READ_ONLY_STATES.has(actual.arrayState);
    if (h === master && readOnly !== rec.adminReadOnly) return `master ${h.id}: ${ARRAY_DEVICE} is ${actual.arrayState}${rec.adminReadOnly ? ' (the record says read-only)' : ''}`;
    if (h !== master && !readOnly) return `standby ${h.id}: ${ARRAY_DEVICE} is ${actual.arrayState}`;
    if (memberViewStale(rec, actual, h.id)) {
      const recMembers = rec.members.map((m) => `${m.path}:${m.role}${m.inSync ? '+sync' : ''}${m.pendingAdd ? `+${m.pendingAdd}` : ''}`).join(' ');
      return `${h.id}: kernel members [${describeMembers(actual)}] differ from the record [${recMembers}]`;
    }
  }
  return null;
}

function describeRole(h: SimHost): string {
  const st = h.live!.node.raft.status();
  return `${h.id}:${st.role}/t${st.term}/applied=${h.live!.node.state.appliedIndex}`;
}
