// Fuzz surface (f): mdctl's command line. Owns: the argv generator (mdadm-shaped command lines
// over mdctl's option table) and the input layout (arguments separated by NUL bytes).
// Each argv goes through mdctl's run() (mdctl/src/main.ts) against a stand-in daemon on a
// temp unix socket (MDCTL_SOCKET) that refuses every request with E_INVALID_ARGUMENT, so every
// mode's argument checks run and a valid command ends in that refusal quickly. (With no
// daemon at all, a state-changing command retries for its 60 s deadline: the exactly-once
// retry of mdctl/src/propose.ts, which is documented, not a hang.) Monitor mode runs only its
// option checks (monitorOptions): run() would start a long-lived monitor, --daemonise would
// spawn a process and --pid-file would write a file. Arguments naming another socket
// (--socket) are not run: they could reach a real daemon on this machine.
// Documented outcome: run() resolves with an mdadm exit code and every stderr text starts with
// "mdctl: " and is not an "internal error"; anything else (a rejection, a non-mdctl message) is
// a crash.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { run } from '../../../mdctl/src/main.js';
import { parse, UsageError } from '../../../mdctl/src/args.js';
import { OPTION_DEFS } from '../../../mdctl/src/options.js';
import { Ctx, EXIT } from '../../../mdctl/src/context.js';
import { monitorOptions } from '../../../mdctl/src/monitor.js';
import { versionText } from '../../../mdctl/src/help.js';
import type { Surface, Target } from '../engine.js';

const EXIT_CODES: ReadonlySet<number> = new Set(Object.values(EXIT));

