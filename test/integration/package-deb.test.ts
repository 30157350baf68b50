// `npm run package` (pkg/build-deb.ts): the .deb holds the daemon, mdctl, the production
// node_modules (and no dev tools), the systemd unit, the udev rule, /etc/mdclusterd/, the three
// manual pages, bash completions and a postinst making the directories with their modes; each
// page renders with man -l without warnings and lists every option/key of the code's tables;
// the unpacked programs run (--version, init, --check-config) with only what was shipped;
// the completions complete; the copyright file names the maintainer and has a paragraph with
// the license of every shipped module; lintian (when installed; skipped, not passed, otherwise)
// reports no error or warning.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_OPTIONS } from '../../daemon/src/daemon-options.js';
import { INIT_OPTIONS } from '../../daemon/src/init-cli.js';
import { allowedKeysAt } from '../../daemon/src/config/schema.js';
import { buildDeb, productionModules } from '../../pkg/build-deb.js';
import { repoRoot } from './lib/daemon-proc.js';

let out: string;
let deb: string;
let listing: string[];
let root: string;

const PAGES = ['usr/share/man/man8/mdclusterd.8.gz', 'usr/share/man/man8/mdctl.8.gz', 'usr/share/man/man5/mdclusterd.toml.5.gz'];

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'mdpkg-'));
  deb = buildDeb(out);
  listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').map((l) => l.split(/\s+/).slice(5).join(' ').replace(/^\.\//, '')).filter((p) => p !== '');
  root = join(out, 'root');
  execFileSync('dpkg-deb', ['-x', deb, root]);
}, 120_000);

afterAll(() => { rmSync(out, { recursive: true, force: true }); });

function render(page: string): { text: string; warnings: string } {
  const r = spawnSync('man', ['--warnings', '-l', join(root, page)], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '120', MAN_KEEP_FORMATTING: '0', PAGER: 'cat' } });
  expect(r.status, r.stderr).toBe(0);
  // Overstrike bold/underline ("X\bX") when man formats for a terminal.
  const backspace = String.fromCharCode(8);
  return { text: r.stdout.split('').filter((ch, i, all) => ch !== backspace && all[i + 1] !== backspace).join(''), warnings: r.stderr };
}

