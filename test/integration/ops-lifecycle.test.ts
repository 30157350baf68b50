// The daemon's life cycle as an operator meets it, with real mdclusterd processes (dist build):
// `mdclusterd init` for 3 nodes into temp dirs -> 3 daemons from the generated configs form a
// cluster on loopback; a second daemon on a data directory in use exits at once (75) naming
// the holder's pid; --check-config passes a good config and fails a bad one with 78 and one
// mdadm-style message; a private key readable by others stops start-up with 78 before the data
// directory is created, the message printed once; SIGHUP applies a new log level (a debug
// record appears) and logs the keys that need a restart; --version prints package.json's.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG, EXIT_DATA_DIR_LOCKED } from '../../daemon/src/exit-status.js';
import { acquireClusterLock, LOCK_WAIT_TIMEOUT_MS } from './lib/cluster-lock.js';
import { DaemonProc, daemonMainJs, repoRoot } from './lib/daemon-proc.js';
import { httpGet, httpRequest } from './lib/http.js';
import { runMdctl } from './lib/mdctl-run.js';
import { freePort } from './lib/ports.js';
import { GiveUp, waitFor } from './lib/wait.js';
import type { StatusJson } from './lib/status-types.js';

const START_TIMEOUT_MS = 15_000;
const MASTER_TIMEOUT_MS = 20_000;
const IDS = ['n1', 'n2', 'n3'];

let dir: string;
let release: () => void = () => {};
const procs = new Map<string, DaemonProc>();
const ports = new Map<string, { peer: number; status: number }>();

const cli = (...args: string[]) => spawnSync(process.execPath, [daemonMainJs(), ...args], { encoding: 'utf8', timeout: 30_000 });
const configOf = (id: string) => join(dir, id, 'mdclusterd.toml');
const status = async (id: string) => JSON.parse(await httpGet(ports.get(id)!.status, '/api/v1/status?stale=1', 1000)) as StatusJson;

async function waitUp(id: string): Promise<void> {
  const p = procs.get(id)!;
  await waitFor(`${id} to answer on its status port`, async () => {
    if (!p.running) throw new GiveUp(`${id} exited during start-up:\n${p.logTail()}`);
    const r = await httpRequest(ports.get(id)!.status, 'GET', '/healthz', undefined, 1000);
    return r.status > 0 ? true : undefined;
  }, START_TIMEOUT_MS, 25);
}

beforeAll(async () => {
  release = await acquireClusterLock();
  dir = mkdtempSync(join(tmpdir(), 'mdci-ops-'));
  mkdirSync(join(dir, 'disks'));
  for (const id of IDS) ports.set(id, { peer: await freePort(), status: await freePort() });
  const peers = IDS.map((id) => `${id}=127.0.0.1:${ports.get(id)!.peer}`).join(',');
  const local = (id: string) => ['--dir', join(dir, id), '--data-dir', join(dir, id, 'data'), '--status', `127.0.0.1:${ports.get(id)!.status}`,
    '--control-socket', join(dir, id, 'control.sock'), '--md-driver', 'sim', '--sim-disk-dir', join(dir, 'disks')];
  const first = cli('init', '--node', 'n1', '--peers', peers, ...local('n1'));
  expect(first.status, first.stderr).toBe(0);
  for (const id of ['n2', 'n3']) {
    const r = cli('init', '--from-bundle', join(dir, 'n1', 'bundles', `${id}.bundle`), ...local(id));
    expect(r.status, r.stderr).toBe(0);
  }
  for (const id of IDS) {
    procs.set(id, new DaemonProc(id, configOf(id), join(dir, id, 'daemon.log'), join(dir, id, 'daemon.pid'), join(dir, id, 'data', 'writer.log')));
  }
}, LOCK_WAIT_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await Promise.allSettled([...procs.values()].map((p) => p.kill()));
  release();
  if (dir !== undefined && process.env.MDCI_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
});

