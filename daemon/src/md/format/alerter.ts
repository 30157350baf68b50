// The alert logic of `mdctl --monitor` and of the daemon's own alerts (node/alert-delivery.ts), in mdadm's terms: which cluster events become which alerts
// (RebuildNN at any --increment), de-duplication by the event's stable key, and what each
// alert channel gets (--program argv, --mail text, --syslog priority and message, stdout
// line). Owns: that mapping and the per-array rebuild progress; it performs no I/O (the
// channels are an injected AlertSinks), so it is unit-tested directly.
// Invariants:
// - An event key is raised at most once per (key, name, device, component) while remembered
//   (MONITOR_MAX_SEEN_KEYS, oldest forgotten first): a replayed or repeated event is silent.
// - RebuildNN follows mdadm: raised when floor(percent / increment) grows past the last raised
//   (or first seen) step, never for step 0 or 100 %; NN is the percent reached then (mdadm
//   prints mse->percent, e.g. Rebuild23 at increment 20), two digits.
// - RebuildFinished carries md's mismatch count as mdadm does (" mismatches found: N (on raid
//   level L)" in the component's place) when the finished sync found any.
// - Mail goes only for the events mdadm mails (Fail*, Degraded*, SparesMissing, TestMessage)
//   and the cluster's QuorumLost, DemoteFailed, FenceRan and OpRefused (DegradedAtBoot is a
//   Degraded*); --program and syslog get every alert.
import { MONITOR_MAX_SEEN_KEYS, MONITOR_MAX_TRACKED_ARRAYS } from '../../common/limits.js';

/** The fields of a cluster event (control/protocol.ts ClusterEvent) that alerts are made of. */
export interface AlertEvent {
  key: string;
  name: string;
  device: string | null;
  component: string | null;
  percent?: number;
  detail?: string;
  mismatchCount?: number;
  raidLevel?: number;
}

export interface Alert {
  event: string;
  /** The md device ("/dev/md0"), or "cluster" for an event about the cluster itself. */
  device: string;
  component: string | null;
}

export type SyslogPriority = 'crit' | 'warning' | 'info';

/** Where alerts go; the real ones run programs (sinks.ts), tests record. */
export interface AlertSinks {
  program(argv: string[]): void;
  /** `from`: the From: address (mdadm.conf MAILFROM), or null for sendmail's default. */
  mail(to: string, subject: string, body: string, from: string | null): void;
  syslog(priority: SyslogPriority, message: string): void;
  stdout(line: string): void;
}

export interface AlerterOptions {
  program: string | null;
  mail: string | null;
  syslog: boolean;
  /** Percent step of RebuildNN alerts (mdadm --increment, 1..99). */
  incrementPercent: number;
  host: string;
  /** Wall clock in ms (the stdout line's time). */
  nowMs(): number;
  /** The cluster-wide /mdstat for the mail's P.S. (may be empty). */
  mdstat(): string;
  /** Who sends the mail ("mdctl" for a monitor at a terminal, "mdclusterd" for the daemon). */
  sender?: string;
  /** From: of alert mails (mdadm.conf MAILFROM); null or absent: sendmail's default. */
  mailFrom?: string | null;
}

const MAILED = /^(Fail|Degrade|SparesMissing|TestMessage|QuorumLost|DemoteFailed|FenceRan|OpRefused)/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** mdadm's syslog priority: crit for failures and lost arrays, warning for rebuilds (and md refusing a committed operation), else info. */
export function syslogPriority(event: string): SyslogPriority {
  if (/^(Fail|Degrade|DeviceDisappeared|QuorumLost|DemoteFailed|FenceRan)/.test(event)) return 'crit';
  if (event.startsWith('Rebuild') || event === 'OpRefused') return 'warning';
  return 'info';
}

/** "Nov 21 23:09:35" (ctime's month, day and time, as mdadm prints with %1.15s). */
function shortTime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** "RebuildNN" for the percent reached (mdadm: "Rebuild%02d" of mse->percent). */
export function rebuildEventName(percent: number): string {
  return `Rebuild${String(percent).padStart(2, '0')}`;
}

export class Alerter {
  /** Keys already raised; Map keeps insertion order, so the oldest is evicted first. */
  private readonly seen = new Map<string, true>();
  /** device -> last RebuildNN bucket raised (or the progress found at start). Invariant: size <= MONITOR_MAX_TRACKED_ARRAYS. */
  private readonly rebuildBucket = new Map<string, number>();
  raised = 0;

