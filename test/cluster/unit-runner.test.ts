// The lane's systemd stand-in (guest/unit-file.ts, guest/unit-runner.ts), on the host with real
// processes: the shipped etc/systemd/mdclusterd.service reads as the service the lane runs;
// Exec line syntax, time spans and the Restart= table; and the runner's behaviour: READY=1
// through the notify listener (NotifyAccess=main), Restart=on-failure up to StartLimitBurst,
// RestartPreventExitStatus, TimeoutStartSec without READY=1, an asked-for stop that does not
// restart, ExecStopPost's environment, UMask, and ExecReload with $MAINPID; the cold-start boot
// plan (lib/cold-start.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../integration/lib/wait.js';
import { expandArgv, parseExecLine, parseTimeSpanMs, parseUnitFile, serviceResult, serviceSpec, shouldRestart } from './guest/unit-file.js';
import { UnitRunner } from './guest/unit-runner.js';
import { bootPlan } from './lib/cold-start.js';
import { viewMatchesKernel } from './lib/md-checks.js';

const root = new URL('../..', import.meta.url).pathname;

describe('unit-file: the shipped mdclusterd.service', () => {
  const spec = serviceSpec(parseUnitFile(readFileSync(join(root, 'etc/systemd/mdclusterd.service'), 'utf8')));

  it('reads ExecStart, ExecStartPre (+-), ExecStopPost, restart and timeout settings', () => {
    expect(spec.type).toBe('notify');
    expect(spec.notifyAccess).toBe('main');
    expect(spec.execStart.argv).toEqual(['/usr/bin/mdclusterd', '--config', '/etc/mdclusterd/mdclusterd.toml']);
    expect(spec.execStartPre).toHaveLength(1);
    expect(spec.execStartPre[0]).toMatchObject({ argv: ['/sbin/modprobe', '-a', 'md_mod', 'raid0', 'raid1', 'raid10', 'raid456'], ignoreFailure: true, fullPrivileges: true });
    expect(spec.execStopPost.map((c) => c.argv)).toEqual([['/usr/bin/mdclusterd', 'demote-all', '--config', '/etc/mdclusterd/mdclusterd.toml']]);
    expect(spec.execReload[0]!.argv).toEqual(['/bin/kill', '-HUP', '$MAINPID']);
    expect(spec).toMatchObject({ restart: 'on-failure', restartSecMs: 1000, restartPreventExitStatus: [78], timeoutStartMs: 120_000, timeoutStopMs: 30_000, watchdogMs: 3000, killMode: 'mixed', umask: 0o077, nice: -10, oomScoreAdjust: -900, limitNofile: 65536, startLimitIntervalMs: 60_000, startLimitBurst: 5 });
    expect(spec.runtimeDirectories).toEqual([{ path: '/run/mdclusterd', mode: 0o750 }]);
    expect(spec.stateDirectories).toEqual([{ path: '/var/lib/mdclusterd', mode: 0o700 }]);
    expect(spec.notApplied).toContain('SystemCallFilter');
    expect(spec.notApplied).toContain('WatchdogSec');
    expect(spec.notApplied).toContain('CPUSchedulingPolicy');
  });

  it('refuses a [Service] directive it neither applies nor lists as not applied', () => {
    const text = readFileSync(join(root, 'etc/systemd/mdclusterd.service'), 'utf8').replace('[Service]', '[Service]\nExecStartPost=/bin/true');
    expect(() => serviceSpec(parseUnitFile(text))).toThrow(/ExecStartPost= is neither applied/);
  });
});

