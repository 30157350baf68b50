// The etcd side of the `anchor` benchmark: finding (or installing) Debian's etcd-server, and a
// 3-member etcd cluster on loopback with fsync on (etcd's default; --unsafe-no-fsync is never
// passed) at the heartbeat and election timeout we give it (our daemon's, in ms).
// Owns: the etcd processes, their data directories under one temp dir, their logs, and the
// waits for an agreed leader. Invariants: every wait is bounded; every member this module
// started is SIGKILLed at process exit even when the benchmark crashes; install failures are
// errors (the benchmark fails), never a silent skip.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../test/integration/lib/ports.js';
import { sleep } from '../test/integration/lib/wait.js';
import { ETCD_LOG_TAIL_BYTES } from '../test/lib/limits.js';
import { EtcdClient, type EtcdStatus } from './etcd-grpc.js';

/** How long a started member may take to serve Status, and a cluster to agree on a leader. */
const START_TIMEOUT_MS = 20_000;
const AGREE_TIMEOUT_MS = 20_000;
const CALL_TIMEOUT_MS = 1000;
const POLL_MS = 5;
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

const LIVE = new Set<ChildProcess>();
let hook = false;
function installExitHook(): void {
  if (hook) return;
  hook = true;
  process.on('exit', () => { for (const c of LIVE) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

export interface EtcdBinary {
  bin: string;
  version: string;
  /** True when this run installed it (apt-get install etcd-server). */
  installedNow: boolean;
}

/**
 * The etcd binary: $ETCD_BIN, else `etcd` on PATH, else Debian's etcd-server installed with
 * apt-get when running as root. Throws, saying why loudly, when it cannot have one.
 */
export function ensureEtcd(say: (msg: string) => void): EtcdBinary {
  let bin = process.env.ETCD_BIN ?? onPath('etcd');
  let installedNow = false;
  if (bin === null) {
    if (process.getuid?.() !== 0) {
      const msg = 'etcd is NOT installed and this benchmark is not running as root, so it cannot install it: run `apt-get install etcd-server` as root (or set ETCD_BIN), then run the benchmark again';
      say(`*** anchor: ${msg}`);
      throw new Error(msg);
    }
    say('*** anchor: etcd is not installed: installing Debian\'s etcd-server with apt-get (running as root)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): void => { execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'etcd-server'], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: INSTALL_TIMEOUT_MS }); };
    try {
      try { install(); } catch {
        execFileSync('apt-get', ['update'], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: INSTALL_TIMEOUT_MS });
        install();
      }
    } catch (e) {
      const detail = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' / ') ?? (e as Error).message;
      const msg = `apt-get install etcd-server FAILED: ${detail}`;
      say(`*** anchor: ${msg}`);
      throw new Error(msg);
    }
    bin = onPath('etcd') ?? (existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : null);
    if (bin === null) throw new Error('apt-get installed etcd-server but no etcd binary is on PATH');
    installedNow = true;
  }
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /etcd Version:\s*(\S+)/.exec(out);
  return { bin, version: m ? m[1] : out.trim().split('\n')[0], installedNow };
}

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
  preVote: boolean;
}

/**
 * One member's command line: loopback URLs, the given heartbeat and election timeout (ms) and
 * pre-vote; fsync stays on (never --unsafe-no-fsync). A restarted member reuses it: with a data
 * directory already there, etcd ignores the --initial-cluster* flags.
 */
export function etcdArgs(name: string, dataDir: string, ports: { client: number; peer: number }, initialCluster: string, timing: EtcdTiming): string[] {
  const client = `http://127.0.0.1:${ports.client}`;
  const peer = `http://127.0.0.1:${ports.peer}`;
  return [
    '--name', name, '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `bench-${process.pid}`,
    '--heartbeat-interval', String(timing.heartbeatMs), '--election-timeout', String(timing.electionMs),
    `--pre-vote=${timing.preVote}`, '--logger', 'zap', '--log-level', 'warn', '--log-outputs', 'stderr',
  ];
}

export class EtcdMember {
  proc: ChildProcess | null = null;
  readonly client: EtcdClient;
  constructor(readonly name: string, readonly clientPort: number, readonly peerPort: number, readonly dataDir: string, readonly logPath: string, private readonly argv: string[], private readonly bin: string) {
    this.client = new EtcdClient(`http://127.0.0.1:${clientPort}`);
  }

  get pid(): number | null { return this.proc?.pid ?? null; }

  start(): void {
    if (this.proc) throw new Error(`${this.name} is already running`);
    installExitHook();
    const fd = openSync(this.logPath, 'a');
    const p = spawn(this.bin, this.argv, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    LIVE.add(p);
    p.once('exit', () => { LIVE.delete(p); if (this.proc === p) this.proc = null; });
    this.proc = p;
  }

  /** SIGKILL, resolved once the process is reaped. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    const gone = new Promise<void>((r) => { if (p.exitCode !== null || p.signalCode !== null) r(); else p.once('exit', () => r()); });
    p.kill('SIGKILL');
    await gone;
    this.client.close();
  }

  logTail(): string {
    try {
      const b = readFileSync(this.logPath);
      return b.subarray(Math.max(0, b.length - ETCD_LOG_TAIL_BYTES)).toString('utf8');
    } catch { return '(no log)'; }
  }
}

export class EtcdCluster {
  private constructor(readonly dir: string, readonly members: EtcdMember[], readonly binary: EtcdBinary, readonly timing: EtcdTiming) {}

  static async start(binary: EtcdBinary, timing: EtcdTiming, size = 3): Promise<EtcdCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
    const ports: { client: number; peer: number }[] = [];
    for (let i = 0; i < size; i++) ports.push({ client: await freePort(), peer: await freePort() });
    const names = ports.map((_, i) => `e${i + 1}`);
    const initial = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i].peer}`).join(',');
    const members = names.map((name, i) => {
      const dataDir = join(dir, name);
      mkdirSync(dataDir, { recursive: true });
      const argv = etcdArgs(name, dataDir, ports[i], initial, timing);
      return new EtcdMember(name, ports[i].client, ports[i].peer, dataDir, join(dir, `${name}.log`), argv, binary.bin);
    });
    const c = new EtcdCluster(dir, members, binary, timing);
    for (const m of members) m.start();
    await c.agreedLeader(START_TIMEOUT_MS);
    return c;
  }

  running(): EtcdMember[] { return this.members.filter((m) => m.proc !== null); }

  /** Status of every running member (a member that does not answer in time is left out). */
  async statuses(): Promise<{ m: EtcdMember; s: EtcdStatus }[]> {
    const r = await Promise.all(this.running().map(async (m) => {
      try { return { m, s: await m.client.status(CALL_TIMEOUT_MS) }; } catch { return null; }
    }));
    return r.filter((x): x is { m: EtcdMember; s: EtcdStatus } => x !== null);
  }

  /** Waits until every running member answers and names the same leader, one of them; returns it. */
  async agreedLeader(timeoutMs = AGREE_TIMEOUT_MS): Promise<{ leader: EtcdMember; id: bigint; term: bigint }> {
    const deadline = performance.now() + timeoutMs;
    let last = 'no member answered';
    while (performance.now() < deadline) {
      const all = await this.statuses();
      const ids = new Set(all.map((x) => x.s.leader));
      const leader = all.find((x) => x.s.memberId === all[0]?.s.leader);
      if (all.length === this.running().length && ids.size === 1 && leader && leader.s.leader !== 0n) return { leader: leader.m, id: leader.s.memberId, term: leader.s.raftTerm };
      last = all.map((x) => `${x.m.name}: leader ${x.s.leader.toString(16)} term ${x.s.raftTerm}`).join('; ') || last;
      await sleep(POLL_MS);
    }
    throw new Error(`etcd members did not agree on a leader within ${timeoutMs} ms: ${last}`);
  }

  failureReport(): string {
    return this.members.map((m) => `--- etcd ${m.name} (${m.logPath}) tail:\n${m.logTail()}`).join('\n');
  }

  async destroy(opts: { keepDir?: boolean } = {}): Promise<void> {
    for (const m of this.members) await m.kill();
    if (!opts.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
