// The cluster lane's reading of a systemd service unit (the mdclusterd.service the package
// installed in the guest): the unit file syntax (systemd.syntax(7)), Exec*= command lines
// (systemd.service(5) "COMMAND LINES"), time spans (systemd.time(7)), and the Restart= decision.
// The guests have no systemd; unit-runner.ts carries out what this file reads.
// Owns: parsing, the service model (ServiceSpec), and which directives the lane applies.
// Invariants: pure (no I/O); a directive in [Service] that is neither applied (APPLIED) nor
// listed as knowingly not applied (NOT_APPLIED, with the reason) is an error, so a new line in
// the unit cannot be silently ignored by the lane; an Exec line using syntax this reader does
// not implement (specifiers other than %%, a ";" command separator) is an error, never a guess.

export interface ExecCommand {
  /** The line as written (after the key), for logs. */
  raw: string;
  /** argv after quote removal; `$NAME`/`${NAME}` are substituted at run time (expandArgv). */
  argv: string[];
  /** "-": a non-zero exit is not a failure. */
  ignoreFailure: boolean;
  /** "+": full privileges (no sandboxing); the lane applies no sandboxing in any case. */
  fullPrivileges: boolean;
}

export interface DirectoryDirective {
  /** Below /run (RuntimeDirectory=) or /var/lib (StateDirectory=). */
  path: string;
  mode: number;
}

export interface ServiceSpec {
  type: 'simple' | 'exec' | 'notify';
  notifyAccess: 'none' | 'main' | 'exec' | 'all';
  execStartPre: ExecCommand[];
  execStart: ExecCommand;
  execReload: ExecCommand[];
  execStopPost: ExecCommand[];
  restart: 'no' | 'on-success' | 'on-failure' | 'on-abnormal' | 'on-watchdog' | 'on-abort' | 'always';
  restartSecMs: number;
  restartPreventExitStatus: number[];
  timeoutStartMs: number;
  timeoutStopMs: number;
  /** WatchdogSec= in ms (0: off). */
  watchdogMs: number;
  killMode: 'control-group' | 'mixed' | 'process' | 'none';
  runtimeDirectories: DirectoryDirective[];
  stateDirectories: DirectoryDirective[];
  umask: number;
  nice: number | null;
  oomScoreAdjust: number | null;
  limitNofile: number | null;
  startLimitIntervalMs: number;
  startLimitBurst: number;
  /** [Service] directives present in the unit that the lane does not apply (see NOT_APPLIED). */
  notApplied: string[];
}

/** [Service] directives unit-runner.ts carries out. */
export const APPLIED = new Set([
  'Type', 'NotifyAccess', 'ExecStartPre', 'ExecStart', 'ExecReload', 'ExecStopPost', 'Restart', 'RestartSec', 'RestartPreventExitStatus',
  'TimeoutStartSec', 'TimeoutStopSec', 'KillMode', 'RuntimeDirectory', 'RuntimeDirectoryMode', 'StateDirectory', 'StateDirectoryMode',
  'UMask', 'Nice', 'OOMScoreAdjust', 'LimitNOFILE',
]);

/**
 * [Service] directives the lane knowingly does not apply. The sandbox needs systemd's namespace
 * and seccomp setup; the guests run everything as root in one mount namespace. WatchdogSec is
 * passed to the daemon (WATCHDOG_USEC, so it sends WATCHDOG=1) and the gaps are recorded, but
 * a late ping kills nothing: a TCG vCPU is many times slower than the hardware the value was
 * chosen for. The realtime policy is not applied either: the lane's guests run nothing else.
 */
export const NOT_APPLIED: ReadonlyMap<string, string> = new Map([
  ...['CapabilityBoundingSet', 'AmbientCapabilities', 'NoNewPrivileges', 'ProtectSystem', 'ReadWritePaths', 'ProtectHome', 'PrivateTmp',
    'ProtectKernelModules', 'ProtectControlGroups', 'ProtectHostname', 'RestrictSUIDSGID', 'RestrictRealtime', 'RestrictNamespaces',
    'LockPersonality', 'RestrictAddressFamilies', 'SystemCallArchitectures', 'SystemCallFilter'].map((k) => [k, 'sandboxing (needs systemd)'] as const),
  ['WatchdogSec', 'passed as WATCHDOG_USEC and recorded, not enforced under TCG'],
  ...['CPUSchedulingPolicy', 'CPUSchedulingPriority'].map((k) => [k, 'realtime scheduling: not applied in the guests (measured by `npm run bench -- load --rt`)'] as const),
]);

/** [Unit] directives with an effect the lane applies (the rest order units: no other units exist in a guest). */
const UNIT_APPLIED = new Set(['StartLimitIntervalSec', 'StartLimitBurst']);

export type UnitFile = Map<string, Map<string, string[]>>;

