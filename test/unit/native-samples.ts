// Loaders for the real md captures in /work/shared/kernel-samples, for the native/ and kernel
// driver tests: sysfs.txt, ioctl.txt, examine.txt, export.txt, detail.txt and mdstat.txt.
// Owns: reading the capture formats (described in the samples' README) into plain maps, and
// building a sysfs/proc/dev tree from a case so the kernel driver can run over it.
// Invariant: loaders never guess: a line they do not understand throws, so a format surprise
// fails the test that uses it.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SAMPLES_DIR = process.env.MD_SAMPLES_DIR ?? '/work/shared/kernel-samples';

export function caseNames(): string[] {
  return readdirSync(SAMPLES_DIR).filter((d) => /^\d\d-/.test(d)).sort();
}

export function readCaseFile(caseName: string, file: string): string | null {
  const p = join(SAMPLES_DIR, caseName, file);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}

/** Splits a multi-array file on "==> HEADER <==" lines; a single array gets `defaultKey`. */
export function splitSections(text: string, defaultKey: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let key = defaultKey;
  for (const line of text.split('\n')) {
    const h = /^==> (.*) <==$/.exec(line);
    if (h) { key = h[1]; out.set(key, []); continue; }
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(line);
  }
  for (const [k, lines] of out) { while (lines.length && lines[lines.length - 1] === '') lines.pop(); if (!lines.length) out.delete(k); }
  return out;
}

/** The arrays of a case in mdstat order ("md0", "md126", ...). */
export function caseArrays(caseName: string): string[] {
  const mdstat = readCaseFile(caseName, 'mdstat.txt') ?? '';
  return [...mdstat.matchAll(/^(md\S+) : /gm)].map((m) => m[1]);
}

/** sysfs.txt: array name -> attribute -> value (the capture's "<error>" entries are left out). */
export function loadSysfs(caseName: string): Map<string, Map<string, string>> {
  const text = readCaseFile(caseName, 'sysfs.txt') ?? '';
  const arrays = caseArrays(caseName);
  const out = new Map<string, Map<string, string>>();
  for (const [key, lines] of splitSections(text, `/sys/block/${arrays[0] ?? 'md0'}/md`)) {
    const name = /^\/sys\/block\/([^/]+)\/md$/.exec(key)?.[1];
    if (name === undefined) continue; // "(no /sys/block/md0/md)"
    const attrs = new Map<string, string>();
    for (const line of lines) {
      if (line.startsWith('(')) continue;
      const eq = line.indexOf('=');
      if (eq < 0) throw new Error(`${caseName}/sysfs.txt: bad line ${JSON.stringify(line)}`);
      const value = line.slice(eq + 1);
      if (value !== '<error>') attrs.set(line.slice(0, eq), value);
    }
    if (attrs.size > 0) out.set(name, attrs);
  }
  return out;
}

export interface SampleDisk { number: number; major: number; minor: number; raid_disk: number; state: number; dev: string | null }
export interface SampleIoctl {
  version: number[] | null;
  arrayInfo: Record<string, number> | null;
  /** "rc=-1 errno=19 (ENODEV)" -> 19 */
  arrayInfoErrno: number | null;
  disks: SampleDisk[];
  bitmapFile: string | null;
}

function parseIoctlSection(lines: string[]): SampleIoctl {
  const out: SampleIoctl = { version: null, arrayInfo: null, arrayInfoErrno: null, disks: [], bitmapFile: null };
  let inArray = false;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = /^RAID_VERSION \S+ rc=0 major=(\d+) minor=(\d+) patchlevel=(\d+)$/.exec(line))) { out.version = m.slice(1).map(Number); continue; }
    if ((m = /^GET_ARRAY_INFO \S+ rc=(-?\d+)(?: errno=(\d+).*)?$/.exec(line))) {
      inArray = m[1] === '0';
      if (inArray) out.arrayInfo = {}; else out.arrayInfoErrno = Number(m[2]);
      continue;
    }
    if (inArray && (m = /^ {2}([a-z_]+)=(-?\d+)/.exec(line))) { out.arrayInfo![m[1]] = Number(m[2]); continue; }
    if (/^GET_DISK_INFO /.test(line)) { inArray = false; continue; }
    if ((m = /^ {2}number=(\d+) major=(\d+) minor=(\d+) raid_disk=(-?\d+) state=(\d+) \([^)]*\)(?: dev=(\S+))?$/.exec(line))) {
      out.disks.push({ number: +m[1], major: +m[2], minor: +m[3], raid_disk: +m[4], state: +m[5], dev: m[6] ?? null });
      continue;
    }
    if (/^ {2}number=\d+ rc=-1/.test(line)) continue;
    if ((m = /^GET_BITMAP_FILE \S+ rc=0 pathname="(.*)"$/.exec(line))) { out.bitmapFile = m[1]; continue; }
    if (/^open \S+: E[A-Z]+$/.test(line)) continue;
    throw new Error(`ioctl.txt: bad line ${JSON.stringify(line)}`);
  }
  return out;
}

