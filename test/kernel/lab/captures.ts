// Kernel lab: reading back what guest/lib.sh wrote (lab_capture, lab_fact). Owns: the host
// side of the capture layout: <state>/mdstat.txt, <state>/sysfs-<md>.txt,
// <state>/detail-<md>.txt, facts.txt; and saving captures under the cache for inspection.
// Invariants: states come back sorted by name (lab_capture names are numbered in the order
// taken); a sysfs line without "=" is a broken capture and throws.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { labPaths } from './config.js';

export interface CapturedState {
  name: string;
  mdstat: string;
  /** Per array ("md0"): its sysfs attributes by name ("dev-vda/state", "sync_action"...). */
  sysfs: Map<string, Record<string, string>>;
  detail: Map<string, string>;
}

export function parseSysfsCapture(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`kernel lab: bad sysfs capture line ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export function parseFacts(text: string | undefined): Record<string, string> {
  return text === undefined ? {} : parseSysfsCapture(text);
}

export function capturedStates(files: Record<string, string>): CapturedState[] {
  const states = new Map<string, CapturedState>();
  for (const [path, content] of Object.entries(files)) {
    const m = /^([^/]+)\/(mdstat\.txt|sysfs-(md[0-9]+)\.txt|detail-(md[0-9]+)\.txt)$/.exec(path);
    if (m === null) continue;
    const name = m[1]!;
    let st = states.get(name);
    if (st === undefined) states.set(name, st = { name, mdstat: '', sysfs: new Map(), detail: new Map() });
    if (m[2] === 'mdstat.txt') st.mdstat = content;
    else if (m[3] !== undefined) st.sysfs.set(m[3], parseSysfsCapture(content));
    else st.detail.set(m[4]!, content);
  }
  return [...states.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Writes a run's files under <cache>/captures/<label>/ (replacing older ones) for people to read. */
export async function saveCaptures(label: string, files: Record<string, string>): Promise<string> {
  const root = join(labPaths().cacheDir, 'captures', label);
  await rm(root, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    const dest = join(root, path);
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, content);
  }
  return root;
}