describe('unit-file: syntax', () => {
  it('Exec lines: prefixes, quotes, escapes, %%; refuses what it does not implement', () => {
    expect(parseExecLine('-/bin/echo "a b" \'c d\' e\\tf 100%%')).toMatchObject({ argv: ['/bin/echo', 'a b', 'c d', 'e\tf', '100%'], ignoreFailure: true, fullPrivileges: false });
    expect(() => parseExecLine('/bin/echo %n')).toThrow(/specifier %n/);
    expect(() => parseExecLine('@/bin/echo x')).toThrow(/prefix "@"/);
    expect(() => parseExecLine('echo x')).toThrow(/absolute path/);
    expect(() => parseExecLine('/bin/echo "x')).toThrow(/unterminated/);
    expect(() => parseExecLine('/bin/a ; /bin/b')).toThrow(/separators/);
  });

  it('continuation lines, comments, repeated keys', () => {
    const u = parseUnitFile('# c\n[Service]\nExecStartPre=/bin/a\\\n  x\nExecStartPre=/bin/b\n; c\n');
    expect(u.get('Service')!.get('ExecStartPre')).toEqual(['/bin/a x', '/bin/b']);
    expect(() => parseUnitFile('Key=x\n')).toThrow(/not a \[Section\]/);
  });

  it('$NAME and ${NAME} at run time', () => {
    expect(expandArgv(['/bin/kill', '-HUP', '$MAINPID', 'x${A}y', '$UNSET'], { MAINPID: '42', A: '1' })).toEqual(['/bin/kill', '-HUP', '42', 'x1y']);
  });

  it('time spans', () => {
    expect(parseTimeSpanMs('120s')).toBe(120_000);
    expect(parseTimeSpanMs('250ms')).toBe(250);
    expect(parseTimeSpanMs('1min 30s')).toBe(90_000);
    expect(parseTimeSpanMs('5')).toBe(5000);
    expect(parseTimeSpanMs('infinity')).toBe(Infinity);
    expect(() => parseTimeSpanMs('5 parsecs')).toThrow(/time span/);
  });

  it('Restart= and results as systemd.service(5) tables them', () => {
    expect(serviceResult(0, null, false)).toBe('success');
    expect(serviceResult(1, null, false)).toBe('exit-code');
    expect(serviceResult(null, 'SIGTERM', false)).toBe('success');
    expect(serviceResult(null, 'SIGKILL', false)).toBe('signal');
    expect(serviceResult(null, 'SIGSEGV', false)).toBe('core-dump');
    expect(serviceResult(null, 'SIGTERM', true)).toBe('timeout');
    const onFailure = { restart: 'on-failure' as const, restartPreventExitStatus: [78] };
    expect(shouldRestart(onFailure, 'exit-code', 1)).toBe(true);
    expect(shouldRestart(onFailure, 'exit-code', 78)).toBe(false);
    expect(shouldRestart(onFailure, 'signal', null)).toBe(true);
    expect(shouldRestart(onFailure, 'timeout', null)).toBe(true);
    expect(shouldRestart(onFailure, 'success', 0)).toBe(false);
    expect(shouldRestart({ restart: 'on-abnormal', restartPreventExitStatus: [] }, 'exit-code', 1)).toBe(false);
  });
});

