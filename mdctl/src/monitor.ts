// mdadm's monitor mode made cluster-wide: subscribes to the daemon's event stream, in which
// every event carries the key of the log entry that caused it, so each is raised once per
// cluster whichever node the monitor watches. Owns: --program (argv, no shell), --mail
// (sendmail), --syslog, stdout when nothing is configured (said once, not silent),
// DegradedArray for arrays already degraded at start, RebuildNN at any --increment,
// --oneshot and --test.
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import { intOption } from './args.js';
import { Ctx, EXIT } from './context.js';
import { readState } from './state.js';

const MAX_SEEN_KEYS = 10_000;

export interface Alert { event: string; device: string; component: string | null }

export class Alerter {
  /** Keys already raised (bounded). */
  private readonly seen = new Set<string>();
  private readonly rebuildStep: number;
  private readonly lastRebuild = new Map<string, number>();
  constructor(private readonly ctx: Ctx) {
    this.rebuildStep = intOption(ctx.args.values.increment, 'increment', 1, 99) ?? 20;
  }

  get configured(): boolean {
    const v = this.ctx.args.values;
    return v.program !== undefined || v.alert !== undefined || v.mail !== undefined || v.syslog === true;
  }

  /** Maps a cluster event to mdadm alerts (RebuildNN by increment), deduplicated by key. */
  onEvent(e: ClusterEvent): Alert[] {
    const key = `${e.key}:${e.name}:${e.device ?? ''}:${e.component ?? ''}`;
    if (this.seen.has(key)) return [];
    if (this.seen.size >= MAX_SEEN_KEYS) this.seen.clear();
    this.seen.add(key);
    const device = e.device ?? '(cluster)';
    if (e.name === 'Rebuild') {
      const p = e.percent ?? 0;
      const bucket = Math.floor(p / this.rebuildStep) * this.rebuildStep;
      const last = this.lastRebuild.get(device) ?? 0;
      if (bucket <= last || bucket === 0 || bucket >= 100) return [];
      this.lastRebuild.set(device, bucket);
      return [{ event: `Rebuild${bucket}`, device, component: null }];
    }
    if (e.name === 'RebuildStarted' || e.name === 'RebuildFinished') this.lastRebuild.set(device, 0);
    return [{ event: e.name, device, component: e.component ?? e.detail ?? null }];
  }

  raise(a: Alert): void {
    const v = this.ctx.args.values;
    const prog = (v.program ?? v.alert) as string | undefined;
    const line = `${a.event} event detected on md device ${a.device}${a.component ? `, component device ${a.component}` : ''}`;
    if (prog) execFile(prog, a.component ? [a.event, a.device, a.component] : [a.event, a.device], () => {});
    if (v.mail !== undefined) {
      const p = spawn('/usr/sbin/sendmail', ['-t'], { stdio: ['pipe', 'ignore', 'ignore'] });
      p.on('error', () => this.ctx.note('cannot run /usr/sbin/sendmail for --mail'));
      p.stdin.on('error', () => {});
      p.stdin.end(`To: ${String(v.mail)}\nSubject: ${a.event} event on ${a.device}:${hostname()}\n\nThis is an automatically generated mail message from mdctl\nrunning on ${hostname()}\n\nA ${a.event} event had been detected on md device ${a.device}.\n`);
    }
    if (v.syslog === true) execFile('logger', ['-t', 'mdctl', '-p', /Fail|Degraded|Disappeared|Lost/.test(a.event) ? 'daemon.crit' : 'daemon.info', line], () => {});
    if (!this.configured) this.ctx.io.out(`${new Date().toUTCString()}: ${a.event} on ${a.device}${a.component ? ` ${a.component}` : ''}\n`);
  }
}

export async function runMonitor(ctx: Ctx): Promise<number> {
  const v = ctx.args.values;
  const alerter = new Alerter(ctx);
  if (!alerter.configured) ctx.note('no --mail, --program or --syslog given: printing events to stdout');
  if (v['pid-file'] !== undefined) writeFileSync(String(v['pid-file']), `${process.pid}\n`);
  const s = await readState(ctx);
  for (const view of s.views) {
    const dev = `/dev/${view.device}`;
    if (v.test === true) alerter.raise({ event: 'TestMessage', device: dev, component: null });
    if (view.degraded > 0) alerter.raise({ event: 'DegradedArray', device: dev, component: null });
  }
  if (v.oneshot === true) return EXIT.OK;
  const c = await ctx.daemon();
  c.onEvent((e) => { for (const a of alerter.onEvent(e)) alerter.raise(a); });
  await c.request('subscribe');
  return new Promise<number>((resolve) => {
    const stop = () => { ctx.close(); resolve(EXIT.OK); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
