// mdctl --grow's command line: which replicated command each form becomes, and the usage
// errors (exit 2, nothing sent) for a grow without a device or with a bitmap file; a grow with
// no change is mdadm's notice with exit 0.
import { describe, expect, it } from 'vitest';
import { parse } from '../../mdctl/src/args.js';
import { Ctx } from '../../mdctl/src/context.js';
import { growCommand, GrowRefusal, maxSizeKiB, strerror } from '../../mdctl/src/grow.js';
import { kernelArrayState, kernelMember } from './record-fixtures.js';
import { run } from '../../mdctl/src/main.js';

const io = { out: () => {}, err: () => {}, env: {} };
const commandOf = (argv: string[]) => growCommand(new Ctx(parse(argv), io));

async function runCapture(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await run(argv, { out: () => {}, err: (t) => { err += t; }, env: { MDCTL_SOCKET: '/nonexistent/mdctl-grow-test.sock' } });
  return { code, err };
}

describe('mdctl --grow', () => {
  it('--bitmap=internal|none (long, short, either order) is one grow-bitmap command', () => {
    expect(commandOf(['--grow', '/dev/md0', '--bitmap=internal'])).toEqual({ op: 'grow-bitmap', device: 'md0', bitmap: 'internal' });
    expect(commandOf(['-G', '/dev/md/3', '-b', 'none'])).toEqual({ op: 'grow-bitmap', device: 'md3', bitmap: 'none' });
    expect(commandOf(['--grow', '--bitmap', 'none', '/dev/md1'])).toEqual({ op: 'grow-bitmap', device: 'md1', bitmap: 'none' });
  });
  it('usage errors exit 2 (and no change exits 0) before any daemon is asked', async () => {
    expect(await runCapture(['--grow', '/dev/md0'])).toEqual({ code: 0, err: 'mdctl: no changes to --grow\n' }); // mdadm 4.2: a notice, exit 0
    expect(await runCapture(['--grow', '--bitmap=internal'])).toEqual({ code: 2, err: 'mdctl: no devices given.\n' });
    expect((await runCapture(['--grow', '/dev/md0', '--bitmap=/var/bitmap'])).code).toBe(2);
    expect((await runCapture(['--grow', '/dev/sda', '--bitmap=none'])).code).toBe(2);
  });
});

describe('mdctl --grow --size', () => {
  it('sizes in KiB (suffixes as mdadm), max, --assume-clean', () => {
    expect(commandOf(['--grow', '/dev/md0', '--size=40M'])).toEqual({ op: 'grow-size', device: 'md0', size: 40960, assumeClean: false });
    expect(commandOf(['-G', '/dev/md0', '-z', 'max', '--assume-clean'])).toEqual({ op: 'grow-size', device: 'md0', size: 'max', assumeClean: true });
    expect(commandOf(['--grow', '/dev/md0', '--size', '1000'])).toEqual({ op: 'grow-size', device: 'md0', size: 1000, assumeClean: false });
  });
  it('max is the smallest room of the members in a slot, in whole chunks for striped levels', () => {
    const k = kernelArrayState([kernelMember('/dev/sda', 0, ['in_sync'], 0), { ...kernelMember('/dev/sdb', 1, ['in_sync'], 1), sizeKiB: 900 }, { ...kernelMember('/dev/sdc', null, ['spare'], 2), sizeKiB: 10 }]);
    expect(maxSizeKiB(k)).toBe(900);
    expect(maxSizeKiB({ ...k, level: 'raid5', chunkSizeBytes: 512 * 1024, members: k.members.map((m) => ({ ...m, sizeKiB: 65_000 })) })).toBe(64_512);
  });
  it('words md\'s errno as mdadm\'s strerror', () => {
    expect(strerror('write(md/component_size) on md1: ENOSPC (no space left)')).toBe('No space left on device');
    expect(strerror('write(md/component_size) on md0: No space left on device')).toBe('No space left on device');
    expect(strerror('something else')).toBe('something else');
  });
});

describe('mdctl --grow --chunk', () => {
  it('chunk sizes as mdadm parses them (K default, suffixes, -c) with an optional backup file', () => {
    expect(commandOf(['--grow', '/dev/md0', '--chunk=128'])).toEqual({ op: 'grow-chunk', device: 'md0', chunkKiB: 128 });
    expect(commandOf(['-G', '/dev/md0', '-c', '1M', '--backup-file=/var/tmp/md0.bak'])).toEqual({ op: 'grow-chunk', device: 'md0', chunkKiB: 1024, backupFile: '/var/tmp/md0.bak' });
    expect(commandOf(['--grow', '/dev/md0', '--chunk', '512s'])).toEqual({ op: 'grow-chunk', device: 'md0', chunkKiB: 256 });
  });
  it('mdadm\'s usage errors (exit 2): a chunk under 4K, not whole KiB, not a size; a relative backup file', async () => {
    expect(await runCapture(['--grow', '/dev/md0', '--chunk=2'])).toEqual({ code: 2, err: 'mdctl: invalid chunk/rounding value: 2\n' });
    expect((await runCapture(['--grow', '/dev/md0', '--chunk=9s'])).code).toBe(2);
    expect((await runCapture(['--grow', '/dev/md0', '--chunk=big'])).code).toBe(2);
    expect((await runCapture(['--grow', '/dev/md0', '--chunk=128', '--backup-file=md0.bak'])).code).toBe(2);
  });
  it('refuses what mdadm refuses together (exit 1, nothing sent): a size or a bitmap with another change', async () => {
    expect(await runCapture(['--grow', '/dev/md0', '--chunk=128', '--size=1000'])).toEqual({
      code: 1, err: 'mdctl: cannot change component size at the same time as other changes.\n   Change size first, then check data is intact before making other changes.\n',
    });
    expect(await runCapture(['--grow', '/dev/md0', '--chunk=128', '--bitmap=none'])).toEqual({ code: 1, err: 'mdctl: --bitmap changes cannot be used with other geometry changes in --grow mode\n' });
    expect((await runCapture(['--grow', '/dev/md0', '--chunk=128', '--raid-devices=4'])).code).toBe(1);
    expect(await runCapture(['--grow', '/dev/md0', '--chunk=128', '--level=6'])).toEqual({ code: 1, err: 'mdctl: Cannot change array level in the same operation as changing chunk size.\n' });
    // a level change (raid5 -> raid6) is refused outright, not sent
    expect(await runCapture(['--grow', '/dev/md0', '--level=6', '--raid-devices=4'])).toEqual({ code: 1, err: 'mdctl: changing the raid level of /dev/md0 (--level=6) is not supported by mdctl [E_NOT_SUPPORTED]\n' });
    expect(() => commandOf(['--grow', '/dev/md0', '--chunk=128', '--raid-devices=4'])).toThrow(GrowRefusal);
  });
});
