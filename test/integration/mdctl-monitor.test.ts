// mdctl --monitor against 3 real daemons (simulated md): monitors on two different nodes see
// the same failure and each raises Fail exactly once, through a --program script that
// records its argv; both raise the same event sequence (the events come from log entries, so
// every node derives the same ones with the same keys). Also: --oneshot --test, DegradedArray
// at start, stdout when nothing is configured, --daemonise with --pid-file, and SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type Cluster, waitFor } from './harness.js';
import { createRaid1 } from './lib/arrays.js';
import { mdctlMainJs, runMdctl } from './lib/mdctl-run.js';
import { CALM_TEST_TIMING, CALM_TEST_TRANSPORT } from './lib/node-config.js';
import { useCluster } from './lib/vitest-cluster.js';

const DISKS = ['sda', 'sdb', 'sdc'].map((id) => ({ id, sizeSectors: 131_072 }));
const cluster = useCluster({ name: 'monitor', disks: DISKS, timing: CALM_TEST_TIMING, transport: CALM_TEST_TRANSPORT, checkpointIntervalMs: 200 },
  async (c) => { await createRaid1(c, 'n1', { device: 'md0', members: ['/dev/sda', '/dev/sdb', '/dev/sdc'], raidDevices: 2, spares: 1 }); });

const children = new Set<ChildProcess>();
const extraPids = new Set<number>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const pid of extraPids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
});

/** A --program that appends its argv (tab-separated) to `out`. */
function recorder(c: Cluster, name: string): { script: string; out: string; lines(): string[] } {
  const script = join(c.dir, `${name}.sh`);
  const out = join(c.dir, `${name}.log`);
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\t' "$@" >> '${out}'\nprintf '\\n' >> '${out}'\n`);
  chmodSync(script, 0o755);
  return { script, out, lines: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.replace(/\t$/, '')) : []) };
}

