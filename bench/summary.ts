// The closing table of `npm run bench` (and of `npm run bench -- anchor`): each quantity of
// issue 15, ours, etcd's (from the `anchor` benchmark), the ratio ours/etcd, the target, met or
// not, and the 1-minute load average when each side was measured.
// Owns: reading the result files back and judging the targets. Invariants: a target is "met"
// only when every number it needs was measured (in this run, when a run start is given); a
// missing, failed or stale measurement is "unknown", never "met"; the targets are written here
// once (issue 15), the benchmarks keep their own older targets for their own summary lines.
import { readResult } from './report.js';

/** Issue 15's targets. */
export const TARGETS = {
  failoverP50Ms: 280, failoverP50VsEtcd: 0.75, failoverP99Ms: 450,
  commitP50Ms: 1.5, commitP99Ms: 4, commitP99VsEtcd: 1.25,
  idleCpuPct: 1, idleCpuVsFloor: 1.25, idleRssMB: 60, mdctlDetailRatio: 1.3,
  loadLeaderChanges: 0, loadWriterFlaps: 0, loadLagP99Ms: 50,
} as const;

export const SUMMARY_SOURCES = ['failover', 'commit', 'idle', 'mdctl', 'anchor', 'load'] as const;
export type SummarySource = (typeof SUMMARY_SOURCES)[number];

/** A result file as read back: whatever JSON it holds (shapes are checked field by field). */
export type Results = Partial<Record<SummarySource, unknown>>;

export interface SummaryRow {
  quantity: string;
  ours: number | null;
  etcd: number | null;
  /** ours / etcd, when both were measured. */
  ratio: number | null;
  target: string;
  /** '-': the row has no target (reference only). */
  met: 'yes' | 'NO' | 'unknown' | '-';
  /** Why "unknown" (or a note on the target). */
  note: string;
  load: string;
}

