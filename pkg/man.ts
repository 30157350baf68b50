// The manual pages mdclusterd(8), mdctl(8) and mdclusterd.toml(5), generated from the tables
// the programs themselves use: mdclusterd's options and sub-commands (daemon/src/daemon-options.ts),
// `init`'s options (init-cli.ts), gen-certs' usage, the exit statuses (exit-status.ts), mdctl's
// option table and help texts (mdctl/src/options.ts, help.ts), the config schema with its defaults
// (config/schema.ts) and the key descriptions of the documented example (etc/mdclusterd.toml).
// Owns: the page layout. Invariant: every option or key the code accepts appears on its page
// (pkg/man.ts is the only writer; the package test renders each page with man -l).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_OPTIONS, DAEMON_SUBCOMMANDS } from '../daemon/src/daemon-options.js';
import { EXIT_STATUS_TABLE } from '../daemon/src/exit-status.js';
import { INIT_OPTIONS, INIT_USAGE } from '../daemon/src/init-cli.js';
import { GEN_CERTS_USAGE } from '../daemon/src/transport/gen-certs-cli.js';
import { allowedKeysAt, rawConfigSchema } from '../daemon/src/config/schema.js';
import { productVersion } from '../daemon/src/common/version.js';
import { OPTION_DEFS as MDCTL_OPTIONS, shortLetters } from '../mdctl/src/options.js';
import { helpText } from '../mdctl/src/help.js';
import { Roff } from './roff.js';

const MANUAL = 'System Administration';

function flag(name: string, spec: { type: string; short?: string; arg?: string }): string {
  const long = `--${name}${spec.type === 'string' ? ` ${spec.arg ?? 'VALUE'}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : long;
}

export function mdclusterdPage(date: string): string {
  const r = new Roff('mdclusterd', 8, date, `mdclusterd ${productVersion()}`, MANUAL);
  r.sh('name').p('mdclusterd - cluster-aware Linux md (software RAID) state daemon');
  r.sh('synopsis').pre(['mdclusterd [--config PATH] [--pid-file PATH]', 'mdclusterd --check-config [--config PATH]',
    ...DAEMON_SUBCOMMANDS.map((c) => `mdclusterd ${c.name} ...`), 'mdclusterd --version | --help'].join('\n'));
  r.sh('description').p('mdclusterd keeps Linux md arrays consistent across a cluster: the intended state of the arrays is replicated with Raft, and every node brings its own kernel\'s md in line with it. One node, the master, runs the arrays read-write; the others keep them read-only. mdctl(8) is its mdadm-compatible command line.');
  r.sh('options');
  for (const [name, spec] of Object.entries(DAEMON_OPTIONS)) r.tp(flag(name, spec), spec.description);
  r.sh('commands');
  for (const c of DAEMON_SUBCOMMANDS) r.tp(c.name, c.summary);
  r.p('init options:');
  for (const [name, spec] of Object.entries(INIT_OPTIONS)) r.tp(flag(name, spec), spec.description);
  r.pre(INIT_USAGE);
  r.p('gen-certs:').pre(GEN_CERTS_USAGE);
  r.sh('signals');
  r.tp('SIGTERM, SIGINT', 'stop: a master hands leadership to the most caught-up standby, switches its arrays read-only, then exits 0.');
  r.tp('SIGHUP', 'reload the configuration file: log.level, [alerts], master.fence-command, master.fence-timeout-ms and the TLS files (for new connections) take effect; every other changed key is logged as needing a restart. An invalid file changes nothing.');
  r.sh('exit status');
  for (const e of EXIT_STATUS_TABLE) r.tp(String(e.status), e.meaning);
  r.sh('files');
  r.tp('/etc/mdclusterd/mdclusterd.toml', 'the configuration, see mdclusterd.toml(5)');
  r.tp('/var/lib/mdclusterd', 'the Raft log (data-dir); mdclusterd.lock holds one daemon per data directory');
  r.tp('/run/mdclusterd/control.sock', 'the control socket mdctl(8) talks to');
  r.sh('see also').p('mdctl(8), mdclusterd.toml(5), mdadm(8), md(4), systemd.service(5)');
  return r.text();
}

