// The cluster simulator's clients with sessions (the exactly-once contract of issue #12, Raft
// dissertation 6.3): K clients, each with its own client id and sequence counter, issue md
// member operations on md0 (set-faulty, hot-remove, hot-add, re-add, write-mostly on/off) and
// array operations (read-only, read-write) through randomly chosen live hosts, one outstanding
// request per client. An unknown outcome (the node's E_TIMEOUT, E_NOT_LEADER, E_SHUTTING_DOWN...,
// or no answer at all: the host crashed or froze) is retried with the SAME session (client, seq)
// through another host until an answer arrives or the run ends (the op stays indeterminate).
// Re-proposal fault: with the world's probability a client re-sends an already-answered request
// (same session, same command) at a random later time; the answer must be the stored one.
// Owns: the client-side history (OpRecord, Reproposal) the history checker (history.ts) judges.
// Invariants:
// - Every choice draws from the clients' own PRNG stream: one seed, one client history.
// - A client has at most one outstanding op; its seqs are 1, 2, 3, ... in invoke order.
// - Requests reach a node only as daemon code of its live incarnation (NodeTime.runAsDaemon):
//   a frozen daemon takes them when it thaws, a dead one never answers.
// - Bounded: at most CLIENT_MAX_OPS ops per client per run, CLIENT_MAX_ATTEMPTS attempts per op.
import { OpError } from '../../../daemon/src/common/errors.js';
import { parseCommand, type Command } from '../../../daemon/src/cluster/commands.js';
import type { ClusterNode } from '../../../daemon/src/node/node.js';
import type { Rand } from '../rand.js';
import type { SimHost } from './host.js';
import type { Scheduler } from './scheduler.js';
import { ARRAY_DEVICE, DISK_IDS } from './world.js';

/** Ops one client issues at most in one run (a run's chaos phase lasts <= 20 s; ops take >= 20 ms). */
export const CLIENT_MAX_OPS = 1_000;
/** Attempts of one op before the client gives up for the run (each waits >= one attempt timeout). */
export const CLIENT_MAX_ATTEMPTS = 200;

/** The session contract of node.propose (daemon/src/cluster/commands.ts SessionRef). */
export interface SessionRef {
  client: string;
  seq: number;
}

/** A node's answer: the session's stored result (md: where md stands on it, cluster/sessions.ts MdStatus). */
export type Answer =
  | { kind: 'ok'; index: number; md: string }
  | { kind: 'refused'; code: string; index: number; md: string };

export interface OpRecord {
  client: string;
  seq: number;
  command: Command;
  /** The md0 member the op is about (null: an array-level op). */
  member: string | null;
  invokeUs: number;
  /** When the answer arrived (null: indeterminate). */
  completeUs: number | null;
  answer: Answer | null;
  attempts: number;
  /** Hosts tried, in order (for the violation message). */
  via: string[];
}

export interface Reproposal {
  op: OpRecord;
  atUs: number;
  host: string;
  answer: Answer | null;
}

export interface ClientWorld {
  clients: number;
  /** One attempt's timeout (the node's timeoutMs). */
  attemptTimeoutMs: number;
  /** Gap between an answer and the client's next op. */
  thinkUs: { lo: number; hi: number };
  /** Probability that an answered op is re-sent later (re-proposal fault). */
  reproposeRate: number;
}

export interface ClientEnv {
  hosts: readonly SimHost[];
  sched: Scheduler;
  rand: Rand;
  world: ClientWorld;
  trace(kind: string, node: string, detail: string): void;
  /** An answered ok op: the durability checker's acknowledgement. */
  acked(index: number, what: string): void;
}

type ProposeFn = (cmd: Command, opts: { timeoutMs: number; session?: SessionRef }) => Promise<
  { ok: true; index: number; md?: string } | { ok: false; code: string; message: string; index: number; md?: string }
>;

/** Simulated slack beyond the node's own timeout before the client stops waiting for an answer. */
const ANSWER_SLACK_US = 200_000;

export class SimClients {
  readonly ops: OpRecord[] = [];
  readonly reproposals: Reproposal[] = [];
  private accepting = true;
  private stopped = false;
  /** Clients with an op in flight (the run waits for them before it ends). */
  private readonly busy = new Set<string>();

