// The cluster-lane guest agent: the job every guest of `npm run test:cluster` runs (node,
// from the host tree over 9p). Owns: installing the mdclusterd package (`dpkg -i` of the .deb
// the lane built, with the guest's Debian dpkg: the guest's root is the host's Debian tree under
// a tmpfs overlay, so the install is a real one and dies with the guest; busybox's dpkg applet
// cannot be used on that tree: it rejects the Debian status file's "python3:any" dependencies),
// preparing this node (config + certificates from the bus, the ext4 module, the node's private
// data disk mounted at the daemon's data dir, the writer log linked onto the bus), running
// mdclusterd from the installed unit file (unit-runner.ts: the guests have no systemd), and
// serving the host's requests from the bus (protocol.ts) until an 'exit' request.
// Environment: LAB_NODE_INDEX (set by the lab), CLUSTER_DEB (the .deb), CLUSTER_INCARNATION (0
// for the first boot of this node, +1 per reboot), CLUSTER_DATA_DEV (block device of the private
// data disk), CLUSTER_STATUS_PORT, CLUSTER_POLL_MS.
// Invariants: the daemon runs only from what the package installed, with the ExecStart= line
// read from the installed unit (never a command line typed here); a request is taken from the
// request dir (unlinked) before it runs, so it runs at most once; at most
// CLUSTER_LANE_MAX_CONCURRENT_REQUESTS run at once; every request that parses gets exactly one
// response file (except 'exit'); every wait is bounded.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_LANE_MAX_CONCURRENT_REQUESTS, CLUSTER_LANE_MAX_OUTPUT_BYTES, CLUSTER_LANE_MAX_REQUESTS_PER_POLL } from '../../lib/limits.js';
import { handle, type HandlerContext } from './handlers.js';
import { busLayout, parseRequest, requestIdOf, type AgentResponse, type InstallRecord } from './protocol.js';
import { parseUnitFile, serviceSpec } from './unit-file.js';
import { UnitRunner } from './unit-runner.js';

const BUS = '/lab/bus';
const ETC_DIR = '/etc/mdclusterd';
const DATA_DIR = '/var/lib/mdclusterd';
/** Bound on waiting for the host to write this node's setup files. */
const SETUP_WAIT_MS = 600_000;
/** Bound on `dpkg -i` (about 65 s for one guest alone under TCG, most of it unpacking ~2000 files). */
const INSTALL_TIMEOUT_MS = 480_000;
const PACKAGE = 'mdclusterd';
const UNIT_FILE = /^\/(usr\/)?lib\/systemd\/system\/mdclusterd\.service$/;

function envInt(name: string, fallback?: number): number {
  const v = process.env[name];
  const n = v === undefined ? fallback : Number(v);
  if (n === undefined || !Number.isInteger(n) || n < 0) throw new Error(`agent: ${name} must be a non-negative integer (got ${v})`);
  return n;
}

const node = envInt('LAB_NODE_INDEX');
const incarnation = envInt('CLUSTER_INCARNATION', 0);
const pollMs = envInt('CLUSTER_POLL_MS', 50);
const statusPort = envInt('CLUSTER_STATUS_PORT', 8400);
const dataDev = process.env.CLUSTER_DATA_DEV ?? '';
const deb = process.env.CLUSTER_DEB ?? '';
const bus = (rel: string): string => join(BUS, rel);

function log(line: string): void {
  try {
    appendFileSync(bus(busLayout.agentLog(node)), `[${new Date().toISOString()} inc ${incarnation}] ${line}\n`);
  } catch { /* the bus is gone: the host is tearing the cluster down */ }
}

function sh(argv: string[], timeoutMs = 60_000): string {
  log(`+ ${argv.join(' ')}`);
  const env = { ...process.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive' };
  return execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, encoding: 'utf8', env, maxBuffer: CLUSTER_LANE_MAX_OUTPUT_BYTES });
}

/** dpkg -i of the lane's .deb; returns the installed unit file's path (from dpkg -L). */
function installPackage(): InstallRecord {
  if (deb === '' || !existsSync(deb)) throw new Error(`agent: CLUSTER_DEB (${JSON.stringify(deb)}) is not a .deb in the guest`);
  const command = ['dpkg', '-i', deb];
  const t0 = performance.now();
  log(sh(command, INSTALL_TIMEOUT_MS).trimEnd());
  const wallMs = Math.round(performance.now() - t0);
  const units = sh(['dpkg', '-L', PACKAGE]).split('\n').filter((p) => UNIT_FILE.test(p));
  if (units.length !== 1) throw new Error(`agent: dpkg -L ${PACKAGE} lists ${units.length} mdclusterd.service files`);
  const rec: InstallRecord = { deb, command, wallMs, unitPath: units[0]! };
  writeFileSync(bus(busLayout.installed(node, incarnation)), JSON.stringify(rec));
  log(`installed ${deb} in ${wallMs} ms; unit ${rec.unitPath}`);
  return rec;
}

