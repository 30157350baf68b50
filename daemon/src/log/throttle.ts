// Rate-limited warnings for input that strangers or misbehaving peers control (refused
// connections, spoofed frames): every event is counted, but each kind is logged at most once
// per interval, with how many were not logged since the previous line.
// Owns: the per-kind counters and the log-line budget. Invariants: note() never throws; the
// number of kinds is bounded by the caller's closed set of kinds (a string union), so the maps
// stay small; counts only grow.
import type { LogFields, Logger } from './logger.js';

export class LogThrottle<K extends string> {
  /** Total events per kind since start. */
  private readonly totals = new Map<K, number>();
  /** Events per kind since its last log line. */
  private readonly unlogged = new Map<K, number>();
  /** Monotonic ms of each kind's last log line. */
  private readonly lastLogMs = new Map<K, number>();

  constructor(private readonly log: Logger, private readonly message: string, private readonly intervalMs: number,
    private readonly nowMs: () => number) {}

  /** Counts one event of `kind`; logs it (warn) unless this kind was logged within the interval. */
  note(kind: K, fields: LogFields = {}): void {
    this.totals.set(kind, (this.totals.get(kind) ?? 0) + 1);
    const now = this.nowMs();
    const last = this.lastLogMs.get(kind);
    if (last !== undefined && now - last < this.intervalMs) {
      this.unlogged.set(kind, (this.unlogged.get(kind) ?? 0) + 1);
      return;
    }
    const suppressed = this.unlogged.get(kind) ?? 0;
    this.unlogged.set(kind, 0);
    this.lastLogMs.set(kind, now);
    this.log.warn(this.message, { reason: kind, ...fields, suppressedSinceLastLog: suppressed, total: this.totals.get(kind) });
  }

  /** Counts one event of `kind` without logging it (the caller logs it its own way). */
  count1(kind: K): void {
    this.totals.set(kind, (this.totals.get(kind) ?? 0) + 1);
  }

  /** Totals per kind (only kinds seen at least once). */
  counts(): Partial<Record<K, number>> {
    return Object.fromEntries(this.totals) as Partial<Record<K, number>>;
  }

  count(kind: K): number {
    return this.totals.get(kind) ?? 0;
  }
}
