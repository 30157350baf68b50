// The facts the kernel driver takes from /proc/mdstat because sysfs does not show them: the
// bitmap page counts, the resync=PENDING/DELAYED/REMOTE wait, the members' kernel list order
// (bind order, newest first: sysfs lists dev-* in no such order) and the live sync position
// (curr_resync less the I/O in flight; sysfs sync_completed is only the last checkpoint).
// Pure: text in, facts out.
// Owns: locating one array's block in mdstat and reading those lines, leniently.
// Invariants:
// - Never throws; a missing or unrecognised line gives null (the caller falls back to sysfs),
//   so a format change in an unrelated line cannot break readArray().
// - The full, strict mdstat parser is md/format/mdstat-parse.ts; this is deliberately narrower.
import { MD_FORMAT_MAX_LINES } from '../../common/limits.js';

export interface MdstatBitmapLine {
  pagesUsed: number;
  pagesTotal: number;
  pagesKiB: number;
  chunkKiB: number;
  file: string | null;
}

export interface MdstatExtract {
  bitmap: MdstatBitmapLine | null;
  waiting: 'DELAYED' | 'PENDING' | 'REMOTE' | null;
  /** Desc numbers ([N]) of the members in the order the header line prints them; null if absent. */
  memberOrder: number[] | null;
  /** The progress line's done count in KiB (resync/2 as status_resync prints it); null if none. */
  progressDoneKiB: number | null;
}

const BITMAP_RE = /^\s+bitmap: (\d+)\/(\d+) pages \[(\d+)KB\], (\d+)(KB|B) chunk(?:, file: (.*))?$/;
const WAITING_RE = /^\s+(?:resync|recover|reshape)=(PENDING|DELAYED|REMOTE)$/;
const PROGRESS_RE = /^\s+\[[=>.]+\]\s+(?:resync|recovery|check|reshape) =\s*\d+\.\d% \((\d+)\/\d+\)/;
/** A member token of the header line: name[N] then flags such as (S)(F)(W). */
const MEMBER_TOKEN_RE = /^\S+\[(\d+)\](?:\([A-Z]\))*$/;

/** The [N] of every member token on `device`'s header line, in printed order. */
function memberOrder(headerLine: string): number[] {
  const out: number[] = [];
  for (const token of headerLine.split(' ')) {
    const m = MEMBER_TOKEN_RE.exec(token);
    if (m !== null) out.push(Number(m[1]));
  }
  return out;
}

/** The lines of `device`'s block: its header line first, through the line before the next block. */
function blockLines(text: string, device: string): string[] | null {
  const lines = text.split('\n', MD_FORMAT_MAX_LINES);
  const start = lines.findIndex((l) => l.startsWith(`${device} : `));
  if (start < 0) return null;
  const block: string[] = [lines[start]];
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\S/.test(lines[i])) break; // next array header or "unused devices:"
    block.push(lines[i]);
  }
  return block;
}

function parseBitmap(line: string): MdstatBitmapLine | null {
  const m = BITMAP_RE.exec(line);
  if (m === null) return null;
  const chunk = Number(m[4]);
  return {
    pagesUsed: Number(m[1]),
    pagesTotal: Number(m[2]),
    pagesKiB: Number(m[3]),
    chunkKiB: m[5] === 'KB' ? chunk : Math.floor(chunk / 1024),
    file: m[6] ?? null,
  };
}

export function extractFromMdstat(text: string, device: string): MdstatExtract {
  const lines = blockLines(text, device);
  const out: MdstatExtract = { bitmap: null, waiting: null, memberOrder: null, progressDoneKiB: null };
  if (lines === null) return out;
  out.memberOrder = memberOrder(lines[0]);
  for (const line of lines.slice(1)) {
    out.bitmap ??= parseBitmap(line);
    const w = WAITING_RE.exec(line);
    if (w !== null) out.waiting = w[1] as MdstatExtract['waiting'];
    const p = PROGRESS_RE.exec(line);
    if (p !== null) out.progressDoneKiB = Number(p[1]);
  }
  return out;
}