  constructor(private readonly env: ClientEnv) {}

  get outstanding(): number {
    return this.busy.size;
  }

  /** Every client id: the K clients, and the one that ends the run with read-write (finish()). */
  ids(): string[] {
    return Array.from({ length: this.env.world.clients + 1 }, (_, i) => `sim-c${i + 1}`);
  }

  start(): void {
    for (const id of this.ids().slice(0, this.env.world.clients)) void this.loop(id);
  }

  /**
   * No new ops after this (outstanding ones still retry); one client makes md0 read-write
   * again, as an admin ends a maintenance window, so the healed cluster can converge.
   */
  finish(): void {
    this.accepting = false;
    void (async () => {
      // After every other client's last op: none of them may make md0 read-only again.
      while (this.busy.size > 0 && !this.stopped) await this.sleep(10_000);
      if (!this.stopped) await this.runOp(`sim-c${this.env.world.clients + 1}`, 1, { op: 'read-write', device: ARRAY_DEVICE });
    })();
  }

  /** The run is over: unanswered ops stay indeterminate. */
  stop(): void {
    this.stopped = true;
  }

  private async loop(client: string): Promise<void> {
    let seq = 0;
    while (this.accepting && !this.stopped && seq < CLIENT_MAX_OPS) {
      await this.sleep(this.env.rand.int(this.env.world.thinkUs.lo, this.env.world.thinkUs.hi));
      if (!this.accepting || this.stopped) return;
      const cmd = this.nextCommand();
      if (cmd === null) continue;
      await this.runOp(client, ++seq, cmd);
    }
  }

  private async runOp(client: string, seq: number, raw: Record<string, unknown>): Promise<void> {
    const parsed = parseCommand(raw);
    if (!parsed.ok) throw new Error(`sim client built a bad command: ${parsed.message}`);
    const member = typeof raw.member === 'string' ? raw.member : null;
    const rec: OpRecord = { client, seq, command: parsed.command, member, invokeUs: this.env.sched.nowUs, completeUs: null, answer: null, attempts: 0, via: [] };
    this.ops.push(rec);
    this.busy.add(client);
    const what = `${client}#${seq} ${describe(raw)}`;
    this.env.trace('client', '-', `${what}: invoke`);
    let last: string | null = null;
    while (!this.stopped && rec.attempts < CLIENT_MAX_ATTEMPTS) {
      const h = this.pickHost(last);
      if (h === null) {
        await this.sleep(50_000);
        continue;
      }
      last = h.id;
      rec.attempts++;
      rec.via.push(h.id);
      const answer = await this.attempt(h, parsed.command, { client, seq });
      if (this.stopped) break;
      if (typeof answer === 'string') {
        this.env.trace('client', h.id, `${what}: attempt ${rec.attempts}: unknown outcome (${answer}); retrying the same session`);
        await this.sleep(this.env.rand.int(5_000, 100_000));
        continue;
      }
      rec.answer = answer;
      rec.completeUs = this.env.sched.nowUs;
      this.env.trace('client', h.id, `${what}: ${describeAnswer(answer)} after ${rec.attempts} attempt(s)`);
      if (answer.kind === 'ok') this.env.acked(answer.index, what);
      if (answer.kind === 'ok' && this.accepting && this.env.rand.chance(this.env.world.reproposeRate)) this.repropose(rec);
      break;
    }
    this.busy.delete(client);
  }

  /** Re-proposal fault: the same session and command again, later, through any live host. */
  private repropose(op: OpRecord): void {
    this.env.sched.after(this.env.rand.int(10_000, 2_000_000), () => {
      if (this.stopped) return;
      const h = this.pickHost(null);
      if (h === null) return;
      const r: Reproposal = { op, atUs: this.env.sched.nowUs, host: h.id, answer: null };
      this.reproposals.push(r);
      void this.attempt(h, op.command, { client: op.client, seq: op.seq }).then((a) => {
        if (typeof a !== 'string' && !this.stopped) r.answer = a;
        this.env.trace('client', h.id, `re-proposal of ${op.client}#${op.seq}: ${typeof a === 'string' ? `unknown (${a})` : describeAnswer(a)}`);
      });
    });
  }

