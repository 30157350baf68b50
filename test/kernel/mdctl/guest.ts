// The mdadm-vs-mdctl program run INSIDE one kernel-lab guest (`node dist/test/kernel/mdctl/
// guest.js`, six disks): starts a one-node mdclusterd with the kernel md driver, then runs
// every step of steps.ts with mdadm on array A and with mdctl on array B, waits for both
// kernels to reach the step's state, polls until mdctl's cluster view agrees (bounded), and
// records every output in $LAB_OUT/mdctl-vs-mdadm.json (rewritten after each step).
// Environment: MDCTL_LAB_SETUP (dir with mdclusterd.toml and the TLS files, written by the
// host), LAB_OUT. Invariants: the daemon is stopped (SIGTERM, then SIGKILL) however the run
// ends; the program exits 0 when every step ran (agreement is judged by the host from the
// raw texts), 1 when a step could not run (the record says where and why).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareDetail, compareExport, IDENTITY } from './normalize.js';
import { run, sleep, waitSettled } from './guest-io.js';
import { RESULT_FILE, type CmdResult, type GuestRecord, type Outputs, type StepRecord } from './results.js';
import { B_NAMES, EXAMINED, STEPS, stepForB, toB, type Step } from './steps.js';

const REPO = process.cwd();
const OUT = process.env.LAB_OUT ?? '/lab/out';
const SETUP = process.env.MDCTL_LAB_SETUP ?? '';
const SOCKET = '/run/mdclusterd/control.sock';
const MDCTL_JS = join(REPO, 'dist/mdctl/src/main.js');
const DAEMON_JS = join(REPO, 'dist/daemon/src/main.js');
/** Bounds: daemon start to writable master, a step's kernel state, mdctl's view agreeing. */
const DAEMON_READY_MS = 240_000;
const SETTLE_MS = 240_000;
const CONVERGE_MS = 60_000;
const CONVERGE_POLL_MS = 500;
const MEMBERS_A = ['vda', 'vdb', 'vdc'];
const MEMBERS_B = MEMBERS_A.map(toB);

const mdctlRuns: number[] = [];

const mdadm = (args: string[]): Promise<CmdResult> => run(['mdadm', ...args]);
async function mdctl(args: string[]): Promise<CmdResult> {
  const r = await run([process.execPath, MDCTL_JS, '--socket', SOCKET, ...args], ['mdctl', ...args]);
  mdctlRuns.push(r.ms);
  return r;
}

async function outputs(tool: (a: string[]) => Promise<CmdResult>, md: string): Promise<Outputs> {
  const dev = `/dev/${md}`;
  return { detail: await tool(['--detail', dev]), export: await tool(['--detail', '--export', dev]), test: await tool(['--detail', '--test', dev]) };
}

