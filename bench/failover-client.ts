// The client's view of a failover for the `failover` benchmark: at each kill -9 of the master an
// mdctl command (a separate process, MDCTL_SOCKET listing all three daemons) is issued, and the
// time from the kill until it exits is measured. Two clients per kill: one on a standby's host
// (its local daemon survives: MDCTL_SOCKET = that standby, then the others) and one on the
// master's host (its local daemon is the one killed: MDCTL_SOCKET = the master first).
// Owns: those processes and the exactly-once audit of their requests in the committed logs
// (read offline after the daemons stopped, test/integration/lib/history-log.ts).
// Invariants: every command is waited for (bounded by history-mdctl.ts); a command counts as
// failed when mdctl exits non-zero, and as applied twice when its request went through the
// state machine more than once; a command whose request is absent from the log was not applied.
import type { Cluster } from '../test/integration/harness.js';
import { summarize, type LatencySummary } from '../test/integration/lib/bench-util.js';
import { fullestLog, readNodeLog } from '../test/integration/lib/history-log.js';
import { mdctlRequests, startMdctl, type RunningMdctl } from '../test/integration/lib/history-mdctl.js';

/** The command each client issues: idempotent for md, but every copy is visible in the log. */
const COMMAND = ['--manage', '/dev/md0', '--write-mostly', '/dev/sdb'];

export type ClientSite = 'standby' | 'master-host';

interface Issued {
  site: ClientSite;
  run: RunningMdctl;
}

export interface ClientSample {
  site: ClientSite;
  pid: number;
  /** From the kill (performance.now() just before SIGKILL) to mdctl's exit. */
  killToDoneMs: number;
  code: number;
  stderr: string;
}

export class FailoverClients {
  private readonly pending: { killMs: number; issued: Issued[] }[] = [];
  readonly samples: ClientSample[] = [];

  constructor(private readonly c: Cluster) {}

  /** Starts both clients for a kill of `master`; call right before the kill, then killed(). */
  issue(master: string): Issued[] {
    const others = this.c.ids.filter((id) => id !== master);
    const sock = (ids: string[]): string[] => ids.map((id) => this.c.controlSocket(id));
    return [
      { site: 'standby', run: startMdctl(sock([others[0], master, others[1]]), COMMAND) },
      { site: 'master-host', run: startMdctl(sock([master, ...others]), COMMAND) },
    ];
  }

  /** Records the kill time of `issued` (performance.now() ms, just before SIGKILL). */
  killed(issued: Issued[], killMs: number): void {
    this.pending.push({ killMs, issued });
  }

  /** Waits for every issued command. */
  async settle(): Promise<void> {
    for (const { killMs, issued } of this.pending.splice(0)) {
      for (const { site, run } of issued) {
        const r = await run.done;
        this.samples.push({ site, pid: run.pid, killToDoneMs: r.endMs - killMs, code: r.code, stderr: r.stderr.trim().slice(0, 300) });
      }
    }
  }

  /** After every daemon stopped: each command's applications in the committed log. */
  async audit(): Promise<ClientReport> {
    const logs = await Promise.all(this.c.ids.map((id) => readNodeLog(id, this.c.dataDir(id))));
    const full = fullestLog(logs);
    const per = (site: ClientSite): SiteReport => {
      const ss = this.samples.filter((s) => s.site === site);
      const applied = ss.map((s) => mdctlRequests(full.requests, s.pid).reduce((n, t) => n + t.appliedAt.length, 0));
      return {
        killToDone: summarize(ss.filter((s) => s.code === 0).map((s) => s.killToDoneMs)),
        commands: ss.length,
        failed: ss.filter((s) => s.code !== 0).length,
        appliedTwice: applied.filter((n) => n > 1).length,
        okButNotApplied: ss.filter((s, k) => s.code === 0 && applied[k] === 0).length,
        failures: [...new Set(ss.filter((s) => s.code !== 0).map((s) => `exit ${s.code}: ${s.stderr.replace(/\/tmp\/\S+/g, '<sock>')}`))].slice(0, 5),
      };
    };
    return { snapshotIndex: full.snapshotIndex, standby: per('standby'), masterHost: per('master-host') };
  }
}

export interface SiteReport {
  killToDone: LatencySummary;
  commands: number;
  failed: number;
  appliedTwice: number;
  /** mdctl said it succeeded but the log has no application of its request: a lie. */
  okButNotApplied: number;
  failures: string[];
}

export interface ClientReport {
  /** 0: the whole history was in the log (else early applications are invisible). */
  snapshotIndex: number;
  standby: SiteReport;
  masterHost: SiteReport;
}
