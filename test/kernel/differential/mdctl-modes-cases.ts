// mdadm 4.2 vs mdctl, mode by mode (issue #17): the cases the guest runs (mdctl-modes-guest.ts)
// and the pure comparison the host judges with (mdctl-modes.ktest.ts). Each case runs the same
// command with mdadm on array/disk set A and with mdctl on set B (or, for read-only commands
// over the whole machine, on the very same devices). Owns: the case list, the name mapping
// B -> A, and the verdict: identical / differs (with the first differing line).
// Invariant: pure; normalization only renames (tool prefix and the tool in a suggested command, B's names) and drops mdctl's
// trailing "[E_CODE]", never a line.

export interface ModeCmd {
  argv: string[];
  code: number;
  stdout: string;
  stderr: string;
}

export interface ModeCaseRecord {
  name: string;
  mode: string;
  mdadm: ModeCmd[];
  mdctl: ModeCmd[];
  /** Extra facts compared (e.g. the Used Dev Size both kernels report). */
  factsA?: string;
  factsB?: string;
}

export interface ModesRecord {
  daemonReadyMs: number;
  cases: ModeCaseRecord[];
  error: string | null;
}

export const MODES_RESULT_FILE = 'mdctl-modes.json';
/** What the --grow guest (mdctl-grow-guest.ts) writes. */
export const GROW_RESULT_FILE = 'mdctl-grow.json';
export const MODES_DISKS = 8;

/** B's names -> A's: arrays and disks. */
const B_TO_A: readonly [RegExp, string][] = [
  [/\bmd11\b/g, 'md10'], [/\/dev\/md\/11\b/g, '/dev/md/10'], [/\bmd1\b/g, 'md0'], [/\/dev\/md\/1\b/g, '/dev/md/0'], [/\bmd3\b/g, 'md2'],
  [/\bvdd\b/g, 'vda'], [/\bvde\b/g, 'vdb'], [/\bvdf\b/g, 'vdc'], [/\bvdh\b/g, 'vdg'], [/\bvdj\b/g, 'vdi'],
];

export function normalize(text: string, side: 'A' | 'B'): string {
  // The tool names itself in a command it suggests ("mdadm --grow ... --size N"): a tool rename too.
  let t = text.replace(/^(mdadm|mdctl): /gm, '<tool>: ').replace(/ \[E_[A-Z_]+\]$/gm, '').replace(/"(mdadm|mdctl) --/g, '"<tool> --');
  if (side === 'B') for (const [re, a] of B_TO_A) t = t.replace(re, a);
  return t;
}

export type Verdict = { kind: 'identical' } | { kind: 'differs'; line: string };

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: mdadm ${JSON.stringify(la[i] ?? '<none>')} vs mdctl ${JSON.stringify(lb[i] ?? '<none>')}`;
  }
  return '';
}

/** Exit codes, stdout and stderr of every command of the case, in order, after normalization. */
export function judge(c: ModeCaseRecord, sameDevices: boolean): Verdict {
  if (c.mdadm.length !== c.mdctl.length) return { kind: 'differs', line: `${c.mdadm.length} mdadm commands vs ${c.mdctl.length} mdctl commands` };
  for (let i = 0; i < c.mdadm.length; i++) {
    const a = c.mdadm[i];
    const b = c.mdctl[i];
    const side = sameDevices ? 'A' : 'B';
    if (a.code !== b.code) return { kind: 'differs', line: `${a.argv.join(' ')}: exit ${a.code} vs ${b.code} (mdctl stderr ${JSON.stringify(b.stderr.trim())}; mdadm stderr ${JSON.stringify(a.stderr.trim())})` };
    const out = firstDifference(normalize(a.stdout, 'A'), normalize(b.stdout, side));
    if (out) return { kind: 'differs', line: `${a.argv.join(' ')} stdout ${out}` };
    const err = firstDifference(normalize(a.stderr, 'A'), normalize(b.stderr, side));
    if (err) return { kind: 'differs', line: `${a.argv.join(' ')} stderr ${err}` };
  }
  if ((c.factsA ?? '') !== (c.factsB ?? '')) return { kind: 'differs', line: `facts: ${c.factsA} vs ${c.factsB}` };
  return { kind: 'identical' };
}

/** Cases whose commands run on the same devices with both tools (no renaming). */
export const SAME_DEVICE_CASES = new Set(['examine-brief', 'examine-scan', 'examine-scan-verbose', 'examine-090', 'ddf-container-refused']);