function startDaemon(): ChildProcess {
  const fd = openSync(join(OUT, 'daemon.log'), 'a');
  try {
    return spawn(process.execPath, [DAEMON_JS, '--config', join(SETUP, 'mdclusterd.toml')], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

async function stopDaemon(d: ChildProcess): Promise<void> {
  if (d.exitCode !== null || d.signalCode !== null) return;
  const exited = new Promise<void>((r) => d.once('exit', () => r()));
  d.kill('SIGTERM');
  const t = setTimeout(() => d.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

async function waitDaemonReady(d: ChildProcess): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (d.exitCode !== null) throw new Error(`mdclusterd exited with ${d.exitCode} during start-up (see daemon.log)`);
    const r = await mdctl(['--cluster', 'status']);
    if (r.code === 0 && /master node1/.test(r.stdout) && /, writer,/.test(r.stdout)) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > DAEMON_READY_MS) throw new Error(`mdclusterd not a writable master within ${DAEMON_READY_MS} ms: ${r.stdout}${r.stderr}`);
    await sleep(500);
  }
}

/** Both comparisons of the step (A vs B, B's kernel vs B) from the texts at hand. */
function agree(s: Step, a: Outputs, b: Pick<Outputs, 'detail'> & Partial<Outputs>, bk: Outputs): boolean {
  const mayDiffer = s.numberMayDiffer?.members ?? [];
  const detail = (x: CmdResult, y: CmdResult, mx: typeof IDENTITY, my: typeof IDENTITY) =>
    x.code === y.code && (x.code !== 0 ? x.stdout === y.stdout : compareDetail(x.stdout, y.stdout, mx, my, my === B_NAMES ? mayDiffer : []).equal);
  const exp = (x: CmdResult, y: CmdResult, mx: typeof IDENTITY, my: typeof IDENTITY) =>
    x.code === y.code && (x.code !== 0 ? x.stdout === y.stdout : compareExport(x.stdout, y.stdout, mx, my).equal);
  if (!detail(a.detail, b.detail, IDENTITY, B_NAMES) || !detail(bk.detail, b.detail, IDENTITY, IDENTITY)) return false;
  if (b.export === undefined || b.test === undefined) return true;
  return exp(a.export, b.export, IDENTITY, B_NAMES) && exp(bk.export, b.export, IDENTITY, IDENTITY) && a.test.code === b.test.code && bk.test.code === b.test.code;
}

async function converge(s: Step): Promise<{ a: Outputs; b: Outputs; bKernel: Outputs; ms: number; polls: number; agreed: boolean }> {
  const t0 = performance.now();
  const a = await outputs(mdadm, 'md0');
  const bKernel = await outputs(mdadm, 'md1');
  let polls = 0;
  for (;;) {
    polls++;
    const detail = await mdctl(['--detail', '/dev/md1']);
    const late = performance.now() - t0 > CONVERGE_MS;
    if (agree(s, a, { detail }, bKernel) || late) {
      const b: Outputs = { detail, export: await mdctl(['--detail', '--export', '/dev/md1']), test: await mdctl(['--detail', '--test', '/dev/md1']) };
      const agreed = agree(s, a, b, bKernel);
      if (agreed || late) return { a, b, bKernel, ms: Math.round(performance.now() - t0), polls, agreed };
    }
    await sleep(CONVERGE_POLL_MS);
  }
}

async function examineAndQuery(s: Step): Promise<Pick<StepRecord, 'examine' | 'query'>> {
  if (!s.examine) return { examine: [], query: [] };
  const examine = [];
  for (const m of EXAMINED.map(toB)) examine.push({ member: m, mdadm: await mdadm(['--examine', m]), mdctl: await mdctl(['--examine', m]) });
  const query = [];
  for (const t of ['/dev/md1', ...EXAMINED.map(toB)]) query.push({ target: t, mdadm: await mdadm(['--query', t]), mdctl: await mdctl(['--query', t]) });
  return { examine, query };
}

async function runStep(s: Step): Promise<StepRecord> {
  const b = stepForB(s);
  const opA = await mdadm(s.mdadm);
  const opB = await mdctl(b.argv);
  if (opA.code !== 0 || opB.code !== 0) {
    throw new Error(`${s.name}: mdadm ${s.mdadm.join(' ')} -> ${opA.code} ${opA.stderr.trim()}; mdctl ${b.argv.join(' ')} -> ${opB.code} ${opB.stderr.trim()}`);
  }
  const settleMs = await waitSettled([
    { md: 'md0', expect: s.expect, members: MEMBERS_A },
    { md: 'md1', expect: b.expect, members: MEMBERS_B },
  ], SETTLE_MS);
  const c = await converge(s);
  const scanA = await mdadm(['--detail', '--scan']);
  const scanB = await mdctl(['--detail', '--scan']);
  return { name: s.name, opA, opB, settleMs, convergeMs: c.ms, polls: c.polls, a: c.a, b: c.b, bKernel: c.bKernel, scanA, scanB, ...(await examineAndQuery(s)), agreed: c.agreed };
}

function save(rec: GuestRecord): void {
  writeFileSync(join(OUT, RESULT_FILE), JSON.stringify(rec, null, 1));
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const rec: GuestRecord = { daemonReadyMs: -1, steps: [], error: null, totalMs: 0, mdctlRuns: 0, mdctlMeanMs: 0 };
  const finish = () => {
    rec.totalMs = Math.round(performance.now() - t0);
    rec.mdctlRuns = mdctlRuns.length;
    rec.mdctlMeanMs = mdctlRuns.length === 0 ? 0 : Math.round(mdctlRuns.reduce((x, y) => x + y, 0) / mdctlRuns.length);
    save(rec);
  };
  if (SETUP === '') { rec.error = 'MDCTL_LAB_SETUP is not set'; finish(); return 1; }
  const daemon = startDaemon();
  try {
    rec.daemonReadyMs = await waitDaemonReady(daemon);
    for (const s of STEPS) {
      process.stdout.write(`step ${s.name}\n`);
      rec.steps.push(await runStep(s));
      finish();
    }
    return 0;
  } catch (e) {
    rec.error = (e as Error).stack ?? String(e);
    return 1;
  } finally {
    await stopDaemon(daemon);
    finish();
  }
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
