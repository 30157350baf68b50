// Renders an MdstatDoc as Linux 6.1 /proc/mdstat text. Owns: the byte layout of md_seq_show,
// the personalities' status functions, status_resync and md_bitmap_status.
// Invariants: pure and total (never throws for any MdstatDoc whose numbers are non-negative
// integers); renderMdstat(parseMdstat(t)) === t for every text the kernel can print.
import type {
  MdstatArray, MdstatBitmap, MdstatDiskSummary, MdstatDoc, MdstatMember, MdstatStatus, MdstatSync,
} from './mdstat-types.js';

/** Width of the progress bar: per_milli/50 '=' then '>' then the rest in '.'. */
export const MDSTAT_BAR_CELLS = 20;
/** The continuation prefix of an active array's lines. */
const INDENT = '      ';
/** An inactive array's last line carries one more space than an active one's. */
const INACTIVE_TAIL = '       ';

export function renderMdstat(doc: MdstatDoc): string {
  let out = 'Personalities : ';
  for (const p of doc.personalities) out += `[${p}] `;
  out += '\n';
  for (const a of doc.arrays) out += renderArray(a);
  out += 'unused devices: ';
  if (doc.unusedDevices.length === 0) out += '<none>';
  for (const d of doc.unusedDevices) out += `${d} `;
  return out + '\n';
}

export function renderArray(a: MdstatArray): string {
  let out = `${a.device} : ${a.active ? '' : 'in'}active`;
  if (a.active) {
    if (a.readOnly !== null) out += ` (${a.readOnly})`;
    out += ` ${a.personality ?? ''}`;
  }
  for (const m of a.members) out += ' ' + renderMember(m);
  if (a.blocksKiB !== null) out += `\n${INDENT}${a.blocksKiB} blocks`;
  if (a.superblock !== null) out += ` super ${a.superblock}`;
  if (a.active) {
    if (a.status !== null) out += renderStatus(a.status);
    out += '\n' + INDENT;
    if (a.sync !== null) out += renderSync(a.sync) + '\n' + INDENT;
  } else {
    out += '\n' + INACTIVE_TAIL;
  }
  if (a.bitmap !== null) out += renderBitmap(a.bitmap);
  return out + '\n';
}

/** "name[N]" then (W) (J), then (F) alone, or else (S) and/or (R): the kernel's order. */
export function renderMember(m: MdstatMember): string {
  let s = `${m.name}[${m.descNumber}]`;
  if (m.writeMostly) s += '(W)';
  if (m.journal) s += '(J)';
  if (m.faulty) return s + '(F)';
  if (m.spare) s += '(S)';
  if (m.replacement) s += '(R)';
  return s;
}

export function renderDiskSummary(d: MdstatDiskSummary): string {
  return ` [${d.raidDisks}/${d.workingDisks}] [${d.slotsUp.map((up) => (up ? 'U' : '_')).join('')}]`;
}

export function renderStatus(s: MdstatStatus): string {
  switch (s.kind) {
    case 'mirror':
      return renderDiskSummary(s.disks);
    case 'raid0':
      return ` ${s.chunkKiB}k chunks`;
    case 'linear':
      return ` ${s.roundingKiB}k rounding`;
    case 'raid456':
      return ` level ${s.level}, ${s.chunkKiB}k chunk, algorithm ${s.algorithm}` + renderDiskSummary(s.disks);
    case 'raid10': {
      let t = '';
      if (s.chunkKiB !== null) t += ` ${s.chunkKiB}K chunks`;
      if (s.nearCopies !== null) t += ` ${s.nearCopies} near-copies`;
      if (s.farCopies !== null) t += ` ${s.farCopies} ${s.farOffset ? 'offset' : 'far'}-copies`;
      if (s.devicesPerSet !== null) t += ` ${s.devicesPerSet} devices per set`;
      return t + renderDiskSummary(s.disks);
    }
    case 'raw':
      return s.text;
  }
}

/** The bar: "[" + '=' x (perMille/50) + ">" + '.' x (20 - that) + "]". */
export function renderBar(perMille: number): string {
  const filled = Math.floor(perMille / 50);
  return '[' + '='.repeat(filled) + '>' + '.'.repeat(Math.max(0, MDSTAT_BAR_CELLS - filled)) + ']';
}

export function renderSync(s: MdstatSync): string {
  if (s.kind === 'waiting') return `\t${s.word}=${s.state}`;
  const pct = String(Math.floor(s.perMille / 10)).padStart(3, ' ');
  const finish = `${Math.floor(s.finishTenthsMin / 10)}.${s.finishTenthsMin % 10}`;
  return `${renderBar(s.perMille)}  ${s.action} =${pct}.${s.perMille % 10}% (${s.doneKiB}/${s.totalKiB})` +
    ` finish=${finish}min speed=${s.speedKiBps}K/sec`;
}

export function renderBitmap(b: MdstatBitmap): string {
  let s = `bitmap: ${b.pagesUsed}/${b.pagesTotal} pages [${b.pagesKiB}KB], ${b.chunk}${b.chunkUnit} chunk`;
  if (b.file !== null) s += `, file: ${b.file}`;
  return s + '\n';
}
