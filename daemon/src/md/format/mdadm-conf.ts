// mdadm.conf (mdadm.conf(5)): the one parser of its text for mdctl (--assemble --scan, --examine
// --scan, --incremental, --monitor's spares=) and the daemon's alerts (MAILADDR, MAILFROM,
// PROGRAM). Owns: the logical lines and the keywords this project reads. Pure; never throws (a
// malformed line or word is skipped).
// Invariants: as mdadm reads the file, keywords match case-insensitively by a unique prefix of
// three letters or more ("DEV" is DEVICE, "MAIL" is ambiguous and ignored); a line that starts
// with white space continues the previous one; "#" starts a comment; ARRAY <ignore> lines are
// dropped; the last MAILFROM and PROGRAM win; MAILADDR takes its first address.
export interface ConfArray {
  /** "/dev/md0" or "/dev/md/name", or null. */
  device: string | null;
  /** Lower-case colon form, or null. */
  uuid: string | null;
  name: string | null;
  /** devices= (comma-separated paths or globs), or null. */
  devices: string[] | null;
  /** spares= (the spares the array is expected to have: --monitor's SparesMissing), or null. */
  spares: number | null;
}

export interface MdadmConf {
  arrays: ConfArray[];
  /** DEVICE words ("partitions", "containers", paths, globs); empty means "partitions". */
  devices: string[];
  mailAddr: string | null;
  mailFrom: string | null;
  program: string | null;
}

export interface SparesExpectation {
  device: string | null;
  uuid: string | null;
  spares: number;
}

const KEYWORDS = ['ARRAY', 'DEVICE', 'MAILADDR', 'MAILFROM', 'PROGRAM'] as const;
type Keyword = (typeof KEYWORDS)[number];

function keywordOf(word: string): Keyword | null {
  const w = word.toUpperCase();
  if (w.length < 3) return null;
  const hits = KEYWORDS.filter((k) => k.startsWith(w));
  return hits.length === 1 ? hits[0] : null;
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

/** mdadm accepts the UUID in colon or dotted groups of 8; the colon form is kept. */
function normUuid(v: string): string | null {
  const hex = v.replace(/[:.\- ]/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? `${hex.slice(0, 8)}:${hex.slice(8, 16)}:${hex.slice(16, 24)}:${hex.slice(24)}` : null;
}

function parseArray(words: string[]): ConfArray {
  const a: ConfArray = { device: null, uuid: null, name: null, devices: null, spares: null };
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) { if (w.startsWith('/dev/') || w === '<ignore>') a.device = w; continue; }
    const key = w.slice(0, eq).toLowerCase();
    const value = w.slice(eq + 1);
    if (key === 'uuid') a.uuid = normUuid(value);
    else if (key === 'name') a.name = value;
    else if (key === 'devices') a.devices = value.split(',').filter((d) => d !== '');
    else if (key === 'spares' && /^[0-9]{1,4}$/.test(value)) a.spares = Number(value);
  }
  return a;
}

export function parseMdadmConf(text: string): MdadmConf {
  const conf: MdadmConf = { arrays: [], devices: [], mailAddr: null, mailFrom: null, program: null };
  for (const l of logicalLines(text)) {
    const [first, ...rest] = l.split(/\s+/);
    switch (keywordOf(first)) {
      case 'DEVICE': conf.devices.push(...rest); break;
      case 'ARRAY': {
        const a = parseArray(rest);
        if (a.device !== '<ignore>') conf.arrays.push(a);
        break;
      }
      case 'MAILADDR': if (rest.length > 0) conf.mailAddr = rest[0]; break;
      case 'MAILFROM': if (rest.length > 0) conf.mailFrom = rest.join(' '); break;
      case 'PROGRAM': if (rest.length > 0) conf.program = rest[0]; break;
      case null: break;
    }
  }
  return conf;
}

/** ARRAY lines with spares= that name their array (device or UUID): what --monitor expects. */
export function sparesExpectations(conf: MdadmConf): SparesExpectation[] {
  return conf.arrays.flatMap((a) => (a.spares !== null && (a.device !== null || a.uuid !== null) ? [{ device: a.device, uuid: a.uuid, spares: a.spares }] : []));
}
