// Golden tests of mdctl's command-line parsing: mdadm's syntax forms, their order, bundled
// short options, and the usage errors (exit 2) that must stop a command before the daemon.
import { describe, expect, it } from 'vitest';
import { parse, mdName, UsageError } from '../../mdctl/src/args.js';
import { buildCreate } from '../../mdctl/src/create.js';
import { run } from '../../mdctl/src/main.js';

function runCapture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return run(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, env: { MDCTL_SOCKET: '/nonexistent/mdctl-test.sock' } }).then((code) => ({ code, out, err }));
}

describe('mdctl argument parsing', () => {
  it('keeps the order of interleaved manage operations', () => {
    const a = parse(['/dev/md0', '--fail', '/dev/sdb1', '--remove', '/dev/sdb1', '--add', '/dev/sdc1', '/dev/sdd1']);
    expect(a.mode).toBe('manage');
    expect(a.device).toBe('/dev/md0');
    expect(a.ops).toEqual([{ op: 'fail', devices: ['/dev/sdb1'] }, { op: 'remove', devices: ['/dev/sdb1'] }, { op: 'add', devices: ['/dev/sdc1', '/dev/sdd1'] }]);
  });
  it('accepts short manage options and the words failed/detached', () => {
    const a = parse(['/dev/md0', '-f', '/dev/sdb', '-r', 'failed', '-r', 'detached']);
    expect(a.ops).toEqual([{ op: 'fail', devices: ['/dev/sdb'] }, { op: 'remove', devices: ['failed'] }, { op: 'remove', devices: ['detached'] }]);
  });
  it('parses bundled create forms', () => {
    const a = parse(['-C', '/dev/md0', '-l1', '-n2', '/dev/sda1', '/dev/sdb1']);
    expect(a.mode).toBe('create');
    const c = buildCreate(a, 'host');
    expect(c).toMatchObject({ op: 'create', device: 'md0', level: 'raid1', raidDevices: 2, members: ['/dev/sda1', '/dev/sdb1'], spares: 0, name: 'host:0', metadata: '1.2' });
    expect(String(c.uuid)).toMatch(/^[0-9a-f]{8}(:[0-9a-f]{8}){3}$/);
    const b = buildCreate(parse(['--create', '/dev/md1', '--level=raid10', '--raid-devices=4', '-x', '1', '--chunk=512K', '--layout=n2', '--bitmap=internal', '--assume-clean', '/dev/a', '/dev/b', '/dev/c', '/dev/d', '/dev/e']), 'h');
    expect(b).toMatchObject({ level: 'raid10', raidDevices: 4, spares: 1, chunkKiB: 512, layout: 'n2', bitmap: 'internal', assumeClean: true });
  });
  it('rejects inconsistent create command lines', () => {
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l1', '-n2', '/dev/sda1']), 'h')).toThrow(/2 devices are needed/);
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l7', '-n2', '/dev/a', '/dev/b']), 'h')).toThrow(/invalid raid level/);
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l1', '-nX', '/dev/a', '/dev/b']), 'h')).toThrow(/invalid number/);
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l5', '-n3', '--chunk=12K', '/dev/a', '/dev/b', '/dev/c']), 'h')).toThrow(/power of 2/);
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l5', '-n3', '--chunk=3K', '/dev/a', '/dev/b', '/dev/c']), 'h')).toThrow(/invalid chunk\/rounding value: 3K/);
    expect(() => buildCreate(parse(['-C', '/dev/sda', '-l1', '-n2', '/dev/a', '/dev/b']), 'h')).toThrow(UsageError);
  });
  it('detects misc and cluster modes', () => {
    expect(parse(['--detail', '--scan']).mode).toBe('misc');
    expect(parse(['-D', '--export', '/dev/md0']).values.export).toBe(true);
    expect(parse(['--action=check', '/dev/md0']).values.action).toBe('check');
    expect(parse(['--cluster', 'step-down', '--to', 'node2']).mode).toBe('cluster');
    expect(parse(['-F', '--scan', '--program', '/bin/true', '-r', '5']).mode).toBe('monitor');
  });
  it('normalises md device names', () => {
    expect(mdName('/dev/md0')).toBe('md0');
    expect(mdName('md12')).toBe('md12');
    expect(mdName('/dev/md/3')).toBe('md3');
    expect(mdName('/dev/sda')).toBeNull();
  });
});

describe('mdctl usage errors exit 2 with an mdctl: message before any daemon contact', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /unrecognised option --bogus/],
    [['/dev/md0', '/dev/sdb'], /An option must be given to set the mode before a second device \(\/dev\/sdb\) is listed/],
    [['-C', '-A', '/dev/md0'], /-A would set mdctl mode to "assemble", but it is already set to "create"/],
    [['/dev/md0', '--with', '/dev/sdc'], /--with must follow --replace/],
    [['/dev/md0', '--add'], /--add needs at least one device/],
    [['/dev/md0', '--stop', '/dev/sda'], /--stop takes no device/],
    [['--action=explode', '/dev/md0'], /expected check, repair, idle or frozen/],
    [['-C', '/dev/md0', '-l1', '-n2', '/dev/a'], /devices are needed/],
    [['--cluster', 'dance'], /expected status, step-down/],
    [[], /an md device or a mode option is needed/],
  ];
  for (const [argv, re] of cases) {
    it(`mdctl ${argv.join(' ')}`, async () => {
      const r = await runCapture(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^mdctl: /);
      expect(r.err).toMatch(re);
    });
  }
  it('--version and --help need no daemon', async () => {
    expect((await runCapture(['--version'])).code).toBe(0);
    const h = await runCapture(['--create', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--raid-devices/);
  });
  it('a missing daemon is a clear error, exit 1 (4 for --detail --test)', async () => {
    const r = await runCapture(['/dev/md0', '--fail', '/dev/sda']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mdctl: cannot reach mdclusterd at \/nonexistent\/mdctl-test.sock/);
    expect((await runCapture(['--detail', '--test', '/dev/md0'])).code).toBe(4);
  });
});