describe('from init to a running cluster', () => {
  it('init writes configs that --check-config accepts, keys 0600, one bundle per other node', () => {
    for (const id of IDS) {
      const r = cli('--check-config', '--config', configOf(id));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`configuration OK (node ${id}, 3 members, md.driver sim)`);
      expect(readFileSync(join(dir, id, 'tls', `${id}.key`)).length).toBeGreaterThan(0);
      expect(spawnSync('stat', ['-c', '%a', join(dir, id, 'tls', `${id}.key`)], { encoding: 'utf8' }).stdout.trim()).toBe('600');
    }
    expect(existsSync(join(dir, 'n1', 'bundles', 'n2.bundle')) && existsSync(join(dir, 'n1', 'bundles', 'n3.bundle'))).toBe(true);
    expect(existsSync(join(dir, 'n1', 'bundles', 'n1.bundle'))).toBe(false);
    // A second init over an existing config is refused without --force.
    const again = cli('init', '--from-bundle', join(dir, 'n1', 'bundles', 'n2.bundle'), '--dir', join(dir, 'n2'));
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('exists; use --force');
  });

  it('three daemons started from the generated configs form a cluster', async () => {
    for (const id of IDS) procs.get(id)!.spawn();
    for (const id of IDS) await waitUp(id);
    const m = await waitFor('a master agreed by every node', async () => {
      const all = await Promise.all(IDS.map((id) => status(id)));
      const leader = all.find((s) => s.role === 'leader' && s.writer && s.master === s.node);
      return leader && all.every((s) => s.leader === leader.node && s.master === leader.node) ? leader.node : undefined;
    }, MASTER_TIMEOUT_MS, 25);
    expect(IDS).toContain(m);
    const metrics = await httpGet(ports.get('n1')!.status, '/metrics', 2000);
    const notAfter = /mdclusterd_tls_cert_not_after_seconds\{cert="peer"\} ([0-9.e+]+)/.exec(metrics);
    expect(Number(notAfter?.[1]) - Date.now() / 1000).toBeGreaterThan(1800 * 86_400);
  });

  it('a second daemon on a data directory in use exits at once with 75, naming the holder\'s pid', () => {
    const holder = procs.get('n2')!.pid!;
    const r = cli('--config', configOf('n2'));
    expect(r.status).toBe(EXIT_DATA_DIR_LOCKED);
    expect(r.stderr).toContain(`is in use by another mdclusterd (pid ${holder})`);
    expect(r.stderr.match(/in use by/g)).toHaveLength(1);
    expect(procs.get('n2')!.running).toBe(true);
  });

  it('SIGHUP applies a new log level and logs what needs a restart; a broken file changes nothing', async () => {
    const p = procs.get('n3')!;
    // A control request: the control server logs each one answered at debug level.
    const controlRequest = async (): Promise<void> => { await runMdctl(join(dir, 'n3', 'control.sock'), ['--cluster', 'status']); };
    await controlRequest();
    expect(p.logText()).not.toContain('control request answered');
    appendFileSync(configOf('n3'), '\n[log]\nlevel = "debug"\n\n[transport]\ndead-after-ms = 3000\n');
    process.kill(p.pid!, 'SIGHUP');
    await waitFor('the reload to be logged', () => (p.logText().includes('configuration reloaded (SIGHUP)') ? true : undefined), 5000);
    expect(p.logText()).toMatch(/need a restart \(systemctl restart mdclusterd\): transport\.dead-after-ms/);
    await controlRequest();
    await waitFor('a debug record after the reload', () => (p.logText().includes('control request answered') ? true : undefined), 5000);
    appendFileSync(configOf('n3'), '\nbroken = [\n');
    process.kill(p.pid!, 'SIGHUP');
    await waitFor('the refused reload to be logged', () => (p.logText().includes('reload (SIGHUP) refused') ? true : undefined), 5000);
    expect(p.running).toBe(true);
    expect((await status('n3')).leader).not.toBeNull();
  });

  it('SIGTERM still stops a node cleanly (the master hands over first)', async () => {
    const m = (await status('n1')).master!;
    expect(await procs.get(m)!.terminate()).toBe(0);
    expect(procs.get(m)!.logText()).toMatch(/leadership handed over for shutdown|no healthy standby/);
  });
});

