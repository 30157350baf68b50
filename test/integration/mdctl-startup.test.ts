// mdctl loads only what the mode it runs needs (issue 15 item 6: start-up time is measured by
// `npm run bench -- mdctl`; this test guards the cause, not the time). The built mdctl runs with
// a module-resolution hook that logs every module it loads; no daemon is needed (a socket that
// does not exist: mdctl answers "cannot get the cluster state", exit 4, after loading its mode).
// Fails when a static import brings the propose path (node:crypto), help, the other misc
// operations or the daemon's cluster-state modules back into --detail's start-up.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mdctlMainJs } from './lib/mdctl-run.js';

const dir = mkdtempSync(join(tmpdir(), 'mdctl-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The modules (file paths below dist/, or node: builtins) one mdctl run loads. */
function loadedBy(args: string[]): { code: number | null; stderr: string; modules: string[] } {
  const log = join(dir, `loaded-${Math.random().toString(16).slice(2)}.txt`);
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, [
    "import { appendFileSync } from 'node:fs';",
    'export async function resolve(spec, ctx, next) {',
    '  const r = await next(spec, ctx);',
    `  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');`,
    '  return r;',
    '}',
  ].join('\n'));
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, mdctlMainJs(), ...args], { encoding: 'utf8', timeout: 30_000 });
  const urls = readFileSync(log, 'utf8').trim().split('\n');
  const modules = [...new Set(urls.map((u) => (u.startsWith('node:') ? u : u.replace(/^.*\/dist\//, ''))))];
  return { code: r.status, stderr: r.stderr, modules };
}

describe('mdctl start-up: only the mode\'s modules', () => {
  it('--detail loads the detail renderer, not propose, help, other misc operations or the cluster state modules', () => {
    const r = loadedBy(['--socket', join(dir, 'no-daemon.sock'), '--detail', '/dev/md0']);
    expect(r.stderr).toMatch(/^mdctl: cannot get the cluster state/);
    expect(r.code).toBe(4);
    expect(r.modules).toContain('mdctl/src/misc-detail.js');
    expect(r.modules).toContain('daemon/src/md/format/detail.js');
    for (const notNeeded of ['mdctl/src/propose.js', 'node:crypto', 'mdctl/src/help.js', 'mdctl/src/inspect.js', 'mdctl/src/misc-arrays.js',
      'daemon/src/md/format/export.js', 'daemon/src/md/format/scan.js', 'daemon/src/cluster/types.js', 'daemon/src/cluster/sessions.js', 'daemon/src/common/limits.js']) {
      expect(r.modules, `--detail loaded ${notNeeded}`).not.toContain(notNeeded);
    }
  });

  it('--version loads help but no daemon client', () => {
    const r = loadedBy(['--version']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^mdctl - v/);
    expect(r.modules).toContain('mdctl/src/help.js');
    for (const notNeeded of ['mdctl/src/propose.js', 'node:crypto', 'mdctl/src/misc.js']) expect(r.modules, `--version loaded ${notNeeded}`).not.toContain(notNeeded);
  });
});
