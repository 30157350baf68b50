// The per-mode option table (mdctl/src/options.ts) as mdadm reads its letters: the same short
// letter means different options in different modes, the first mode option decides, and an
// option outside its modes is a usage error (exit 2) naming the mode.
import { describe, expect, it } from 'vitest';
import { parse, parseSizeSectors, verbosity } from '../../mdctl/src/args.js';
import { OPTION_DEFS, shortOption } from '../../mdctl/src/options.js';
import { buildCreate } from '../../mdctl/src/create.js';
import { levelOf } from '../../mdctl/src/assemble.js';
import { helpText } from '../../mdctl/src/help.js';

describe('short letters change meaning by mode, as in mdadm', () => {
  it('-b is --bitmap when creating and --brief when examining or detailing', () => {
    expect(parse(['-C', '/dev/md0', '-l1', '-n2', '-b', 'internal', '/dev/a', '/dev/b']).values.bitmap).toBe('internal');
    const e = parse(['-Eb', '/dev/sda']);
    expect(e.mode).toBe('misc');
    expect(e.values.brief).toBe(true);
    expect(e.values.bitmap).toBeUndefined();
    expect(parse(['-Db', '/dev/md0']).values.brief).toBe(true);
  });
  it('-c is --chunk when creating and --config when assembling, examining or monitoring', () => {
    expect(parse(['-C', '/dev/md0', '-l5', '-n3', '-c', '64', '/dev/a', '/dev/b', '/dev/c']).values.chunk).toBe('64');
    expect(parse(['-As', '-c', '/etc/x.conf']).values.config).toBe('/etc/x.conf');
    expect(parse(['-Es', '-c', '/etc/x.conf']).values.config).toBe('/etc/x.conf');
    expect(parse(['-F', '-c', '/etc/x.conf', '--scan']).values.config).toBe('/etc/x.conf');
  });
  it('-p is --layout when creating and --program when monitoring', () => {
    expect(parse(['-C', '/dev/md0', '-l5', '-n3', '-p', 'ls', '/dev/a', '/dev/b', '/dev/c']).values.layout).toBe('ls');
    const m = parse(['-F', '-s', '-p', '/bin/true']);
    expect(m.values.program).toBe('/bin/true');
    expect(m.values.layout).toBeUndefined();
  });
  it('-f is --fail in manage, --force in create/assemble/misc, --daemonise in monitor', () => {
    expect(parse(['/dev/md0', '-f', '/dev/sda']).ops).toEqual([{ op: 'fail', devices: ['/dev/sda'] }]);
    expect(parse(['-C', '/dev/md0', '-f', '-l1', '-n1', '/dev/a']).values.force).toBe(true);
    expect(parse(['-A', '-f', '/dev/md0', '/dev/a']).values.force).toBe(true);
    expect(parse(['--zero-superblock', '-f', '/dev/a']).values.force).toBe(true);
    const m = parse(['-F', '-f', '--scan']);
    expect(m.values.daemonise).toBe(true);
    expect(m.values.fail).toBeUndefined();
  });
  it('-r is --remove in manage and --increment in monitor', () => {
    expect(parse(['/dev/md0', '-r', '/dev/sda']).ops).toEqual([{ op: 'remove', devices: ['/dev/sda'] }]);
    expect(parse(['-F', '-s', '-r', '10']).values.increment).toBe('10');
  });
  it('-W is --wait in misc and --write-mostly in manage', () => {
    expect(parse(['-W', '/dev/md0']).values.wait).toBe(true);
    expect(parse(['/dev/md0', '-W', '/dev/sda']).ops).toEqual([{ op: 'write-mostly', devices: ['/dev/sda'] }]);
  });
  it('a lone device is --query; a second device before any mode is refused', () => {
    const q = parse(['/dev/sda']);
    expect(q.mode).toBe('misc');
    expect(q.values.query).toBe(true);
    expect(() => parse(['/dev/sda', '/dev/sdb'])).toThrow(/before a second device \(\/dev\/sdb\) is listed/);
  });
  it('-S first is misc (so --stop --scan works); after the md device it is manage', () => {
    const s = parse(['-Ss']);
    expect(s.mode).toBe('misc');
    expect(s.values.stop).toBe(true);
    expect(s.values.scan).toBe(true);
    expect(parse(['/dev/md0', '--stop']).mode).toBe('manage');
  });
  it('an option outside its modes is refused naming the mode, and so is a second mode', () => {
    expect(() => parse(['-F', '--scan', '-l1'])).toThrow(/option -l not valid in monitor mode/);
    expect(() => parse(['-D', '--chunk=64', '/dev/md0'])).toThrow(/option --chunk not valid in misc mode/);
    expect(() => parse(['-C', '/dev/md0', '-D'])).toThrow(/-D would set mdctl mode to "misc", but it is already set to "create"/);
    expect(() => parse(['--scan', '-D'])).toThrow(/--scan does not set the mode, and so cannot be the first option/);
  });
  it('--quiet and --verbose count against each other', () => {
    expect(verbosity(parse(['-q', '-D', '/dev/md0']).values)).toBe(-1);
    expect(verbosity(parse(['-Dvv', '/dev/md0']).values)).toBe(2);
  });
  it('every letter means one option in each mode (the table is checked at load)', () => {
    for (const d of OPTION_DEFS) {
      if (!d.short) continue;
      const states = d.short.in === 'any' ? ['none' as const] : d.short.in;
      for (const s of states) expect(shortOption(s, d.short.letter)?.name).toBe(d.name);
    }
  });
});

