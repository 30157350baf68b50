// The cluster-lane guest agent: the job every guest of `npm run test:cluster` runs (node,
// from the host tree over 9p). Owns: preparing this node (config + certificates from the bus,
// md and ext4 modules, the node's private data disk mounted at the daemon's data dir, the
// writer log linked onto the bus), running mdclusterd, and serving the host's requests from
// the bus (protocol.ts) until an 'exit' request.
// Environment: LAB_NODE_INDEX (set by the lab), CLUSTER_INCARNATION (0 for the first boot of
// this node, +1 per reboot), CLUSTER_DATA_DEV (block device of the private data disk),
// CLUSTER_STATUS_PORT, CLUSTER_POLL_MS.
// Invariants: a request is taken from the request dir (unlinked) before it runs, so it runs at
// most once; at most CLUSTER_LANE_MAX_CONCURRENT_REQUESTS run at once; every request that
// parses gets exactly one response file (except 'exit'); every wait is bounded.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_LANE_MAX_CONCURRENT_REQUESTS, CLUSTER_LANE_MAX_OUTPUT_BYTES, CLUSTER_LANE_MAX_REQUESTS_PER_POLL } from '../../lib/limits.js';
import { DaemonProcess } from './daemon-proc.js';
import { handle, type HandlerContext } from './handlers.js';
import { busLayout, parseRequest, requestIdOf, type AgentResponse } from './protocol.js';

const BUS = '/lab/bus';
const ETC_DIR = '/etc/mdclusterd';
const DATA_DIR = '/var/lib/mdclusterd';
/** Bound on waiting for the host to write this node's setup files. */
const SETUP_WAIT_MS = 300_000;

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
const bus = (rel: string): string => join(BUS, rel);

function log(line: string): void {
  try {
    appendFileSync(bus(busLayout.agentLog(node)), `[${new Date().toISOString()} inc ${incarnation}] ${line}\n`);
  } catch { /* the bus is gone: the host is tearing the cluster down */ }
}

function sh(argv: string[]): void {
  log(`+ ${argv.join(' ')}`);
  execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
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
  sh(['modprobe', 'md_mod']);
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

function serve(ctx: HandlerContext, daemon: DaemonProcess): void {
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
      void daemon.stop().finally(() => process.exit(0));
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
  await waitSetup();
  prepareNode();
  const daemon = new DaemonProcess({ repoRoot: process.cwd(), configPath: `${ETC_DIR}/mdclusterd.toml`, logPath: bus(busLayout.daemonLog(node)), log });
  daemon.start();
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
