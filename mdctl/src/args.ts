// mdctl's command line, parsed as mdadm parses it: left to right, the first mode option sets
// the mode, and from then on a short letter means what it means in that mode (options.ts).
// Owns: walking argv, mode detection, the ordered list of manage operations; it performs
// nothing. Invariant: a command line that does not parse completely yields a UsageError
// (exit 2) and nothing is sent to the daemon.
import { OPTIONS_BY_NAME, shortOption, validIn, type Mode, type ModeState, type OptionDef } from './options.js';

export type { Mode } from './options.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const MANAGE_OPS = ['add', 're-add', 'add-spare', 'remove', 'fail', 'set-faulty', 'replace', 'with', 'write-mostly', 'readwrite', 'readonly', 'run', 'stop'] as const;
export type ManageOp = (typeof MANAGE_OPS)[number];
/** Options allowed before the mode is known (mdadm's mode-independent ones, and mdctl's --socket). */
const GENERAL = new Set(['help', 'version', 'verbose', 'quiet', 'brief', 'export', 'homehost', 'socket']);

export interface ParsedArgs {
  mode: Mode;
  /** Options by long name (value true for booleans, one entry per use for counted ones). */
  values: Record<string, string | boolean | boolean[] | undefined>;
  /** Positionals in order. */
  positionals: string[];
  /** Manage: each operation with the devices that followed it, in command-line order. */
  ops: { op: ManageOp; devices: string[] }[];
  /** The md device a manage command line starts with. */
  device: string | null;
}

type Token = { kind: 'option'; def: OptionDef; value: string | undefined; spelled: string } | { kind: 'positional'; value: string };

export function parse(argv: string[]): ParsedArgs {
  let state = 'none' as ModeState;
  const tokens: Token[] = [];
  let positionalsBeforeMode = 0;
  const setMode = (def: OptionDef, spelled: string): void => {
    const newMode = def.sets ?? (state === 'none' ? def.setsIfNone : undefined);
    if (newMode === undefined) {
      if (state === 'none' && !GENERAL.has(def.name)) {
        // mdadm lets one md device come first; the manage operations then pick the mode.
        if (positionalsBeforeMode > 0 && validIn(def, 'manage')) { state = 'manage'; return; }
        throw new UsageError(`${spelled} does not set the mode, and so cannot be the first option.`);
      }
      return;
    }
    if (state === 'none') {
      // mdadm: `mdadm /dev/md0 --stop` is manage (the device named the array first).
      state = positionalsBeforeMode > 0 && newMode === 'misc' && validIn(def, 'manage') ? 'manage' : newMode;
      if (state === 'misc' && positionalsBeforeMode > 0) throw new UsageError(`No action given for ${firstPositional(tokens)} in --misc mode (action options must come before device names)`);
    } else if (newMode !== state) {
      throw new UsageError(`${spelled} would set mdctl mode to "${newMode}", but it is already set to "${state}".`);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { for (const p of argv.slice(i + 1)) tokens.push({ kind: 'positional', value: p }); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const def = OPTIONS_BY_NAME.get(name);
      if (!def) throw new UsageError(`unrecognised option --${name}`);
      let value: string | undefined;
      if (def.arg === 'required') {
        if (eq >= 0) value = a.slice(eq + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        else throw new UsageError(`option --${name} requires an argument`);
      } else if (eq >= 0) throw new UsageError(`option --${name} takes no argument`);
      setMode(def, `--${name}`);
      tokens.push({ kind: 'option', def, value, spelled: `--${name}` });
      continue;
    }
    if (a.length > 1 && a.startsWith('-')) {
      for (let j = 1; j < a.length; j++) {
        const letter = a[j];
        // An md device first means manage mode (mdadm's `mdadm /dev/md0 -f /dev/sda`).
        const def = shortOption(state === 'none' && positionalsBeforeMode > 0 ? 'manage' : state, letter) ?? shortOption('none', letter);
        if (!def) throw new UsageError(`unrecognised option -${letter}`);
        let value: string | undefined;
        if (def.arg === 'required') {
          if (j + 1 < a.length) value = a.slice(j + 1);
          else if (i + 1 < argv.length) value = argv[++i];
          else throw new UsageError(`option -${letter} requires an argument`);
          j = a.length;
        }
        setMode(def, `-${letter}`);
        tokens.push({ kind: 'option', def, value, spelled: `-${letter}` });
      }
      continue;
    }
    if (state === 'none') {
      if (positionalsBeforeMode > 0) throw new UsageError(`An option must be given to set the mode before a second device (${a}) is listed`);
      positionalsBeforeMode++;
    }
    tokens.push({ kind: 'positional', value: a });
  }
  const values: ParsedArgs['values'] = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') { positionals.push(t.value); continue; }
    if (state !== 'none' && !validIn(t.def, state)) throw new UsageError(`option ${t.spelled} not valid in ${state} mode`);
    if (t.def.counted) values[t.def.name] = [...((values[t.def.name] as boolean[] | undefined) ?? []), true];
    else values[t.def.name] = t.value ?? true;
  }
  let mode: Mode;
  if (state !== 'none') mode = state;
  else if (values.version === true) mode = 'version';
  else if (values.help === true) mode = 'help';
  else if (positionals.length === 0) throw new UsageError('an md device or a mode option is needed (see mdctl --help)');
  else { mode = 'misc'; values.query = true; } // mdadm: a lone device means --query
  const { ops, device } = mode === 'manage' && values.help !== true ? manageOps(tokens) : { ops: [], device: null };
  return { mode, values, positionals, ops, device };
}

function firstPositional(tokens: Token[]): string {
  return tokens.find((t) => t.kind === 'positional')?.value ?? '';
}

function manageOps(tokens: Token[]): { ops: ParsedArgs['ops']; device: string | null } {
  const ops: ParsedArgs['ops'] = [];
  let device: string | null = null;
  for (const t of tokens) {
    if (t.kind === 'option' && (MANAGE_OPS as readonly string[]).includes(t.def.name)) {
      ops.push({ op: t.def.name as ManageOp, devices: [] });
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

/**
 * mdadm's sizes (parse_size): a positive number with an optional K, M, G or T suffix (KiB when
 * none) or s for 512-byte sectors. Returns sectors; null when the text is not a size.
 */
export function parseSizeSectors(text: string): number | null {
  const m = /^([0-9]+)([KMGTs]?)$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  if (n <= 0) return null;
  const mult = { '': 2, K: 2, M: 2048, G: 2048 * 1024, T: 2048 * 1024 * 1024, s: 1 }[m[2]]!;
  const sectors = n * mult;
  return Number.isSafeInteger(sectors) ? sectors : null;
}

/** How loud mdctl is: 0 normal, > 0 --verbose, < 0 --quiet (each use counts, as in mdadm). */
export function verbosity(values: ParsedArgs['values']): number {
  const count = (v: unknown): number => (Array.isArray(v) ? v.length : v === true ? 1 : 0);
  return count(values.verbose) - count(values.quiet);
}
