// The part of mdadm.conf `mdctl --monitor` uses: ARRAY lines' `spares=N`, the number of spares
// an array is expected to have (mdadm raises SparesMissing when it finds fewer). Owns: reading
// that file; the text is parsed by daemon/src/md/format/mdadm-conf.ts (the one parser).
// Invariants: a missing file means no expectations (not an error); the file is read up to
// MONITOR_MAX_CONF_BYTES; a malformed line is skipped, never fatal.
import { parseMdadmConf, sparesExpectations, type SparesExpectation } from '../../daemon/src/md/format/mdadm-conf.js';
import { readBounded } from './mdadm-conf.js';

export { DEFAULT_MDADM_CONF } from './mdadm-conf.js';
export type { SparesExpectation } from '../../daemon/src/md/format/mdadm-conf.js';

/** ARRAY lines with spares= (continuation lines joined, comments dropped). */
export function parseSparesExpectations(text: string): SparesExpectation[] {
  return sparesExpectations(parseMdadmConf(text));
}

/** The file's expectations; [] when it does not exist or cannot be read. */
export function readSparesExpectations(path: string): SparesExpectation[] {
  return parseSparesExpectations(readBounded(path) ?? '');
}
