// The daemon's own alerts: mdadm's events and the cluster's, delivered by the master through the
// configured channels (program, mail, syslog), once per event cluster-wide, also across a failover.
// Owns: which node delivers what, the pending queue of alerts not yet confirmed sent, the channel
// runs (one at a time, each bounded), and the alerts-sent entries that confirm delivery.
// Invariants:
// - Every node feeds every event to its own Alerter (cluster/alerter.ts) in the same order (events
//   of applied entries are keyed by the entry's index and raised on every node), so each node
//   knows which alerts each entry gives; only the master (Raft leader with its own master record
//   of this term) delivers them.
// - An entry's alerts wait in `pending` until the replicated watermark (state.alertsSentThrough)
//   passes its index. The master delivers pending alerts in index order, then proposes
//   alerts-sent {through}; a new master delivers whatever is above the watermark again. So an
//   alert is delivered once, except when a master dies between delivering it and committing its
//   alerts-sent (then twice: at least once, never lost while its entry is in the queue).
// - Events that come from no entry (a peer link going down, quorum, a fence run) are this node's
//   own view: delivered at once, by the master only.
// - pending <= ALERT_MAX_PENDING entries (oldest dropped, loudly); channel runs waiting <=
//   ALERT_MAX_QUEUED_RUNS (more dropped, loudly); each run is killed after ALERT_RUN_TIMEOUT_MS.
import { ALERT_MAX_PENDING, ALERT_MAX_QUEUED_RUNS, ALERT_RUN_TIMEOUT_MS } from '../common/limits.js';
import type { Term } from '../common/types.js';
import { Alerter, type Alert, type AlertSinks, type SyslogPriority } from '../md/format/alerter.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';
import type { ClusterEvent } from '../control/protocol.js';
import type { RaftStatus } from '../raft/types.js';
import type { Clock, CommandRunner, Logger } from './deps.js';

export const SENDMAIL = '/usr/sbin/sendmail';
export const LOGGER = '/usr/bin/logger';

/** The [alerts] settings (config/config.ts), with mdadm.conf's MAILADDR/MAILFROM/PROGRAM applied. */
export interface AlertSettings {
  program: string | null;
  mail: string | null;
  mailFrom: string | null;
  syslog: boolean;
  incrementPercent: number;
  host: string;
}

export interface AlertHooks {
  raftStatus(): RaftStatus;
  state(): ClusterState;
  propose(cmd: Command): void;
  /** The cluster-wide /mdstat text, for the mail's P.S. */
  mdstat(): string;
}

/** Ticks before the same alerts-sent is proposed again while it is not yet applied. */
const CONFIRM_RETRY_TICKS = 20;

interface Run { argv: string[]; stdin?: string; channel: string }

export class AlertDelivery {
  private readonly alerter: Alerter;
  /** Alerts of applied entries not yet confirmed sent, oldest first. */
  private readonly pending: { index: number; alerts: Alert[] }[] = [];
  /** Highest index whose alerts this node delivered in `deliveredTerm`. */
  private deliveredThrough = 0;
  private deliveredTerm = -1;
  private confirmTick = -CONFIRM_RETRY_TICKS;
  /** The highest `through` proposed in deliveredTerm. */
  private proposedThrough = 0;
  private readonly runs: Run[] = [];
  private running = false;
  private readonly warned = new Set<string>();
  /** Alerts handed to the channels (tests and metrics). */
  delivered = 0;

  constructor(private readonly s: AlertSettings, private readonly hooks: AlertHooks, private readonly deps: { clock: Clock; logger: Logger; commands: CommandRunner }) {
    const sinks: AlertSinks = {
      program: (argv) => this.enqueue({ argv, channel: 'program' }),
      mail: (to, subject, body, from) => this.enqueue({ argv: [SENDMAIL, '-t'], stdin: `${from === null ? '' : `From: ${from}\n`}To: ${to}\nSubject: ${subject}\n\n${body}`, channel: 'mail' }),
      syslog: (priority: SyslogPriority, message) => this.enqueue({ argv: [LOGGER, '-t', 'mdclusterd', '-p', `daemon.${priority}`, '--', message], channel: 'syslog' }),
      // Nothing configured: the daemon's own log is the channel.
      stdout: (line) => this.deps.logger.warn({ alert: line.trim() }, 'md event'),
    };
    this.alerter = new Alerter({
      program: s.program, mail: s.mail, syslog: s.syslog, incrementPercent: s.incrementPercent, host: s.host,
      nowMs: () => deps.clock.wallMs(), mdstat: () => hooks.mdstat(), sender: 'mdclusterd', mailFrom: s.mailFrom,
    }, sinks);
  }

