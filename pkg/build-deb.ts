// `npm run package`: a Debian package of mdclusterd + mdctl, built offline with dpkg-deb from
// the compiled dist/ and the production node_modules already on disk.
// Usage: node dist/pkg/build-deb.js [--out DIR]   (default dist/package); prints the .deb path.
// Owns: the package layout (below), DEBIAN/control and postinst (the copyright file and the
// maintainer identity: pkg/copyright.ts). Invariants: only production
// dependencies (the closure of package.json "dependencies") are shipped; the manual pages and
// completions are generated from the programs' own tables (pkg/man.ts, pkg/completion.ts);
// nothing is fetched from the network; the staging tree is rebuilt from scratch every time.
// Layout: /usr/lib/mdclusterd/{package.json,dist/{daemon,mdctl,native},node_modules},
// /usr/bin/{mdclusterd,mdctl}, /usr/lib/systemd/system/mdclusterd.service,
// /usr/lib/udev/rules.d/63-mdclusterd.rules, /etc/mdclusterd/, /usr/share/man/man{5,8}/,
// /usr/share/bash-completion/completions/, /usr/share/doc/mdclusterd/.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DAEMON_NODE_OPTIONS } from '../daemon/src/common/limits.js';
import { productVersion } from '../daemon/src/common/version.js';
import { mdclusterdCompletion, mdctlCompletion } from './completion.js';
import { copyrightFile, MAINTAINER } from './copyright.js';
import { configPage, mdclusterdPage, mdctlPage } from './man.js';

/** Most packages the production closure may hold (today about 30): a runaway walk is a bug. */
const PACKAGE_MAX_MODULES = 500;
const LIB = '/usr/lib/mdclusterd';

/** /usr/bin/mdclusterd: node with the daemon's own options (DAEMON_NODE_OPTIONS), then main.js. */
export function daemonWrapper(lib: string): string {
  return `#!/bin/sh\nexec /usr/bin/node ${DAEMON_NODE_OPTIONS.join(' ')} ${lib}/dist/daemon/src/main.js "$@"\n`;
}

function repoRoot(): string {
  let dir = dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'etc', 'mdclusterd.toml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root above ' + import.meta.url);
}

/**
 * Directories (relative to the repo) of every production dependency, transitively, resolved like
 * Node does: "dependencies" must be installed; "optionalDependencies" are taken when npm installed
 * them (koffi's native module is the optional @koromix/koffi-<platform>-<arch> package; the other
 * platforms' are not installed).
 */
export function productionModules(root: string): string[] {
  const found = new Set<string>();
  const queue: { name: string; from: string; optional: boolean }[] = [];
  const deps = (dir: string): { name: string; optional: boolean }[] => {
    const pj = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    return [...Object.keys(pj.dependencies ?? {}).map((name) => ({ name, optional: false })), ...Object.keys(pj.optionalDependencies ?? {}).map((name) => ({ name, optional: true }))];
  };
  for (const d of deps('.')) queue.push({ ...d, from: '.' });
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift()!;
    // Node's lookup: <from>/node_modules, then each enclosing package's node_modules, then the root's.
    const candidates: string[] = [];
    for (let p = from; p !== '.'; p = p.includes('/node_modules/') ? p.slice(0, p.lastIndexOf('/node_modules/')) : '.') candidates.push(join(p, 'node_modules', name));
    candidates.push(join('node_modules', name));
    const hit = candidates.find((c) => existsSync(join(root, c, 'package.json'))) ?? null;
    if (hit === null && optional) continue;
    if (hit === null) throw new Error(`production dependency ${name} (needed by ${from}) is not installed: run npm ci`);
    if (found.has(hit)) continue;
    found.add(hit);
    if (found.size > PACKAGE_MAX_MODULES) throw new Error(`more than ${PACKAGE_MAX_MODULES} production modules`);
    for (const d of deps(hit)) queue.push({ ...d, from: hit });
  }
  return [...found].sort();
}

function put(stage: string, path: string, text: string | Buffer, mode = 0o644): void {
  const full = join(stage, path);
  mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
  writeFileSync(full, text);
  chmodSync(full, mode);
}

/** Files a package must not ship (lintian: npm/VCS control files, web pages loading remote scripts;
 * koffi's cnoke.cjs builds koffi from source at npm-install time and is never loaded at run time). */