describe('the .deb', () => {
  it('lists the programs, unit, udev rule, config dir, pages, completions and production modules only', () => {
    for (const p of ['usr/bin/mdclusterd', 'usr/bin/mdctl', 'usr/lib/systemd/system/mdclusterd.service', 'usr/lib/udev/rules.d/63-mdclusterd.rules',
      'etc/mdclusterd/', ...PAGES, 'usr/share/bash-completion/completions/mdctl', 'usr/share/bash-completion/completions/mdclusterd',
      'usr/lib/mdclusterd/package.json', 'usr/lib/mdclusterd/dist/daemon/src/main.js', 'usr/lib/mdclusterd/dist/mdctl/src/main.js', 'usr/share/doc/mdclusterd/copyright']) {
      expect(listing, p).toContain(p);
    }
    for (const m of productionModules(repoRoot())) expect(listing, m).toContain(`usr/lib/mdclusterd/${m}/package.json`);
    for (const dev of ['vitest', 'typescript', 'eslint', '@stryker-mutator', 'fast-check']) expect(listing.some((p) => p.includes(`node_modules/${dev}/`)), dev).toBe(false);
    expect(listing.some((p) => p.includes('/dist/test/') || p.endsWith('.map'))).toBe(false);
    // Not loaded at run time (each is one more file for dpkg to unpack): the modules' TypeScript, tests, docs; musl builds.
    expect(listing.filter((p) => /\.[cm]?ts$|\/node_modules\/.*\/(test|tests|docs?|benchmarks|examples)\/|\/musl_/.test(p))).toEqual([]);
    expect(listing).toContain('usr/lib/mdclusterd/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node');
    expect(execFileSync('dpkg-deb', ['-f', deb, 'Depends'], { encoding: 'utf8' })).toMatch(/^nodejs \(>= 20\.19\), mdadm, libc6 \(>= [0-9.]+\)/);
    const postinst = execFileSync('dpkg-deb', ['-I', deb, 'postinst'], { encoding: 'utf8' });
    expect(postinst).toContain('install -d -m 0700 /var/lib/mdclusterd');
    expect(postinst).toContain('install -d -m 0755 /etc/mdclusterd');
    expect(execFileSync('dpkg-deb', ['-f', deb, 'Version'], { encoding: 'utf8' }).trim()).toBe((JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('renders every manual page without warnings, listing every option and key of the code', () => {
    const d = render(PAGES[0]);
    const c = render(PAGES[1]);
    const t = render(PAGES[2]);
    for (const r of [d, c, t]) expect(r.warnings).toBe('');
    for (const o of [...Object.keys(DAEMON_OPTIONS), ...Object.keys(INIT_OPTIONS)]) expect(d.text, o).toContain(`--${o}`);
    expect(d.text).toMatch(/EXIT STATUS[\s\S]*78/);
    expect(c.text).toContain('--create');
    for (const section of ['listen', 'md', 'timing', 'master', 'alerts', 'transport', 'log', 'cluster']) {
      for (const k of allowedKeysAt([section]) ?? []) expect(t.text, `${section}.${k}`).toContain(k);
    }
  });

  it('the unpacked programs run with only the shipped modules', () => {
    const lib = join(root, 'usr/lib/mdclusterd/dist');
    const run = (...args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8', cwd: tmpdir() });
    expect(run(join(lib, 'daemon/src/main.js'), '--version').stdout).toMatch(/^mdclusterd [0-9]/);
    expect(run(join(lib, 'mdctl/src/main.js'), '--version').stderr).toMatch(/^mdctl - v[0-9]/);
    const cfg = join(out, 'cfg');
    const init = run(join(lib, 'daemon/src/main.js'), 'init', '--node', 'a', '--peers', 'a=127.0.0.1:1,b=127.0.0.1:2', '--dir', cfg, '--md-driver', 'sim', '--sim-disk-dir', join(out, 'disks'), '--data-dir', join(out, 'data'));
    expect(init.status, init.stderr).toBe(0);
    const check = run(join(lib, 'daemon/src/main.js'), '--check-config', '--config', join(cfg, 'mdclusterd.toml'));
    expect(check.status, check.stderr).toBe(0);
    // koffi (md ioctls, sd_notify) with its native module: the optional @koromix/koffi-<platform> package.
    const ffi = run('--input-type=module', '-e', `import koffi from '${join(root, 'usr/lib/mdclusterd/node_modules/koffi/index.js')}'; const getpid = koffi.load('libc.so.6').func('int getpid()'); console.log(getpid() === process.pid)`);
    expect(ffi.stderr).toBe('');
    expect(ffi.stdout.trim()).toBe('true');
  });

  it('the bash completions parse and complete options and sub-commands', () => {
    const comp = (file: string, fn: string, words: string[]) => execFileSync('bash', ['-c', `source '${join(root, 'usr/share/bash-completion/completions', file)}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; ${fn}; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).trim();
    expect(comp('mdctl', '_mdctl', ['mdctl', '--cre'])).toBe('--create');
    expect(comp('mdctl', '_mdctl', ['mdctl', '--cluster', 'st'])).toBe('status step-down');
    expect(comp('mdclusterd', '_mdclusterd', ['mdclusterd', 'in'])).toBe('init');
    expect(comp('mdclusterd', '_mdclusterd', ['mdclusterd', '--check'])).toBe('--check-config');
    expect(comp('mdclusterd', '_mdclusterd', ['mdclusterd', 'init', '--from'])).toBe('--from-bundle');
  });

  it('the copyright file: the maintainer, the project\'s own terms, and each shipped module\'s license', () => {
    const text = readFileSync(join(root, 'usr/share/doc/mdclusterd/copyright'), 'utf8');
    expect(text).toContain('Upstream-Contact: mdclusterd maintainers <maintainers@mdclusterd.invalid>');
    expect(execFileSync('dpkg-deb', ['-f', deb, 'Maintainer'], { encoding: 'utf8' }).trim()).toBe('mdclusterd maintainers <maintainers@mdclusterd.invalid>');
    expect(text).not.toMatch(/example\.org|UNLICENSED/);
    for (const m of productionModules(repoRoot())) expect(text, m).toContain(`Files: usr/lib/mdclusterd/${m}/*`);
    expect(text).toMatch(/Files: usr\/lib\/mdclusterd\/node_modules\/zod\/\*\nCopyright: 2025 Colin McDonnell\nLicense: Expat\n( [^\n]*\n)* Permission is hereby granted/);
    expect(text).toMatch(/Files: usr\/lib\/mdclusterd\/node_modules\/koffi\/vendor\/node-api-headers\/\*\nCopyright: 2021 Node\.js\nLicense: Expat/);
    expect(text).toMatch(/License: BSD-3-clause or GPL-2\n/);
    expect(text).not.toMatch(/TERMS AND CONDITIONS FOR COPYING, DISTRIBUTION AND MODIFICATION/);
  });

  const lintian = spawnSync('sh', ['-c', 'command -v lintian'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!lintian)('lintian reports no error and no warning', () => {
    const r = spawnSync('lintian', ['--tag-display-limit', '0', deb], { encoding: 'utf8', timeout: 280_000 });
    console.log(`lintian ${deb}:\n${r.stdout}${r.stderr}`);
    expect(r.error).toBeUndefined();
    expect(r.stdout.split('\n').filter((l) => /^[EW]: /.test(l))).toEqual([]);
  }, 300_000);

});
