// The pure parts of the `load` benchmark (bench/load.ts): its command line, reading the
// daemon's event-loop lag histogram (mdclusterd_event_loop_lag_seconds) out of /metrics text,
// the window's lag from two scrapes, and judging issue 15's load targets.
// Owns: nothing long-lived. Invariants: every flag is range-checked (E_USAGE otherwise); a lag
// percentile is reported as the upper bound of the histogram bucket it falls in (never a guess
// between bounds), so "p99 <= 50 ms" is judged exactly at the 0.05 bucket; a window with no
// tick observed has no lag numbers (null), never 0.
import { OpError } from '../daemon/src/common/errors.js';

export type SchedPolicy = 'other' | 'nice' | 'rr';

export interface LoadOptions {
  seconds: number;
  /** Busy-loop processes; default 4 per CPU (4x oversubscribed). */
  hogs: number;
  arrays: number;
  /** One md command (waitAll) every this many ms during the window. */
  commitEveryMs: number;
  /** How the daemons are scheduled: as spawned, at the unit's Nice=-10, or SCHED_RR (--rt). */
  policy: SchedPolicy;
  /** SCHED_RR priority with --rt (the unit's CPUSchedulingPriority). */
  rtPriority: number;
  settleSeconds: number;
}

export const LOAD_RANGES = { seconds: [5, 3600], hogs: [0, 256], arrays: [1, 256], commitEveryMs: [50, 60_000], rtPriority: [1, 99], settleSeconds: [0, 600] } as const;

/** Parses `--seconds N --hogs N --arrays N --commit-every-ms N --settle-seconds N [--rt [--rt-priority N]] [--nice]`. */
export function parseLoadArgs(args: readonly string[], cpus: number): LoadOptions {
  const o: LoadOptions = { seconds: 300, hogs: 4 * Math.max(1, cpus), arrays: 100, commitEveryMs: 1000, policy: 'other', rtPriority: 10, settleSeconds: 5 };
  const ints: Record<string, keyof typeof LOAD_RANGES> = {
    '--seconds': 'seconds', '--hogs': 'hogs', '--arrays': 'arrays', '--commit-every-ms': 'commitEveryMs', '--rt-priority': 'rtPriority', '--settle-seconds': 'settleSeconds',
  };
  let policy: SchedPolicy | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--rt' || a === '--nice') {
      const p: SchedPolicy = a === '--rt' ? 'rr' : 'nice';
      if (policy !== null && policy !== p) throw new OpError('E_USAGE', '--rt and --nice exclude each other');
      policy = p;
      continue;
    }
    const key = ints[a];
    if (key === undefined) throw new OpError('E_USAGE', `unknown argument ${a}; flags: ${Object.keys(ints).join(' ')} --rt --nice`);
    const n = Number(args[++i]);
    const [min, max] = LOAD_RANGES[key];
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new OpError('E_USAGE', `${a} expects an integer from ${min} to ${max}, got ${String(args[i])}`);
    o[key] = n;
  }
  if (policy !== null) o.policy = policy;
  return o;
}

/** Cumulative bucket counts of a Prometheus histogram, by upper bound in seconds (+Inf last). */
export interface LagHistogram {
  bounds: number[];
  cumulative: number[];
  sumSeconds: number;
}

const LAG = 'mdclusterd_event_loop_lag_seconds';
const escapeRe = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A histogram in a /metrics text, or null when the series is absent. `labels`: the rest of the
 * label set after le, as prom-client writes it (e.g. ',outcome="ok"'), '' for none.
 */
export function parseHistogram(text: string, name: string, labels = ''): LagHistogram | null {
  const bucketRe = new RegExp(`^${escapeRe(name)}_bucket\\{le="([^"]+)"${escapeRe(labels)}\\} (\\S+)$`);
  const sumPrefix = `${name}_sum${labels === '' ? '' : `{${labels.slice(1)}}`} `;
  const buckets: [number, number][] = [];
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    const b = bucketRe.exec(line);
    if (b) { buckets.push([b[1] === '+Inf' ? Infinity : Number(b[1]), Number(b[2])]); continue; }
    if (line.startsWith(sumPrefix)) sum = Number(line.slice(sumPrefix.length));
  }
  if (buckets.length === 0 || sum === null || buckets.some(([le, n]) => Number.isNaN(le) || !Number.isFinite(n))) return null;
  buckets.sort((x, y) => x[0] - y[0]);
  return { bounds: buckets.map(([le]) => le), cumulative: buckets.map(([, n]) => n), sumSeconds: sum };
}

/** The daemon's tick-lag histogram (mdclusterd_event_loop_lag_seconds). */
export const parseLagHistogram = (text: string): LagHistogram | null => parseHistogram(text, LAG);

/**
 * What several daemons observed between their scrapes, summed: each after minus its before (a
 * series absent before, e.g. no proposal yet on that node, counts from zero; one absent after
 * is skipped). Null when no daemon has the series after.
 */
export function sumDeltas(pairs: readonly (readonly [LagHistogram | null, LagHistogram | null])[]): LagHistogram | null {
  let total: LagHistogram | null = null;
  for (const [before, after] of pairs) {
    if (after === null) continue;
    const d = lagDelta(before ?? { bounds: after.bounds, cumulative: after.cumulative.map(() => 0), sumSeconds: 0 }, after);
    if (total !== null && total.bounds.join() !== d.bounds.join()) throw new Error('daemons export different buckets');
    total = total === null ? d : { bounds: d.bounds, cumulative: d.cumulative.map((n, i) => n + total!.cumulative[i]), sumSeconds: d.sumSeconds + total.sumSeconds };
  }
  return total;
}