const SKIPPED_NAMES = new Set(['.npmignore', '.gitattributes', '.github', '.travis.yml', '.editorconfig', 'cnoke.cjs']);
/** Directories of the modules' own tests, benchmarks, examples and documentation: never loaded at run time. */
const SKIPPED_DIRS = new Set(['test', 'tests', '__tests__', 'benchmarks', 'examples', 'example', 'doc', 'docs', '.husky']);
/** TypeScript sources and declarations, and Markdown other than license files: never loaded at run time
 * (each one is a file dpkg unpacks: about 800 of the modules' 2000 files). */
const SKIPPED_FILE = /(\.[cm]?ts|(?<!licen[cs]e)\.md)$/i;

/** Native builds for the musl C library (koffi ships linux_x64 and musl_x64): Debian is glibc. */
const MUSL_BUILD = /\/musl_[^/]+$/;

function copyJs(from: string, to: string, module: boolean): void {
  cpSync(from, to, {
    recursive: true, dereference: true,
    filter: (src) => {
      const name = src.slice(src.lastIndexOf('/') + 1);
      if (src.endsWith('.map') || src.endsWith('.tsbuildinfo') || src.endsWith('.html') || SKIPPED_NAMES.has(name)) return false;
      return !module || (src === from || !(SKIPPED_DIRS.has(name) && statSync(src).isDirectory())) && !MUSL_BUILD.test(src) && !(SKIPPED_FILE.test(name) && statSync(src).isFile());
    },
  });
}

function nativeModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.node')).map((e) => join(e.parentPath, e.name)).sort();
}

/**
 * The shared-library dependencies of the shipped native modules (koffi's), computed by
 * dpkg-shlibdeps (dpkg-dev) from the files themselves, as a Debian build would: e.g.
 * "libc6 (>= 2.34), libgcc-s1 (>= 3.0), libstdc++6 (>= 10.2)". It wants a debian/control in its
 * working directory; the references to node's own N-API symbols are expected (a plugin).
 */
function shlibDepends(files: string[], scratch: string): string {
  if (files.length === 0) return '';
  mkdirSync(join(scratch, 'debian'), { recursive: true });
  writeFileSync(join(scratch, 'debian', 'control'), 'Source: mdclusterd\n\nPackage: mdclusterd\nArchitecture: any\n');
  let out: string;
  try {
    out = execFileSync('dpkg-shlibdeps', ['-O', ...files], { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`dpkg-shlibdeps failed (is dpkg-dev installed?): ${(e as Error).message}`);
  }
  const m = /^shlibs:Depends=(.*)$/m.exec(out);
  if (m === null) throw new Error(`dpkg-shlibdeps printed no shlibs:Depends: ${out}`);
  return m[1]!.trim();
}

function normalizeModes(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) { chmodSync(p, 0o755); normalizeModes(p); } else if (e.isFile()) chmodSync(p, (statSync(p).mode & 0o111) !== 0 ? 0o755 : 0o644);
  }
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

