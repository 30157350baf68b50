// The real alert channels of `mdctl --monitor`: the --program (argv, no shell), sendmail for
// --mail, logger(1) for --syslog, and stdout. Owns: running them one at a time, in alert
// order, each bounded, and reporting (once per channel) when one cannot run.
// Invariants: at most MONITOR_MAX_QUEUED_ALERTS runs wait (more are dropped with a notice);
// every run is killed after MONITOR_ALERT_TIMEOUT_MS; drain() resolves once the queue is empty,
// so --oneshot exits only after its alerts went out.
import { spawn } from 'node:child_process';
import { MONITOR_ALERT_TIMEOUT_MS, MONITOR_MAX_QUEUED_ALERTS } from '../../daemon/src/common/limits.js';
import type { AlertSinks, SyslogPriority } from '../../daemon/src/md/format/alerter.js';

export const SENDMAIL = '/usr/sbin/sendmail';
export const LOGGER = 'logger';

interface Job { argv: string[]; stdin: string | null; channel: string }

export class ProcessSinks implements AlertSinks {
  private readonly queue: Job[] = [];
  private running = false;
  private readonly idle: (() => void)[] = [];
  private readonly warned = new Set<string>();

  constructor(private readonly out: (text: string) => void, private readonly note: (msg: string) => void) {}

  program(argv: string[]): void { this.enqueue({ argv, stdin: null, channel: `--program ${argv[0]}` }); }
  mail(to: string, subject: string, body: string, from: string | null): void {
    const head = from === null ? '' : `From: ${from}\n`;
    this.enqueue({ argv: [SENDMAIL, '-t'], stdin: `${head}To: ${to}\nSubject: ${subject}\n\n${body}`, channel: `--mail (${SENDMAIL})` });
  }
  syslog(priority: SyslogPriority, message: string): void {
    this.enqueue({ argv: [LOGGER, '-t', 'mdctl', '-p', `daemon.${priority}`, '--', message], stdin: null, channel: `--syslog (${LOGGER})` });
  }
  stdout(line: string): void { this.out(line); }

  /** Resolves when every queued run has finished. */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private enqueue(job: Job): void {
    if (this.queue.length >= MONITOR_MAX_QUEUED_ALERTS) { this.warnOnce('queue', `more than ${MONITOR_MAX_QUEUED_ALERTS} alerts waiting: dropping ${job.channel} runs`); return; }
    this.queue.push(job);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    for (let job = this.queue.shift(); job !== undefined; job = this.queue.shift()) await this.runOne(job);
    this.running = false;
    for (const r of this.idle.splice(0)) r();
  }

  private runOne(job: Job): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn(job.argv[0], job.argv.slice(1), { stdio: [job.stdin === null ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
      const timer = setTimeout(() => { child.kill('SIGKILL'); this.warnOnce(`${job.channel}:timeout`, `${job.channel} did not finish within ${MONITOR_ALERT_TIMEOUT_MS} ms: killed`); }, MONITOR_ALERT_TIMEOUT_MS);
      child.on('error', (e: NodeJS.ErrnoException) => this.warnOnce(job.channel, `cannot run ${job.channel}: ${e.code ?? e.message}`));
      child.on('close', () => { clearTimeout(timer); resolve(); });
      if (child.stdin) {
        child.stdin.on('error', () => { /* the process went away: reported through 'error'/'close' */ });
        child.stdin.end(job.stdin);
      }
    });
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.note(msg);
  }
}