  /** One attempt: the answer, or why the outcome is unknown. */
  private attempt(h: SimHost, cmd: Command, session: SessionRef): Promise<Answer | string> {
    const inc = h.live;
    if (inc === null) return Promise.resolve('host down');
    const timeoutMs = this.env.world.attemptTimeoutMs;
    return new Promise<Answer | string>((resolve) => {
      let settled = false;
      const settle = (v: Answer | string): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        resolve(v);
      };
      // Drift makes the node's timeout up to a few % longer in real time; the slack covers it.
      const timer = this.env.sched.after(timeoutMs * 1000 + ANSWER_SLACK_US, () => settle('no answer (host crashed or frozen)'));
      inc.time.runAsDaemon(() => {
        const propose = (inc.node.propose as unknown as ProposeFn).bind(inc.node as ClusterNode);
        propose(cmd, { timeoutMs, session }).then(
          (out) => settle(out.ok
            ? { kind: 'ok', index: out.index, md: out.md ?? 'none' }
            : { kind: 'refused', code: out.code, index: out.index, md: out.md ?? 'none' }),
          (e: unknown) => settle(e instanceof OpError ? e.code : String(e)),
        );
      });
    });
  }

  private pickHost(avoid: string | null): SimHost | null {
    const up = this.env.hosts.filter((h) => h.live !== null);
    const others = up.filter((h) => h.id !== avoid);
    const from = others.length > 0 ? others : up;
    return from.length === 0 ? null : this.env.rand.pick(from);
  }

  /** A plausible md command from some live host's view of md0 (sometimes any disk: refusals too). */
  private nextCommand(): Record<string, unknown> | null {
    const r = this.env.rand;
    const view = this.env.hosts.filter((h) => h.live !== null).map((h) => h.live!.node.state.arrays.find((a) => a.device === ARRAY_DEVICE));
    const rec = view.find((a) => a !== undefined);
    const all = DISK_IDS.map((d) => `/dev/${d}`);
    const members = (roles: string[]): string[] => {
      const ps = (rec?.members ?? []).filter((m) => roles.includes(m.role)).map((m) => m.path);
      return ps.length === 0 || r.chance(0.15) ? all : ps;
    };
    const kind = r.weighted([
      ['set-faulty', 3], ['hot-remove', 3], ['hot-add', 3], ['re-add', 2], ['write-mostly', 3], ['read-only', 1], ['read-write', 2],
    ] as const);
    switch (kind) {
      case 'set-faulty': return { op: 'set-faulty', device: ARRAY_DEVICE, member: r.pick(members(['active', 'spare'])), force: false };
      case 'hot-remove': return { op: 'hot-remove', device: ARRAY_DEVICE, member: r.pick(members(['faulty', 'spare'])) };
      case 'hot-add': {
        const used = new Set((rec?.members ?? []).filter((m) => m.role !== 'removed').map((m) => m.path));
        const free = all.filter((p) => !used.has(p));
        return { op: 'hot-add', device: ARRAY_DEVICE, member: r.pick(free.length === 0 || r.chance(0.15) ? all : free) };
      }
      case 're-add': return { op: 're-add', device: ARRAY_DEVICE, member: r.pick(members(['removed', 'faulty'])) };
      case 'write-mostly': return { op: 'write-mostly', device: ARRAY_DEVICE, member: r.pick(members(['active', 'spare', 'faulty'])), on: r.chance(0.5) };
      case 'read-only': return { op: 'read-only', device: ARRAY_DEVICE };
      case 'read-write': return { op: 'read-write', device: ARRAY_DEVICE };
    }
  }

  private sleep(us: number): Promise<void> {
    return new Promise<void>((resolve) => { this.env.sched.after(us, resolve); });
  }
}

function describe(raw: Record<string, unknown>): string {
  return `${String(raw.op)}${raw.member !== undefined ? ` ${String(raw.member)}` : ''}${raw.on !== undefined ? ` on=${String(raw.on)}` : ''}`;
}

export function describeAnswer(a: Answer): string {
  return `${a.kind === 'ok' ? 'ok' : `refused ${a.code}`} at ${a.index} (md ${a.md})`;
}
