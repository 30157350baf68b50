// `mdadm --detail --export` (mdadm 4.2): renderer from driver state and parser of its
// KEY=value lines. Owns: the key order and spelling (MD_LEVEL, MD_DEVICES, MD_METADATA or
// MD_CONTAINER/MD_MEMBER, MD_UUID, MD_DEVNAME, MD_NAME, MD_DEVICE_<dev>_ROLE/_DEV).
// Invariants: the renderer is pure; the parser never throws and keeps every key it sees,
// in order, so unknown keys survive.
import type { ArrayState } from '../types.js';
import { isArrayRunning, membersInSysfsOrder } from './detail-disks.js';
import { isPersistentSuper, metadataText, subarrayOf } from './detail.js';
import { type ParseResult, badFormat, parseCount, parsed, splitBoundedLines } from './result.js';

export interface ExportOptions {
  /**
   * The array's path in mdadm's map file (/run/mdadm/map): "/dev/md/NAME" prints
   * MD_DEVNAME=NAME; anything else (or absent) prints none.
   */
  mapPath?: string;
  /** For a member of an external container: the container's path (default "/dev/<container>"). */
  containerPath?: string;
}

const NO_UUID = '00000000:00000000:00000000:00000000';

/** "dev-sdb1" -> "dev_sdb1": mdadm replaces every non-alphanumeric byte with '_'. */
export function exportDeviceKey(memberName: string): string {
  return `dev-${memberName}`.replace(/[^A-Za-z0-9]/g, '_');
}

export function renderExport(a: ArrayState, opts: ExportOptions = {}): string {
  const out: string[] = [];
  const running = isArrayRunning(a);
  if (running && a.raidDisks) {
    out.push(`MD_LEVEL=${a.level}`, `MD_DEVICES=${a.raidDisks}`);
  } else if (a.level === 'container') {
    out.push('MD_LEVEL=container', `MD_DEVICES=${a.members.length}`);
  } else {
    out.push(`MD_DEVICES=${a.members.length}`);
  }
  const sub = subarrayOf(a.metadataVersion);
  if (sub) out.push(`MD_CONTAINER=${opts.containerPath ?? `/dev/${sub.container}`}`, `MD_MEMBER=${sub.member}`);
  else out.push(`MD_METADATA=${metadataText(a.metadataVersion)}`);
  // A superblock-less (--build) array has no UUID: mdadm's map entry holds zeros. An external
  // array's is its metadata's (DDF: derived from the GUIDs; zeros when the format is not read).
  out.push(`MD_UUID=${a.metadataVersion === 'none' ? NO_UUID : a.uuid}`);
  if (opts.mapPath?.startsWith('/dev/md/')) out.push(`MD_DEVNAME=${opts.mapPath.slice('/dev/md/'.length)}`);
  if (isPersistentSuper(a.metadataVersion) && a.metadataVersion !== '0.90' && a.name) {
    out.push(`MD_NAME=${a.name.split('\n')[0].slice(0, 32)}`);
  }
  for (const m of membersInSysfsOrder(a.members)) {
    const key = exportDeviceKey(m.name);
    out.push(`MD_DEVICE_${key}_ROLE=${m.slot === null ? 'spare' : m.slot}`);
    out.push(`MD_DEVICE_${key}_DEV=${m.devPath}`);
  }
  return out.join('\n') + '\n';
}

export interface ExportDevice {
  /** The sanitised sysfs name from the key, e.g. "dev_vda". */
  key: string;
  /** Slot number, or "spare". */
  role: number | 'spare' | null;
  dev: string | null;
}

export interface ExportDoc {
  /** Every KEY=value pair in order. */
  entries: Array<[string, string]>;
  level: string | null;
  devices: number | null;
  metadata: string | null;
  uuid: string | null;
  devName: string | null;
  name: string | null;
  container: string | null;
  member: string | null;
  /** MD_DEVICE_<key>_ROLE / _DEV pairs, in order of first appearance. */
  members: ExportDevice[];
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEVICE_KEY_RE = /^MD_DEVICE_([A-Za-z0-9_]+)_(ROLE|DEV)$/;

export function parseExport(text: unknown): ParseResult<ExportDoc> {
  const split = splitBoundedLines('export', text);
  if (!split.ok) return split;
  const lines = split.value;
  if (lines[lines.length - 1] === '') lines.pop();
  const doc: ExportDoc = {
    entries: [], level: null, devices: null, metadata: null, uuid: null, devName: null, name: null,
    container: null, member: null, members: [],
  };
  const byKey = new Map<string, ExportDevice>();
  for (let i = 0; i < lines.length; i++) {
    const eq = lines[i].indexOf('=');
    const key = eq < 0 ? '' : lines[i].slice(0, eq);
    if (!KEY_RE.test(key)) return badFormat('export', i + 1, 'expected KEY=value');
    const value = lines[i].slice(eq + 1);
    doc.entries.push([key, value]);
    const dm = DEVICE_KEY_RE.exec(key);
    if (dm) {
      let dev = byKey.get(dm[1]);
      if (!dev) {
        dev = { key: dm[1], role: null, dev: null };
        byKey.set(dm[1], dev);
        doc.members.push(dev);
      }
      if (dm[2] === 'DEV') dev.dev = value;
      else if (value === 'spare') dev.role = 'spare';
      else if ((dev.role = parseCount(value)) === null) return badFormat('export', i + 1, `bad role ${JSON.stringify(value.slice(0, 40))}`);
      continue;
    }
    if (!applyArrayKey(doc, key, value)) return badFormat('export', i + 1, `bad ${key}`);
  }
  return parsed(doc);
}

function applyArrayKey(doc: ExportDoc, key: string, value: string): boolean {
  switch (key) {
    case 'MD_LEVEL': doc.level = value; return true;
    case 'MD_DEVICES': return (doc.devices = parseCount(value)) !== null;
    case 'MD_METADATA': doc.metadata = value; return true;
    case 'MD_UUID': doc.uuid = value; return true;
    case 'MD_DEVNAME': doc.devName = value; return true;
    case 'MD_NAME': doc.name = value; return true;
    case 'MD_CONTAINER': doc.container = value; return true;
    case 'MD_MEMBER': doc.member = value; return true;
    default: return true;
  }
}
