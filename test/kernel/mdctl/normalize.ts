// mdadm vs mdctl on the real kernel: normalising two arrays' outputs so that the same state
// reads the same. Owns: the list of what may differ between array A (made by mdadm) and array
// B (made by mdctl through mdclusterd) and nothing else: times, UUIDs, names, Events, the md
// device and member device names, and member major/minor numbers. Everything else (levels,
// sizes, counts, State wording, slot numbers, descriptor numbers, row order, key order, exit
// codes) must be equal.
// Invariants: pure; a normaliser never drops a line (it only rewrites values), so a missing
// or extra line in mdctl's output always shows as a difference; mdctl's Cluster section is
// split off only when it follows mdadm's fields and starts with its own header.

/** Device names of array B and the names of array A's matching devices. */
export interface NameMap {
  /** "md1" -> "md0". */
  arrays: Readonly<Record<string, string>>;
  /** "vdd" -> "vda" (kernel names, without /dev/). */
  members: Readonly<Record<string, string>>;
}

export const IDENTITY: NameMap = { arrays: {}, members: {} };

const DETAIL_MASKED: ReadonlyMap<string, string> = new Map([
  ['Creation Time', '<time>'], ['Update Time', '<time>'], ['Name', '<name>'], ['UUID', '<uuid>'], ['Events', '<events>'],
]);
const LABEL_RE = /^( *)([A-Za-z][A-Za-z ]*[A-Za-z]) : (.*)$/;
/** "       0     254        0        0      active sync   /dev/vda" (a row with a device path). */
const ROW_RE = /^( +)(-|[0-9]+)( +)([0-9]+)( +)([0-9]+)( +)(-|[0-9]+)( +)(.*?)( +)(\/dev\/\S+)$/;
const CLUSTER_HEADER_RE = /^\n {3}Cluster : /;

function mapDevPath(path: string, map: NameMap): string {
  const m = /^\/dev\/(\S+)$/.exec(path);
  if (!m) return path;
  const name = map.members[m[1]] ?? map.arrays[m[1]];
  return name === undefined ? path : `/dev/${name}`;
}

function mapArrayLine(line: string, map: NameMap): string {
  const m = /^\/dev\/(md[^:]*):$/.exec(line);
  return m ? `/dev/${map.arrays[m[1]] ?? m[1]}:` : line;
}

/**
 * `mdadm --detail` text with the values that legitimately differ masked or renamed.
 * `numberMayDiffer`: A's member names whose descriptor Number is masked too (a difference a
 * step documents, see steps.ts), never used when both texts describe the same array.
 */
export function normalizeDetail(text: string, map: NameMap, numberMayDiffer: readonly string[] = []): string {
  return text.split('\n').map((line) => {
    const label = LABEL_RE.exec(line);
    if (label) {
      const masked = DETAIL_MASKED.get(label[2]);
      return masked === undefined ? line : `${label[1]}${label[2]} : ${masked}`;
    }
    const row = ROW_RE.exec(line);
    if (row) {
      const [, a, num, b, maj, c, min, d, rd, e, words, f, path] = row;
      const mapped = mapDevPath(path, map);
      const n = numberMayDiffer.includes(mapped.slice('/dev/'.length)) ? 'N'.padStart(num.length) : num;
      return `${a}${n}${b}${'M'.padStart(maj.length)}${c}${'m'.padStart(min.length)}${d}${rd}${e}${words}${f}${mapped}`;
    }
    return mapArrayLine(line, map);
  }).join('\n');
}

/** "MD_DEVICE_dev_vdd_ROLE" -> its member name "vdd" (the key replaces non-alphanumerics with '_'). */
function exportMemberKey(key: string): { name: string; suffix: string } | null {
  const m = /^MD_DEVICE_dev_([A-Za-z0-9_]+)_(ROLE|DEV)$/.exec(key);
  return m ? { name: m[1], suffix: m[2] } : null;
}

