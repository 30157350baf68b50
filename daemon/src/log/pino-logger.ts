// The production Logger: pino writing JSON lines to stdout, optionally prefixed with the
// journald/syslog priority ("<3>" error, "<4>" warn, "<6>" info, "<7>" debug) so that
// journalctl shows the right priority for each line.
// Owns: level filtering (one threshold shared by the logger and all its children, so SIGHUP can
// change it at run time: setLevel), the prefix decision (JOURNAL_STREAM matching stdout, or forced) and
// the mapping from pino levels to priorities.
// Invariants: a prefixed line is exactly "<N>" + one pino JSON line; without the prefix the
// output is plain pino JSON; writing is synchronous so the last lines before a crash are kept.
import { fstatSync } from 'node:fs';
import { pino } from 'pino';
import { LEVEL_RANK, normalizeLogArgs, type Logger, type LogFields, type LogLevel } from './logger.js';

/** A Logger whose level (and its children's) can change while running. */
export interface ReloadableLogger extends Logger {
  setLevel(level: LogLevel): void;
}

/** Where lines go. Invariant: receives whole lines ending in "\n". */
export interface LineSink {
  write(line: string): void;
}

export interface PinoLoggerOptions {
  level: LogLevel;
  /** "auto": prefix when stdout is the journal stream named by JOURNAL_STREAM. */
  journalPrefix: 'auto' | 'on' | 'off';
  /** Fields on every record, e.g. {node: 'node1'}. */
  base?: LogFields;
  /** Default: stdout (fd 1), written synchronously. */
  sink?: LineSink;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

/** journald priority for a pino numeric level. */
export function priorityPrefix(pinoLevel: number): string {
  if (pinoLevel >= 50) return '<3>';
  if (pinoLevel >= 40) return '<4>';
  if (pinoLevel >= 30) return '<6>';
  return '<7>';
}

/**
 * True when JOURNAL_STREAM ("dev:inode") names the file stdout is, as systemd.exec(5)
 * says to check: a child that inherited the variable but not the stream must not prefix.
 */
export function stdoutIsJournal(env: NodeJS.ProcessEnv, stat: (fd: number) => { dev: bigint; ino: bigint } = fstatBig): boolean {
  const v = env['JOURNAL_STREAM'];
  if (v === undefined) return false;
  const m = /^([0-9]+):([0-9]+)$/.exec(v);
  if (m === null) return false;
  try {
    const st = stat(1);
    return st.dev === BigInt(m[1]) && st.ino === BigInt(m[2]);
  } catch {
    return false;
  }
}

function fstatBig(fd: number): { dev: bigint; ino: bigint } {
  return fstatSync(fd, { bigint: true });
}

const LEVEL_PATTERN = /^\{"level":([0-9]+)/;

export function createPinoLogger(opts: PinoLoggerOptions): ReloadableLogger {
  const env = opts.env ?? process.env;
  const prefix = opts.journalPrefix === 'on' || (opts.journalPrefix === 'auto' && stdoutIsJournal(env));
  const sink = opts.sink ?? pino.destination({ dest: 1, sync: true });
  const stream = {
    write(line: string): void {
      if (!prefix) {
        sink.write(line);
        return;
      }
      const m = LEVEL_PATTERN.exec(line);
      sink.write((m === null ? '<6>' : priorityPrefix(Number(m[1]))) + line);
    },
  };
  // pino passes everything; the shared threshold filters (pino children copy the level once).
  const p = pino({ level: 'debug', base: { ...(opts.base ?? {}) }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  const threshold = { rank: LEVEL_RANK[opts.level] };
  return { ...wrap(p, threshold), setLevel: (level: LogLevel) => { threshold.rank = LEVEL_RANK[level]; } };
}

type Arg = string | LogFields;

function wrap(p: pino.Logger, threshold: { rank: number }): Logger {
  const at = (level: LogLevel) => (a: Arg, b?: Arg): void => {
    if (LEVEL_RANK[level] < threshold.rank) return;
    const [msg, fields] = normalizeLogArgs(a, b);
    p[level]({ ...fields }, msg);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (bindings) => wrap(p.child({ ...bindings }), threshold) };
}