export function mdctlPage(date: string): string {
  const r = new Roff('mdctl', 8, date, `mdclusterd ${productVersion()}`, MANUAL);
  r.sh('name').p('mdctl - manage cluster-wide md arrays through mdclusterd, with mdadm\'s syntax');
  r.sh('synopsis').pre(helpText(null).split('\n')[0]);
  r.sh('description').pre(helpText(null));
  for (const mode of ['create', 'assemble', 'manage', 'misc', 'monitor']) {
    const t = helpText(mode);
    if (t !== helpText(null)) r.sh(`${mode} mode`).pre(t);
  }
  r.sh('options').p('Every option mdctl accepts (the mode decides which apply):');
  for (const d of MDCTL_OPTIONS) {
    const letters = shortLetters(d);
    r.tp(`${letters === '' ? '' : `${letters}, `}--${d.name}${d.arg === 'required' ? ' VALUE' : ''}`, `${d.help} (${d.modes === 'any' ? 'any mode' : d.modes.join(', ')})`);
  }
  r.sh('see also').p('mdclusterd(8), mdclusterd.toml(5), mdadm(8)');
  return r.text();
}

/** key -> the comment block above `key =` (or `# key =`) in the example file, per section. */
function exampleDescriptions(exampleText: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  let comment: string[] = [];
  for (const line of exampleText.split('\n')) {
    const sec = /^\[([a-z-]+)\]/.exec(line);
    if (sec) { section = sec[1]; comment = []; continue; }
    const key = /^#?\s*([a-z][a-z-]*)\s*=/.exec(line);
    if (key) {
      const full = section === '' ? key[1] : `${section}.${key[1]}`;
      if (!out.has(full) && comment.length > 0) out.set(full, comment.join(' '));
      if (!line.startsWith('#')) comment = [];
      continue;
    }
    if (line.startsWith('#')) comment.push(line.replace(/^#\s?/, ''));
    else if (line.trim() === '') comment = [];
  }
  return out;
}

export function configPage(date: string, repoRoot: string): string {
  const example = readFileSync(join(repoRoot, 'etc', 'mdclusterd.toml'), 'utf8');
  const desc = exampleDescriptions(example);
  const defaults = rawConfigSchema.parse({ 'node-id': 'n1', peers: { n1: '127.0.0.1:1' }, tls: { ca: '/c', cert: '/c', key: '/k' } }) as Record<string, unknown>;
  const r = new Roff('mdclusterd.toml', 5, date, `mdclusterd ${productVersion()}`, 'File Formats');
  r.sh('name').p('mdclusterd.toml - configuration of one mdclusterd node');
  r.sh('description').p('A TOML file, read at start-up and on SIGHUP (see mdclusterd(8) for what a reload applies). Validation is strict: an unknown key or an out-of-range value stops the daemon with exit status 78, naming the file, the key and what is allowed; mdclusterd --check-config shows the same. Relative paths are resolved against the file\'s directory.');
  const top = allowedKeysAt([]) ?? [];
  const scalar = top.filter((k) => allowedKeysAt([k]) === null || k === 'peers');
  r.sh('top-level keys');
  for (const k of scalar) r.tp(k, describe(k, defaults[k], desc));
  for (const section of top.filter((k) => !scalar.includes(k))) {
    r.sh(`[${section}]`);
    const values = (defaults[section] ?? {}) as Record<string, unknown>;
    for (const k of allowedKeysAt([section]) ?? []) r.tp(k, describe(`${section}.${k}`, values[k], desc));
  }
  r.sh('example').pre(example);
  r.sh('see also').p('mdclusterd(8), mdctl(8)');
  return r.text();
}

/** Keys the example file explains in a block comment of their section rather than per key. */
const FALLBACK: Readonly<Record<string, string>> = {
  peers: 'Every member of the cluster, including this node: id = "host:port" of its peer listener.',
  'tls.ca': 'The cluster CA certificate (PEM); a peer is accepted only if its certificate is signed by it.',
  'tls.cert': 'This node\'s certificate (PEM); its CN must equal node-id.',
  'tls.key': 'This node\'s private key (PEM); refused unless group and others have no access (mode 0600 or stricter).',
  'md.sim-disk-dir': 'The directory of simulated disks; required with driver = "sim", refused with "kernel".',
};
/** Keys without a default (the minimal document configPage parses gives them). */
const REQUIRED = new Set(['node-id', 'peers', 'tls.ca', 'tls.cert', 'tls.key']);

function describe(key: string, def: unknown, desc: Map<string, string>): string {
  const d = desc.get(key) ?? FALLBACK[key] ?? '';
  const shown = REQUIRED.has(key) ? 'required' : def === undefined ? 'no default' : `default ${JSON.stringify(def)}`;
  return `${d}${d === '' ? '' : ' '}(${shown})`;
}
