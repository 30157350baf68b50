// The parts of mdadm.conf that --assemble --scan and --examine --scan use: ARRAY lines (the
// array's device, UUID, name, devices=) and DEVICE lines (which block devices to look at,
// "partitions" meaning every device /proc/partitions lists). Owns: parsing that text and
// listing the candidate devices. Invariants: parsing is pure and never throws (a malformed
// line is skipped); files are read up to MONITOR_MAX_CONF_BYTES; a missing config means no
// ARRAY lines and "DEVICE partitions", as in mdadm.
import { closeSync, openSync, readSync } from 'node:fs';
import { MONITOR_MAX_CONF_BYTES } from '../../daemon/src/common/limits.js';

export const DEFAULT_MDADM_CONF = '/etc/mdadm/mdadm.conf';
export const PROC_PARTITIONS = '/proc/partitions';

export interface ConfArray {
  /** "/dev/md0" or "/dev/md/name", or null. */
  device: string | null;
  /** Lower-case colon form, or null. */
  uuid: string | null;
  name: string | null;
  /** devices= (comma-separated paths or globs), or null. */
  devices: string[] | null;
}

export interface MdadmConf {
  arrays: ConfArray[];
  /** DEVICE words ("partitions", "containers", paths, globs); empty means "partitions". */
  devices: string[];
}

function logicalLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (/^\s/.test(line) && out.length > 0) out[out.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') out.push(line.trim());
  }
  return out;
}

/** mdadm accepts the UUID in colon or dotted groups of 8; mdctl keeps the colon form. */
function normUuid(v: string): string | null {
  const hex = v.replace(/[:.\- ]/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? `${hex.slice(0, 8)}:${hex.slice(8, 16)}:${hex.slice(16, 24)}:${hex.slice(24)}` : null;
}

export function parseMdadmConf(text: string): MdadmConf {
  const conf: MdadmConf = { arrays: [], devices: [] };
  for (const l of logicalLines(text)) {
    const words = l.split(/\s+/);
    const keyword = words[0].toUpperCase();
    // mdadm matches keywords by their first 3 letters or more ("DEV", "ARR").
    if ('DEVICE'.startsWith(keyword) && keyword.length >= 3) { conf.devices.push(...words.slice(1)); continue; }
    if (!('ARRAY'.startsWith(keyword) && keyword.length >= 3)) continue;
    const a: ConfArray = { device: null, uuid: null, name: null, devices: null };
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq < 0) { if (w.startsWith('/dev/') || w === '<ignore>') a.device = w; continue; }
      const key = w.slice(0, eq).toLowerCase();
      const value = w.slice(eq + 1);
      if (key === 'uuid') a.uuid = normUuid(value);
      else if (key === 'name') a.name = value;
      else if (key === 'devices') a.devices = value.split(',').filter((d) => d !== '');
    }
    if (a.device !== '<ignore>') conf.arrays.push(a);
  }
  return conf;
}

export function readBounded(path: string): string | null {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return null; }
  try {
    const buf = Buffer.alloc(MONITOR_MAX_CONF_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export function readMdadmConf(path: string): MdadmConf {
  return parseMdadmConf(readBounded(path) ?? '');
}

/** /proc/partitions text -> "/dev/NAME" for every listed device, md arrays left out (mdadm skips them too when scanning for members). */
export function partitionDevices(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*[0-9]+\s+[0-9]+\s+[0-9]+\s+(\S+)\s*$/.exec(line);
    if (m && !/^md[0-9_]/.test(m[1])) out.push(`/dev/${m[1]}`);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/**
 * The devices to examine: the DEVICE words of the config (globs matched against the
 * partitions list, plain paths as given), "partitions" (or no DEVICE line) meaning every
 * device in /proc/partitions, in mdadm's order (the file's last line first). Duplicates are
 * dropped; order is first mention.
 */
export function candidateDevices(conf: MdadmConf, partitionsText: string): string[] {
  const parts = partitionDevices(partitionsText);
  const words = conf.devices.length === 0 ? ['partitions'] : conf.devices;
  const out: string[] = [];
  for (const w of words) {
    // mdadm builds its partitions list by prepending each line: it examines them last first.
    if (w === 'partitions') out.push(...[...parts].reverse());
    else if (w === 'containers') continue;
    else if (/[*?[]/.test(w)) out.push(...parts.filter((p) => globToRegExp(w).test(p)));
    else out.push(w);
  }
  return [...new Set(out)];
}