/**
 * `mdadm --detail --export` text normalised: MD_UUID/MD_NAME masked, member keys and paths
 * renamed, and the member key pairs sorted by (renamed) name: mdadm lists them in sysfs
 * directory order, which follows the names' hashes, so renaming changes the order.
 */
export function normalizeExport(text: string, map: NameMap): string {
  const head: string[] = [];
  const members = new Map<string, string[]>();
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
  for (const line of lines) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1);
    const mk = exportMemberKey(key);
    if (mk) {
      const name = map.members[mk.name] ?? mk.name;
      const out = `MD_DEVICE_dev_${name}_${mk.suffix}=${mk.suffix === 'DEV' ? mapDevPath(value, map) : value}`;
      members.set(name, [...(members.get(name) ?? []), out]);
    } else if (key === 'MD_UUID' || key === 'MD_NAME') {
      head.push(`${key}=<${key === 'MD_UUID' ? 'uuid' : 'name'}>`);
    } else if (key === 'MD_DEVNAME') {
      head.push(`${key}=${map.arrays[value] ?? value}`);
    } else {
      head.push(line);
    }
  }
  const sorted = [...members.keys()].sort().flatMap((k) => members.get(k)!);
  return [...head, ...sorted, ...(trailing === undefined ? [] : [trailing])].join('\n');
}

/** mdctl's --detail text split into mdadm's part and the added Cluster section (or null). */
export function splitClusterSection(mdctlText: string): { mdadmPart: string; cluster: string | null } {
  const lines = mdctlText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '') continue;
    const rest = lines.slice(i).join('\n');
    if (CLUSTER_HEADER_RE.test(rest)) return { mdadmPart: lines.slice(0, i).join('\n') + '\n', cluster: rest.slice(1) };
  }
  return { mdadmPart: mdctlText, cluster: null };
}

export interface Comparison {
  equal: boolean;
  /** Empty when equal; else both normalised texts with the first differing line marked. */
  diff: string;
}

/** A readable account of two texts' first difference. */
export function describeDifference(want: string, got: string, wantLabel: string, gotLabel: string): string {
  if (want === got) return '';
  const w = want.split('\n');
  const g = got.split('\n');
  let i = 0;
  while (i < w.length && i < g.length && w[i] === g[i]) i++;
  const mark = (lines: string[]) => lines.map((l, k) => `${k === i ? '>>' : '  '} ${l}`).join('\n');
  return `first difference at line ${i + 1}: ${JSON.stringify(w[i] ?? '<end>')} vs ${JSON.stringify(g[i] ?? '<end>')}\n` +
    `--- ${wantLabel}\n${mark(w)}\n--- ${gotLabel}\n${mark(g)}`;
}

/**
 * mdadm's --detail of one array against mdctl's of another: mdctl's text must be mdadm's
 * fields, equal after normalisation, optionally followed by the Cluster section.
 */
export function compareDetail(mdadmText: string, mdctlText: string, mdadmMap: NameMap, mdctlMap: NameMap, numberMayDiffer: readonly string[] = []): Comparison {
  const { mdadmPart } = splitClusterSection(mdctlText);
  const want = normalizeDetail(mdadmText, mdadmMap, numberMayDiffer);
  const got = normalizeDetail(mdadmPart, mdctlMap, numberMayDiffer);
  return { equal: want === got, diff: describeDifference(want, got, 'mdadm --detail (normalised)', 'mdctl --detail (normalised, Cluster section removed)') };
}

export function compareExport(mdadmText: string, mdctlText: string, mdadmMap: NameMap, mdctlMap: NameMap): Comparison {
  const want = normalizeExport(mdadmText, mdadmMap);
  const got = normalizeExport(mdctlText, mdctlMap);
  return { equal: want === got, diff: describeDifference(want, got, 'mdadm --detail --export (normalised)', 'mdctl --detail --export (normalised)') };
}
