// Building and running one mdclusterd from its Config: storage, md driver, transport, node
// shell, control socket, status endpoint, systemd notifications and signal handling.
// Owns: start-up order and shutdown order. Invariants: the TLS files (key mode included) are
// checked before the data directory is created; one daemon per data directory (an exclusive
// flock, storage/data-dir-lock.ts) before the Raft state is opened; nothing listens before the
// Raft state is recovered; READY=1 is sent once the node is up locally (log recovered, peer
// listener, control socket and status endpoint open), never gated on a leader, and STATUS=
// says what it waits for; on SIGTERM a master hands leadership to another node before it
// stops; a node configured with cluster.join starts without a founding membership
// (node/node.ts NodeSettings.join).
import { readFileSync, statSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from './common/errors.js';
import type { Config } from './config/config.js';
import { ControlServer } from './control/server.js';
import { makeHandler } from './control/handlers.js';
import type { Logger } from './log/logger.js';
import type { MdDriver } from './md/driver.js';
import { exitOnFatal, systemClock, systemCommands, systemFiles, systemTimers, type RaftStorage } from './node/deps.js';
import { ClusterNode } from './node/node.js';
import { createPrng } from './raft/prng.js';
import { StatusServer } from './status/server.js';
import { makeStatusSource, timingSample } from './status/source.js';
import { createMetrics } from './status/metrics.js';
import { packageVersion } from './status/assets.js';
import { Timings } from './status/timings.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { DiskStorage } from './storage/disk-storage.js';
import { createTransportFromConfig } from './transport/from-config.js';
import { loadTlsMaterial } from './transport/tls-material.js';
import { DAEMON_STOP_STEP_DOWN_MS, SNAPSHOT_EVERY_ENTRIES, STATUS_SAMPLE_INTERVAL_MS } from './common/limits.js';
import { nodeSettingsFromConfig } from './node-settings.js';
import { alertSettings, startAlerts } from './alerts.js';
import { makeReloader, type ReloadOutcome } from './reload.js';
import { waitingFor } from './ready-status.js';

export interface RunningDaemon {
  node: ClusterNode;
  stop(reason: string): Promise<void>;
  /** SIGHUP: re-reads the config file, applies what can change at run time, logs the rest. */
  reload(): ReloadOutcome;
}

export interface DaemonOptions {
  pidFile?: string;
  /** Changes the level of `logger` and its children (log.level on reload). */
  setLogLevel?: (level: Config['log']['level']) => void;
}

async function makeDriver(config: Config, logger: Logger): Promise<MdDriver> {
  // Loaded on demand: the kernel driver pulls in koffi and native/, the sim driver its model.
  if (config.md.driver === 'kernel') {
    const { KernelMdDriver } = await import('./md/kernel/driver.js');
    return new KernelMdDriver({ onWatchError: (e) => logger.warn({ err: e.message }, 'md watcher read failed') });
  }
  const { createSimDriver } = await import('./md/sim/driver.js');
  return createSimDriver({ diskDir: config.md.simDiskDir!, node: config.nodeId, logger });
}

function seesDeviceFor(driver: MdDriver): (path: string) => Promise<boolean> {
  return async (path) => {
    if (driver.kind === 'sim') return (driver as MdDriver & { hasDevice(p: string): boolean }).hasDevice(path);
    try { return statSync(path).isBlockDevice(); } catch { return false; }
  };
}

export async function startDaemon(config: Config, logger: Logger, opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const tls = loadTlsMaterial(config.tls, config.nodeId, Date.now());
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(config.dataDir);
  const statusAccess = loadStatusAccess(config);
  const { storage, recovered } = await DiskStorage.open(join(config.dataDir, 'raft'), logger);
  // Set once the node exists (metrics read its view); saves before that are not timed.
  let observeWalSaveMs: ((ms: number) => void) | null = null;
  let observeTickLagMs: ((ms: number) => void) | null = null;
  const raftStorage: RaftStorage = {
    restored: () => recovered,
    save: async (b) => {
      if (!b.mustSync || observeWalSaveMs === null) return storage.save(b);
      const t0 = systemClock.monoMs();
      await storage.save(b);
      observeWalSaveMs(systemClock.monoMs() - t0);
    },
    saveSnapshot: (s) => storage.saveSnapshot(s),
    compact: async (i) => { await storage.compact(i); },
    close: () => storage.close(),
  };
  const driver = await makeDriver(config, logger);
  const transport = createTransportFromConfig(config, logger, tls);
  const t = config.timing;
  const seed = (Date.now() ^ (process.pid << 8)) >>> 0;
  const node = new ClusterNode(nodeSettingsFromConfig(config, {
    reboot: () => { logger.error({}, 'FENCE: rebooting this node'); rebootNow(config.md.driver); },
    writerLogFile: join(config.dataDir, 'writer.log'),
    snapshotEveryEntries: snapshotEvery(),
  }), {
    clock: systemClock, timers: systemTimers, logger, transport, storage: raftStorage, driver, prng: createPrng(seed),
    files: systemFiles, commands: systemCommands, fatal: exitOnFatal(logger), onTickLagMs: (ms) => observeTickLagMs?.(ms),
  });

  const metrics = createMetrics({
    view: () => node.view(), subscribe: (fn) => node.events.subscribe(fn), version: packageVersion(),
    tickMs: t.tickMs, demoteMarginTicks: node.settings.writer.demoteMarginTicks, transportStats: () => transport.stats(),
    certFiles: { peer: config.tls.certPath, ca: config.tls.caPath, ...(config.status.tls ? { status: config.status.tls.certPath } : {}) },
  });
  observeWalSaveMs = metrics.observeWalSaveMs;
  observeTickLagMs = metrics.observeTickLagMs;
  transport.onRtt((peer, ms) => metrics.observePeerRttMs(peer, ms));
  const timeProposal = async <T>(p: Promise<T>): Promise<T> => {
    const t0 = systemClock.monoMs();
    try {
      const r = await p;
      metrics.observeCommitMs(systemClock.monoMs() - t0, 'ok');
      return r;
    } catch (e) {
      metrics.observeCommitMs(systemClock.monoMs() - t0, 'error');
      throw e;
    }
  };
  const timings = new Timings();
  const control = new ControlServer(config.listen.controlSocketPath, makeHandler({ node, seesDevice: seesDeviceFor(driver), timeProposal }), logger);
  const status = new StatusServer({ host: config.listen.status.host, port: config.listen.status.port, ...statusAccess }, makeStatusSource(node, metrics), logger);
  await node.start();
  const alerts = startAlerts(config, node, logger);
  await control.start();
  await status.start();
  if (opts.pidFile) writeFileSync(opts.pidFile, `${process.pid}\n`);
  if (config.cluster.join) logger.info({ node: config.nodeId, role: node.view().role, conf: node.view().conf }, 'cluster.join = true: waiting to be added by the master (mdctl --cluster add-node) unless the log already holds a membership');
  logger.info({ node: config.nodeId, peer: `${config.listen.peer.host}:${config.listen.peer.port}`, status: `${config.listen.status.host}:${config.listen.status.port}`, control: config.listen.controlSocketPath }, 'mdclusterd started');

  // sd_notify goes through koffi: loaded only under systemd (NOTIFY_SOCKET set). READY=1 now:
  // the node is up locally; a leader may need the other nodes, which systemd must not wait for
  // (a cluster cold start would otherwise time out node by node). STATUS= says what is awaited.
  const sd = process.env.NOTIFY_SOCKET ? await import('./node/sdnotify.js') : null;
  const notifier = sd ? new sd.SdNotifier() : null;
  let lastStatus = waitingFor(node.view());
  notifier?.ready(lastStatus);
  const wdMs = sd ? sd.watchdogIntervalMs(process.env, process.pid) : null;
  const wdTimer = wdMs ? systemTimers.setInterval(() => notifier?.watchdog(), wdMs) : null;
  // STATUS= only matters to systemd: no timer without it.
  const statusTimer = notifier === null ? null : systemTimers.setInterval(() => {
    const text = waitingFor(node.view());
    if (text === lastStatus) return;
    lastStatus = text;
    notifier.status(text);
  }, t.tickMs * 10);

  const reloader = makeReloader(config, {
    logger, node, transport, setLogLevel: opts.setLogLevel ?? (() => {}),
    onTls: () => { /* metrics read the certificate files at each scrape (status/metrics.ts) */ },
    onAlerts: (next) => alerts.delivery.configure(alertSettings(next, logger)),
  });

  const sampleTimer = systemTimers.setInterval(() => metrics.observeTimings(timings.sample(timingSample(node.view()), systemClock.monoMs())), STATUS_SAMPLE_INTERVAL_MS);

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      notifier?.stopping(reason);
      wdTimer?.cancel(); statusTimer?.cancel(); sampleTimer.cancel(); alerts.stop();
      await handOver(node, logger);
      await node.demote('shutdown');
      logger.debug('stopping: the node');
      await node.stop();
      logger.debug('stopping: the control socket');
      await control.close();
      logger.debug('stopping: the status server');
      await status.close();
      metrics.close();
      logger.debug('stopping: the md driver');
      await driver.close();
      notifier?.close();
      if (opts.pidFile) { try { unlinkSync(opts.pidFile); } catch { /* gone */ } }
      lock.release();
      logger.info({ reason }, 'mdclusterd stopped');
    })();
    return stopping;
  };
  return { node, stop, reload: () => reloader.reload() };
}