/** What was observed between two scrapes of the same daemon (same buckets). */
export function lagDelta(before: LagHistogram, after: LagHistogram): LagHistogram {
  if (before.bounds.join() !== after.bounds.join()) throw new Error('lag histogram buckets changed between scrapes (daemon restarted?)');
  return { bounds: after.bounds, cumulative: after.cumulative.map((n, i) => n - before.cumulative[i]), sumSeconds: after.sumSeconds - before.sumSeconds };
}

export interface HistogramSummary {
  count: number;
  /** Upper bound (ms) of the bucket holding the p-th percentile; Infinity: beyond the last bound. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Upper bound (ms) of the highest non-empty bucket. */
  maxBoundMs: number | null;
  meanMs: number | null;
}

export interface LagSummary {
  ticks: number;
  /** Upper bound (ms) of the bucket holding the p-th percentile; Infinity: beyond the last bound. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Upper bound (ms) of the highest non-empty bucket. */
  maxBoundMs: number | null;
  meanMs: number | null;
  /** Ticks more than 50 ms late (issue 15's p99 bound) and more than 200 ms late. */
  over50Ms: number;
  over200Ms: number;
}

const boundMs = (s: number): number => (s === Infinity ? Infinity : Math.round(s * 1_000_000) / 1000);

/** Nearest-rank percentile bucket of a delta histogram. */
function bucketOf(h: LagHistogram, p: number): number | null {
  const total = h.cumulative[h.cumulative.length - 1] ?? 0;
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  const i = h.cumulative.findIndex((n) => n >= rank);
  return boundMs(h.bounds[i]);
}

function countAbove(h: LagHistogram, boundS: number): number {
  const total = h.cumulative[h.cumulative.length - 1] ?? 0;
  const i = h.bounds.indexOf(boundS);
  if (i < 0) throw new Error(`the lag histogram has no ${boundS} s bucket`);
  return total - h.cumulative[i];
}

/** Percentiles (as bucket upper bounds), highest bucket and mean of a (delta) histogram. */
export function summarizeHistogram(h: LagHistogram): HistogramSummary {
  const total = h.cumulative[h.cumulative.length - 1] ?? 0;
  let top: number | null = null;
  for (let i = 0; i < h.bounds.length; i++) if (h.cumulative[i] > (i === 0 ? 0 : h.cumulative[i - 1])) top = boundMs(h.bounds[i]);
  return {
    count: total, p50Ms: bucketOf(h, 50), p99Ms: bucketOf(h, 99), maxBoundMs: top,
    meanMs: total === 0 ? null : Math.round((h.sumSeconds / total) * 1_000_000) / 1000,
  };
}

export function summarizeLag(h: LagHistogram): LagSummary {
  const { count, ...rest } = summarizeHistogram(h);
  return { ticks: count, ...rest, over50Ms: countAbove(h, 0.05), over200Ms: countAbove(h, 0.2) };
}

/** Issue 15 item 5's targets. */
export const LOAD_TARGETS = { leaderChanges: 0, writerFlaps: 0, lagP99Ms: 50 } as const;

export interface LoadVerdict {
  leaderChanges: boolean;
  writerFlaps: boolean;
  /** Every daemon's p99 within the bound; false when any daemon has no lag number. */
  lagP99: boolean;
  all: boolean;
}

export function judgeLoad(termChanges: number, writerFlaps: number, lags: readonly LagSummary[]): LoadVerdict {
  const leaderChanges = termChanges <= LOAD_TARGETS.leaderChanges;
  const flaps = writerFlaps <= LOAD_TARGETS.writerFlaps;
  const lagP99 = lags.length > 0 && lags.every((l) => l.p99Ms !== null && l.p99Ms <= LOAD_TARGETS.lagP99Ms);
  return { leaderChanges, writerFlaps: flaps, lagP99, all: leaderChanges && flaps && lagP99 };
}

export interface WriterFlaps {
  /** The most times any one array was switched read-only (role lost) and writable (role gained). */
  roleLosses: number;
  roleGains: number;
  arraysMadeReadOnly: number;
  arraysMadeWritable: number;
}

/**
 * Writer-role flaps from writer-log events: a role loss switches the arrays read-only one by one
 * (and a gain writable), so one flap is one event per array, not 100; the most of any one array
 * counts (a short lapse may end before every array was switched, so arrays differ).
 */
export function writerFlaps(events: readonly { event: 'writable' | 'read-only'; device: string }[]): WriterFlaps {
  const most = (kind: 'writable' | 'read-only'): number => {
    const per = new Map<string, number>();
    for (const e of events) if (e.event === kind) per.set(e.device, (per.get(e.device) ?? 0) + 1);
    return Math.max(0, ...per.values());
  };
  const count = (kind: 'writable' | 'read-only'): number => events.filter((e) => e.event === kind).length;
  return { roleLosses: most('read-only'), roleGains: most('writable'), arraysMadeReadOnly: count('read-only'), arraysMadeWritable: count('writable') };
}
