// The daemons' logger in the cluster simulator: every record of info level and above goes into
// the run's trace ring (test/sim/trace.ts), tagged with the node and the simulated time, so a
// violation report shows what the node shells and the simulated kernels said.
// Invariant: logging never throws and formats lazily (only records that get printed are
// turned into text).
import type { LogFields, Logger, LogLevel } from '../../../daemon/src/log/logger.js';
import { normalizeLogArgs } from '../../../daemon/src/log/logger.js';
import type { Trace } from '../trace.js';

export class TraceLogger implements Logger {
  constructor(
    private readonly trace: Trace,
    private readonly nowUs: () => number,
    private readonly node: string,
    private readonly bindings: LogFields = {},
  ) {}

  error(a: string | LogFields, b?: string | LogFields): void { this.put('error', a, b); }
  warn(a: string | LogFields, b?: string | LogFields): void { this.put('warn', a, b); }
  info(a: string | LogFields, b?: string | LogFields): void { this.put('info', a, b); }
  debug(): void {}

  child(bindings: LogFields): Logger {
    return new TraceLogger(this.trace, this.nowUs, this.node, { ...this.bindings, ...bindings });
  }

  private put(level: LogLevel, a: string | LogFields, b: string | LogFields | undefined): void {
    const [msg, fields] = normalizeLogArgs(a, b);
    const all = { ...this.bindings, ...fields };
    this.trace.record(this.nowUs(), `log:${level}`, this.node, () => `${msg} ${safeJson(all)}`);
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '[unserializable fields]';
  }
}
