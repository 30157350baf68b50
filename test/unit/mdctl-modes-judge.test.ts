// The verdict of the mdadm-vs-mdctl mode lane (test/kernel/differential/mdctl-modes-cases.ts):
// renaming B to A and the tool's name only, so a real difference is always reported.
import { describe, expect, it } from 'vitest';
import { judge, normalize, type ModeCaseRecord } from '../kernel/differential/mdctl-modes-cases.js';

const c = (a: string, b: string, codes: [number, number] = [0, 0]): ModeCaseRecord => ({
  name: 'x', mode: 'misc', mdadm: [{ argv: ['mdadm'], code: codes[0], stdout: '', stderr: a }], mdctl: [{ argv: ['mdctl'], code: codes[1], stdout: '', stderr: b }],
});

describe('mode lane verdicts', () => {
  it('renames the tool, B arrays and disks, and drops mdctl error codes', () => {
    expect(normalize('mdctl: stopped /dev/md1\nmdctl: /dev/md11 on /dev/vdf,/dev/vdh [E_DEVICE_BUSY]\n', 'B')).toBe('<tool>: stopped /dev/md0\n<tool>: /dev/md10 on /dev/vdc,/dev/vdg\n');
    expect(judge(c('mdadm: stopped /dev/md0\n', 'mdctl: stopped /dev/md1\n'), false)).toEqual({ kind: 'identical' });
  });
  it('reports a different line, exit code or a missing line', () => {
    expect(judge(c('mdadm: stopped /dev/md0\n', 'mdctl: stopped /dev/md2\n'), false)).toMatchObject({ kind: 'differs', line: expect.stringContaining('line 1') });
    expect(judge(c('', '', [0, 1]), false)).toMatchObject({ kind: 'differs', line: expect.stringContaining('exit 0 vs 1') });
    expect(judge(c('a\nb\n', 'a\n'), false)).toMatchObject({ kind: 'differs' });
    expect(judge(c('mdadm: stopped /dev/md0\n', 'mdctl: stopped /dev/md1\n'), true)).toMatchObject({ kind: 'differs' });
  });
});