/** Sections -> keys -> values in file order (a key may repeat). */
export function parseUnitFile(text: string): UnitFile {
  const sections: UnitFile = new Map();
  let current: Map<string, string[]> | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    // A trailing backslash continues the line; comment lines inside a continuation are skipped.
    while (line.endsWith('\\') && n + 1 < lines.length) {
      const next = lines[++n]!.trim();
      if (next.startsWith('#') || next.startsWith(';')) continue;
      line = `${line.slice(0, -1)} ${next}`;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = sections.get(header[1]!) ?? new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === null || eq <= 0) throw new Error(`unit line ${n + 1}: not a [Section] or Key=Value: ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const list = current.get(key) ?? [];
    list.push(value);
    current.set(key, list);
  }
  return sections;
}

const C_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/** Splits an Exec*= value into its prefixes and words (systemd's quoting and C escapes). */
export function parseExecLine(value: string): ExecCommand {
  let i = 0;
  let ignoreFailure = false;
  let fullPrivileges = false;
  for (; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '-') ignoreFailure = true;
    else if (ch === '+') fullPrivileges = true;
    else if (ch === '@' || ch === ':' || ch === '!') throw new Error(`Exec prefix "${ch}" is not implemented by the lane's unit runner: ${value}`);
    else break;
  }
  const argv: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) {
      const e = value[++i]!;
      const out = C_ESCAPES[e];
      if (out === undefined) throw new Error(`Exec line: escape \\${e} is not implemented: ${value}`);
      word = (word ?? '') + out;
    } else if (quote !== null) {
      if (ch === quote) quote = null;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === ' ' || ch === '\t') {
      if (word !== null) argv.push(word);
      word = null;
    } else if (ch === '%') {
      if (value[i + 1] !== '%') throw new Error(`Exec line: specifier %${value[i + 1] ?? ''} is not implemented: ${value}`);
      word = (word ?? '') + '%';
      i++;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote !== null) throw new Error(`Exec line: unterminated ${quote}: ${value}`);
  if (word !== null) argv.push(word);
  if (argv.length === 0) throw new Error(`Exec line without a command: ${JSON.stringify(value)}`);
  if (argv.includes(';')) throw new Error(`Exec line: ";" command separators are not implemented: ${value}`);
  if (!argv[0]!.startsWith('/')) throw new Error(`Exec line: the command must be an absolute path here: ${value}`);
  return { raw: value, argv, ignoreFailure, fullPrivileges };
}

/**
 * Run-time substitution (systemd.service(5)): a word that is exactly `$NAME` becomes that
 * variable's words (split on white space; none when unset), `${NAME}` inside a word its value.
 */
export function expandArgv(argv: string[], env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const w of argv) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (whole) {
      out.push(...(env[whole[1]!] ?? '').split(/\s+/).filter((s) => s !== ''));
      continue;
    }
    out.push(w.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? ''));
  }
  return out;
}

const SPAN_UNITS: Record<string, number> = {
  us: 0.001, usec: 0.001, ms: 1, msec: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000,
};