async function waitSetup(): Promise<void> {
  const deadline = Date.now() + SETUP_WAIT_MS;
  while (!existsSync(bus(busLayout.setupReady(node)))) {
    if (Date.now() > deadline) throw new Error(`agent: no ${busLayout.setupReady(node)} within ${SETUP_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function prepareNode(): void {
  mkdirSync(bus(busLayout.nodeDir(node)), { recursive: true });
  mkdirSync(`${ETC_DIR}/tls`, { recursive: true });
  const setup = bus(busLayout.setupDir(node));
  for (const f of readdirSync(setup)) {
    if (f === 'READY') continue;
    const dest = f.endsWith('.toml') ? `${ETC_DIR}/${f}` : `${ETC_DIR}/tls/${f}`;
    writeFileSync(dest, readFileSync(join(setup, f)), { mode: f.endsWith('.key') ? 0o600 : 0o644 });
  }
  // md's modules are the unit's ExecStartPre; ext4 is for this node's data disk (its "fstab").
  sh(['modprobe', 'ext4']);
  mkdirSync(DATA_DIR, { recursive: true });
  if (dataDev === '') throw new Error('agent: CLUSTER_DATA_DEV is not set');
  sh(['mount', '-t', 'ext4', dataDev, DATA_DIR]);
  // The writer log goes to the bus (per incarnation: each boot has its own guest clock offset).
  const writerLog = bus(`${busLayout.nodeDir(node)}/writer-${incarnation}.log`);
  writeFileSync(writerLog, '', { flag: 'a' });
  sh(['ln', '-sfn', writerLog, `${DATA_DIR}/writer.log`]);
}

function respond(resp: AgentResponse): void {
  const dir = bus(busLayout.respDir(node, incarnation));
  let text = JSON.stringify(resp);
  if (text.length > CLUSTER_LANE_MAX_OUTPUT_BYTES * 3) text = JSON.stringify({ id: resp.id, ok: false, error: 'agent: response too large' });
  const tmp = join(dir, `.${resp.id}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, `${resp.id}.json`));
}

function serve(ctx: HandlerContext, daemon: UnitRunner): void {
  const reqDir = bus(busLayout.reqDir(node, incarnation));
  let inFlight = 0;
  let exiting = false;
  const take = (name: string): void => {
    const id = requestIdOf(name);
    if (id === null) return;
    const path = join(reqDir, name);
    let text: string;
    try { text = readFileSync(path, 'utf8'); unlinkSync(path); } catch { return; }
    const req = parseRequest(text);
    if (req === null) { respond({ id, ok: false, error: 'agent: malformed request' }); return; }
    if (req.kind === 'crash') {
      log('crash requested: sysrq b');
      respond({ id, ok: true, result: { guestWallMs: Date.now() } });
      writeFileSync('/proc/sysrq-trigger', 'b');
      return;
    }
    if (req.kind === 'exit') {
      exiting = true;
      log('exit requested');
      void daemon.stop().finally(() => { daemon.close(); process.exit(0); });
      return;
    }
    inFlight += 1;
    void handle(ctx, req)
      .then((result) => respond({ id, ok: true, result }), (e: unknown) => respond({ id, ok: false, error: (e as Error).message ?? String(e) }))
      .catch((e: unknown) => log(`cannot write response ${id}: ${(e as Error).message}`))
      .finally(() => { inFlight -= 1; });
  };
  const poll = (): void => {
    if (exiting) return;
    let names: string[] = [];
    try { names = readdirSync(reqDir).sort(); } catch { /* transient 9p error: next poll */ }
    for (const name of names.slice(0, CLUSTER_LANE_MAX_REQUESTS_PER_POLL)) {
      if (inFlight >= CLUSTER_LANE_MAX_CONCURRENT_REQUESTS) break;
      take(name);
    }
    setTimeout(poll, pollMs);
  };
  poll();
}

async function main(): Promise<void> {
  log(`agent starting (pid ${process.pid})`);
  mkdirSync(bus(`rpc/node${node}/${incarnation}`), { recursive: true });
  const installed = installPackage();
  await waitSetup();
  prepareNode();
  const spec = serviceSpec(parseUnitFile(readFileSync(installed.unitPath, 'utf8')));
  const daemon = new UnitRunner(spec, {
    name: 'mdclusterd.service', logPath: bus(busLayout.daemonLog(node)), log,
    listenerScript: join(process.cwd(), 'test', 'cluster', 'guest', 'notify-listen.py'), notifySocket: '/run/lab-unit/notify',
  });
  await daemon.init();
  if (spec.notApplied.length > 0) log(`unit directives not applied in the lane: ${spec.notApplied.join(' ')}`);
  await daemon.start();
  mkdirSync(bus(busLayout.reqDir(node, incarnation)), { recursive: true });
  mkdirSync(bus(busLayout.respDir(node, incarnation)), { recursive: true });
  serve({ daemon, statusPort, waiting: new Set() }, daemon);
  writeFileSync(bus(busLayout.agentReady(node, incarnation)), JSON.stringify({ pid: process.pid, guestWallMs: Date.now() }));
  log('serving requests');
}

main().catch((e: unknown) => {
  log(`agent failed: ${(e as Error).stack ?? String(e)}`);
  process.stderr.write(`agent failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
