// Judges one mdstat probe of the differential lane: the kernel's /proc/mdstat read just before
// and just after the kernel driver's reads, and the text rendered from the driver's state
// (renderMdstat(mdstatFromArrays(...))) in between. Pure: text in, verdict out (host-testable).
// Owns: what may be masked and when.
// Invariants:
// - An idle state (no progress line) must match byte for byte, and only when the kernel's two
//   reads agree; when they differ the state moved under the probe and the verdict is 'unstable'
//   (the caller probes again).
// - A state with a running sync always masks finish= and speed= (md derives them from its
//   private mark window, which no sysfs file shows); the bar, percentage and done count are
//   masked only when they moved between the kernel's two reads.
// - Nothing else is ever masked: level, members, flags, counts, totals, bitmap and wait lines
//   stay exact.

/** The tail of a progress line that md computes from its mark window. */
const FINISH_SPEED_RE = / finish=\d+\.\dmin speed=\d+K\/sec$/gm;
/** The moving part of a progress line: bar, percentage, done count (the total stays). */
const PROGRESS_RE = /\[[=>.]+\] {2}(resync|recovery|check|reshape) =[ \d]{3}\.\d% \(\d+\//gm;
const HAS_PROGRESS_RE = /^\s+\[[=>.]+\] {2}(?:resync|recovery|check|reshape) =/m;

export type MdstatMaskLevel = 'exact' | 'finish-speed' | 'progress';

export type MdstatVerdict =
  | { kind: 'match'; level: MdstatMaskLevel }
  | { kind: 'mismatch'; level: MdstatMaskLevel }
  | { kind: 'unstable' };

export function hasProgressLine(text: string): boolean {
  return HAS_PROGRESS_RE.test(text);
}

export function maskFinishSpeed(text: string): string {
  return text.replace(FINISH_SPEED_RE, ' finish=*min speed=*K/sec');
}

export function maskProgress(text: string): string {
  return maskFinishSpeed(text).replace(PROGRESS_RE, '[*]  $1 =*% (*/');
}

export function applyMask(text: string, level: MdstatMaskLevel): string {
  return level === 'exact' ? text : level === 'finish-speed' ? maskFinishSpeed(text) : maskProgress(text);
}

/** The least masking under which the kernel's two reads agree; null if they do not agree at all. */
export function maskLevelFor(before: string, after: string): MdstatMaskLevel | null {
  const sync = hasProgressLine(before) || hasProgressLine(after);
  if (!sync) return before === after ? 'exact' : null;
  if (maskFinishSpeed(before) === maskFinishSpeed(after)) return 'finish-speed';
  if (maskProgress(before) === maskProgress(after)) return 'progress';
  return null;
}

/** The verdict for `rendered` against the kernel's reads `before` and `after`. */
export function judgeMdstat(before: string, rendered: string, after: string): MdstatVerdict {
  const level = maskLevelFor(before, after);
  if (level === null) return { kind: 'unstable' };
  const want = applyMask(before, level);
  return { kind: applyMask(rendered, level) === want ? 'match' : 'mismatch', level };
}

/** The "Personalities : [a] [b] " header as a list; [] when the line is missing. */
export function personalitiesOf(text: string): string[] {
  const first = text.split('\n', 1)[0];
  if (!first.startsWith('Personalities : ')) return [];
  return [...first.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
}

/** A short line-by-line difference for a report: "-kernel" / "+rendered" lines that differ. */
export function lineDiff(kernel: string, rendered: string): string[] {
  const k = kernel.split('\n');
  const r = rendered.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(k.length, r.length); i++) {
    if (k[i] === r[i]) continue;
    if (k[i] !== undefined) out.push(`-${JSON.stringify(k[i])}`);
    if (r[i] !== undefined) out.push(`+${JSON.stringify(r[i])}`);
  }
  return out;
}