/** A time span ("120s", "250ms", "1min 30s", "5" = seconds) in ms; "infinity" -> Infinity. */
export function parseTimeSpanMs(text: string): number {
  const t = text.trim();
  if (t === 'infinity') return Infinity;
  if (/^[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t) * 1000;
  let total = 0;
  let rest = t;
  while (rest !== '') {
    const m = /^([0-9]+(?:\.[0-9]+)?)\s*([a-z]+)\s*/.exec(rest);
    const unit = m ? SPAN_UNITS[m[2]!] : undefined;
    if (!m || unit === undefined) throw new Error(`not a time span: ${JSON.stringify(text)}`);
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return total;
}

function octal(text: string, what: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new Error(`${what}=${text}: not an octal mode`);
  return parseInt(text, 8);
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${what}=${value}: the lane's unit runner knows ${allowed.join(', ')}`);
  return value as T;
}

/** The service model of a unit file; throws on any directive or value the lane cannot honour. */
export function serviceSpec(unit: UnitFile): ServiceSpec {
  const svc = unit.get('Service');
  if (svc === undefined) throw new Error('unit has no [Service] section');
  for (const key of svc.keys()) {
    if (!APPLIED.has(key) && !NOT_APPLIED.has(key)) throw new Error(`[Service] ${key}= is neither applied nor listed as not applied by the lane's unit runner (test/cluster/guest/unit-file.ts)`);
  }
  const last = (key: string): string | undefined => svc.get(key)?.at(-1);
  const all = (key: string): string[] => (svc.get(key) ?? []).filter((v) => v !== '');
  const unitLast = (key: string): string | undefined => unit.get('Unit')?.get(key)?.at(-1);
  for (const key of unit.get('Unit')?.keys() ?? []) {
    if (key.startsWith('StartLimit') && !UNIT_APPLIED.has(key)) throw new Error(`[Unit] ${key}= is not implemented by the lane's unit runner`);
  }
  const starts = all('ExecStart');
  if (starts.length !== 1) throw new Error(`expected exactly one ExecStart= (got ${starts.length})`);
  const timeoutStop = parseTimeSpanMs(last('TimeoutStopSec') ?? '90s');
  const dirs = (key: string, modeKey: string, base: string): DirectoryDirective[] => {
    const mode = octal(last(modeKey) ?? '0755', modeKey);
    return all(key).flatMap((v) => v.split(/\s+/)).map((name) => {
      if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(name) || name.split('/').includes('..')) throw new Error(`${key}=${name}: not a relative path`);
      return { path: `${base}/${name}`, mode };
    });
  };
  const int = (key: string, min: number, max: number): number | null => {
    const v = last(key);
    if (v === undefined) return null;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${key}=${v}: not an integer in ${min}..${max}`);
    return n;
  };
  const type = oneOf(last('Type') ?? 'simple', ['simple', 'exec', 'notify'] as const, 'Type');
  return {
    type,
    notifyAccess: oneOf(last('NotifyAccess') ?? (type === 'notify' ? 'main' : 'none'), ['none', 'main', 'exec', 'all'] as const, 'NotifyAccess'),
    execStartPre: all('ExecStartPre').map(parseExecLine),
    execStart: parseExecLine(starts[0]!),
    execReload: all('ExecReload').map(parseExecLine),
    execStopPost: all('ExecStopPost').map(parseExecLine),
    restart: oneOf(last('Restart') ?? 'no', ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always'] as const, 'Restart'),
    restartSecMs: parseTimeSpanMs(last('RestartSec') ?? '100ms'),
    restartPreventExitStatus: all('RestartPreventExitStatus').flatMap((v) => v.split(/\s+/)).map((s) => {
      if (!/^[0-9]+$/.test(s)) throw new Error(`RestartPreventExitStatus=${s}: only exit codes are implemented (no signal names)`);
      return Number(s);
    }),
    timeoutStartMs: parseTimeSpanMs(last('TimeoutStartSec') ?? '90s'),
    timeoutStopMs: timeoutStop,
    watchdogMs: parseTimeSpanMs(last('WatchdogSec') ?? '0'),
    killMode: oneOf(last('KillMode') ?? 'control-group', ['control-group', 'mixed', 'process', 'none'] as const, 'KillMode'),
    runtimeDirectories: dirs('RuntimeDirectory', 'RuntimeDirectoryMode', '/run'),
    stateDirectories: dirs('StateDirectory', 'StateDirectoryMode', '/var/lib'),
    umask: octal(last('UMask') ?? '0022', 'UMask'),
    nice: int('Nice', -20, 19),
    oomScoreAdjust: int('OOMScoreAdjust', -1000, 1000),
    limitNofile: int('LimitNOFILE', 1, 1 << 20),
    startLimitIntervalMs: parseTimeSpanMs(unitLast('StartLimitIntervalSec') ?? '10s'),
    startLimitBurst: Number(unitLast('StartLimitBurst') ?? '5'),
    notApplied: [...svc.keys()].filter((k) => NOT_APPLIED.has(k)),
  };
}

/** How the main process ended, in systemd's terms (SERVICE_RESULT). */
export type ServiceResult = 'success' | 'exit-code' | 'signal' | 'timeout' | 'core-dump';

/** Signals systemd counts as a clean end of a service (systemd.service(5), SuccessExitStatus). */
const CLEAN_SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE']);
const CORE_SIGNALS = new Set(['SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGSYS', 'SIGXCPU', 'SIGXFSZ']);

export function serviceResult(code: number | null, signal: string | null, timedOut: boolean): ServiceResult {
  if (timedOut) return 'timeout';
  if (signal !== null) return CLEAN_SIGNALS.has(signal) ? 'success' : CORE_SIGNALS.has(signal) ? 'core-dump' : 'signal';
  return code === 0 ? 'success' : 'exit-code';
}

/** systemd.service(5)'s Restart= table (no watchdog results: the lane does not enforce it). */
export function shouldRestart(spec: Pick<ServiceSpec, 'restart' | 'restartPreventExitStatus'>, result: ServiceResult, code: number | null): boolean {
  if (result === 'exit-code' && code !== null && spec.restartPreventExitStatus.includes(code)) return false;
  switch (spec.restart) {
    case 'no': return false;
    case 'always': return true;
    case 'on-success': return result === 'success';
    case 'on-failure': return result !== 'success';
    case 'on-abnormal': return result === 'signal' || result === 'core-dump' || result === 'timeout';
    case 'on-abort': return result === 'signal' || result === 'core-dump';
    case 'on-watchdog': return false;
  }
}
