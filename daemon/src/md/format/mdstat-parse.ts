// Parses Linux 6.1 /proc/mdstat text into an MdstatDoc. Owns: reading md_seq_show output
// (header, array blocks, status_resync line, bitmap line, "unused devices" footer).
// Invariants:
// - Never throws: any input gets either a document or an E_BAD_FORMAT / E_TOO_LARGE error.
// - Only the kernel's canonical bytes are accepted: every parsed array block is rendered back
//   and must equal its source, so renderMdstat(parseMdstat(t).value) === t always holds.
import type {
  MdstatArray, MdstatBitmap, MdstatDiskSummary, MdstatDoc, MdstatMember, MdstatStatus, MdstatSync,
} from './mdstat-types.js';
import { renderArray } from './mdstat-render.js';
import {
  type ParseResult, FormatFailure, badFormat, countOrFail, parsed, splitBoundedLines,
} from './result.js';

const INDENT = '      ';
const INACTIVE_TAIL = '       ';
const UNUSED_PREFIX = 'unused devices: ';
const HEADER_RE = /^(\S+) : (active|inactive)(.*)$/;
const MEMBER_RE = /^([^\s[\]]+)\[([0-9]+)\]((?:\([WJFSR]\))*)$/;
const BLOCKS_RE = /^ {6}([0-9]+) blocks(.*)$/;
const DISKS_RE = / \[([0-9]+)\/([0-9]+)\] \[([U_]*)\]$/;
const PROGRESS_RE = /^\[=*>\.*\] {2}(resync|recovery|check|reshape) = *([0-9]+)\.([0-9])% \(([0-9]+)\/([0-9]+)\) finish=([0-9]+)\.([0-9])min speed=([0-9]+)K\/sec$/;
const WAITING_RE = /^\t(resync|recover|reshape)=(PENDING|DELAYED|REMOTE)$/;
const BITMAP_RE = /^bitmap: ([0-9]+)\/([0-9]+) pages \[([0-9]+)KB\], ([0-9]+)(KB|B) chunk(?:, file: (.*))?$/;

export function parseMdstat(text: unknown): ParseResult<MdstatDoc> {
  const split = splitBoundedLines('mdstat', text);
  if (!split.ok) return split;
  try {
    return parsed(parseLines(split.value));
  } catch (e) {
    if (e instanceof FormatFailure) return badFormat('mdstat', e.lineNo, e.reason);
    throw e;
  }
}

function fail(lineNo: number, reason: string): never {
  throw new FormatFailure(lineNo, reason);
}

function parseLines(lines: string[]): MdstatDoc {
  if (lines[lines.length - 1] !== '') fail(lines.length, 'text does not end with a newline');
  const personalities = parsePersonalities(lines[0]);
  const arrays: MdstatArray[] = [];
  let i = 1;
  while (i < lines.length - 1 && !lines[i].startsWith(UNUSED_PREFIX)) {
    const block = parseArrayBlock(lines, i);
    arrays.push(block.array);
    i = block.next;
  }
  if (i >= lines.length - 1) fail(i + 1, 'missing "unused devices:" line');
  const unusedDevices = parseUnused(lines[i], i + 1);
  if (i !== lines.length - 2) fail(i + 2, 'text after the "unused devices:" line');
  return { personalities, arrays, unusedDevices };
}

function parsePersonalities(line: string): string[] {
  const m = /^Personalities : ((?:\[[^\]]+\] )*)$/.exec(line);
  if (!m) fail(1, 'missing "Personalities : " header');
  return m[1] === '' ? [] : m[1].slice(1, -2).split('] [');
}

function parseUnused(line: string, lineNo: number): string[] {
  const rest = line.slice(UNUSED_PREFIX.length);
  if (rest === '<none>') return [];
  if (rest === '' || !rest.endsWith(' ') || rest.includes('  ')) fail(lineNo, 'malformed "unused devices:" list');
  return rest.slice(0, -1).split(' ');
}

interface HeaderParts {
  device: string;
  active: boolean;
  readOnly: MdstatArray['readOnly'];
  personality: string | null;
  members: MdstatMember[];
  /** Tokens after the members (super/status text) when there is no blocks line. */
  trailing: string;
}

