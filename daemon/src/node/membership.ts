// Cluster membership changes run by the master: `mdctl --cluster add-node ID=HOST:PORT` and
// `mdctl --cluster remove-node ID`. Owns: the order of the replicated steps, their waits,
// timeouts and error codes. The Raft core does single-server changes (raft/proposals.ts); the
// replicated node records carry addresses (cluster/apply.ts); every node's transport follows
// both through node/peers.ts.
// Invariants:
// - Runs only on the Raft leader (E_NOT_LEADER names the master otherwise); at most one change
//   runs per node at a time (E_CONF_CHANGE_PENDING), and the core allows one pending conf entry.
// - add-node: node-add (every transport learns the address when it applies it) -> add-learner
//   (committed) -> promote once the learner reports (gossip) an applied index close to the
//   commit index and the core agrees it caught up. A step already done is skipped, so
//   re-running add-node resumes a change that timed out.
// - remove-node of another node: conf remove (committed) -> node-remove. Of the master itself:
//   the writer role is given up first (arrays read-only, as for step-down), then node-remove,
//   then the conf remove; once it commits, the core steps down and hands leadership to the
//   most caught-up voter (MsgTimeoutNow).
// - A removal that would leave fewer reachable voters than a quorum is refused (E_NO_QUORUM)
//   unless forced.
// - Every wait is bounded by the request's deadline.
// - It reaches the rest of the node only through MembershipHooks.
import { OpError, type ErrorCode } from '../common/errors.js';
import { MEMBERSHIP_PROMOTE_POLL_TICKS, RAFT_PROMOTE_MAX_LAG_ENTRIES } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import { formatHostPort, parseHostPort } from '../config/hostport.js';
import { isLearner, isMember, isVoter } from '../raft/conf.js';
import type { ConfChange, ConfState, RaftStatus } from '../raft/types.js';
import type { Clock, Logger, Timers } from './deps.js';
import type { SubmitOptions } from './requests.js';
import type { ProposalOutcome } from './waiters.js';

/** What a membership change needs from the rest of the node: narrow, one way. */
export interface MembershipHooks {
  raftStatus(): RaftStatus;
  state(): ClusterState;
  /** Proposes a conf change to Raft and kicks the Ready loop; on success, the entry's index. */
  proposeConfChange(cc: ConfChange): { ok: true; index: number } | { ok: false; code: ErrorCode };
  propose(cmd: Command, opts: SubmitOptions): Promise<ProposalOutcome>;
  waitApplied(index: number, timeoutMs: number): Promise<void>;
  peerUp(id: NodeId): boolean;
  /** The applied index `id` last gossiped. */
  peerApplied(id: NodeId): number | undefined;
  peerAddress(id: NodeId): string | null;
  /** The planned hand-off of the writer role (node/writer.ts suspendForStepDown / resume). */
  suspendWriter(): Promise<void>;
  resumeWriter(): void;
}

export interface MembershipDeps {
  clock: Clock;
  timers: Timers;
  logger: Logger;
  tickMs: number;
}

export interface AddNodeResult {
  node: NodeId;
  address: string;
  role: 'voter';
  /** The steps this request carried out (none when the node already was a voter there). */
  steps: ('node-add' | 'add-learner' | 'promote')[];
  /** From the learner's addition (or the request) to its promotion. */
  catchUpMs: number;
  elapsedMs: number;
}

export interface RemoveNodeResult {
  node: NodeId;
  steps: ('conf-remove' | 'node-remove')[];
  /** True when the master removed itself and handed leadership over. */
  handedOver: boolean;
  elapsedMs: number;
}

/** Refusals of the core that go away by themselves soon: retried until the deadline. */
const TRANSIENT: ReadonlySet<string> = new Set(['E_LEARNER_BEHIND', 'E_CONF_CHANGE_PENDING', 'E_PROPOSAL_DROPPED', 'E_NO_LEADER']);

export class Membership {
  /** Invariant: non-null exactly while an add-node/remove-node runs on this node. */
  private running: string | null = null;

  constructor(private readonly hooks: MembershipHooks, private readonly deps: MembershipDeps) {}

  /** Adds `id` at `address` as a voter (see the file invariants). */
  addNode(id: NodeId, address: string, timeoutMs: number): Promise<AddNodeResult> {
    const hp = parseHostPort(address);
    if (hp === null) return Promise.reject(new OpError('E_INVALID_ARGUMENT', `${JSON.stringify(address)} is not host:port`));
    const canonical = formatHostPort(hp);
    return this.exclusive(`add-node ${id}`, () => this.doAdd(id, canonical, timeoutMs));
  }

  /** Removes `id` from the Raft membership and the node records (see the file invariants). */
  removeNode(id: NodeId, opts: { timeoutMs: number; force: boolean }): Promise<RemoveNodeResult> {
    return this.exclusive(`remove-node ${id}`, () => this.doRemove(id, opts.timeoutMs, opts.force));
  }

