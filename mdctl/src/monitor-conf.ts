// The part of mdadm.conf `mdctl --monitor` uses: ARRAY lines' `spares=N`, the number of spares
// an array is expected to have (mdadm raises SparesMissing when it finds fewer). Owns: reading
// and parsing that file. Invariants: a missing file means no expectations (not an error); the
// file is read up to MONITOR_MAX_CONF_BYTES; a malformed line is skipped, never fatal.
import { closeSync, openSync, readSync } from 'node:fs';
import { MONITOR_MAX_CONF_BYTES } from '../../daemon/src/common/limits.js';

export const DEFAULT_MDADM_CONF = '/etc/mdadm/mdadm.conf';

export interface SparesExpectation {
  /** The ARRAY line's device ("/dev/md0"), or null. */
  device: string | null;
  /** UUID= in colon form (lower case), or null. */
  uuid: string | null;
  spares: number;
}

/** ARRAY lines with spares=, continuation lines (leading white space) joined, comments dropped. */
export function parseSparesExpectations(text: string): SparesExpectation[] {
  const logical: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (/^\s/.test(line) && logical.length > 0) logical[logical.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') logical.push(line.trim());
  }
  const out: SparesExpectation[] = [];
  for (const l of logical) {
    const words = l.split(/\s+/);
    if (words[0] !== 'ARRAY') continue;
    let device: string | null = null;
    let uuid: string | null = null;
    let spares: number | null = null;
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq < 0) { if (w.startsWith('/dev/')) device = w; continue; }
      const key = w.slice(0, eq).toLowerCase();
      const value = w.slice(eq + 1);
      if (key === 'uuid' && /^[0-9a-fA-F]{8}(:[0-9a-fA-F]{8}){3}$/.test(value)) uuid = value.toLowerCase();
      if (key === 'spares' && /^[0-9]{1,4}$/.test(value)) spares = Number(value);
    }
    if (spares !== null && (device !== null || uuid !== null)) out.push({ device, uuid, spares });
  }
  return out;
}

/** The file's expectations; [] when it does not exist or cannot be read. */
export function readSparesExpectations(path: string): SparesExpectation[] {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return []; }
  try {
    const buf = Buffer.alloc(MONITOR_MAX_CONF_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return parseSparesExpectations(buf.subarray(0, n).toString('utf8'));
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}
