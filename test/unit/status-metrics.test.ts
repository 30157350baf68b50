// The /metrics registry: one owner per series (cluster view on the leader only, no node_md_*),
// counters typed as counters that only grow, histograms, build info, default process metrics,
// transport counters; and the promotion/failover timings fed from view samples.
import { describe, expect, it } from 'vitest';
import type { ClusterEvent } from '../../daemon/src/control/protocol.js';
import type { NodeView } from '../../daemon/src/node/view.js';
import { createMetrics, type MetricsOptions } from '../../daemon/src/status/metrics.js';
import { Timings, type TimingSample } from '../../daemon/src/status/timings.js';
import { newPeerCounters, type TransportStats } from '../../daemon/src/transport/stats.js';
import { arrayRecord } from './record-fixtures.js';

type LooseView = Omit<Partial<NodeView>, 'id' | 'lead' | 'conf'> & { lead?: string | null };
function fakeView(over: LooseView = {}): NodeView {
  return ({
    id: 'node1', role: 'leader', term: 4, lead: 'node1', commit: 10, lastIndex: 10, conf: { voters: ['node1', 'node2', 'node3'], learners: [] },
    lease: { valid: true, endTick: 120, nowTick: 100 }, writer: true,
    state: { arrays: [arrayRecord({ arraySizeKiB: 1000 })], appliedIndex: 10, master: { node: 'node1', term: 4 } } as unknown as NodeView['state'],
    peers: new Map([['node2', { up: true, applied: 10 }]]),
    counters: { droppedFrames: 0, reconcilePasses: 1, reconcileFailures: 0, fenceActions: 0 },
    writerLog: [], stopping: false, ...over,
  }) as unknown as NodeView;
}

function setup(over: Partial<MetricsOptions> = {}) {
  let view = fakeView();
  const listeners: ((e: ClusterEvent) => void)[] = [];
  const stats: TransportStats = { self: 'node1' as TransportStats['self'], peers: { node2: { ...newPeerCounters(), up: true, blocked: false, inbound: true, queuedFrames: 0, queuedBytes: 0 } }, refusedConnections: 0, tlsErrors: 0, droppedUnknownDestination: 0, localStalls: 0, refusedAtAccept: 3, refusals: { 'not-tls': 3 }, admission: { pending: 1, open: 1, strangers: 1, knownAddresses: 2 } };
  const m = createMetrics({
    view: () => view, subscribe: (fn) => { listeners.push(fn); return () => undefined; }, version: '9.9.9', tickMs: 10, demoteMarginTicks: 4,
    transportStats: () => stats, defaultMetrics: false, ...over,
  });
  return { m, setView: (v: LooseView) => { view = fakeView(v); }, emit: (e: Partial<ClusterEvent>) => listeners.forEach((l) => l(e as ClusterEvent)), stats };
}
const value = (text: string, series: string): number | null => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? null : Number(line.slice(series.length + 1));
};

