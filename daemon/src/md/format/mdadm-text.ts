// Small text helpers shared by the mdadm renderers. Owns: mdadm's human_size() rounding,
// C ctime() date layout, and the array-UUID forms (kernel sysfs vs mdadm colon form).
// Invariants: pure; human sizes use mdadm 4.2's integer arithmetic (BigInt, no float
// rounding); dates are formatted in UTC unless a time zone name is injected.
import { sha1Hex } from './sha1.js';

const MIB = 1n << 20n;
const GIB = 1n << 30n;
const TIB = 1n << 40n;
/** Below this many bytes mdadm prints no human size at all. */
const HUMAN_MIN_BYTES = 5000n * 1024n;

function centi(bytes: bigint, binaryUnit: bigint, decimalUnit: bigint): [bigint, bigint] {
  const binary = (bytes * 200n / binaryUnit + 1n) / 2n;
  const decimal = (bytes / (decimalUnit / 200n) + 1n) / 2n;
  return [binary, decimal];
}

function twoDecimals(c: bigint): string {
  return `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;
}

/** mdadm human_size(bytes): " (63.00 MiB 66.06 MB)", or "" below 5000 KiB. */
export function humanSize(bytesIn: number | bigint): string {
  const bytes = BigInt(bytesIn);
  if (bytes < HUMAN_MIN_BYTES) return '';
  let units: [string, string];
  let c: [bigint, bigint];
  if (bytes < 2n * GIB) {
    c = centi(bytes, MIB, 1_000_000n);
    units = ['MiB', 'MB'];
  } else if (bytes < 2n * TIB) {
    c = centi(bytes, GIB, 1_000_000_000n);
    units = ['GiB', 'GB'];
  } else {
    c = centi(bytes, TIB, 1_000_000_000_000n);
    units = ['TiB', 'TB'];
  }
  return ` (${twoDecimals(c[0])} ${units[0]} ${twoDecimals(c[1])} ${units[1]})`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface CivilTime { weekday: number; month: number; day: number; hour: number; minute: number; second: number; year: number }

function civilUtc(sec: number): CivilTime {
  const d = new Date(sec * 1000);
  return {
    weekday: d.getUTCDay(), month: d.getUTCMonth(), day: d.getUTCDate(), hour: d.getUTCHours(),
    minute: d.getUTCMinutes(), second: d.getUTCSeconds(), year: d.getUTCFullYear(),
  };
}

function civilInZone(sec: number, timeZone: string): CivilTime {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const parts = new Map(fmt.formatToParts(new Date(sec * 1000)).map((p) => [p.type, p.value]));
  const num = (k: Intl.DateTimeFormatPartTypes): number => Number(parts.get(k) ?? '0');
  return {
    weekday: DAYS.indexOf(parts.get('weekday') ?? 'Sun'), month: num('month') - 1, day: num('day'),
    hour: num('hour'), minute: num('minute'), second: num('second'), year: num('year'),
  };
}

/** C ctime() without its newline ("%.24s"): "Sat Nov 21 21:45:18 2026". */
export function formatCtime(sec: number, timeZone?: string): string {
  const t = timeZone === undefined || timeZone === 'UTC' ? civilUtc(sec) : civilInZone(sec, timeZone);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[t.weekday]} ${MONTHS[t.month]} ${String(t.day).padStart(2, ' ')} ` +
    `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)} ${t.year}`;
}

const HEX32 = /^[0-9a-f]{32}$/;

/**
 * md/uuid (kernel form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", the superblock's bytes in
 * order) -> mdadm's colon form. 0.90 superblocks hold the UUID as four little-endian
 * 32-bit words and mdadm prints each word as a number, so each 4-byte group is reversed.
 * Returns null for anything that is not 16 hex bytes.
 */
export function mdadmUuidFromSysfs(sysfsUuid: string, metadataVersion: string): string | null {
  const hex = sysfsUuid.toLowerCase().replace(/-/g, '');
  if (!HEX32.test(hex)) return null;
  const words = [0, 8, 16, 24].map((i) => hex.slice(i, i + 8));
  const out = metadataVersion === '0.90' ? words.map((w) => w.match(/../g)!.reverse().join('')) : words;
  return out.join(':');
}

/**
 * mdadm's 0.90 "local to host" test: the last 8 bytes of the UUID (words 2 and 3 as stored,
 * little-endian) equal the first 8 bytes of SHA-1(homehost).
 */
export function uuid090MatchesHost(mdadmUuid: string, homehost: string): boolean {
  const words = mdadmUuid.split(':');
  if (words.length !== 4 || !words.every((w) => /^[0-9a-f]{8}$/.test(w))) return false;
  const stored = words.slice(2).map((w) => w.match(/../g)!.reverse().join('')).join('');
  return sha1Hex(new TextEncoder().encode(homehost)).slice(0, 16) === stored;
}

/** mdadm print_quoted(): quote a word holding whitespace or quotes. */
export function quoteWord(s: string): string {
  if (!/[\s'"]/.test(s)) return s;
  return s.includes('"') ? `'${s}'` : `"${s}"`;
}

/** DDF timestamps count from 1980-01-01 (mdadm's DECADE: ten years and two leap days). */
const DDF_EPOCH_SEC = 3600 * 24 * (365 * 10 + 2);

/**
 * mdadm's print_guid(guid, tstamp) for a 24-byte DDF GUID given as 48 hex digits: the bytes in
 * upper-case hex, four per group, then on the next line (indented 18) the GUID's leading
 * printable ASCII (trailing spaces dropped) and the time stamp in bytes 16..19 as " %D %T".
 */
export function formatDdfGuid(guidHex: string, timeZone?: string): string {
  const bytes = Buffer.from(guidHex, 'hex');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 4) groups.push(bytes.subarray(i, i + 4).toString('hex').toUpperCase());
  let l = bytes.length;
  while (l > 0 && bytes[l - 1] === 0x20) l--;
  let ascii = '';
  for (let i = 0; i < l && bytes[i] >= 0x20 && bytes[i] < 0x7f; i++) ascii += String.fromCharCode(bytes[i]);
  let stamp = '';
  if (bytes.length >= 20) {
    const sec = bytes.readUInt32BE(16) + DDF_EPOCH_SEC;
    const t = timeZone === undefined || timeZone === 'UTC' ? civilUtc(sec) : civilInZone(sec, timeZone);
    const p2 = (n: number): string => String(n).padStart(2, '0');
    stamp = ` ${p2(t.month + 1)}/${p2(t.day)}/${p2(t.year % 100)} ${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`;
  }
  return `${groups.join(':')}\n                  (${ascii}${stamp})`;
}
