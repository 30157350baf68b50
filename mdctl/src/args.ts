// mdctl's command line: mdadm's syntax parsed with node:util parseArgs tokens, so the order of
// operations (`--fail x --remove x`) is kept. Owns: the option table, mode detection and the
// ordered list of operations; it performs nothing. Invariant: a command line that does not
// parse completely yields a UsageError (exit 2) and nothing is sent to the daemon.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type Opt = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };
/** Every option mdctl knows; the mode of an option is decided by the dispatcher. */
export const OPTIONS: Record<string, Opt> = {
  // modes
  create: { type: 'boolean', short: 'C' }, assemble: { type: 'boolean', short: 'A' }, monitor: { type: 'boolean', short: 'F' },
  detail: { type: 'boolean', short: 'D' }, examine: { type: 'boolean', short: 'E' }, query: { type: 'boolean', short: 'Q' },
  wait: { type: 'boolean', short: 'W' }, action: { type: 'string' }, cluster: { type: 'string' }, manage: { type: 'boolean' },
  misc: { type: 'boolean' }, follow: { type: 'boolean' },
  // manage operations (their devices follow them as positionals)
  add: { type: 'boolean', short: 'a' }, 're-add': { type: 'boolean' }, 'add-spare': { type: 'boolean' },
  remove: { type: 'boolean', short: 'r' }, fail: { type: 'boolean', short: 'f' }, 'set-faulty': { type: 'boolean' },
  replace: { type: 'boolean' }, with: { type: 'boolean' }, 'write-mostly': { type: 'boolean' }, readwrite: { type: 'boolean', short: 'w' },
  readonly: { type: 'boolean', short: 'o' }, run: { type: 'boolean', short: 'R' }, stop: { type: 'boolean', short: 'S' },
  force: { type: 'boolean' },
  // create / assemble
  level: { type: 'string', short: 'l' }, 'raid-devices': { type: 'string', short: 'n' }, 'spare-devices': { type: 'string', short: 'x' },
  metadata: { type: 'string', short: 'e' }, bitmap: { type: 'string', short: 'b' }, chunk: { type: 'string', short: 'c' },
  layout: { type: 'string', short: 'p' }, parity: { type: 'string' }, name: { type: 'string', short: 'N' }, 'assume-clean': { type: 'boolean' },
  uuid: { type: 'string', short: 'u' }, size: { type: 'string', short: 'z' },
  // misc
  scan: { type: 'boolean', short: 's' }, export: { type: 'boolean', short: 'Y' }, brief: { type: 'boolean' }, test: { type: 'boolean', short: 't' },
  verbose: { type: 'boolean', short: 'v', multiple: true }, quiet: { type: 'boolean', short: 'q' },
  // monitor
  mail: { type: 'string', short: 'm' }, program: { type: 'string' }, alert: { type: 'string' }, syslog: { type: 'boolean', short: 'y' },
  delay: { type: 'string', short: 'd' }, increment: { type: 'string', short: 'k' }, oneshot: { type: 'boolean', short: '1' },
  daemonise: { type: 'boolean' }, daemonize: { type: 'boolean' }, 'pid-file': { type: 'string', short: 'i' }, config: { type: 'string' },
  // cluster / general
  to: { type: 'string' }, socket: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' },
  timeout: { type: 'string' }, 'wait-all': { type: 'boolean' }, local: { type: 'boolean' },
};

export type Mode = 'create' | 'assemble' | 'monitor' | 'misc' | 'manage' | 'cluster' | 'version' | 'help';
export const MANAGE_OPS = ['add', 're-add', 'add-spare', 'remove', 'fail', 'set-faulty', 'replace', 'with', 'write-mostly', 'readwrite', 'readonly', 'run', 'stop'] as const;
export type ManageOp = (typeof MANAGE_OPS)[number];
const MISC_FLAGS = ['detail', 'examine', 'query', 'wait', 'action'] as const;

export interface ParsedArgs {
  mode: Mode;
  /** Options in the order given (value true for booleans). */
  values: Record<string, string | boolean | boolean[] | undefined>;
  /** Positionals in order. */
  positionals: string[];
  /** Manage: each operation with the devices that followed it, in command-line order. */
  ops: { op: ManageOp; devices: string[] }[];
  /** The md device a manage command line starts with. */
  device: string | null;
}

export function parse(argv: string[]): ParsedArgs {
  let r: ReturnType<typeof parseArgs>;
  try {
    r = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new UsageError(cleanParseError((e as Error).message));
  }
  const values = r.values as ParsedArgs['values'];
  const mode = detectMode(values, r.positionals);
  const { ops, device } = mode === 'manage' ? manageOps(r.tokens ?? []) : { ops: [], device: null };
  return { mode, values, positionals: r.positionals, ops, device };
}

function cleanParseError(msg: string): string {
  const m = /Unknown option '([^']+)'/.exec(msg);
  if (m) return `unrecognised option ${m[1]}`;
  const v = /Option '([^']+)' argument missing/.exec(msg);
  if (v) return `option ${v[1].replace(/^-., /, '')} requires an argument`;
  return msg.replace(/\. To specify.*$/s, '').replace(/^TypeError \[[A-Z_]+\]: /, '');
}

function detectMode(v: ParsedArgs['values'], positionals: string[]): Mode {
  const modes: Mode[] = [];
  if (v.create) modes.push('create');
  if (v.assemble) modes.push('assemble');
  if (v.monitor || v.follow) modes.push('monitor');
  if (v.cluster !== undefined) modes.push('cluster');
  if (MISC_FLAGS.some((f) => v[f] !== undefined)) modes.push('misc');
  const unique = [...new Set(modes)];
  if (unique.length > 1) throw new UsageError(`${unique.map((m) => `--${m}`).join(' and ')} cannot be used together`);
  if (unique.length === 1) return unique[0];
  if (v.version) return 'version';
  if (v.help) return 'help';
  if (positionals.length === 0) throw new UsageError('an md device or a mode option is needed (see mdctl --help)');
  return 'manage';
}

function manageOps(tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>): { ops: ParsedArgs['ops']; device: string | null } {
  const ops: ParsedArgs['ops'] = [];
  let device: string | null = null;
  for (const t of tokens) {
    if (t.kind === 'option' && (MANAGE_OPS as readonly string[]).includes(t.name)) {
      ops.push({ op: t.name as ManageOp, devices: [] });
    } else if (t.kind === 'positional') {
      if (device === null) device = t.value;
      else if (ops.length === 0) throw new UsageError(`${t.value}: no operation given before this device (e.g. --add, --fail, --remove)`);
      else ops[ops.length - 1].devices.push(t.value);
    }
  }
  if (device === null) throw new UsageError('no md device given');
  if (ops.length === 0) throw new UsageError(`${device}: no operation given`);
  return { ops, device };
}

/** "/dev/md0", "md0" or "/dev/md/0" -> "md0"; null when it is not an md device name. */
export function mdName(dev: string): string | null {
  const m = /^(?:\/dev\/)?(md[0-9]{1,3}|md_[A-Za-z0-9_.-]{1,32})$/.exec(dev) ?? /^\/dev\/md\/([0-9]{1,3})$/.exec(dev);
  if (!m) return null;
  return m[1].startsWith('md') ? m[1] : `md${m[1]}`;
}

export function intOption(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^[0-9]+$/.test(s)) throw new UsageError(`invalid number for --${name}: ${s}`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, not ${n}`);
  return n;
}