describe('unit-runner with real processes', () => {
  let dir: string;
  let runners: UnitRunner[] = [];
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'mdunit-')); runners = []; });
  afterEach(async () => {
    for (const r of runners) { await r.stop(); r.close(); }
    rmSync(dir, { recursive: true, force: true });
  });

  const runner = async (service: string, unitExtra = ''): Promise<UnitRunner> => {
    const spec = serviceSpec(parseUnitFile(`[Unit]\n${unitExtra}\n[Service]\n${service}\n`));
    const r = new UnitRunner(spec, { name: 't.service', logPath: join(dir, 'log'), log: () => {}, listenerScript: join(root, 'test/cluster/guest/notify-listen.py'), notifySocket: join(dir, 'notify') });
    runners.push(r);
    await r.init();
    return r;
  };
  // Sends its datagrams from the main pid itself (python replaces the sh wrapper with exec).
  const notifier = (script: string): string => `/usr/bin/python3 -c "import os,socket,time; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); n=lambda m: s.sendto(m.encode(), os.environ['NOTIFY_SOCKET']); ${script}"`;

  it('Type=notify: active on READY=1 from the main pid with its STATUS=; a stop does not restart; ExecStopPost sees SERVICE_RESULT', async () => {
    const r = await runner([
      'Type=notify', 'Restart=on-failure', 'RestartSec=100ms', 'UMask=0077',
      `ExecStart=${notifier("n('READY=1\\\\nSTATUS=up; waiting'); time.sleep(60)")}`,
      `ExecStopPost=/bin/sh -c "echo $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS > ${join(dir, 'post')}; umask > ${join(dir, 'umask')}"`,
    ].join('\n'));
    await r.start();
    await waitFor('READY=1', () => (r.record().state === 'active' ? true : undefined), 20_000, 20);
    expect(r.record().starts[0]!.readyStatus).toBe('up; waiting');
    await r.stop();
    const rec = r.record();
    expect(rec.state).toBe('inactive');
    expect(rec.startCount).toBe(1);
    expect(readFileSync(join(dir, 'post'), 'utf8').trim()).toBe('success killed TERM');
    expect(readFileSync(join(dir, 'umask'), 'utf8').trim()).toBe('0077');
  });

  it('NotifyAccess=main: READY=1 from a child of the main process is dropped; TimeoutStartSec then ends the start (result timeout, restarted)', async () => {
    const r = await runner(['Type=notify', 'Restart=on-failure', 'RestartSec=100ms', 'TimeoutStartSec=1500ms', 'TimeoutStopSec=1s',
      `ExecStart=/bin/sh -c "${notifier("n('READY=1')").replace(/"/g, '\\"')}; sleep 60"`].join('\n'), 'StartLimitBurst=2\nStartLimitIntervalSec=60s');
    await r.start();
    await waitFor('start limit hit', () => (r.record().state === 'failed' ? true : undefined), 30_000, 50);
    const rec = r.record();
    expect(rec.rejectedNotifications).toBeGreaterThanOrEqual(1);
    expect(rec.startCount).toBe(2);
    expect(rec.starts.map((s) => s.end?.result)).toEqual(['timeout', 'timeout']);
    expect(rec.failedReason).toBe('start-limit-hit');
  });

  it('Restart=on-failure restarts a failing process until StartLimitBurst; RestartPreventExitStatus stops it at once', async () => {
    const looping = await runner('Type=simple\nRestart=on-failure\nRestartSec=50ms\nExecStart=/bin/sh -c "exit 3"', 'StartLimitBurst=3\nStartLimitIntervalSec=60s');
    await looping.start();
    await waitFor('start limit hit', () => (looping.record().failedReason === 'start-limit-hit' ? true : undefined), 20_000, 20);
    expect(looping.record().startCount).toBe(3);
    const config = await runner('Type=simple\nRestart=on-failure\nRestartSec=50ms\nRestartPreventExitStatus=78\nExecStart=/bin/sh -c "exit 78"');
    await config.start();
    await waitFor('failed', () => (config.record().state === 'failed' ? true : undefined), 20_000, 20);
    await new Promise((res) => setTimeout(res, 300));
    expect(config.record()).toMatchObject({ startCount: 1, failedReason: 'exit-code' });
  });

  it('a kill -9 of the main process is a crash: restarted once, counted', async () => {
    const r = await runner('Type=simple\nRestart=on-failure\nRestartSec=50ms\nExecStart=/bin/sleep 60\nExecReload=/bin/sh -c "echo $MAINPID > ' + join(dir, 'reload') + '"');
    await r.start();
    const first = r.pid;
    expect(await r.reload()).toBe(0);
    expect(readFileSync(join(dir, 'reload'), 'utf8').trim()).toBe(String(first));
    await r.kill();
    await waitFor('restarted', () => (r.running && r.pid !== first ? true : undefined), 20_000, 20);
    expect(r.record().startCount).toBe(2);
    expect(r.record().starts[0]!.end?.result).toBe('signal');
  });
});

describe('cold-start boot plan', () => {
  it('is a seeded permutation with the first boot at 0 and later ones within the bound, in order', () => {
    const a = bootPlan([1, 2, 3], 60_000, 7);
    expect(bootPlan([1, 2, 3], 60_000, 7)).toEqual(a);
    expect([...a.order].sort()).toEqual([1, 2, 3]);
    expect(a.delaysMs[0]).toBe(0);
    for (let k = 1; k < 3; k++) expect(a.delaysMs[k]!).toBeGreaterThanOrEqual(a.delaysMs[k - 1]!);
    expect(a.delaysMs[2]!).toBeLessThanOrEqual(60_000);
    const orders = new Set(Array.from({ length: 40 }, (_, s) => bootPlan([1, 2, 3], 60_000, s).order.join('')));
    expect(orders.size).toBe(6);
  });
});

describe('mdstat view vs kernel with preloaded personalities', () => {
  it('the view\'s Personalities must be an in-order subset of the kernel\'s; the rest byte for byte', () => {
    const kernel = 'Personalities : [raid0] [raid1] [raid10] [raid6] [raid5] [raid4] \nmd0 : active raid1 vda[0] vdb[1]\n';
    expect(viewMatchesKernel('Personalities : [raid1] \nmd0 : active raid1 vda[0] vdb[1]\n', kernel)).toBe(true);
    expect(viewMatchesKernel('Personalities : [raid1] [raid0] \nmd0 : active raid1 vda[0] vdb[1]\n', kernel)).toBe(false);
    expect(viewMatchesKernel('Personalities : [linear] \nmd0 : active raid1 vda[0] vdb[1]\n', kernel)).toBe(false);
    expect(viewMatchesKernel('Personalities : [raid1] \nmd0 : active raid1 vda[0]\n', kernel)).toBe(false);
  });
});
