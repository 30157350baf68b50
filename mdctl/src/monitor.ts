// mdadm's monitor mode made cluster-wide: `mdctl --monitor [--scan] [md devices...]` subscribes
// to the local daemon's event stream, in which every array event carries the key of the log
// entry that caused it, so each is raised once whichever node the monitor watches. Owns: the
// options (--program/--alert, --mail, --syslog, --delay, --increment, --oneshot, --test,
// --daemonise, --pid-file, --config), the first look at start (TestMessage, DegradedArray,
// SparesMissing), reconnecting, and the process lifetime (signals, pid file).
// Invariants: with nothing configured it says so and prints to stdout; --oneshot returns only
// after its alerts went out; a dropped daemon connection is retried every --delay seconds
// (events during the gap are not replayed: the monitor takes a first look again, and each
// degraded or short-of-spares condition is raised once per monitor process).
import { spawn } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import { Alerter, type Alert } from '../../daemon/src/md/format/alerter.js';
import { intOption, mdName, UsageError } from './args.js';
import { Client, socketPath } from './client.js';
import { Ctx, describe, EXIT, homeHost } from './context.js';
import { DEFAULT_MDADM_CONF, readSparesExpectations, type SparesExpectation } from './monitor-conf.js';
import { ProcessSinks } from './sinks.js';
import type { StateReply } from './state.js';

const DEFAULT_DELAY_S = 60;
const DEFAULT_INCREMENT = 20;
const DAEMONISED_ENV = 'MDCTL_MONITOR_DAEMONISED';

export interface MonitorOptions {
  program: string | null;
  mail: string | null;
  syslog: boolean;
  delaySec: number;
  increment: number;
  oneshot: boolean;
  test: boolean;
  daemonise: boolean;
  pidFile: string | null;
  /** Only these md devices ("/dev/md0"); null: every array (--scan). */
  devices: Set<string> | null;
  conf: string;
}

export function monitorOptions(ctx: Ctx): MonitorOptions {
  const v = ctx.args.values;
  const str = (x: unknown): string | null => (x === undefined ? null : String(x));
  const program = str(v.program) ?? str(v.alert);
  const devices = ctx.args.positionals.map((p) => {
    const n = mdName(p);
    if (!n) throw new UsageError(`${p} is not an md device`);
    return `/dev/${n}`;
  });
  return {
    program, mail: str(v.mail), syslog: v.syslog === true,
    delaySec: intOption(v.delay, 'delay', 1, 86_400) ?? DEFAULT_DELAY_S,
    increment: intOption(v.increment, 'increment', 1, 99) ?? DEFAULT_INCREMENT,
    oneshot: v.oneshot === true, test: v.test === true,
    // mdadm's -f means --daemonise in monitor mode (and --fail in manage mode).
    daemonise: (v.daemonise === true || v.daemonize === true || v.fail === true) && ctx.io.env[DAEMONISED_ENV] !== '1',
    pidFile: str(v['pid-file']), devices: devices.length > 0 ? new Set(devices) : null, conf: str(v.config) ?? DEFAULT_MDADM_CONF,
  };
}

/** Starts a detached copy of this monitor and returns (mdadm prints its pid unless --pid-file). */
function daemonise(ctx: Ctx, o: MonitorOptions): number {
  const argv = process.argv.slice(2).filter((a) => a !== '--daemonise' && a !== '--daemonize' && a !== '-f');
  const child = spawn(process.execPath, [process.argv[1], ...argv], { detached: true, stdio: 'ignore', env: { ...ctx.io.env, [DAEMONISED_ENV]: '1' } });
  child.unref();
  if (child.pid === undefined) { ctx.note('cannot start the monitor in the background'); return EXIT.FAIL; }
  if (o.pidFile !== null) writeFileSync(o.pidFile, `${child.pid}\n`);
  else ctx.io.out(`${child.pid}\n`);
  return EXIT.OK;
}

export class MonitorSession {
  private client: Client | null = null;
  private stopping = false;
  private mdstatText = '';
  private work: Promise<void> = Promise.resolve();
  private readonly sparesExpected: SparesExpectation[];
  readonly alerter: Alerter;
  readonly sinks: ProcessSinks;

  constructor(private readonly ctx: Ctx, private readonly o: MonitorOptions) {
    this.sinks = new ProcessSinks((t) => ctx.io.out(t), (m) => ctx.note(m));
    this.alerter = new Alerter({
      program: o.program, mail: o.mail, syslog: o.syslog, incrementPercent: o.increment, host: homeHost(),
      nowMs: () => Date.now(), mdstat: () => this.mdstatText,
    }, this.sinks);
    this.sparesExpected = readSparesExpectations(o.conf);
  }