  constructor(private opts: AlerterOptions, private readonly sinks: AlertSinks) {}

  /** New channel settings (a reload); what was already raised stays raised. */
  configure(change: Partial<Pick<AlerterOptions, 'program' | 'mail' | 'mailFrom' | 'syslog' | 'incrementPercent'>>): void {
    this.opts = { ...this.opts, ...change };
  }

  get configured(): boolean {
    return this.opts.program !== null || this.opts.mail !== null || this.opts.syslog;
  }

  /** Progress already made when the monitor started: no RebuildNN for what happened before. */
  noteProgress(device: string, percent: number): void {
    this.trackBucket(device, Math.floor(percent / this.opts.incrementPercent) * this.opts.incrementPercent);
  }

  private trackBucket(device: string, bucket: number): void {
    if (!this.rebuildBucket.has(device) && this.rebuildBucket.size >= MONITOR_MAX_TRACKED_ARRAYS) {
      this.rebuildBucket.delete(this.rebuildBucket.keys().next().value!);
    }
    this.rebuildBucket.set(device, bucket);
  }

  /** True the first time (key, alert) is seen: the monitor's own first-look alerts dedup here too. */
  once(key: string, a: Alert): boolean {
    const id = `${key}\u0000${a.event}\u0000${a.device}\u0000${a.component ?? ''}`;
    if (this.seen.has(id)) return false;
    if (this.seen.size >= MONITOR_MAX_SEEN_KEYS) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(id, true);
    return true;
  }

  /** The alerts one cluster event gives (none when its key was already raised). */
  onEvent(e: AlertEvent): Alert[] {
    if (!this.once(e.key, { event: e.name, device: e.device ?? 'cluster', component: e.component })) return [];
    const device = e.device ?? 'cluster';
    if (e.name === 'Rebuild') return this.rebuildAlert(device, e.percent ?? 0);
    if (e.name === 'RebuildStarted') this.trackBucket(device, 0);
    if (e.name === 'RebuildFinished') {
      this.rebuildBucket.delete(device);
      if (e.mismatchCount !== undefined && e.mismatchCount > 0) {
        return [{ event: e.name, device, component: ` mismatches found: ${e.mismatchCount} (on raid level ${e.raidLevel ?? 'unknown'})` }];
      }
    }
    return [{ event: e.name, device, component: e.component ?? e.detail ?? null }];
  }

  private rebuildAlert(device: string, percent: number): Alert[] {
    const step = this.opts.incrementPercent;
    const bucket = Math.floor(percent / step) * step;
    const last = this.rebuildBucket.get(device) ?? 0;
    if (bucket <= last || bucket <= 0 || bucket >= 100) return [];
    this.trackBucket(device, bucket);
    return [{ event: rebuildEventName(Math.floor(percent)), device, component: null }];
  }

  /** Sends one alert to every configured channel (stdout when none is configured). */
  raise(a: Alert): void {
    this.raised++;
    const o = this.opts;
    if (o.program !== null) this.sinks.program(a.component === null ? [o.program, a.event, a.device] : [o.program, a.event, a.device, a.component]);
    if (o.mail !== null && MAILED.test(a.event)) this.sinks.mail(o.mail, `${a.event} event on ${a.device}:${o.host}`, this.mailBody(a), o.mailFrom ?? null);
    if (o.syslog) {
      this.sinks.syslog(syslogPriority(a.event), `${a.event} event detected on md device ${a.device}${a.component === null ? '' : `, component device ${a.component}`}`);
    }
    if (!this.configured) this.sinks.stdout(`${shortTime(o.nowMs())}: ${a.event} on ${a.device} ${a.component ?? 'unknown device'}\n`);
  }

  private mailBody(a: Alert): string {
    const o = this.opts;
    const lines = [
      `This is an automatically generated mail message from ${o.sender ?? 'mdctl'}`, `running on ${o.host}`, '',
      `A ${a.event} event had been detected on md device ${a.device}.`, '',
    ];
    if (a.component !== null) lines.push(`It could be related to component device ${a.component}.`, '');
    lines.push('Faithfully yours, etc.', '', 'P.S. The cluster-wide /mdstat currently contains the following:', '', o.mdstat());
    return lines.join('\n');
  }
}
