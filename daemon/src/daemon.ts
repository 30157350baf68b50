// Building and running one mdclusterd from its Config: storage, md driver, transport, node
// shell, control socket, status endpoint, systemd notifications and signal handling.
// Owns: start-up order and shutdown order. Invariants: nothing listens before the Raft state is
// recovered; READY=1 is sent only once a leader is known and the first reconcile pass ran; on
// SIGTERM a master hands leadership to another node before it stops; a node configured with
// cluster.join starts without a founding membership (node/node.ts NodeSettings.join).
import { statSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/config.js';
import { ControlServer } from './control/server.js';
import { makeHandler } from './control/handlers.js';
import type { Logger } from './log/logger.js';
import type { MdDriver } from './md/driver.js';
import { systemClock, systemTimers, type RaftStorage } from './node/deps.js';
import { ClusterNode } from './node/node.js';
import { createPrng } from './raft/prng.js';
import { StatusServer } from './status/server.js';
import { makeStatusSource } from './status/source.js';
import { DiskStorage } from './storage/disk-storage.js';
import { createTransportFromConfig } from './transport/from-config.js';
import { DAEMON_STOP_STEP_DOWN_MS, SNAPSHOT_EVERY_ENTRIES } from './common/limits.js';
import { nodeSettingsFromConfig } from './node-settings.js';

export interface RunningDaemon {
  node: ClusterNode;
  stop(reason: string): Promise<void>;
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

export async function startDaemon(config: Config, logger: Logger, opts: { pidFile?: string } = {}): Promise<RunningDaemon> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { storage, recovered } = await DiskStorage.open(join(config.dataDir, 'raft'), logger);
  const raftStorage: RaftStorage = {
    restored: () => recovered,
    save: (b) => storage.save(b),
    saveSnapshot: (s) => storage.saveSnapshot(s),
    compact: async (i) => { await storage.compact(i); },
    close: () => storage.close(),
  };
  const driver = await makeDriver(config, logger);
  const transport = createTransportFromConfig(config, logger);
  const t = config.timing;
  const seed = (Date.now() ^ (process.pid << 8)) >>> 0;
  const node = new ClusterNode(nodeSettingsFromConfig(config, {
    reboot: () => { logger.error({}, 'FENCE: rebooting this node'); rebootNow(config.md.driver); },
    writerLogFile: join(config.dataDir, 'writer.log'),
    snapshotEveryEntries: snapshotEvery(),
  }), { clock: systemClock, timers: systemTimers, logger, transport, storage: raftStorage, driver, prng: createPrng(seed) });

  const control = new ControlServer(config.listen.controlSocketPath, makeHandler({ node, seesDevice: seesDeviceFor(driver) }), logger);
  const status = new StatusServer(config.listen.status.host, config.listen.status.port, makeStatusSource(node), logger);
  await node.start();
  await control.start();
  await status.start();
  if (opts.pidFile) writeFileSync(opts.pidFile, `${process.pid}\n`);
  if (config.cluster.join) logger.info({ node: config.nodeId, role: node.raft.status().role, conf: node.raft.status().conf }, 'cluster.join = true: waiting to be added by the master (mdctl --cluster add-node) unless the log already holds a membership');
  logger.info({ node: config.nodeId, peer: `${config.listen.peer.host}:${config.listen.peer.port}`, status: `${config.listen.status.host}:${config.listen.status.port}`, control: config.listen.controlSocketPath }, 'mdclusterd started');

  // sd_notify goes through koffi: loaded only under systemd (NOTIFY_SOCKET set).
  const sd = process.env.NOTIFY_SOCKET ? await import('./node/sdnotify.js') : null;
  const notifier = sd ? new sd.SdNotifier() : null;
  const readyTimer = systemTimers.setInterval(() => {
    if (node.raft.status().lead !== null && node.reconciler.passes > 0) {
      readyTimer.cancel();
      notifier?.ready(`joined: leader ${node.raft.status().lead}, term ${node.raft.status().term}`);
    }
  }, t.tickMs * 5);
  const wdMs = sd ? sd.watchdogIntervalMs(process.env, process.pid) : null;
  const wdTimer = wdMs ? systemTimers.setInterval(() => notifier?.watchdog(), wdMs) : null;
  const statusTimer = systemTimers.setInterval(() => {
    const st = node.raft.status();
    notifier?.status(`${st.role}, term ${st.term}, master ${node.state.master?.node ?? 'none'}, ${node.state.arrays.length} arrays`);
  }, 5000);

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      notifier?.stopping(reason);
      readyTimer.cancel(); wdTimer?.cancel(); statusTimer.cancel();
      await handOver(node, logger);
      await node.writer.demote('shutdown');
      await node.stop();
      await control.close();
      await status.close();
      await driver.close();
      notifier?.close();
      if (opts.pidFile) { try { unlinkSync(opts.pidFile); } catch { /* gone */ } }
      logger.info({ reason }, 'mdclusterd stopped');
    })();
    return stopping;
  };
  return { node, stop };
}

/** A master hands leadership to the most caught-up healthy standby before stopping. */
async function handOver(node: ClusterNode, logger: Logger): Promise<void> {
  const st = node.raft.status();
  if (st.role !== 'leader') return;
  const target = st.conf.voters.filter((v) => v !== st.id && node.peerUp.get(v) === true)
    .sort((a, b) => (node.peerApplied.get(b) ?? 0) - (node.peerApplied.get(a) ?? 0))[0];
  if (!target) { logger.warn({}, 'stopping as master with no healthy standby to hand over to'); return; }
  await node.writer.suspendForStepDown();
  node.raft.transferLeadership(target);
  node.kick();
  const start = performance.now();
  while (performance.now() - start < DAEMON_STOP_STEP_DOWN_MS && node.raft.status().role === 'leader') {
    await new Promise((r) => setTimeout(r, node.settings.tickMs));
  }
  logger.info({ target, handedOver: node.raft.status().role !== 'leader' }, 'leadership handed over for shutdown');
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