  private wanted(device: string | null): boolean {
    return device === null || this.o.devices === null || this.o.devices.has(device);
  }

  /** Connects, subscribes and reads the state; the stream's events queue behind the first look. */
  async connect(): Promise<StateReply> {
    const c = new Client(socketPath(this.ctx.args.values.socket as string | undefined, this.ctx.io.env));
    await c.connect();
    this.client = c;
    c.onEvent((e) => { this.work = this.work.then(() => this.onEvent(e)); });
    await c.request('subscribe');
    const s = await c.request<StateReply>('state', { local: true });
    this.firstLook(s);
    return s;
  }

  /** TestMessage (--test), DegradedArray and SparesMissing for the running arrays, as mdadm at start. */
  firstLook(s: StateReply): void {
    s.state.arrays.forEach((rec, i) => {
      const view = s.views[i];
      const dev = `/dev/${rec.device}`;
      if (rec.run !== 'running' || !this.wanted(dev)) return;
      const alerts: { key: string; a: Alert }[] = [];
      if (this.o.test) alerts.push({ key: `test:${dev}`, a: { event: 'TestMessage', device: dev, component: null } });
      if (rec.materialized && view.degraded > 0) alerts.push({ key: `look:${dev}:${rec.raidDisks - view.degraded}`, a: { event: 'DegradedArray', device: dev, component: null } });
      const want = this.sparesExpected.find((e) => e.uuid === rec.uuid || e.device === dev);
      const spares = view.members.filter((m) => m.flags.includes('spare') && !m.flags.includes('faulty')).length;
      if (want && spares < want.spares) alerts.push({ key: `spares:${dev}:${spares}`, a: { event: 'SparesMissing', device: dev, component: null } });
      if (rec.sync.action !== 'idle' && rec.sync.totalSectors > 0) this.alerter.noteProgress(dev, Math.floor((rec.sync.doneSectors * 100) / rec.sync.totalSectors));
      for (const { key, a } of alerts) if (this.alerter.once(`monitor:${key}`, a)) this.alerter.raise(a);
    });
  }

  private async onEvent(e: ClusterEvent): Promise<void> {
    if (!this.wanted(e.device)) return;
    const alerts = this.alerter.onEvent(e);
    if (alerts.length > 0 && this.o.mail !== null) await this.refreshMdstat();
    for (const a of alerts) this.alerter.raise(a);
  }

  private async refreshMdstat(): Promise<void> {
    try { this.mdstatText = (await this.client!.request<{ text: string }>('mdstat', { local: true })).text; } catch { /* keep the last one */ }
  }

  /** Runs until stop(): reconnects every --delay seconds after the daemon connection drops. */
  async follow(): Promise<void> {
    for (;;) {
      const closed = new Promise<Error>((r) => this.client?.onClose(r));
      const err = await closed;
      if (this.stopping) return;
      this.ctx.note(`lost the connection to mdclusterd (${err.message}); retrying every ${this.o.delaySec} s`);
      for (;;) {
        await new Promise((r) => setTimeout(r, this.o.delaySec * 1000));
        if (this.stopping) return;
        try { await this.connect(); this.ctx.note('reconnected to mdclusterd'); break; } catch { this.client?.close(); }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.client?.close();
    await this.work;
    await this.sinks.drain();
  }

  async settle(): Promise<void> {
    await this.work;
    await this.sinks.drain();
  }
}

export async function runMonitor(ctx: Ctx): Promise<number> {
  const o = monitorOptions(ctx);
  if (o.daemonise) return daemonise(ctx, o);
  const session = new MonitorSession(ctx, o);
  if (!session.alerter.configured) ctx.note('no --mail, --program or --syslog given: printing events to stdout');
  try {
    await session.connect();
  } catch (e) {
    ctx.note(describe(e, 'cannot monitor'));
    await session.stop();
    return EXIT.FAIL;
  }
  if (o.oneshot) { await session.stop(); return EXIT.OK; }
  if (o.pidFile !== null) writeFileSync(o.pidFile, `${process.pid}\n`);
  const stopped = new Promise<void>((resolve) => {
    const stop = () => { void session.stop().then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await Promise.race([stopped, session.follow().then(() => stopped)]);
  if (o.pidFile !== null) { try { unlinkSync(o.pidFile); } catch { /* already gone */ } }
  return EXIT.OK;
}
