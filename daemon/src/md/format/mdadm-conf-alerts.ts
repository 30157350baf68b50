// The alert keywords of mdadm.conf: MAILADDR, MAILFROM and PROGRAM (mdadm.conf(5)), as mdadm
// --monitor reads them. Owns: parsing them from the file's text. Pure.
// Invariants: keywords match case-insensitively by their first three letters or more, as mdadm
// matches them (so "MAIL" is ambiguous and ignored, "PROG" is PROGRAM); lines starting with white
// space continue the previous line; "#" starts a comment; the last occurrence wins for MAILFROM
// and PROGRAM; MAILADDR takes its first word (mdadm sends to one address per alert run).
export interface MdadmConfAlerts {
  mailAddr: string | null;
  mailFrom: string | null;
  program: string | null;
}

const KEYWORDS = ['MAILADDR', 'MAILFROM', 'PROGRAM'] as const;

function keywordOf(word: string): (typeof KEYWORDS)[number] | null {
  const w = word.toUpperCase();
  if (w.length < 3) return null;
  const hits = KEYWORDS.filter((k) => k.startsWith(w) || (w.startsWith(k) && w === k));
  return hits.length === 1 ? hits[0] : null;
}

export function parseMdadmConfAlerts(text: string): MdadmConfAlerts {
  const logical: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (/^\s/.test(line) && logical.length > 0) logical[logical.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') logical.push(line.trim());
  }
  const out: MdadmConfAlerts = { mailAddr: null, mailFrom: null, program: null };
  for (const l of logical) {
    const [first, ...rest] = l.split(/\s+/);
    const k = keywordOf(first);
    if (k === null || rest.length === 0) continue;
    if (k === 'MAILADDR') out.mailAddr = rest[0];
    else if (k === 'MAILFROM') out.mailFrom = rest.join(' ');
    else out.program = rest[0];
  }
  return out;
}