describe('sizes take mdadm suffixes (parse_size)', () => {
  it('K is the default unit, M G T multiply, s means sectors', () => {
    expect(parseSizeSectors('100')).toBe(200);
    expect(parseSizeSectors('100K')).toBe(200);
    expect(parseSizeSectors('10M')).toBe(20480);
    expect(parseSizeSectors('1G')).toBe(2097152);
    expect(parseSizeSectors('1T')).toBe(2147483648);
    expect(parseSizeSectors('64s')).toBe(64);
  });
  it('refuses lower-case suffixes, zero and junk as mdadm does', () => {
    for (const bad of ['10m', '0', '-1', '1.5M', 'M', '10MB', '']) expect(parseSizeSectors(bad)).toBeNull();
  });
});

describe('create options mdadm has', () => {
  const base = ['-C', '/dev/md0', '-l1', '-n2', '/dev/a', '/dev/b'];
  it('--size takes suffixes and "max"; junk is mdadm\'s "invalid size"', () => {
    expect(buildCreate(parse([...base, '--size=1G']), 'h').sizeKiB).toBe(1048576);
    expect(buildCreate(parse([...base, '-z', '512M']), 'h').sizeKiB).toBe(524288);
    expect(buildCreate(parse([...base, '-z', '100']), 'h').sizeKiB).toBe(100);
    expect(buildCreate(parse([...base, '--size=max']), 'h').sizeKiB).toBeNull();
    expect(() => buildCreate(parse([...base, '--size=1g']), 'h')).toThrow(/^invalid size: 1g$/);
    expect(() => buildCreate(parse([...base, '--size=3s']), 'h')).toThrow(/^invalid size: 3s$/);
  });
  it('an unknown level is mdadm\'s "invalid raid level" error, never a fallback', () => {
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l', 'raid7', '-n2', '/dev/a', '/dev/b']), 'h')).toThrow(/^invalid raid level: raid7$/);
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l', 'multipath', '-n2', '/dev/a', '/dev/b']), 'h')).toThrow(/not supported on a cluster/);
    expect(() => levelOf({ level: 7 })).toThrow(/level 7 is not supported/);
    expect(() => levelOf({ level: -4 })).toThrow(/level multipath is not supported/);
    expect(levelOf({ level: 10 })).toBe('raid10');
  });
  it('-n1 needs --force, as in mdadm', () => {
    expect(() => buildCreate(parse(['-C', '/dev/md0', '-l1', '-n1', '/dev/a']), 'h')).toThrow(/'1' is an unusual number of drives/);
    expect(buildCreate(parse(['-C', '/dev/md0', '-f', '-l1', '-n1', '/dev/a']), 'h').raidDevices).toBe(1);
  });
  it('--homehost names the array; <none> leaves the host out', () => {
    expect(buildCreate(parse([...base, '--homehost=other']), 'h').name).toBe('other:0');
    expect(buildCreate(parse([...base, '--homehost=<none>']), 'h').name).toBe('0');
    expect(buildCreate(parse(base), 'h').name).toBe('h:0');
  });
  it('--consistency-policy and --write-journal are checked as mdadm checks them', () => {
    expect(() => buildCreate(parse([...base, '--consistency-policy=bogus']), 'h')).toThrow(/^Invalid consistency policy: bogus$/);
    expect(() => buildCreate(parse([...base, '--consistency-policy=bitmap']), 'h')).toThrow(/--bitmap is required for consistency policy: bitmap/);
    expect(buildCreate(parse([...base, '-b', 'internal', '-k', 'bitmap']), 'h').bitmap).toBe('internal');
    expect(() => buildCreate(parse([...base, '--consistency-policy=ppl']), 'h')).toThrow(/PPL consistency policy is only supported for RAID level 5/);
    expect(() => buildCreate(parse([...base, '--write-journal=/dev/j']), 'h')).toThrow(/--write-journal is only supported for RAID level 4\/5\/6/);
  });
});

describe('help lists each mode\'s options from the same table', () => {
  it('shows the letter a mode gives an option, and only that mode\'s options', () => {
    const create = helpText('create');
    expect(create).toContain('--chunk=VALUE -c :');
    expect(create).toContain('--bitmap=VALUE -b :');
    expect(create).not.toContain('--program');
    const monitor = helpText('monitor');
    expect(monitor).toContain('--program=VALUE -p :');
    expect(monitor).toContain('--daemonise -f :');
    expect(monitor).toContain('--config=VALUE -c :');
  });
});