function duKiB(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

export function buildDeb(outDir: string): string {
  const root = repoRoot();
  const version = productVersion();
  if (!existsSync(join(root, 'dist', 'daemon', 'src', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const stage = join(outDir, 'stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const lib = join(stage, LIB.slice(1));
  for (const part of ['daemon', 'mdctl', 'native']) copyJs(join(root, 'dist', part), join(lib, 'dist', part), false);
  const modules = productionModules(root);
  for (const m of modules) copyJs(join(root, m), join(lib, m), true);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; description: string; dependencies: Record<string, string> };
  put(stage, `${LIB.slice(1)}/package.json`, JSON.stringify({ name: pkg.name, version: pkg.version, description: pkg.description, type: 'module', private: true, dependencies: pkg.dependencies }, null, 2) + '\n');
  normalizeModes(lib);
  const natives = nativeModules(lib);
  for (const f of natives) chmodSync(f, 0o644);
  const shlibs = shlibDepends(natives, join(outDir, 'shlibdeps'));
  // The entry points start with #!/usr/bin/env node (the daemon's with `env -S` and its V8
  // options); in the package they name Debian's node directly (lintian: unusual-interpreter -S),
  // the daemon's with its one option (Linux passes a single #! argument).
  if (DAEMON_NODE_OPTIONS.length > 1) throw new Error('a #! line carries one argument: put the daemon\'s node options in the wrapper only');
  const daemonMain = join(lib, 'dist', 'daemon', 'src', 'main.js');
  const daemonText = readFileSync(daemonMain, 'utf8');
  writeFileSync(daemonMain, `#!/usr/bin/node ${DAEMON_NODE_OPTIONS.join(' ')}\n${daemonText.slice(daemonText.indexOf('\n') + 1)}`);
  for (const main of ['daemon/src/main.js', 'mdctl/src/main.js']) chmodSync(join(lib, 'dist', main), 0o755);
  put(stage, 'usr/bin/mdclusterd', daemonWrapper(LIB), 0o755);
  put(stage, 'usr/bin/mdctl', `#!/bin/sh\nexec /usr/bin/node ${LIB}/dist/mdctl/src/main.js "$@"\n`, 0o755);
  put(stage, 'usr/lib/systemd/system/mdclusterd.service', readFileSync(join(root, 'etc', 'systemd', 'mdclusterd.service')));
  put(stage, 'usr/lib/udev/rules.d/63-mdclusterd.rules', readFileSync(join(root, 'etc', 'udev', 'rules.d', '63-mdclusterd.rules')));
  mkdirSync(join(stage, 'etc', 'mdclusterd'), { recursive: true, mode: 0o755 });
  const date = new Date().toISOString().slice(0, 10);
  const gz = (text: string): Buffer => gzipSync(Buffer.from(text), { level: 9 });
  put(stage, 'usr/share/man/man8/mdclusterd.8.gz', gz(mdclusterdPage(date)));
  put(stage, 'usr/share/man/man8/mdctl.8.gz', gz(mdctlPage(date)));
  put(stage, 'usr/share/man/man5/mdclusterd.toml.5.gz', gz(configPage(date, root)));
  put(stage, 'usr/share/bash-completion/completions/mdctl', mdctlCompletion());
  put(stage, 'usr/share/bash-completion/completions/mdclusterd', mdclusterdCompletion());
  put(stage, 'usr/share/doc/mdclusterd/mdclusterd.toml.example', readFileSync(join(root, 'etc', 'mdclusterd.toml')));
  put(stage, 'usr/share/doc/mdclusterd/mdadm.conf.example', readFileSync(join(root, 'etc', 'mdadm', 'mdadm.conf')));
  put(stage, 'usr/share/doc/mdclusterd/changelog.gz', gzipSync(Buffer.from(`mdclusterd (${version}) unstable; urgency=medium\n\n  * Built from the mdclusterd repository (npm run package).\n\n -- ${MAINTAINER}  ${rfc2822(new Date())}\n`), { level: 9 }));
  put(stage, 'usr/share/doc/mdclusterd/copyright', copyrightFile(lib, LIB.slice(1), modules));
  put(stage, 'DEBIAN/control', [
    'Package: mdclusterd', `Version: ${version}`, `Architecture: ${arch}`, `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${duKiB(stage)}`, `Depends: nodejs (>= 20.19), mdadm${shlibs === '' ? '' : `, ${shlibs}`}`, 'Section: admin', 'Priority: optional',
    'Description: cluster-aware Linux md (software RAID) state daemon and CLI',
    ' mdclusterd replicates the intended state of Linux md arrays with Raft and',
    ' brings every node\'s md in line with it; mdctl is its mdadm-compatible',
    ' command line.', '',
  ].join('\n'));
  put(stage, 'DEBIAN/postinst', `#!/bin/sh
# mdclusterd postinst: directories with their modes, then let systemd and udev see the new files.
set -e
if [ "$1" = configure ]; then
  install -d -m 0755 /etc/mdclusterd
  install -d -m 0755 /etc/mdclusterd/managed-arrays.d
  install -d -m 0700 /var/lib/mdclusterd
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  if command -v udevadm >/dev/null 2>&1; then udevadm control --reload-rules >/dev/null 2>&1 || true; fi
fi
exit 0
`, 0o755);
  const deb = join(outDir, `mdclusterd_${version}_${arch}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  return deb;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const i = process.argv.indexOf('--out');
  const out = resolve(i > 0 ? process.argv[i + 1] : join(repoRoot(), 'dist', 'package'));
  process.stdout.write(`${relative(process.cwd(), buildDeb(out))}\n`);
}
