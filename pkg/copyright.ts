// The package's /usr/share/doc/mdclusterd/copyright (machine-readable format 1.0), generated at
// build time from what is shipped: a paragraph for mdclusterd itself, then one Files paragraph
// per shipped directory that carries its own license file (each production module, and code
// vendored inside one, e.g. koffi/vendor/*), naming the license from that directory's
// package.json or, without one, from the text, with the copyright lines of the license file.
// Owns: the maintainer identity (MAINTAINER) and this file's text.
// A shipped module without a license file of its own (koffi's native @koromix/koffi-<platform>)
// gets a paragraph from its package.json, its text in a stand-alone License paragraph.
// Invariants: every shipped module and every shipped LICENSE/COPYING file has its paragraph; a license neither named
// nor recognised fails the build (no guessing); licenses Debian ships in
// /usr/share/common-licenses (Apache-2.0, GPL-2) are referred to there, not copied (lintian).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const MAINTAINER = 'mdclusterd maintainers <maintainers@mdclusterd.invalid>';
/** The year the project started (its first commit). */
const FIRST_YEAR = 2026;
/** Deepest directory level searched for license files below a module (koffi/vendor/x is 2). */
const LICENSE_SEARCH_DEPTH = 3;

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt))?$/i;

/** package.json license names -> copyright-format short names (Debian spells some differently). */
const SHORT_NAMES: Record<string, string> = { 'MIT': 'Expat', 'ISC': 'ISC', 'Apache-2.0': 'Apache-2.0', 'BSD-3-Clause': 'BSD-3-clause', 'BSD-2-Clause': 'BSD-2-clause', 'GPL-2.0': 'GPL-2', 'GPL-2.0-only': 'GPL-2' };

function shortName(spdx: string): string {
  const names = spdx.replace(/^\(|\)$/g, '').split(/\s+OR\s+/);
  return names.map((n) => {
    const d = SHORT_NAMES[n.trim()];
    if (d === undefined) throw new Error(`copyright: license ${JSON.stringify(spdx)} is not in pkg/copyright.ts SHORT_NAMES`);
    return d;
  }).join(' or ');
}

/** A license named by its text, for vendored code without a package.json. */
function recognise(text: string, where: string): string {
  if (/Permission is hereby granted, free of charge/.test(text)) return 'Expat';
  if (/Permission to use, copy, modify, and\/or distribute this software for any purpose/.test(text)) return 'ISC';
  if (/Apache License,?\s+Version 2\.0/.test(text)) return 'Apache-2.0';
  if (/Redistribution and use in source and binary forms/.test(text)) return /Neither the name/.test(text) ? 'BSD-3-clause' : 'BSD-2-clause';
  throw new Error(`copyright: cannot tell the license of ${where} (add it to pkg/copyright.ts)`);
}

/** The license file's body as copyright-format text: common licenses referred to, not copied. */
function licenseBody(short: string, text: string): string[] {
  const notes: string[] = [];
  let body = text;
  if (short.split(' or ').includes('Apache-2.0')) {
    body = '';
    notes.push('On Debian systems the full text of the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.');
  }
  const gpl = body.search(/^\s*GNU GENERAL PUBLIC LICENSE\s*$/m);
  if (short.split(' or ').includes('GPL-2') && gpl >= 0) {
    body = body.slice(0, gpl);
    notes.push('On Debian systems the full text of the GNU General Public License version 2 is in /usr/share/common-licenses/GPL-2.');
  }
  const lines = body.replace(/\r/g, '').trim().split('\n').map((l) => l.trimEnd());
  return [...(lines.length === 1 && lines[0] === '' ? [] : lines), ...(notes.length > 0 && body.trim() !== '' ? [''] : []), ...notes]
    .map((l) => (l === '' ? ' .' : ` ${l}`));
}