function parseHeader(line: string, lineNo: number): HeaderParts {
  const m = HEADER_RE.exec(line);
  if (!m) fail(lineNo, 'expected "mdN : active|inactive ..."');
  const active = m[2] === 'active';
  const tokens = m[3] === '' ? [] : m[3].startsWith(' ') ? m[3].slice(1).split(' ') : fail(lineNo, 'malformed array line');
  let t = 0;
  let readOnly: MdstatArray['readOnly'] = null;
  let personality: string | null = null;
  if (active) {
    if (tokens[t] === '(read-only)' || tokens[t] === '(auto-read-only)') {
      readOnly = tokens[t] === '(read-only)' ? 'read-only' : 'auto-read-only';
      t++;
    }
    if (t >= tokens.length) fail(lineNo, 'active array without a personality');
    personality = tokens[t++];
  }
  const members: MdstatMember[] = [];
  for (; t < tokens.length; t++) {
    const member = parseMember(tokens[t], lineNo);
    if (member === null) break;
    members.push(member);
  }
  const rest = tokens.slice(t);
  return { device: m[1], active, readOnly, personality, members, trailing: rest.length ? ' ' + rest.join(' ') : '' };
}

function parseMember(token: string, lineNo: number): MdstatMember | null {
  const m = MEMBER_RE.exec(token);
  if (!m) return null;
  const flags = m[3];
  return {
    name: m[1],
    descNumber: countOrFail(m[2], lineNo, 'member number'),
    writeMostly: flags.includes('(W)'),
    journal: flags.includes('(J)'),
    faulty: flags.includes('(F)'),
    spare: flags.includes('(S)'),
    replacement: flags.includes('(R)'),
  };
}

function parseDisks(m: RegExpExecArray, at: number, lineNo: number): MdstatDiskSummary {
  return {
    raidDisks: countOrFail(m[at], lineNo, 'raid disks'),
    workingDisks: countOrFail(m[at + 1], lineNo, 'working disks'),
    slotsUp: [...m[at + 2]].map((c) => c === 'U'),
  };
}

function parseStatus(personality: string, text: string, lineNo: number): MdstatStatus {
  const n = (s: string | undefined, what: string): number => countOrFail(s ?? '', lineNo, what);
  switch (personality) {
    case 'raid1':
    case 'multipath': {
      const m = /^ \[([0-9]+)\/([0-9]+)\] \[([U_]*)\]$/.exec(text);
      if (!m) fail(lineNo, `malformed ${personality} status`);
      return { kind: 'mirror', disks: parseDisks(m, 1, lineNo) };
    }
    case 'raid0': {
      const m = /^ ([0-9]+)k chunks$/.exec(text);
      if (!m) fail(lineNo, 'malformed raid0 status');
      return { kind: 'raid0', chunkKiB: n(m[1], 'chunk') };
    }
    case 'linear': {
      const m = /^ ([0-9]+)k rounding$/.exec(text);
      if (!m) fail(lineNo, 'malformed linear status');
      return { kind: 'linear', roundingKiB: n(m[1], 'rounding') };
    }
    case 'raid4':
    case 'raid5':
    case 'raid6': {
      const m = new RegExp(/^ level ([0-9]+), ([0-9]+)k chunk, algorithm ([0-9]+)/.source + DISKS_RE.source).exec(text);
      if (!m) fail(lineNo, `malformed ${personality} status`);
      return {
        kind: 'raid456', level: n(m[1], 'level'), chunkKiB: n(m[2], 'chunk'), algorithm: n(m[3], 'algorithm'),
        disks: parseDisks(m, 4, lineNo),
      };
    }
    case 'raid10':
      return parseRaid10Status(text, lineNo);
    default:
      return { kind: 'raw', text };
  }
}

function parseRaid10Status(text: string, lineNo: number): MdstatStatus {
  const re = new RegExp(
    /^(?: ([0-9]+)K chunks)?(?: ([0-9]+) near-copies)?(?: ([0-9]+) (far|offset)-copies)?(?: ([0-9]+) devices per set)?/.source +
    DISKS_RE.source);
  const m = re.exec(text);
  if (!m) fail(lineNo, 'malformed raid10 status');
  const opt = (s: string | undefined, what: string): number | null => (s === undefined ? null : countOrFail(s, lineNo, what));
  return {
    kind: 'raid10',
    chunkKiB: opt(m[1], 'chunk'),
    nearCopies: opt(m[2], 'near copies'),
    farCopies: opt(m[3], 'far copies'),
    farOffset: m[4] === 'offset',
    devicesPerSet: opt(m[5], 'devices per set'),
    disks: parseDisks(m, 6, lineNo),
  };
}