/** ioctl.txt: array name -> decoded ioctl results. */
export function loadIoctl(caseName: string): Map<string, SampleIoctl> {
  const text = readCaseFile(caseName, 'ioctl.txt') ?? '';
  const arrays = caseArrays(caseName);
  const out = new Map<string, SampleIoctl>();
  for (const [key, lines] of splitSections(text, `/dev/${arrays[0] ?? 'md0'}`)) {
    out.set(key.replace(/^\/dev\//, ''), parseIoctlSection(lines));
  }
  return out;
}

/** export.txt: array name -> KEY -> value. */
export function loadExport(caseName: string): Map<string, Map<string, string>> {
  const text = readCaseFile(caseName, 'export.txt') ?? '';
  const arrays = caseArrays(caseName);
  const out = new Map<string, Map<string, string>>();
  for (const [key, lines] of splitSections(text, `/dev/${arrays[0] ?? 'md0'}`)) {
    out.set(key.replace(/^\/dev\//, ''), new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])));
  }
  return out;
}

/** detail.txt: array name -> its text. */
export function loadDetail(caseName: string): Map<string, string> {
  const text = readCaseFile(caseName, 'detail.txt') ?? '';
  const out = new Map<string, string>();
  for (const part of text.split(/^(?=\/dev\/md\S+:$)/m)) {
    const m = /^\/dev\/(md\S+):\n/.exec(part);
    if (m) out.set(m[1], part);
  }
  return out;
}

export interface ExamineFacts {
  dev: string;
  fields: Map<string, string>;
}

/** examine.txt: one entry per "/dev/X:" block, with "Key : value" fields. */
export function loadExamine(caseName: string): ExamineFacts[] {
  const text = readCaseFile(caseName, 'examine.txt') ?? '';
  const out: ExamineFacts[] = [];
  for (const part of text.split(/^(?=\/dev\/\S+:$)/m)) {
    const m = /^\/dev\/(\S+):\n/.exec(part);
    if (!m) continue;
    const fields = new Map<string, string>();
    for (const line of part.split('\n').slice(1)) {
      const f = /^\s*([A-Za-z][A-Za-z ]*?) : (.*)$/.exec(line);
      if (f && !fields.has(f[1])) fields.set(f[1], f[2]);
    }
    out.push({ dev: m[1], fields });
  }
  return out;
}

/**
 * A sysfs/proc/dev tree for a case: /sys/block/mdX/md/<attrs>, md/dev-X/block/dev (from the
 * ioctl capture), /sys/block/mdX/size, /proc/mdstat. Returns the tree's root.
 */
export function buildTree(caseName: string): string {
  const root = mkdtempSync(join(tmpdir(), `md-sample-${caseName.slice(0, 2)}-`));
  const sysfs = loadSysfs(caseName);
  const ioctl = loadIoctl(caseName);
  for (const [array, attrs] of sysfs) {
    const md = join(root, 'sys/block', array, 'md');
    mkdirSync(md, { recursive: true });
    const devByName = new Map((ioctl.get(array)?.disks ?? []).filter((d) => d.dev).map((d) => [d.dev!, d]));
    for (const [name, value] of attrs) {
      const p = join(md, name);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, `${value}\n`);
    }
    for (const dir of new Set([...attrs.keys()].filter((k) => k.startsWith('dev-')).map((k) => k.split('/')[0]))) {
      const name = dir.slice(4);
      const d = devByName.get(name) ?? { major: 254, minor: 0 };
      mkdirSync(join(md, dir, 'block'), { recursive: true });
      writeFileSync(join(md, dir, 'block/dev'), `${d.major}:${d.minor}\n`);
    }
  }
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/mdstat'), readCaseFile(caseName, 'mdstat.txt') ?? '');
  mkdirSync(join(root, 'dev'), { recursive: true });
  return root;
}
