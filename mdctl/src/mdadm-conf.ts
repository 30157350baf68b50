// mdadm.conf for --assemble --scan, --examine --scan and --incremental: reading the file (the
// text is parsed by daemon/src/md/format/mdadm-conf.ts, the one parser) and listing the
// candidate devices of its DEVICE lines ("partitions" meaning every device /proc/partitions
// lists). Invariants: files are read up to MONITOR_MAX_CONF_BYTES; a missing config means no
// ARRAY lines and "DEVICE partitions", as in mdadm.
import { closeSync, openSync, readSync } from 'node:fs';
import { MONITOR_MAX_CONF_BYTES } from '../../daemon/src/common/limits.js';
import { parseMdadmConf, type MdadmConf } from '../../daemon/src/md/format/mdadm-conf.js';

export const DEFAULT_MDADM_CONF = '/etc/mdadm/mdadm.conf';
export const PROC_PARTITIONS = '/proc/partitions';

export type { ConfArray, MdadmConf } from '../../daemon/src/md/format/mdadm-conf.js';
export { parseMdadmConf } from '../../daemon/src/md/format/mdadm-conf.js';

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