function parseSync(text: string, lineNo: number): MdstatSync {
  const w = WAITING_RE.exec(text);
  if (w) return { kind: 'waiting', word: w[1] as 'resync' | 'recover' | 'reshape', state: w[2] as 'PENDING' | 'DELAYED' | 'REMOTE' };
  const m = PROGRESS_RE.exec(text);
  if (!m) fail(lineNo, 'malformed resync/recovery line');
  const c = (i: number, what: string): number => countOrFail(m[i], lineNo, what);
  // md prints done/total in per-mille, done <= total: more than 100.0% is no kernel's output
  // (and its bar would not fit in memory).
  const perMille = c(2, 'percent') * 10 + c(3, 'percent tenth');
  if (perMille > 1000) fail(lineNo, `progress of ${m[2]}.${m[3]}% is over 100%`);
  return {
    kind: 'progress',
    action: m[1] as 'resync' | 'recovery' | 'check' | 'reshape',
    perMille,
    doneKiB: c(4, 'done'),
    totalKiB: c(5, 'total'),
    finishTenthsMin: c(6, 'finish') * 10 + c(7, 'finish tenth'),
    speedKiBps: c(8, 'speed'),
  };
}

function parseBitmap(text: string, lineNo: number): MdstatBitmap {
  const m = BITMAP_RE.exec(text);
  if (!m) fail(lineNo, 'malformed bitmap line');
  const c = (i: number, what: string): number => countOrFail(m[i], lineNo, what);
  return {
    pagesUsed: c(1, 'pages used'), pagesTotal: c(2, 'pages'), pagesKiB: c(3, 'page KiB'),
    chunk: c(4, 'chunk'), chunkUnit: m[5] as 'KB' | 'B', file: m[6] ?? null,
  };
}

function lineAt(lines: string[], i: number): string {
  if (i >= lines.length - 1) fail(i + 1, 'array block ends early');
  return lines[i];
}

/** The super token and personality status that end the blocks line (or the header). */
function parseTrailing(trailing: string, h: HeaderParts, lineNo: number): Pick<MdstatArray, 'superblock' | 'status'> {
  let superblock: string | null = null;
  let rest = trailing;
  const s = /^ super (\S+)/.exec(rest);
  if (s) {
    superblock = s[1];
    rest = rest.slice(s[0].length);
  }
  if (!h.active) {
    if (rest !== '') fail(lineNo, 'unexpected text on an inactive array');
    return { superblock, status: null };
  }
  return { superblock, status: parseStatus(h.personality!, rest, lineNo) };
}

function parseArrayBlock(lines: string[], start: number): { array: MdstatArray; next: number } {
  const h = parseHeader(lines[start], start + 1);
  let i = start + 1;
  const b = BLOCKS_RE.exec(lineAt(lines, i));
  let blocksKiB: number | null = null;
  let trailing = h.trailing;
  if (b) {
    if (h.trailing !== '') fail(start + 1, 'unexpected text after the members');
    blocksKiB = countOrFail(b[1], i + 1, 'blocks');
    trailing = b[2];
    i++;
  }
  const { superblock, status } = parseTrailing(trailing, h, i);
  let sync: MdstatSync | null = null;
  let rest: string;
  let line = lineAt(lines, i);
  if (h.active) {
    if (!line.startsWith(INDENT)) fail(i + 1, 'expected the status continuation line');
    rest = line.slice(INDENT.length);
    if (rest.startsWith('[') || rest.startsWith('\t')) {
      sync = parseSync(rest, i + 1);
      line = lineAt(lines, ++i);
      if (!line.startsWith(INDENT)) fail(i + 1, 'expected the line after the resync line');
      rest = line.slice(INDENT.length);
    }
  } else {
    if (!line.startsWith(INACTIVE_TAIL)) fail(i + 1, 'expected the inactive array tail line');
    rest = line.slice(INACTIVE_TAIL.length);
  }
  let bitmap: MdstatBitmap | null = null;
  if (rest !== '') {
    bitmap = parseBitmap(rest, i + 1);
    if (lineAt(lines, ++i) !== '') fail(i + 1, 'expected an empty line after the bitmap line');
  }
  const array: MdstatArray = {
    device: h.device, active: h.active, readOnly: h.readOnly, personality: h.personality,
    members: h.members, blocksKiB, superblock, status, sync, bitmap,
  };
  const source = lines.slice(start, i + 1).join('\n') + '\n';
  if (renderArray(array) !== source) fail(start + 1, `array ${h.device} is not in the kernel's canonical form`);
  return { array, next: i + 1 };
}