describe('/metrics registry', () => {
  it('exports no node_* series; the leader alone exports the cluster view', async () => {
    const { m, setView } = setup();
    const leader = await m.registry.metrics();
    expect(leader).not.toMatch(/^node_/m);
    expect(value(leader, 'mdclusterd_md_state{device="md0",state="active"}')).toBe(1);
    expect(value(leader, 'mdclusterd_md_blocks{device="md0"}')).toBe(1000);
    setView({ role: 'follower', lead: 'node2', writer: false });
    const follower = await m.registry.metrics();
    expect(follower).not.toMatch(/^mdclusterd_md_/m);
    expect(value(follower, 'mdclusterd_is_leader')).toBe(0);
  });

  it('totals are counters that only grow; leader changes counted from MasterChanged events', async () => {
    const { m, setView, emit, stats } = setup();
    let t = await m.registry.metrics();
    for (const c of ['mdclusterd_dropped_frames_total', 'mdclusterd_reconcile_failures_total', 'mdclusterd_fence_actions_total', 'mdclusterd_leader_changes_total', 'mdclusterd_transport_sent_frames_total']) {
      expect(t).toContain(`# TYPE ${c} counter`);
    }
    setView({ counters: { droppedFrames: 5, reconcilePasses: 3, reconcileFailures: 1, fenceActions: 0 } });
    stats.peers.node2!.sentFrames = 42;
    stats.peers.node2!.droppedQueueFull = 2;
    emit({ name: 'MasterChanged' }); emit({ name: 'NodeUp' });
    t = await m.registry.metrics();
    expect(value(t, 'mdclusterd_dropped_frames_total')).toBe(5);
    expect(value(t, 'mdclusterd_leader_changes_total')).toBe(1);
    expect(value(t, 'mdclusterd_transport_sent_frames_total{peer="node2"}')).toBe(42);
    expect(value(t, 'mdclusterd_transport_dropped_frames_total{peer="node2",reason="queue_full"}')).toBe(2);
    expect(value(t, 'mdclusterd_transport_refusals_total{reason="not-tls"}')).toBe(3);
    expect(value(t, 'mdclusterd_transport_inbound_sockets{stage="strangers"}')).toBe(1);
    setView({ counters: { droppedFrames: 7, reconcilePasses: 3, reconcileFailures: 1, fenceActions: 0 } });
    expect(value(await m.registry.metrics(), 'mdclusterd_dropped_frames_total')).toBe(7);
    setView({ counters: { droppedFrames: 0, reconcilePasses: 0, reconcileFailures: 0, fenceActions: 0 } }); // a reset adds nothing
    expect(value(await m.registry.metrics(), 'mdclusterd_dropped_frames_total')).toBe(7);
  });

  it('histograms, build info, lease gauges', async () => {
    const { m } = setup();
    m.observeCommitMs(4, 'ok'); m.observeWalSaveMs(1.5); m.observeTimings({ promotionMs: 30, failoverMs: 420 });
    const t = await m.registry.metrics();
    expect(value(t, 'mdclusterd_commit_latency_seconds_count{outcome="ok"}')).toBe(1);
    expect(value(t, 'mdclusterd_wal_fsync_seconds_bucket{le="0.0025"}')).toBe(1);
    expect(value(t, 'mdclusterd_failover_seconds_bucket{le="0.4"}')).toBe(0);
    expect(value(t, 'mdclusterd_failover_seconds_bucket{le="0.5"}')).toBe(1);
    expect(value(t, 'mdclusterd_promotion_seconds_count')).toBe(1);
    expect(t).toContain('# TYPE mdclusterd_peer_rtt_seconds histogram');
    expect(value(t, `mdclusterd_build_info{version="9.9.9",node="node1",nodejs="${process.version}"}`)).toBe(1);
    expect(value(t, 'mdclusterd_lease_remaining_seconds')).toBeCloseTo(0.2);
    expect(value(t, 'mdclusterd_lease_demote_margin_seconds')).toBeCloseTo(0.04);
  });

  it('event-loop lag of the tick path: a histogram in seconds whose 0.05 bucket judges the p99 target', async () => {
    const { m } = setup();
    for (let i = 0; i < 98; i++) m.observeTickLagMs(0.4);
    m.observeTickLagMs(50); m.observeTickLagMs(750);
    const t = await m.registry.metrics();
    expect(t).toContain('# TYPE mdclusterd_event_loop_lag_seconds histogram');
    expect(value(t, 'mdclusterd_event_loop_lag_seconds_bucket{le="0.001"}')).toBe(98);
    expect(value(t, 'mdclusterd_event_loop_lag_seconds_bucket{le="0.05"}')).toBe(99);
    expect(value(t, 'mdclusterd_event_loop_lag_seconds_bucket{le="0.5"}')).toBe(99);
    expect(value(t, 'mdclusterd_event_loop_lag_seconds_bucket{le="1"}')).toBe(100);
    expect(value(t, 'mdclusterd_event_loop_lag_seconds_sum')).toBeCloseTo(0.8392);
  });

  it('default metrics: process, event-loop lag and GC', async () => {
    const { m } = setup({ defaultMetrics: true });
    const t = await m.registry.metrics();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) expect(t).toContain(`# TYPE ${name}`);
  });
});

describe('promotion and failover timings (sampled)', () => {
  const s = (over: Partial<TimingSample>): TimingSample => ({ role: 'follower', term: 4, lead: 'node1', writer: false, master: 'node1', masterUp: true, ...over });
  it('failover: from the master lost to another master applied and reachable', () => {
    const t = new Timings();
    expect(t.sample(s({}), 0)).toEqual({});
    expect(t.sample(s({ masterUp: false }), 100)).toEqual({});
    expect(t.sample(s({ masterUp: false, lead: null }), 200)).toEqual({});
    expect(t.sample(s({ lead: 'node2', term: 5, masterUp: false }), 450)).toEqual({});
    expect(t.sample(s({ lead: 'node2', term: 5, master: 'node2' }), 500)).toEqual({ failoverMs: 400 });
    expect(t.sample(s({ lead: 'node2', term: 5, master: 'node2' }), 550)).toEqual({});
  });
  it('the same master coming back is no failover', () => {
    const t = new Timings();
    t.sample(s({ masterUp: false }), 100);
    expect(t.sample(s({}), 300)).toEqual({});
  });
  it('promotion: leader in a term to writer, once per term', () => {
    const t = new Timings();
    expect(t.sample(s({ role: 'leader', term: 6, lead: 'me', master: 'node1', masterUp: false }), 1000)).toEqual({});
    expect(t.sample(s({ role: 'leader', term: 6, lead: 'me', master: 'me', writer: true }), 1080)).toEqual({ promotionMs: 80, failoverMs: 80 });
    expect(t.sample(s({ role: 'leader', term: 6, lead: 'me', master: 'me', writer: true }), 1100)).toEqual({});
  });
});