  private async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.running !== null) throw new OpError('E_CONF_CHANGE_PENDING', `${this.running} is still in progress on this node`, { running: this.running });
    this.running = what;
    try {
      return await fn();
    } finally {
      this.running = null;
    }
  }

  private async doAdd(id: NodeId, address: string, timeoutMs: number): Promise<AddNodeResult> {
    const startMs = this.nowMs();
    const deadline = startMs + timeoutMs;
    this.requireLeader();
    const clash = this.hooks.state().nodes.find((n) => n.id !== id && sameAddress(n.address, address));
    if (clash) throw new OpError('E_INVALID_ARGUMENT', `${address} is already the address of node ${clash.id}`, { node: clash.id });
    const steps: AddNodeResult['steps'] = [];
    const record = this.hooks.state().nodes.find((n) => n.id === id);
    if (record?.address !== address) {
      await this.proposeCommand({ op: 'node-add', node: id, address }, deadline);
      steps.push('node-add');
    }
    let learnerSinceMs = startMs;
    if (!isMember(this.conf(), id)) {
      await this.confChange({ type: 'add-learner', node: id }, deadline);
      steps.push('add-learner');
      learnerSinceMs = this.nowMs();
      this.deps.logger.info({ node: id, address }, 'membership: learner added; waiting for it to catch up');
    }
    if (isLearner(this.conf(), id)) {
      await this.waitCaughtUp(id, deadline);
      await this.confChange({ type: 'promote', node: id }, deadline);
      steps.push('promote');
      this.deps.logger.info({ node: id, catchUpMs: Math.round(this.nowMs() - learnerSinceMs) }, 'membership: learner promoted to voter');
    }
    return { node: id, address, role: 'voter', steps, catchUpMs: Math.round(this.nowMs() - learnerSinceMs), elapsedMs: Math.round(this.nowMs() - startMs) };
  }

  private async doRemove(id: NodeId, timeoutMs: number, force: boolean): Promise<RemoveNodeResult> {
    const startMs = this.nowMs();
    const deadline = startMs + timeoutMs;
    this.requireLeader();
    const conf = this.conf();
    const self = this.hooks.raftStatus().id;
    const hasRecord = this.hooks.state().nodes.some((n) => n.id === id);
    if (!isMember(conf, id) && !hasRecord) throw new OpError('E_UNKNOWN_NODE', `${id} is not a member of this cluster`, { node: id });
    if (isVoter(conf, id) && conf.voters.length === 1) throw new OpError('E_INVALID_STATE', `${id} is the last voter; a cluster cannot remove its last voter`);
    if (isVoter(conf, id) && !force) this.checkQuorumAfter(conf, id);
    const steps: RemoveNodeResult['steps'] = [];
    if (id === self) return this.removeSelf(hasRecord, steps, startMs, deadline);
    if (isMember(conf, id)) {
      await this.confChange({ type: 'remove', node: id }, deadline);
      steps.push('conf-remove');
    }
    if (this.hooks.state().nodes.some((n) => n.id === id)) {
      await this.proposeCommand({ op: 'node-remove', node: id }, deadline);
      steps.push('node-remove');
    }
    this.deps.logger.info({ node: id, steps }, 'membership: node removed');
    return { node: id, steps, handedOver: false, elapsedMs: Math.round(this.nowMs() - startMs) };
  }

  /** The master removes itself: planned demotion first, then the record, then the conf entry. */
  private async removeSelf(hasRecord: boolean, steps: RemoveNodeResult['steps'], startMs: number, deadline: number): Promise<RemoveNodeResult> {
    const self = this.hooks.raftStatus().id;
    this.deps.logger.warn({ node: self }, 'membership: the master removes itself; giving up the writer role first');
    await this.hooks.suspendWriter();
    try {
      if (hasRecord) {
        await this.proposeCommand({ op: 'node-remove', node: self }, deadline);
        steps.push('node-remove');
      }
      await this.confChange({ type: 'remove', node: self }, deadline);
      steps.push('conf-remove');
    } catch (e) {
      if (this.hooks.raftStatus().role === 'leader') this.hooks.resumeWriter();
      throw e;
    }
    // The core steps down once the removal is committed (raft/leader-state.ts).
    while (this.hooks.raftStatus().role === 'leader') {
      if (this.nowMs() > deadline) throw new OpError('E_TIMEOUT', `${self} is removed but still leads; it steps down at its next commit`);
      await this.sleepTicks(1);
    }
    this.deps.logger.warn({ node: self }, 'membership: this node removed itself from the cluster and handed leadership over; stop it');
    return { node: self, steps, handedOver: true, elapsedMs: Math.round(this.nowMs() - startMs) };
  }

  /**
   * Waits until the learner's link is up and the applied index it gossips is within
   * RAFT_PROMOTE_MAX_LAG_ENTRIES of the commit index. The core's own promote check compares
   * the leader's match index only, which a learner that never answered passes while the log
   * is still short; a voter that cannot be reached would weaken the quorum at once.
   */
  private async waitCaughtUp(id: NodeId, deadline: number): Promise<void> {
    for (;;) {
      this.requireLeader();
      const applied = this.hooks.peerApplied(id);
      const commit = this.hooks.raftStatus().commit;
      if (this.hooks.peerUp(id) && applied !== undefined && applied + RAFT_PROMOTE_MAX_LAG_ENTRIES >= commit) return;
      if (this.nowMs() + this.pollMs() > deadline) {
        throw new OpError('E_LEARNER_BEHIND', `promote ${id}: ${id} has not caught up with the log in time (${this.hooks.peerUp(id) ? `applied ${applied ?? 'unknown'} of ${commit}` : 'its link is down'}); it stays a learner and keeps catching up: run add-node again to promote it, or remove-node to drop it`,
          { node: id, change: 'promote', applied: applied ?? null, commit });
      }
      await this.sleepTicks(MEMBERSHIP_PROMOTE_POLL_TICKS);
    }
  }

  /** Refuses a removal after which the reachable voters are not a majority of the voters left. */
  private checkQuorumAfter(conf: ConfState, id: NodeId): void {
    const self = this.hooks.raftStatus().id;
    const after = conf.voters.filter((v) => v !== id);
    const live = after.filter((v) => v === self || this.hooks.peerUp(v));
    if (live.length * 2 <= after.length) {
      throw new OpError('E_NO_QUORUM', `after removing ${id} only ${live.length} of the ${after.length} remaining voters are reachable, not a quorum (--force removes it anyway)`,
        { remaining: after, reachable: live });
    }
  }

  /**
   * Proposes a conf change on this (leader) node and waits until it is applied here; retries
   * transient refusals until the deadline, then fails with the last refusal's code.
   */
  private async confChange(cc: ConfChange, deadline: number): Promise<void> {
    for (;;) {
      this.requireLeader();
      const r = this.hooks.proposeConfChange(cc);
      if (r.ok) {
        const index = r.index;
        await this.hooks.waitApplied(index, Math.max(1, deadline - this.nowMs()));
        if (!confReflects(this.conf(), cc)) {
          throw new OpError('E_PROPOSAL_DROPPED', `the ${cc.type} of ${cc.node} at index ${index} was not kept (leadership changed); run the request again`, { index });
        }
        return;
      }
      if (r.code === 'E_NOT_LEADER') this.requireLeader();
      if (!TRANSIENT.has(r.code) || this.nowMs() + this.pollMs() > deadline) throw refusal(cc, r.code);
      await this.sleepTicks(MEMBERSHIP_PROMOTE_POLL_TICKS);
    }
  }

  private async proposeCommand(cmd: Command, deadline: number): Promise<void> {
    const out = await this.hooks.propose(cmd, { timeoutMs: Math.max(1, deadline - this.nowMs()) });
    if (!out.ok) throw new OpError(out.code, out.message, { index: out.index });
  }

  private requireLeader(): void {
    const st = this.hooks.raftStatus();
    if (st.role === 'leader') return;
    const master = this.hooks.state().master?.node ?? st.lead;
    const where = master === null ? 'no master is known right now' : `run it on the master ${master}${this.addressOf(master)}`;
    throw new OpError('E_NOT_LEADER', `node ${st.id} is not the master: ${where}`, { leader: st.lead, master });
  }

  private addressOf(id: NodeId): string {
    const a = this.hooks.state().nodes.find((n) => n.id === id)?.address ?? this.hooks.peerAddress(id);
    return a === null ? '' : ` (${a})`;
  }

  private conf(): ConfState {
    return this.hooks.raftStatus().conf;
  }

  private nowMs(): number {
    return this.deps.clock.monoMs();
  }

  private pollMs(): number {
    return this.deps.tickMs * MEMBERSHIP_PROMOTE_POLL_TICKS;
  }

  private sleepTicks(ticks: number): Promise<void> {
    return new Promise<void>((res) => { this.deps.timers.setTimeout(res, this.deps.tickMs * ticks); });
  }
}