  /** New [alerts] settings (SIGHUP). */
  configure(s: AlertSettings): void {
    this.alerter.configure({ program: s.program, mail: s.mail, mailFrom: s.mailFrom, syslog: s.syslog, incrementPercent: s.incrementPercent });
  }

  /** Every event this node raises (node/events.ts subscription). */
  onEvent(e: ClusterEvent): void {
    const alerts = this.alerter.onEvent(e);
    if (alerts.length === 0) return;
    const index = /^[0-9]+$/.test(e.key) ? Number(e.key) : null;
    if (index === null) {
      if (this.isMaster()) for (const a of alerts) this.deliver(a);
      return;
    }
    if (index <= this.watermark()) return;
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && last.index === index) last.alerts.push(...alerts);
    else this.pending.push({ index, alerts });
    if (this.pending.length > ALERT_MAX_PENDING) {
      const dropped = this.pending.shift()!;
      this.deps.logger.error({ index: dropped.index, alerts: dropped.alerts.map((a) => a.event) }, `more than ${ALERT_MAX_PENDING} entries with unconfirmed alerts: dropping the oldest`);
    }
  }

  /** After each tick and applied batch: prune what the cluster confirmed; the master delivers the rest. */
  flush(): void {
    const mark = this.watermark();
    while (this.pending.length > 0 && this.pending[0].index <= mark) this.pending.shift();
    if (!this.isMaster()) return;
    const st = this.hooks.raftStatus();
    if (this.deliveredTerm !== st.term) {
      this.deliveredTerm = st.term;
      this.deliveredThrough = mark;
      this.proposedThrough = mark;
    }
    for (const p of this.pending) {
      if (p.index <= this.deliveredThrough) continue;
      for (const a of p.alerts) this.deliver(a);
      this.deliveredThrough = p.index;
    }
    // Confirm at once what was newly delivered (the window in which a master's death makes its
    // successor deliver again is this commit); the same confirmation again only after a pause.
    const fresh = this.deliveredThrough > this.proposedThrough;
    if (this.deliveredThrough > mark && (fresh || st.nowTick - this.confirmTick >= CONFIRM_RETRY_TICKS)) {
      this.confirmTick = st.nowTick;
      this.proposedThrough = this.deliveredThrough;
      this.deps.logger.debug({ through: this.deliveredThrough, term: st.term }, 'alerts delivered: confirming');
      this.hooks.propose({ op: 'alerts-sent', term: st.term as Term, through: this.deliveredThrough });
    }
  }

  /** Entries awaiting confirmation (tests). */
  get pendingCount(): number {
    return this.pending.length;
  }

  private watermark(): number {
    return this.hooks.state().alertsSentThrough ?? 0;
  }

  private isMaster(): boolean {
    const st = this.hooks.raftStatus();
    const m = this.hooks.state().master;
    return st.role === 'leader' && m !== null && m.node === st.id && m.term === st.term;
  }

  private deliver(a: Alert): void {
    this.delivered++;
    this.deps.logger.info({ event: a.event, device: a.device, component: a.component }, 'alert');
    this.alerter.raise(a);
  }

  private enqueue(run: Run): void {
    if (this.runs.length >= ALERT_MAX_QUEUED_RUNS) {
      this.warnOnce('queue', `more than ${ALERT_MAX_QUEUED_RUNS} alert runs waiting: dropping a ${run.channel} run`);
      return;
    }
    this.runs.push(run);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    for (let run = this.runs.shift(); run !== undefined; run = this.runs.shift()) {
      const r = await this.deps.commands.run(run.argv[0], run.argv.slice(1), ALERT_RUN_TIMEOUT_MS, run.stdin);
      if (!r.ok) this.warnOnce(`${run.channel}:${run.argv[0]}`, `alert channel ${run.channel} (${run.argv[0]}) failed: ${r.message}`);
    }
    this.running = false;
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    if (this.warned.size < ALERT_MAX_QUEUED_RUNS) this.warned.add(key);
    this.deps.logger.warn({}, msg);
  }
}
