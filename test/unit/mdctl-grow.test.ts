// mdctl --grow's command line: which replicated command each form becomes, and the usage
// errors (exit 2, nothing sent) mdadm gives for a grow with no change or a bitmap file.
import { describe, expect, it } from 'vitest';
import { parse } from '../../mdctl/src/args.js';
import { Ctx } from '../../mdctl/src/context.js';
import { growCommand } from '../../mdctl/src/grow.js';
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
  it('usage errors exit 2 before any daemon is asked', async () => {
    expect(await runCapture(['--grow', '/dev/md0'])).toEqual({ code: 2, err: 'mdctl: no changes to --grow\n' });
    expect(await runCapture(['--grow', '--bitmap=internal'])).toEqual({ code: 2, err: 'mdctl: no devices given.\n' });
    expect((await runCapture(['--grow', '/dev/md0', '--bitmap=/var/bitmap'])).code).toBe(2);
    expect((await runCapture(['--grow', '/dev/sda', '--bitmap=none'])).code).toBe(2);
  });
});
