// mdadm vs mdctl for the outputs that describe the SAME array or device (no renaming): the
// --detail --scan line, --examine of a member, --query. Owns: what may differ there and why:
//   - --examine: Update Time, Checksum and Events, because md may write the superblock
//     between mdadm's read and mdctl's (the checksum covers both);
//   - --query: the tool's name in "Use mdadm --detail for more detail.".
// Invariant: pure; lines are rewritten, never dropped.

/** The ARRAY line (and a following "   devices=" line) of `device` in --detail --scan output. */
export function scanLineFor(scanText: string, device: string): string {
  const lines = scanText.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const words = lines[i].split(' ');
    if ((words[0] === 'ARRAY' || words[0] === 'INACTIVE-ARRAY') && words[1] === device) {
      out.push(lines[i]);
      if (lines[i + 1]?.startsWith('   devices=')) out.push(lines[i + 1]);
    }
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

const EXAMINE_MASKED = new Set(['Update Time', 'Checksum', 'Events']);

export function normalizeExamine(text: string): string {
  return text.split('\n').map((line) => {
    const m = /^( *)([A-Za-z][A-Za-z ]*[A-Za-z]) : (.*)$/.exec(line);
    return m && EXAMINE_MASKED.has(m[2]) ? `${m[1]}${m[2]} : <masked>` : line;
  }).join('\n');
}

export function normalizeQuery(text: string): string {
  return text.replace(/Use (mdadm|mdctl) --/g, 'Use <tool> --');
}
