// bench/load-stats.ts: the `load` benchmark's command line, the lag histogram read from
// /metrics text, percentiles as bucket upper bounds, writer flaps counted per array, and the
// verdict on issue 15's load targets.
import { describe, expect, it } from 'vitest';
import { judgeLoad, lagDelta, parseHistogram, parseLagHistogram, parseLoadArgs, sumDeltas, summarizeHistogram, summarizeLag, writerFlaps, type LagSummary } from '../../bench/load-stats.js';
import { createMetrics } from '../../daemon/src/status/metrics.js';
import type { NodeView } from '../../daemon/src/node/view.js';

describe('parseLoadArgs', () => {
  it('defaults: 5 minutes, 4 hogs per CPU, 100 arrays, as spawned', () => {
    expect(parseLoadArgs([], 2)).toMatchObject({ seconds: 300, hogs: 8, arrays: 100, policy: 'other', rtPriority: 10 });
    expect(parseLoadArgs([], 3).hogs).toBe(12);
  });

  it('--seconds, --hogs, --rt with a priority, --nice', () => {
    expect(parseLoadArgs(['--seconds', '60', '--hogs', '0', '--rt', '--rt-priority', '10'], 2)).toMatchObject({ seconds: 60, hogs: 0, policy: 'rr', rtPriority: 10 });
    expect(parseLoadArgs(['--nice'], 2).policy).toBe('nice');
  });

  it('refuses unknown flags, out-of-range values and --rt with --nice', () => {
    expect(() => parseLoadArgs(['--secs', '5'], 2)).toThrow(/unknown argument --secs/);
    expect(() => parseLoadArgs(['--seconds', '4'], 2)).toThrow(/from 5 to 3600/);
    expect(() => parseLoadArgs(['--hogs'], 2)).toThrow(/--hogs expects/);
    expect(() => parseLoadArgs(['--rt-priority', '100'], 2)).toThrow(/from 1 to 99/);
    expect(() => parseLoadArgs(['--rt', '--nice'], 2)).toThrow(/exclude each other/);
  });
});

const view = { id: 'node1', role: 'follower', term: 1, lead: null, commit: 0, lastIndex: 0, conf: { voters: ['node1'], learners: [] }, lease: { valid: false, endTick: null, nowTick: 0 },
  writer: false, state: { arrays: [], appliedIndex: 0 }, peers: new Map(), counters: { droppedFrames: 0, reconcilePasses: 0, reconcileFailures: 0, fenceActions: 0 }, writerLog: [], stopping: false } as unknown as NodeView;

async function scrape(lagsMs: number[], commitsMs: number[] = []): Promise<string> {
  const m = createMetrics({ view: () => view, subscribe: () => () => undefined, version: '0', tickMs: 10, demoteMarginTicks: 4, defaultMetrics: false });
  for (const l of lagsMs) m.observeTickLagMs(l);
  for (const c of commitsMs) m.observeCommitMs(c, 'ok');
  m.observeCommitMs(9000, 'error');
  return m.registry.metrics();
}

describe('lag histogram from the daemon\'s /metrics', () => {
  it('reads the buckets the daemon exports and judges p99 at the 50 ms bound', async () => {
    const h = parseLagHistogram(await scrape([...Array<number>(99).fill(1), 50]))!;
    expect(h.bounds.at(-1)).toBe(Infinity);
    expect(summarizeLag(h)).toMatchObject({ ticks: 100, p50Ms: 1, p99Ms: 1, maxBoundMs: 50, over50Ms: 0 });
    const late = summarizeLag(parseLagHistogram(await scrape([...Array<number>(98).fill(1), 51, 51]))!);
    expect(late).toMatchObject({ p99Ms: 100, maxBoundMs: 100, over50Ms: 2, over200Ms: 0 });
    expect(summarizeLag(parseLagHistogram(await scrape([9000]))!)).toMatchObject({ p99Ms: Infinity, maxBoundMs: Infinity, over200Ms: 1 });
  });

  it('a window is the difference of two scrapes; an empty window has no numbers', async () => {
    const before = parseLagHistogram(await scrape([300, 300]))!;
    const after = parseLagHistogram(await scrape([300, 300, 3, 3]))!;
    expect(summarizeLag(lagDelta(before, after))).toMatchObject({ ticks: 2, p99Ms: 5, maxBoundMs: 5, meanMs: 3, over50Ms: 0 });
    expect(summarizeLag(lagDelta(after, after))).toMatchObject({ ticks: 0, p99Ms: null, maxBoundMs: null, meanMs: null });
  });

  it('commit latency in the daemons: the ok series only, summed over nodes, a node without it before counting from zero', async () => {
    const commit = (t: string) => parseHistogram(t, 'mdclusterd_commit_latency_seconds', ',outcome="ok"');
    const n1 = [commit(await scrape([], [2, 2])), commit(await scrape([], [2, 2, 2, 20]))] as const;
    const n2 = [null, commit(await scrape([], [0.5, 400]))] as const;
    const n3 = [commit(await scrape([], [2])), null] as const;
    const sum = sumDeltas([n1, n2, n3])!;
    expect(summarizeHistogram(sum)).toMatchObject({ count: 4, p50Ms: 2.5, p99Ms: 500, maxBoundMs: 500 });
    expect(sum.sumSeconds).toBeCloseTo(0.4225);
    expect(sumDeltas([[null, null]])).toBeNull();
  });

  it('absent series: null', () => {
    expect(parseLagHistogram('nodejs_eventloop_lag_p99_seconds 0.01\n')).toBeNull();
  });
});

describe('writer flaps and the verdict', () => {
  it('one role loss switches every array: counted once', () => {
    const ev = (event: 'writable' | 'read-only', device: string) => ({ event, device });
    const f = writerFlaps([ev('read-only', 'md0'), ev('read-only', 'md1'), ev('writable', 'md0'), ev('writable', 'md1'), ev('read-only', 'md0')]);
    expect(f).toEqual({ roleLosses: 2, roleGains: 1, arraysMadeReadOnly: 3, arraysMadeWritable: 2 });
    expect(writerFlaps([])).toEqual({ roleLosses: 0, roleGains: 0, arraysMadeReadOnly: 0, arraysMadeWritable: 0 });
  });

  it('met only with no election, no flap and every daemon\'s p99 within 50 ms', () => {
    const lag = (p99Ms: number | null): LagSummary => ({ ticks: 1, p50Ms: 1, p99Ms, maxBoundMs: p99Ms, meanMs: 1, over50Ms: 0, over200Ms: 0 });
    expect(judgeLoad(0, 0, [lag(50), lag(1)]).all).toBe(true);
    expect(judgeLoad(1, 0, [lag(1)])).toMatchObject({ leaderChanges: false, all: false });
    expect(judgeLoad(0, 2, [lag(1)])).toMatchObject({ writerFlaps: false, all: false });
    expect(judgeLoad(0, 0, [lag(1), lag(100)])).toMatchObject({ lagP99: false, all: false });
    expect(judgeLoad(0, 0, [lag(null)]).lagP99).toBe(false);
    expect(judgeLoad(0, 0, []).lagP99).toBe(false);
  });
});
