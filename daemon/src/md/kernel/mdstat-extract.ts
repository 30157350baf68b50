// The two facts the kernel driver takes from /proc/mdstat because sysfs does not show them: the
// bitmap page counts and the resync=PENDING/DELAYED/REMOTE wait. Pure: text in, facts out.
// Owns: locating one array's block in mdstat and reading those two lines, leniently.
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
}

const BITMAP_RE = /^\s+bitmap: (\d+)\/(\d+) pages \[(\d+)KB\], (\d+)(KB|B) chunk(?:, file: (.*))?$/;
const WAITING_RE = /^\s+(?:resync|recover|reshape)=(PENDING|DELAYED|REMOTE)$/;

/** The lines of `device`'s block (its header line through the line before the next block). */
function blockLines(text: string, device: string): string[] | null {
  const lines = text.split('\n', MD_FORMAT_MAX_LINES);
  const start = lines.findIndex((l) => l.startsWith(`${device} : `));
  if (start < 0) return null;
  const block: string[] = [];
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
  const out: MdstatExtract = { bitmap: null, waiting: null };
  if (lines === null) return out;
  for (const line of lines) {
    out.bitmap ??= parseBitmap(line);
    const w = WAITING_RE.exec(line);
    if (w !== null) out.waiting = w[1] as MdstatExtract['waiting'];
  }
  return out;
}
