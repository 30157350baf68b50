// Shared pieces of the daemon benchmarks (bench/commit.ts, idle.ts, failover.ts, mdctl.ts):
// numeric flag parsing, latency summaries and per-process CPU/RSS from /proc.
// Owns: nothing long-lived. Invariants: every flag is range-checked (E_USAGE otherwise); a
// sample count never exceeds BENCH_MAX_SAMPLES; /proc reads never throw for a process that
// exited (they return null).
import { readFileSync } from 'node:fs';
import { OpError } from '../../../daemon/src/common/errors.js';
import { BENCH_MAX_SAMPLES } from '../../lib/limits.js';
import { percentile } from '../../../bench/report.js';

/** Parses `--name N` flags into a copy of `defaults`; each value must be an integer in [min, max]. */
export function parseIntFlags<T extends Record<string, number>>(args: string[], defaults: T, ranges: { [K in keyof T]: [number, number] }): T {
  const out = { ...defaults };
  const byFlag = new Map(Object.keys(defaults).map((k) => [`--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`, k as keyof T]));
  for (let i = 0; i < args.length; i += 2) {
    const key = byFlag.get(args[i]);
    const n = Number(args[i + 1]);
    if (key === undefined) throw new OpError('E_USAGE', `unknown argument ${args[i]}; flags: ${[...byFlag.keys()].join(' ')}`);
    const [min, max] = ranges[key];
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new OpError('E_USAGE', `${args[i]} expects an integer from ${min} to ${max}, got ${String(args[i + 1])}`);
    (out as Record<string, number>)[key as string] = n;
  }
  return out;
}

/** The common range of a sample count. */
export const SAMPLES_RANGE: [number, number] = [1, BENCH_MAX_SAMPLES];

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(values: readonly number[]): LatencySummary {
  const r = (n: number): number => Math.round(n * 1000) / 1000;
  return {
    samples: values.length, p50Ms: r(percentile(values, 50)), p90Ms: r(percentile(values, 90)), p99Ms: r(percentile(values, 99)),
    maxMs: r(values.length ? Math.max(...values) : NaN), meanMs: r(values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN),
  };
}

/** Clock ticks per second of /proc/<pid>/stat utime/stime (USER_HZ; 100 on every Linux we run on). */
const USER_HZ = 100;

export interface ProcSample {
  rssBytes: number;
  cpuSeconds: number;
}

/** VmRSS and utime+stime of a process, or null when it is gone. */
export function procSample(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3; utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    if (!rss || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return { rssBytes: Number(rss[1]) * 1024, cpuSeconds: (utime + stime) / USER_HZ };
  } catch {
    return null;
  }
}

export const mib = (bytes: number): number => Math.round((bytes / (1024 * 1024)) * 10) / 10;
