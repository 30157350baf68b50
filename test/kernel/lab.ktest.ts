// Kernel lab self-test: the harness itself against a real guest. Owns: proving that
// bootGuest passes argv/env/cwd through unchanged, reports exit codes, kills a guest at its
// timeout, and tells a crash (sysrq b, host-side crash, power cut) from a clean exit.
// Invariant: every test here can fail: each checks a value only a working guest produces.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootGuest, describeResult, startGuest } from './lab/index.js';

const LIB = 'test/kernel/lab/guest/lib.sh';

describe('kernel lab guest', () => {
  it('runs argv with env and cwd unchanged and returns stdout, stderr, exit code and files', async () => {
    const weird = `it's "quoted" $HOME \\ ; & | *`;
    const r = await bootGuest({
      name: 'argv',
      cmd: ['sh', '-c', 'printf "%s\\n" "$1" "$LAB_X" "$(pwd)" "$(uname -r)"; echo err >&2; echo hi > "$LAB_OUT/f.txt"; mkdir -p "$LAB_OUT/d"; echo deep > "$LAB_OUT/d/g.txt"; exit 7', 'sh', weird],
      env: { LAB_X: 'x y z' },
      cwd: '/work',
      timeoutMs: 120_000,
    });
    expect(r.outcome, describeResult(r)).toBe('exited');
    expect(r.exitCode).toBe(7);
    const [arg, envValue, cwd, kver] = r.stdout.split('\n');
    expect(arg).toBe(weird);
    expect(envValue).toBe('x y z');
    expect(cwd).toBe('/work');
    expect(kver).toMatch(/^6\.1\./);
    expect(r.stderr).toBe('err\n');
    expect(r.files).toEqual({ 'f.txt': 'hi\n', 'd/g.txt': 'deep\n' });
    expect(r.bootToCommandMs).not.toBeNull();
    expect(r.guestUptimeAtCommandSec).toBeGreaterThan(0);
    console.log(`boot-to-command ${Math.round(r.bootToCommandMs!)} ms (guest uptime ${r.guestUptimeAtCommandSec} s), total ${Math.round(r.totalMs)} ms`);
  });

  it('gives each disk as /dev/vdX in order and keeps an existing image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mdlab-test-'));
    try {
      const img = join(dir, 'given.img');
      await writeFile(img, Buffer.alloc(3 * 1024 * 1024, 0x41));
      const r = await bootGuest({
        name: 'disks',
        cmd: ['sh', '-c', 'for d in /dev/vda /dev/vdb; do blockdev --getsize64 $d; done; head -c 3 /dev/vdb; echo'],
        disks: [{ sizeMiB: 8 }, { path: img, sizeMiB: 64 }],
        timeoutMs: 120_000,
      });
      expect(r.outcome, describeResult(r)).toBe('exited');
      expect(r.stdout).toBe(`${8 * 1024 * 1024}\n${3 * 1024 * 1024}\nAAA\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kills a guest that outlives its timeout', async () => {
    const r = await bootGuest({ name: 'timeout', cmd: ['sleep', '600'], timeoutMs: 12_000 });
    expect(r.outcome).toBe('timeout');
    expect(r.exitCode).toBeNull();
    expect(r.totalMs).toBeGreaterThanOrEqual(12_000);
    expect(r.totalMs).toBeLessThan(20_000);
  });

  it('reports a guest-side crash (sysrq b) as no exit status, with marks printed before it', async () => {
    const r = await bootGuest({ name: 'crash', cmd: ['sh', '-c', `. ${LIB}; lab_mark before-crash; lab_crash`], timeoutMs: 120_000 });
    expect(r.outcome, describeResult(r)).toBe('no-exit-status');
    expect(r.marks).toEqual(['before-crash']);
  });

  it('crashes a running guest from the host (Alt+SysRq+B) and cuts its power', async () => {
    for (const how of ['crash', 'powerCut'] as const) {
      const g = await startGuest({ name: how, cmd: ['sh', '-c', `. ${LIB}; lab_mark up; sleep 600`], timeoutMs: 120_000 });
      await g.waitForMark('up', 100_000);
      await g[how]();
      const r = await g.done;
      expect(r.outcome, describeResult(r)).toBe('no-exit-status');
      if (how === 'crash') expect(r.console).toMatch(/sysrq: Resetting/);
    }
  });

  it('powers off cleanly from inside with lab_poweroff', async () => {
    const r = await bootGuest({ name: 'poweroff', cmd: ['sh', '-c', `. ${LIB}; echo before; lab_poweroff; echo after`], timeoutMs: 120_000 });
    expect(r.outcome, describeResult(r)).toBe('exited');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('before\n');
  });
});