function copyrightLines(text: string, fallback: string): string[] {
  const found = text.split('\n').map((l) => l.trim())
    .filter((l) => /^copyright\b/i.test(l) && !/copyright (notice|holders?|owner)/i.test(l))
    .map((l) => l.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').trim()).filter((l) => l !== '');
  return found.length > 0 ? found : [fallback];
}

function licenseDirs(dir: string, depth: number): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && LICENSE_FILE.test(e.name))) out.push(dir);
  if (depth > 0) for (const e of entries) if (e.isDirectory() && e.name !== 'node_modules') out.push(...licenseDirs(join(dir, e.name), depth - 1));
  return out;
}

/**
 * The copyright file for a staged tree: `lib` is the staged /usr/lib/mdclusterd, `libPath` its
 * installed path (without the leading slash), `modules` the shipped module dirs relative to lib.
 */
export function copyrightFile(lib: string, libPath: string, modules: string[], now = new Date()): string {
  const year = now.getUTCFullYear();
  const years = year > FIRST_YEAR ? `${FIRST_YEAR}-${year}` : String(FIRST_YEAR);
  const paras: string[][] = [[
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: mdclusterd',
    `Upstream-Contact: ${MAINTAINER}`,
  ], [
    'Files: *',
    `Copyright: ${years} mdclusterd maintainers`,
    'License: all-rights-reserved',
    ' The mdclusterd project has not published a license for its own code',
    ' (its package.json is private and names none), so all rights are reserved',
    ' by its authors. The bundled Node.js modules below keep their own licenses.',
  ]];
  /** Expat's terms as one shipped license file states them, for modules that ship no license file. */
  let expatTerms: string[] | null = null;
  const textless: string[][] = [];
  for (const m of modules) {
    const dirs = licenseDirs(join(lib, m), LICENSE_SEARCH_DEPTH);
    if (dirs[0] !== join(lib, m)) {
      const meta = packageMeta(join(lib, m));
      const named = meta?.license === undefined ? undefined : typeof meta.license === 'string' ? meta.license : meta.license.type;
      if (named === undefined || shortName(named) !== 'Expat') throw new Error(`copyright: ${m} ships no license file and its package.json names no Expat (MIT) license`);
      textless.push([`Files: ${libPath}/${m}/*`, `Copyright: ${authorOf(meta) ?? `the authors of ${meta?.name ?? m}`}`, 'License: Expat',
        `Comment: ${meta?.name ?? m} ships no license file; its package.json names the MIT (Expat) license.`]);
    }
    for (const dir of dirs) {
      const file = readdirSync(dir).find((f) => LICENSE_FILE.test(f))!;
      const text = readFileSync(join(dir, file), 'utf8');
      const meta = packageMeta(dir);
      const named = meta?.license === undefined ? undefined : typeof meta.license === 'string' ? meta.license : meta.license.type;
      const short = named !== undefined ? shortName(named) : recognise(text, relative(lib, join(dir, file)));
      const author = authorOf(meta);
      if (short === 'Expat' && expatTerms === null) {
        const at = text.indexOf('Permission is hereby granted');
        if (at >= 0) expatTerms = licenseBody(short, text.slice(at));
      }
      paras.push([
        `Files: ${libPath}/${relative(lib, dir)}/*`,
        `Copyright: ${copyrightLines(text, author ?? `the authors of ${meta?.name ?? relative(lib, dir)}`).join('\n ')}`,
        `License: ${short}`,
        ...licenseBody(short, text),
      ]);
    }
  }
  if (textless.length > 0) {
    if (expatTerms === null) throw new Error('copyright: no shipped Expat license text to state the terms of modules without a license file');
    paras.push(...textless, ['License: Expat', ...expatTerms]);
  }
  return paras.map((p) => p.join('\n')).join('\n\n') + '\n';
}

interface PackageMeta { name?: string; license?: string | { type?: string }; author?: string | { name?: string } }

function packageMeta(dir: string): PackageMeta | null {
  const pj = join(dir, 'package.json');
  return existsSync(pj) ? JSON.parse(readFileSync(pj, 'utf8')) as PackageMeta : null;
}

function authorOf(meta: PackageMeta | null): string | undefined {
  return typeof meta?.author === 'string' ? meta.author : meta?.author?.name;
}