function at(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function numAt(obj: unknown, path: string): number | null {
  const v = at(obj, path);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Each result, or undefined when it is missing or older than `since` (ms since the epoch). */
function fresh(results: Results, name: SummarySource, since: number | undefined): unknown {
  const r = results[name];
  if (r === null || r === undefined) return undefined;
  if (since !== undefined) {
    const t = Date.parse(String(at(r, 'at')));
    if (!Number.isFinite(t) || t < since) return undefined;
  }
  return r;
}

const loadOf = (r: unknown): string => {
  const l = numAt(r, 'machine.loadAverage.0');
  return l === null ? '-' : l.toFixed(1);
};

/**
 * The rows. `since`: the run's start; results written before it count as not measured.
 * `checks` of a row: each is [holds?, needs] where needs lists what must be measured.
 */
export function summaryRows(results: Results, since?: number): SummaryRow[] {
  const fo = fresh(results, 'failover', since);
  const cm = fresh(results, 'commit', since);
  const id = fresh(results, 'idle', since);
  const md = fresh(results, 'mdctl', since);
  const an = fresh(results, 'anchor', since);
  const ld = fresh(results, 'load', since);
  const etcdIdle = at(an, 'etcd.idle');
  const etcdIdleMax = (k: 'cpuPct' | 'rssMB'): number | null =>
    Array.isArray(etcdIdle) && etcdIdle.length > 0 ? Math.max(...etcdIdle.map((n) => numAt(n, k) ?? NaN)) : null;
  const missing = (pairs: [unknown, string][]): string => pairs.filter(([r]) => r === undefined).map(([, n]) => `${n} not measured${since !== undefined ? ' in this run' : ''}`).join('; ');

  const row = (quantity: string, ours: number | null, etcd: number | null, target: string, judge: ((o: number, e: number | null, ratio: number | null) => boolean) | null,
    sources: [unknown, string][], needsEtcd: boolean, note = ''): SummaryRow => {
    const ratio = ours !== null && etcd !== null && etcd > 0 ? Math.round((ours / etcd) * 100) / 100 : null;
    let met: SummaryRow['met'] = 'unknown';
    let why = missing(sources);
    if (judge === null) { met = sources.length > 0 ? '-' : 'unknown'; why = note || 'no target'; }
    else if (ours === null) why ||= 'no number in the result file';
    else if (needsEtcd && etcd === null) why ||= 'etcd number missing';
    else { met = judge(ours, etcd, ratio) ? 'yes' : 'NO'; why = note; }
    const load = sources.map(([r]) => loadOf(r)).join(' / ');
    return { quantity, ours, etcd, ratio, target, met, note: why, load };
  };

  const T = TARGETS;
  return [
    row('failover p50, ms (kill -9 -> write accepted elsewhere)', numAt(fo, 'failover.p50Ms'), numAt(an, 'etcd.failover.p50Ms'),
      `<= ${T.failoverP50Ms} ms and <= ${T.failoverP50VsEtcd}x etcd`, (o, _e, r) => o <= T.failoverP50Ms && r !== null && r <= T.failoverP50VsEtcd, [[fo, 'failover'], [an, 'anchor']], true),
    row('failover p99, ms', numAt(fo, 'failover.p99Ms'), numAt(an, 'etcd.failover.p99Ms'),
      `<= ${T.failoverP99Ms} ms`, (o) => o <= T.failoverP99Ms, [[fo, 'failover'], [an, 'anchor']], false),
    row('commit p50, ms (ours: via master, waitAll; etcd: put via leader)', numAt(cm, 'viaMaster.p50Ms'), numAt(an, 'etcd.commitViaLeader.p50Ms'),
      `<= ${T.commitP50Ms} ms`, (o) => o <= T.commitP50Ms, [[cm, 'commit'], [an, 'anchor']], false),
    row('commit p99, ms', numAt(cm, 'viaMaster.p99Ms'), numAt(an, 'etcd.commitViaLeader.p99Ms'),
      `<= ${T.commitP99Ms} ms and <= ${T.commitP99VsEtcd}x etcd`, (o, _e, r) => o <= T.commitP99Ms && r !== null && r <= T.commitP99VsEtcd, [[cm, 'commit'], [an, 'anchor']], true),
    row('commit p50, ms, forwarded (ours: via standby; etcd: via follower)', numAt(cm, 'viaStandby.p50Ms'), numAt(an, 'etcd.commitViaFollower.p50Ms'),
      '-', null, [[cm, 'commit'], [an, 'anchor']], false, 'reference only'),
    row('idle CPU, % of a core, busiest daemon (ours: 100 arrays; etcd: empty)', numAt(id, 'maxCpuPct'), etcdIdleMax('cpuPct'),
      `<= ${T.idleCpuPct} %`, (o) => o <= T.idleCpuPct, [[id, 'idle'], [an, 'anchor']], false),
    row('idle CPU / TLS-heartbeat floor, busiest ratio (master vs sender, standby vs receiver)', numAt(id, 'maxCpuVsFloor'), null,
      `<= ${T.idleCpuVsFloor}x`, (o) => o <= T.idleCpuVsFloor, [[id, 'idle']], false, 'the floor: a bare Node process with two TLS 1.3 links at the daemon heartbeat interval, same run (bench/tls-floor.ts)'),
    row('idle RSS, MB, largest daemon', numAt(id, 'maxRssMB'), etcdIdleMax('rssMB'),
      `<= ${T.idleRssMB} MB`, (o) => o <= T.idleRssMB, [[id, 'idle'], [an, 'anchor']], false),
    row('mdctl --detail p50 / node -e 0 p50', numAt(md, 'ratioP50.detail'), null,
      `<= ${T.mdctlDetailRatio}x`, (o) => o <= T.mdctlDetailRatio, [[md, 'mdctl']], false),
    row('under load: leader changes (elections in the window)', numAt(ld, 'leaderChanges.termChanges'), null,
      `${T.loadLeaderChanges}`, (o) => o <= T.loadLeaderChanges, [[ld, 'load']], false, loadNote(ld)),
    row('under load: writer-role flaps (most of one array, read-only + writable)', loadFlaps(ld), null,
      `${T.loadWriterFlaps}`, (o) => o <= T.loadWriterFlaps, [[ld, 'load']], false),
    row('under load: tick-path event-loop lag p99, ms, worst daemon (bucket bound)', worstLagP99(ld), null,
      `<= ${T.loadLagP99Ms} ms`, (o) => o <= T.loadLagP99Ms, [[ld, 'load']], false),
    row('under load: commit p99, ms (via master, waitAll, client not prioritized)', numAt(ld, 'commitUnderLoad.p99Ms'), null,
      '-', null, [[ld, 'load']], false, 'reported, no target'),
  ];
}

/** How the `load` result was measured: the scheduling (the unit ships SCHED_RR), window and hogs. */
function loadNote(r: unknown): string {
  if (r === undefined) return '';
  const sched = at(r, 'setup.options.policy');
  const shipped = sched === 'rr' ? 'SCHED_RR as the unit ships' : `scheduling "${String(sched)}", not the unit's SCHED_RR`;
  return `load: ${shipped}, ${String(at(r, 'windowSeconds'))} s, ${String(at(r, 'setup.options.hogs'))} hogs, 2 qemu guests variant not built`;
}

function loadFlaps(r: unknown): number | null {
  const lost = numAt(r, 'writerFlaps.roleLosses');
  const gained = numAt(r, 'writerFlaps.roleGains');
  return lost === null || gained === null ? null : lost + gained;
}

/** The largest p99 of the daemons; a p99 beyond the histogram's last bound is written "inf". */
function worstLagP99(r: unknown): number | null {
  const nodes = at(r, 'nodes');
  if (!Array.isArray(nodes) || nodes.length === 0) return null;
  const p99s = nodes.map((n) => at(n, 'lag.p99Ms'));
  if (p99s.some((v) => v === 'inf')) return Infinity;
  return p99s.every((v) => typeof v === 'number' && Number.isFinite(v)) ? Math.max(...(p99s as number[])) : null;
}

export async function loadResults(): Promise<Results> {
  const out: Results = {};
  for (const name of SUMMARY_SOURCES) out[name] = await readResult(name);
  return out;
}

const fmt = (n: number | null): string => (n === null ? '-' : n === Infinity ? 'inf' : Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Prints the rows as a fixed-width table, then the notes. */
export function printTable(rows: SummaryRow[], out: (s: string) => void): void {
  const header = ['quantity', 'ours', 'etcd', 'ours/etcd', 'target', 'met', 'load (ours / etcd)'];
  const cells = rows.map((r) => [r.quantity, fmt(r.ours), fmt(r.etcd), r.ratio === null ? '-' : `${r.ratio}x`, r.target, r.met, r.load || '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => c.map((x, i) => (i === 0 || i === 4 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ');
  out(`issue 15 targets (ours vs etcd, same machine):\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const c of cells) out(`${line(c)}\n`);
  rows.forEach((r, i) => { if (r.note) out(`  [${i + 1}] ${r.met === 'unknown' ? 'unknown: ' : ''}${r.note}\n`); });
}

/** One line naming when each result file was written (its age matters when ours and etcd's were not measured together). */
export function sourcesLine(results: Results): string {
  const parts = SUMMARY_SOURCES.map((n) => {
    const when = at(results[n], 'at');
    return `${n} ${typeof when === 'string' ? when.replace(/\.\d+Z$/, 'Z') : 'missing'}`;
  });
  return `results from bench/results/: ${parts.join(', ')}\n`;
}