interface Monitor { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

function startMonitor(c: Cluster, node: string, args: string[]): Monitor {
  const child = spawn(process.execPath, [mdctlMainJs(), '--socket', c.controlSocket(node), '--monitor', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { children.delete(child); r(code); }));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const tab = (...words: string[]) => words.join('\t');
const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

async function waitIdle(c: Cluster): Promise<void> {
  await waitFor('md0 idle in the cluster state', async () => {
    const s = await c.status('n1');
    const a = s.arrays.find((x) => x.device === '/dev/md0');
    return a && a.sync.action === 'idle' ? true : undefined;
  }, 60_000, 100);
}

describe('mdctl --monitor on a 3-node cluster', () => {
  test('monitors on n2 and n3 each raise Fail once for one failure, with the same events', async () => {
    const c = cluster();
    await waitIdle(c);
    const r2 = recorder(c, 'mon-n2');
    const r3 = recorder(c, 'mon-n3');
    const m2 = startMonitor(c, 'n2', ['--scan', '--test', '--program', r2.script]);
    const m3 = startMonitor(c, 'n3', ['--test', '--alert', r3.script, '/dev/md0']);
    // --test: a TestMessage per array once the monitor is subscribed.
    for (const r of [r2, r3]) await waitFor(`${r.out}: TestMessage`, () => (r.lines().includes(tab('TestMessage', '/dev/md0')) ? true : undefined), 30_000, 50);
    const failedAt = performance.now();
    const fail = await runMdctl(c.controlSocket('n1'), ['/dev/md0', '--fail', '/dev/sdb']);
    expect(fail.code, fail.stderr).toBe(0);
    const failLine = tab('Fail', '/dev/md0', '/dev/sdb');
    await Promise.all([r2, r3].map((r) => waitFor(`${r.out}: Fail`, () => (r.lines().includes(failLine) ? true : undefined), 30_000, 5)));
    console.log(`mdctl --fail on n1 to both --program runs on n2 and n3: ${Math.round(performance.now() - failedAt)} ms (mdctl itself ${Math.round(fail.wallMs)} ms)`);
    // RebuildFinished (the master's idle checkpoint) and SpareActive (its observation of the
    // rebuilt member) are separate log entries whose order is not fixed: wait for both.
    const done = [tab('RebuildFinished', '/dev/md0'), tab('SpareActive', '/dev/md0', '/dev/sdc')];
    for (const r of [r2, r3]) {
      await waitFor(`${r.out}: the spare rebuilt`, () => (done.every((l) => r.lines().includes(l)) ? true : undefined), 60_000, 50);
    }
    await waitIdle(c);
    for (const r of [r2, r3]) {
      const lines = r.lines();
      expect(count(lines, tab('Fail', '/dev/md0', '/dev/sdb')), lines.join('\n')).toBe(1);
      expect(count(lines, tab('SpareActive', '/dev/md0', '/dev/sdc')), lines.join('\n')).toBe(1);
      expect(count(lines, tab('RebuildStarted', '/dev/md0')), lines.join('\n')).toBe(1);
      expect(lines.indexOf(tab('Fail', '/dev/md0', '/dev/sdb'))).toBeLessThan(lines.indexOf(tab('RebuildFinished', '/dev/md0')));
      expect(lines.every((l) => !l.startsWith('DegradedArray')), 'a monitored failure is a Fail, not a DegradedArray').toBe(true);
    }
    // Array events come from log entries: the same on every node. (Peer-health events such as
    // NodeDown under a stalled event loop are each node's own view and may differ.)
    const arrayEvents = (r: typeof r2) => r.lines().filter((l) => l.split('\t')[1]?.startsWith('/dev/'));
    expect(arrayEvents(r3), `n2:\n${r2.lines().join('\n')}\nn3:\n${r3.lines().join('\n')}`).toEqual(arrayEvents(r2));
    m2.child.kill('SIGTERM');
    m3.child.kill('SIGTERM');
    expect(await m2.exited).toBe(0);
    expect(await m3.exited).toBe(0);
    expect(m2.stdout()).toBe('');
  });

  test('--oneshot --test: TestMessage and DegradedArray for an array degraded at start, then exit 0', async () => {
    const c = cluster();
    for (const args of [['/dev/md0', '--remove', 'failed'], ['/dev/md0', '--fail', '/dev/sdc', '--remove', '/dev/sdc']]) {
      const r = await runMdctl(c.controlSocket('n2'), args);
      expect(r.code, r.stderr).toBe(0);
    }
    await waitFor('md0 degraded in the state', async () => ((await c.status('n3')).arrays.find((a) => a.device === '/dev/md0')?.state === 'degraded' ? true : undefined), 30_000, 100);
    const rec = recorder(c, 'oneshot');
    const r = await runMdctl(c.controlSocket('n3'), ['--monitor', '--oneshot', '--test', '--program', rec.script]);
    expect(r.code, r.stderr).toBe(0);
    expect(rec.lines()).toEqual([tab('TestMessage', '/dev/md0'), tab('DegradedArray', '/dev/md0')]);
  });

  test('with nothing configured it says so and prints mdadm\'s lines on stdout', async () => {
    const c = cluster();
    const r = await runMdctl(c.controlSocket('n1'), ['--monitor', '-1', '-t']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no --mail, --program or --syslog given: printing events to stdout');
    expect(r.stdout).toMatch(/^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d: TestMessage on \/dev\/md0 unknown device\n[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d: DegradedArray on \/dev\/md0 unknown device\n$/);
  });

  test('--daemonise --pid-file: returns at once, the monitor runs detached, SIGTERM removes the pid file', async () => {
    const c = cluster();
    const rec = recorder(c, 'daemon');
    const pidFile = join(c.dir, 'monitor.pid');
    const r = await runMdctl(c.controlSocket('n2'), ['--monitor', '--daemonise', '--pid-file', pidFile, '--test', '--program', rec.script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    extraPids.add(pid);
    expect(pid).toBeGreaterThan(1);
    await waitFor('the detached monitor\'s TestMessage', () => (rec.lines().includes(tab('TestMessage', '/dev/md0')) ? true : undefined), 30_000, 50);
    process.kill(pid, 'SIGTERM');
    await waitFor('the pid file removed', () => (existsSync(pidFile) ? undefined : true), 15_000, 50);
    extraPids.delete(pid);
  });

  test('a monitor whose daemon restarts reconnects after --delay and goes on raising events', async () => {
    const c = cluster();
    const rec = recorder(c, 'reconnect');
    const m = startMonitor(c, 'n2', ['--delay', '1', '--program', rec.script]);
    await waitFor('the monitor subscribed (DegradedArray at start)', () => (rec.lines().includes(tab('DegradedArray', '/dev/md0')) ? true : undefined), 30_000, 50);
    await c.kill('n2');
    await waitFor('the monitor noticed', () => (m.stderr().includes('lost the connection to mdclusterd') ? true : undefined), 15_000, 50);
    await c.restart('n2');
    await waitFor('the monitor reconnected', () => (m.stderr().includes('reconnected to mdclusterd') ? true : undefined), 30_000, 100);
    const add = await runMdctl(c.controlSocket('n1'), ['/dev/md0', '--add', '/dev/sdb']);
    expect(add.code, add.stderr).toBe(0);
    await waitFor('SpareActive for the added disk', () => (rec.lines().includes(tab('SpareActive', '/dev/md0', '/dev/sdb')) ? true : undefined), 40_000, 50)
      .catch((e: Error) => { throw new Error(`${e.message}\nrecorded: ${rec.lines().join(' | ')}\nmonitor stderr: ${m.stderr()}`); });
    // The first look after reconnecting does not repeat the DegradedArray already raised.
    expect(count(rec.lines(), tab('DegradedArray', '/dev/md0')), rec.lines().join('\n')).toBe(1);
    m.child.kill('SIGTERM');
    expect(await m.exited).toBe(0);
  }, 120_000);

  test('bad options are usage errors (exit 2) before anything runs', async () => {
    const c = cluster();
    for (const args of [['--increment', '0'], ['--increment', '100'], ['--delay', 'x'], ['/dev/sda']]) {
      const r = await runMdctl(c.controlSocket('n1'), ['--monitor', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    }
  });
});