/**
 * A master hands leadership to the most caught-up healthy standby before stopping: the same
 * hand-over as the 'step-down' request (node/handover.ts), bounded by DAEMON_STOP_STEP_DOWN_MS,
 * and without taking the writer role back when it fails (the node is stopping).
 */
async function handOver(node: ClusterNode, logger: Logger): Promise<void> {
  if (node.view().role !== 'leader') return;
  try {
    const r = await node.stepDown({ timeoutMs: DAEMON_STOP_STEP_DOWN_MS, resumeOnFailure: false });
    logger.info({ target: r.master, handedOver: true, elapsedMs: r.elapsedMs }, 'leadership handed over for shutdown');
  } catch (e) {
    const code = e instanceof OpError ? e.code : 'E_INTERNAL';
    if (code === 'E_NOT_LEADER') return;
    if (e instanceof OpError && e.details.noStandby === true) {
      logger.warn({}, 'stopping as master with no healthy standby to hand over to');
      return;
    }
    logger.warn({ code, err: (e as Error).message, handedOver: node.view().role !== 'leader' }, 'leadership hand-over for shutdown did not complete');
  }
}

/** The status port's TLS material and token, read before anything listens (a bad file stops start-up). */
export function loadStatusAccess(config: Config): { tls: { cert: Buffer; key: Buffer } | null; token: string | null; allowedOrigins: string[] } {
  const read = (what: string, file: string): Buffer => {
    try { return readFileSync(file); } catch (e) { throw new OpError('E_BAD_CONFIG', `${config.file}: ${what} ${file}: ${(e as Error).message}`); }
  };
  const s = config.status;
  const tls = s.tls ? { cert: read('status.tls-cert', s.tls.certPath), key: read('status.tls-key', s.tls.keyPath) } : null;
  let token: string | null = null;
  if (s.tokenFile !== null) {
    token = read('status.token-file', s.tokenFile).toString('utf8').trim();
    if (token.length < 16 || /\s/.test(token)) throw new OpError('E_BAD_CONFIG', `${config.file}: status.token-file ${s.tokenFile}: expected one token of at least 16 characters without spaces`);
  }
  return { tls, token, allowedOrigins: s.allowedOrigins };
}

/** SNAPSHOT_EVERY_ENTRIES, or MDCLUSTERD_SNAPSHOT_EVERY_ENTRIES (a test knob: small values exercise snapshot transfer). */
function snapshotEvery(): number {
  const v = Number(process.env.MDCLUSTERD_SNAPSHOT_EVERY_ENTRIES);
  return Number.isSafeInteger(v) && v >= 2 ? v : SNAPSHOT_EVERY_ENTRIES;
}

function rebootNow(driver: 'kernel' | 'sim'): void {
  if (driver === 'kernel') {
    try { writeFileSync('/proc/sysrq-trigger', 's'); writeFileSync('/proc/sysrq-trigger', 'b'); } catch { /* fall through */ }
  }
  process.exit(137);
}
