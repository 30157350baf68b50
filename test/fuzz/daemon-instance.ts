// A real one-node mdclusterd (daemon/src/daemon.ts startDaemon: Raft WAL on disk, sim md
// driver with three disks, TLS peer listener, control socket, status server) in this process,
// for the control and status fuzz surfaces. Owns: its temp directory, config and the log
// records that reveal a crash the servers caught (a control request failing with a non-OpError,
// a status request answered 500).
// Invariants: everything lives under one mkdtemp directory, removed by stop(); the node is
// leader of its one-node cluster before start() resolves; a fatal error exits the process
// (startDaemon's handler), which the fuzz parent (main.ts) reports as a crash.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeId } from '../../daemon/src/common/types.js';
import { startDaemon, type RunningDaemon } from '../../daemon/src/daemon.js';
import { loadConfig } from '../../daemon/src/config/load.js';
import { CapturingLogger } from '../../daemon/src/log/logger.js';
import { ensureSimDisks } from '../../daemon/src/md/sim/driver.js';
import { generateClusterCerts } from '../../daemon/src/transport/certs.js';
import { DEFAULT_TEST_TIMING, DEFAULT_TEST_TRANSPORT, renderNodeConfig } from '../integration/lib/node-config.js';
import { freePort } from '../integration/lib/ports.js';

/** Log messages of the servers' last-resort catch blocks: each is a bug, not a refusal. */
const CRASH_LOG_MESSAGES = ['control request failed unexpectedly', 'status request failed'];
const LEADER_WAIT_MS = 10_000;
/** Error records printed when the process dies (the fatal one is the last). */
const DYING_RECORDS_SHOWN = 5;
const DISK_SECTORS = 16 * 2048;

/** Certificates for node1, made once per process (RSA key generation takes seconds). */
let sharedTls: Promise<string> | null = null;
function tlsDirOnce(): Promise<string> {
  sharedTls ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdfuzz-tls-'));
    await generateClusterCerts({ dir, nodes: [nodeId('node1')], hosts: new Map([[nodeId('node1'), ['127.0.0.1']]]) });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return sharedTls;
}

/**
 * tmpfs when there is one: the daemon's WAL fsyncs every append, and on a disk a fuzzed
 * propose then waits on the disk, not on the code under test (same code path either way).
 */
const BASE_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

export class DaemonInstance {
  readonly dir = mkdtempSync(join(BASE_DIR, 'mdfuzz-daemon-'));
  readonly controlSocket = join(this.dir, 'control.sock');
  statusPort = 0;
  private running: RunningDaemon | null = null;
  readonly logger = new CapturingLogger();
  private seenRecords = 0;
  /**
   * Installed while the daemon runs (a surface restarts its daemon many times: one listener at
   * a time): an exit then is the daemon's fatal exit or a stop that never finished.
   */
  private readonly onExit = (): void => {
    const errors = this.logger.records.filter((x) => x.level === 'error').slice(-DYING_RECORDS_SHOWN);
    for (const r of [...errors, ...this.logger.records.slice(-DYING_RECORDS_SHOWN)]) {
      process.stderr.write(`fuzz daemon: ${r.level} ${r.msg} ${JSON.stringify(r.fields)}\n`);
    }
  };

  async start(): Promise<void> {
    const tlsDir = await tlsDirOnce();
    const diskDir = join(this.dir, 'disks');
    mkdirSync(diskDir, { recursive: true });
    ensureSimDisks(diskDir, ['sda', 'sdb', 'sdc', 'sdd'].map((diskId) => ({ diskId, sizeSectors: DISK_SECTORS })));
    const peerPort = await freePort();
    this.statusPort = await freePort();
    const file = join(this.dir, 'mdclusterd.toml');
    writeFileSync(file, renderNodeConfig({
      id: 'node1', dataDir: join(this.dir, 'data'), peerListenPort: peerPort, statusPort: this.statusPort, controlSocket: this.controlSocket,
      peers: new Map([['node1', `127.0.0.1:${peerPort}`]]), tlsDir, simDiskDir: diskDir, timing: DEFAULT_TEST_TIMING,
      transport: DEFAULT_TEST_TRANSPORT, checkpointIntervalMs: 1000, logLevel: 'warn',
    }));
    // A fatal error ends the process from inside the daemon (exitOnFatal): say why on stderr,
    // which the fuzz parent passes on (the records would die with the process).
    process.on('exit', this.onExit);
    this.running = await startDaemon(loadConfig(file), this.logger);
    const t0 = Date.now();
    while (!this.healthy()) {
      if (Date.now() - t0 > LEADER_WAIT_MS) throw new Error('the fuzz daemon did not become leader');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Leader of its own cluster and still a voter (a fuzzed remove-node may have removed it). */
  healthy(): boolean {
    const v = this.running?.node.view();
    return v !== undefined && v.role === 'leader' && v.state.master?.node === 'node1' && v.conf.voters.includes(nodeId('node1'));
  }

  /** New log records since the last call that mean a server caught an unexpected exception. */
  crashRecords(): string[] {
    const fresh = this.logger.records.slice(this.seenRecords);
    this.seenRecords = this.logger.records.length;
    if (this.logger.records.length > 1000) { this.logger.records.length = 0; this.seenRecords = 0; }
    return fresh.filter((r) => CRASH_LOG_MESSAGES.includes(r.msg)).map((r) => `${r.msg}: ${String(r.fields.err ?? '')}`);
  }

  async stop(): Promise<void> {
    await this.running?.stop('fuzz done');
    this.running = null;
    process.off('exit', this.onExit);
    // A stop that finished only by a bound (the status server's close wait) is worth knowing.
    for (const r of this.logger.find('did not finish', 'warn')) process.stderr.write(`fuzz daemon: at stop: ${r.msg} ${JSON.stringify(r.fields)}\n`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
