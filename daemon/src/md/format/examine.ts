// Parser of `mdadm --examine DEV...` output (mdadm 4.2; v1.x, 0.90 and, loosely, DDF).
// Owns: splitting the output per device ("DEV:" lines) and reading its "Key : value"
// fields, with typed accessors for what the kernel driver and the tests need (array and
// device UUIDs, name, level, role, events, offsets).
// Invariants: never throws; unknown lines are kept verbatim in `otherLines`; a device's
// fields keep their order; a missing field reads as null, never as a guess.
import { type ParseResult, badFormat, parseCount, parsed, splitBoundedLines } from './result.js';

export type ExamineRole = { kind: 'active'; slot: number } | { kind: 'spare' } | { kind: 'journal' } | { kind: 'replacement'; slot: number } | { kind: 'other'; text: string };

export interface ExamineRecord {
  /** The device line without its colon, e.g. "/dev/vda". */
  device: string;
  /** "Key : value" fields in order (keys trimmed). */
  fields: Array<[string, string]>;
  /** Lines that are not fields (tables, continuation lines, blank lines excluded). */
  otherLines: string[];
  magic: string | null;
  version: string | null;
  /** Array UUID in colon form ("Array UUID" for v1.x, "UUID" for 0.90), without any host note. */
  arrayUuid: string | null;
  /** v1.x "Device UUID". */
  deviceUuid: string | null;
  /** v1.x "Name" without "  (local to host X)". */
  name: string | null;
  /** "Raid Level" as printed, e.g. "raid1". */
  level: string | null;
  raidDevices: number | null;
  events: number | null;
  role: ExamineRole | null;
  dataOffsetSectors: number | null;
  superOffsetSectors: number | null;
  featureMap: number | null;
}

const DEVICE_RE = /^(\/\S*):$/;
const FIELD_RE = /^ *([^\s:][^:]*?) : ?(.*)$/;
const LOCAL_NOTE_RE = /\s+\(local to host [^)]*\)$/;

export function parseExamine(text: unknown): ParseResult<ExamineRecord[]> {
  const split = splitBoundedLines('examine', text);
  if (!split.ok) return split;
  const lines = split.value;
  if (lines[lines.length - 1] === '') lines.pop();
  const records: ExamineRecord[] = [];
  let cur: ExamineRecord | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const dev = DEVICE_RE.exec(line);
    if (dev) {
      cur = emptyRecord(dev[1]);
      records.push(cur);
      continue;
    }
    if (cur === null) return badFormat('examine', i + 1, 'expected a "DEVICE:" line first');
    if (line.trim() === '') continue;
    const f = FIELD_RE.exec(line);
    if (f) cur.fields.push([f[1].trim(), f[2]]);
    else cur.otherLines.push(line);
  }
  for (const r of records) fillTyped(r);
  return parsed(records);
}

function emptyRecord(device: string): ExamineRecord {
  return {
    device, fields: [], otherLines: [], magic: null, version: null, arrayUuid: null, deviceUuid: null, name: null,
    level: null, raidDevices: null, events: null, role: null, dataOffsetSectors: null, superOffsetSectors: null,
    featureMap: null,
  };
}

function get(r: ExamineRecord, key: string): string | null {
  for (const [k, v] of r.fields) if (k === key) return v;
  return null;
}

function leadingCount(v: string | null): number | null {
  if (v === null) return null;
  const m = /^([0-9]+)/.exec(v.trim());
  return m ? parseCount(m[1]) : null;
}

function parseRole(v: string | null): ExamineRole | null {
  if (v === null) return null;
  const t = v.trim();
  const active = /^Active device ([0-9]+)$/.exec(t);
  if (active) {
    const slot = parseCount(active[1]);
    if (slot !== null) return { kind: 'active', slot };
  }
  const repl = /^Replacement device ([0-9]+)$/.exec(t);
  if (repl) {
    const slot = parseCount(repl[1]);
    if (slot !== null) return { kind: 'replacement', slot };
  }
  if (t === 'spare') return { kind: 'spare' };
  if (t === 'Journal') return { kind: 'journal' };
  return { kind: 'other', text: t };
}

function fillTyped(r: ExamineRecord): void {
  r.magic = get(r, 'Magic');
  r.version = get(r, 'Version');
  const uuid = get(r, 'Array UUID') ?? get(r, 'UUID');
  r.arrayUuid = uuid === null ? null : uuid.replace(LOCAL_NOTE_RE, '').trim();
  r.deviceUuid = get(r, 'Device UUID')?.trim() ?? null;
  const name = get(r, 'Name');
  r.name = name === null ? null : name.replace(LOCAL_NOTE_RE, '');
  r.level = get(r, 'Raid Level')?.trim() ?? null;
  r.raidDevices = leadingCount(get(r, 'Raid Devices'));
  const ev = get(r, 'Events');
  r.events = ev !== null && /^[0-9]+$/.test(ev.trim()) ? parseCount(ev.trim()) : null;
  r.role = parseRole(get(r, 'Device Role'));
  r.dataOffsetSectors = leadingCount(get(r, 'Data Offset'));
  r.superOffsetSectors = leadingCount(get(r, 'Super Offset'));
  const fm = get(r, 'Feature Map');
  r.featureMap = fm !== null && /^0x[0-9a-fA-F]{1,8}$/.test(fm.trim()) ? Number.parseInt(fm.trim().slice(2), 16) : null;
}