function confReflects(c: ConfState, cc: ConfChange): boolean {
  switch (cc.type) {
    case 'add-learner': return isMember(c, cc.node);
    case 'promote': return isVoter(c, cc.node);
    case 'remove': return !isMember(c, cc.node);
  }
}

function refusal(cc: ConfChange, code: ErrorCode): OpError {
  const why: Partial<Record<ErrorCode, string>> = {
    E_LEARNER_BEHIND: `${cc.node} has not caught up with the log in time; it stays a learner and keeps catching up: run add-node again to promote it, or remove-node to drop it`,
    E_CONF_CHANGE_PENDING: 'another membership change is still pending; retry once it has committed',
    E_PROPOSAL_DROPPED: 'the master refused new entries (a leadership transfer or a full proposal queue); retry',
    E_NO_LEADER: 'no leader is known; retry once the cluster has a master',
    E_TOO_LARGE: `the cluster already has the most members allowed`,
    E_INVALID_STATE: `${cc.type} of ${cc.node} does not fit the current membership`,
    E_UNKNOWN_NODE: `${cc.node} is not a member`,
  };
  return new OpError(code, `${cc.type} ${cc.node}: ${why[code] ?? code}`, { node: cc.node, change: cc.type });
}

function sameAddress(a: string, b: string): boolean {
  const x = parseHostPort(a);
  const y = parseHostPort(b);
  return x !== null && y !== null && x.port === y.port && x.host.toLowerCase() === y.host.toLowerCase();
}
