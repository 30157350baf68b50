// The logging interface the daemon depends on, plus the two test loggers.
// Owns: the Logger contract (four levels, structured fields, child loggers) so that no module
// imports pino directly; production builds one with log/pino-logger.ts, tests inject
// silentLogger or a CapturingLogger.
// Invariants: logging never throws on any field value; a CapturingLogger holds at most
// LOG_CAPTURE_MAX_ENTRIES records (oldest dropped first).
import { LOG_CAPTURE_MAX_ENTRIES } from '../common/limits.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger every module takes. Both call forms are accepted: pino's (fields, msg), which
 * node/deps.ts's Logger uses, and (msg, fields?) for records without fields.
 */
export interface Logger {
  error(msg: string, fields?: LogFields): void;
  error(fields: LogFields, msg: string): void;
  warn(msg: string, fields?: LogFields): void;
  warn(fields: LogFields, msg: string): void;
  info(msg: string, fields?: LogFields): void;
  info(fields: LogFields, msg: string): void;
  debug(msg: string, fields?: LogFields): void;
  debug(fields: LogFields, msg: string): void;
  /** A logger whose records all carry `bindings` (e.g. {component: 'transport'}). */
  child(bindings: LogFields): Logger;
}

/** Normalizes either call form to [msg, fields]. Never throws. */
export function normalizeLogArgs(a: string | LogFields, b: string | LogFields | undefined): [string, LogFields] {
  if (typeof a === 'string') return [a, typeof b === 'object' && b !== null ? b : {}];
  return [typeof b === 'string' ? b : '', a ?? {}];
}

/** Numeric severity, higher is more severe (the order pino uses). */
export const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 };

const noop = (): void => {};

/** Discards everything. */
export const silentLogger: Logger = {
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  child: () => silentLogger,
};

export interface LogRecord {
  level: LogLevel;
  msg: string;
  fields: LogFields;
}

/** Keeps records in memory for assertions. Invariant: records.length <= LOG_CAPTURE_MAX_ENTRIES. */
export class CapturingLogger implements Logger {
  /** Shared by a logger and all its children, oldest first. */
  readonly records: LogRecord[];
  /** Records dropped because the buffer was full. */
  droppedRecords = 0;

  constructor(private readonly bindings: LogFields = {}, records?: LogRecord[]) {
    this.records = records ?? [];
  }

  error(a: string | LogFields, b?: string | LogFields): void { this.push('error', a, b); }
  warn(a: string | LogFields, b?: string | LogFields): void { this.push('warn', a, b); }
  info(a: string | LogFields, b?: string | LogFields): void { this.push('info', a, b); }
  debug(a: string | LogFields, b?: string | LogFields): void { this.push('debug', a, b); }

  child(bindings: LogFields): Logger {
    return new CapturingLogger({ ...this.bindings, ...bindings }, this.records);
  }

  /** Records at `level` or above whose message contains `text`. */
  find(text: string, level: LogLevel = 'debug'): LogRecord[] {
    return this.records.filter((r) => LEVEL_RANK[r.level] >= LEVEL_RANK[level] && r.msg.includes(text));
  }

  private push(level: LogLevel, a: string | LogFields, b: string | LogFields | undefined): void {
    const [msg, fields] = normalizeLogArgs(a, b);
    if (this.records.length >= LOG_CAPTURE_MAX_ENTRIES) {
      this.records.shift();
      this.droppedRecords++;
    }
    this.records.push({ level, msg, fields: { ...this.bindings, ...fields } });
  }
}