/** A control socket that answers every request line with a final refusal. */
async function refusingDaemon(path: string): Promise<Server> {
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        let id = 0;
        try { id = (JSON.parse(buf.slice(0, nl)) as { id?: number }).id ?? 0; } catch { /* id 0 */ }
        buf = buf.slice(nl + 1);
        sock.write(JSON.stringify({ v: 1, id, ok: false, error: { code: 'E_INVALID_ARGUMENT', message: 'refused by the fuzz stand-in daemon' } }) + '\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

const longOpts = OPTION_DEFS.map((d) => `--${d.name}`);
const shortOpts = [...new Set(OPTION_DEFS.flatMap((d) => (d.short ? [`-${d.short.letter}`] : [])))];
const values = ['/dev/md0', 'md0', '/dev/md/1', 'md_home', '/dev/sda', '/dev/sdb', 'sdc', 'raid1', '5', '10', '2', '0', '-1',
  '1.2', '0.90', 'internal', 'none', '64K', '1M', 'left-symmetric', 'n2', 'f2', 'status', 'step-down', 'add-node',
  'remove-node', 'node2', 'node2=10.0.0.2:8401', 'confirm', 'check', 'repair', 'idle', 'frozen', '99999999999999999999',
  '', ' ', '=', '--', '-', 'root@localhost', '/bin/true', 'a'.repeat(300), 'é', '\u0000'];
/** mdadm-style command lines of every mode (README.md and mdadm's manual). */
export const MDCTL_LINES: string[][] = [
  ['/dev/md0', '--fail', '/dev/sdb', '--remove', '/dev/sdb', '--add', '/dev/sdd'],
  ['--create', '/dev/md0', '--level=1', '--raid-devices=2', '/dev/sda', '/dev/sdb', '--spare-devices=1', '/dev/sdc'],
  ['-C', '/dev/md1', '-l', '10', '-n', '4', '-p', 'f2', '-c', '64', '--bitmap=internal', '/dev/sda', '/dev/sdb', '/dev/sdc', 'missing'],
  ['--assemble', '/dev/md0', '/dev/sda', '/dev/sdb'], ['--assemble', '--scan'],
  ['--detail', '/dev/md0'], ['--detail', '--scan', '--brief'], ['-D', '--export', '/dev/md0'], ['--examine', '/dev/sda'],
  ['--query', '/dev/md0'], ['--wait', '/dev/md0'], ['--action=check', '/dev/md0'], ['--detail', '--test', '/dev/md0'],
  ['--monitor', '--scan', '--oneshot', '--syslog'], ['--monitor', '--mail=root@localhost', '--delay=60', '/dev/md0'],
  ['--cluster', 'status'], ['--cluster', 'step-down', '--to', 'node2'], ['--cluster', 'add-node', 'node4=10.0.0.4:8401'],
  ['--cluster', 'remove-node', 'node3', '--force'], ['--cluster', 'confirm', '/dev/sdd'],
  ['/dev/md0', '--replace', '/dev/sda', '--with', '/dev/sdc'], ['/dev/md0', '--readonly'], ['/dev/md0', '--stop'],
  ['/dev/md0', '--re-add', '/dev/sdb', '--timeout=30'], ['--version'], ['--help'], ['--manage', '--help'],
];

const arg = fc.oneof(fc.constantFrom(...longOpts), fc.constantFrom(...shortOpts), fc.constantFrom(...values),
  fc.tuple(fc.constantFrom(...longOpts), fc.constantFrom(...values)).map(([o, v]) => `${o}=${v}`),
  fc.string({ maxLength: 12 }));

/** A real command line of some mode with a few edits: a value replaced, an option added, an argument dropped. */
const editedLine = fc.tuple(fc.constantFrom(...MDCTL_LINES), fc.array(fc.tuple(fc.constantFrom('value', 'insert', 'drop'), fc.nat(), arg), { minLength: 1, maxLength: 3 }))
  .map(([line, edits]) => {
    const out = [...line];
    for (const [op, at, a] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      if (op === 'value') out[i] = out[i]?.includes('=') ? `${out[i]!.split('=')[0]}=${a}` : a;
      else if (op === 'insert') out.splice(i + 1, 0, a);
      else out.splice(i, 1);
    }
    return out;
  });

function toArgv(input: Uint8Array): string[] {
  const text = Buffer.from(input).toString('utf8');
  return text.length === 0 ? [] : text.split('\0');
}

async function runArgv(argv: string[], socket: string): Promise<void> {
  if (argv.some((a) => a.startsWith('--socket'))) return;
  const err: string[] = [];
  const io = { out: () => undefined, err: (t: string) => { err.push(t); }, env: { MDCTL_SOCKET: socket } };
  let mode: string | null = null;
  try { mode = parse(argv).mode; } catch (e) { if (!(e instanceof UsageError)) throw e; }
  if (mode === 'monitor') {
    try { monitorOptions(new Ctx(parse(argv), io)); } catch (e) { if (!(e instanceof UsageError)) throw e; }
    return;
  }
  const code = await run(argv, io);
  if (!EXIT_CODES.has(code)) throw new Error(`exit code ${code}`);
  for (const t of err) {
    if (t.includes('internal error')) throw new Error(`mdctl reported an internal error: ${t}`);
    if (!t.startsWith('mdctl: ') && !(mode === 'version' && t === `${versionText()}\n`)) throw new Error(`stderr without "mdctl: ": ${JSON.stringify(t.slice(0, 200))}`);
  }
}

export const mdctlSurface: Surface = {
  name: 'mdctl',
  description: 'NUL-separated argv -> mdctl run() (stand-in daemon refusing all; monitor: option checks only); outcome: an exit code and "mdctl: " messages',
  hangBoundMs: 1000,
  // node:util parseArgs is linear in the input (its findLongOptionForShort scans the option
  // table for every character of a short-option group: ~7 ms a KiB, run twice here, measured on
  // the loaded shared machine); mutated inputs reach 50 KiB, which a real command line (ARG_MAX
  // 2 MiB) can too. Three such inputs took 0.9-2.0 s in the first million-input run: linear
  // work, not a hang.
  hangBoundPerKiBMs: 50,
  async setup(): Promise<Target> {
    const dir = mkdtempSync(join(tmpdir(), 'mdfuzz-mdctl-'));
    const socket = join(dir, 'control.sock');
    const server = await refusingDaemon(socket);
    return {
      structured: fc.oneof(fc.array(arg, { maxLength: 8 }), editedLine).map((a) => Buffer.from(a.join('\0'))),
      run: (input: Uint8Array) => runArgv(toArgv(input), socket),
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