describe('configuration errors', () => {
  it('--check-config fails a bad config with 78 and one mdadm-style message naming the key', () => {
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, readFileSync(configOf('n1'), 'utf8') + '\n[timing]\nlease-ticks = 40\n');
    const r = cli('--check-config', '--config', bad);
    expect(r.status).toBe(EXIT_CONFIG);
    expect(r.stderr).toMatch(/^mdclusterd: .*bad\.toml: timing\.lease-ticks: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('a private key readable by others stops start-up with 78 before the data directory exists, printed once', () => {
    const sub = mkdtempSync(join(tmpdir(), 'mdci-ops-key-'));
    try {
      const peers = `a=127.0.0.1:1,b=127.0.0.1:2`;
      const init = cli('init', '--node', 'a', '--peers', peers, '--dir', sub, '--data-dir', join(sub, 'data'), '--md-driver', 'sim', '--sim-disk-dir', join(sub, 'disks'));
      expect(init.status, init.stderr).toBe(0);
      const key = join(sub, 'tls', 'a.key');
      chmodSync(key, 0o644);
      for (const args of [['--check-config', '--config', join(sub, 'mdclusterd.toml')], ['--config', join(sub, 'mdclusterd.toml')]]) {
        const r = cli(...args);
        expect(r.status).toBe(EXIT_CONFIG);
        expect(r.stderr.match(/accessible by group or others \(mode 0644\)/g)).toHaveLength(1);
        expect(r.stdout).toBe('');
      }
      expect(existsSync(join(sub, 'data'))).toBe(false);
    } finally {
      rmSync(sub, { recursive: true, force: true });
    }
  });
});

describe('systemd start-up notification', () => {
  it('sends READY=1 once up locally, with the other nodes absent, and STATUS= saying it waits for a quorum', async () => {
    const sub = mkdtempSync(join(tmpdir(), 'mdci-ops-ready-'));
    const sock = join(sub, 'notify.sock');
    const got = join(sub, 'notify.log');
    const listener = spawn('python3', ['-c', [
      'import socket,sys', 's=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)', 's.bind(sys.argv[1])',
      'f=open(sys.argv[2],"ab",0)', 'print("bound",flush=True)', 'while True: f.write(s.recv(4096)+b"\\n")',
    ].join('\n'), sock, got], { stdio: ['ignore', 'pipe', 'inherit'] });
    let daemon: ReturnType<typeof spawn> | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        listener.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('bound')) resolve(); });
        listener.on('exit', (code) => reject(new Error(`notify listener exited ${code}`)));
      });
      const [pa, pb, pc, st] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const init = cli('init', '--node', 'a', '--peers', `a=127.0.0.1:${pa},b=127.0.0.1:${pb},c=127.0.0.1:${pc}`, '--dir', sub, '--data-dir', join(sub, 'data'),
        '--status', `127.0.0.1:${st}`, '--control-socket', join(sub, 'c.sock'), '--md-driver', 'sim', '--sim-disk-dir', join(sub, 'disks'));
      expect(init.status, init.stderr).toBe(0);
      mkdirSync(join(sub, 'disks'));
      daemon = spawn(process.execPath, [daemonMainJs(), '--config', join(sub, 'mdclusterd.toml')], { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: sock } });
      const text = await waitFor('READY=1 from a node whose peers are all down', () => {
        const t = existsSync(got) ? readFileSync(got, 'utf8') : '';
        return t.includes('READY=1') ? t : undefined;
      }, START_TIMEOUT_MS, 25);
      expect(text).toMatch(/STATUS=up; waiting for a leader: 1 of 3 voters reachable, quorum is 2/);
    } finally {
      daemon?.kill('SIGKILL');
      listener.kill('SIGKILL');
      rmSync(sub, { recursive: true, force: true });
    }
  });
});

describe('--version', () => {
  it('both programs print package.json\'s version', () => {
    const version = (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
    expect(cli('--version').stdout).toBe(`mdclusterd ${version}\n`);
    const m = spawnSync(process.execPath, [join(repoRoot(), 'dist/mdctl/src/main.js'), '--version'], { encoding: 'utf8' });
    expect(m.stderr).toBe(`mdctl - v${version} (mdadm-compatible CLI for mdclusterd)\n`);
  });
});
