// The /metrics registry: mdclusterd_* only (this daemon exports no node_* series; node_exporter
// owns those). Owns: every metric name, type and help text of the daemon.
// Invariants:
// - One owner per series: the cluster view of the arrays (mdclusterd_md_*, md-metrics.ts) is
//   exported by the Raft leader only, so summing over instances never counts an array twice;
//   per-node facts (Raft, writer role, transport, process) are exported by every node about
//   itself.
// - Counters only grow: totals kept by the node or the transport are exported as prom-client
//   Counters by adding the growth since the last scrape (a total that went down, after a
//   restart of the part, adds nothing).
// - Histograms are observed where the measurement is taken (observe* below); nothing here
//   reads a clock.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { METRICS_EVENT_LOOP_RESOLUTION_MS } from '../common/limits.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterEvent } from '../control/protocol.js';
import type { NodeView } from '../node/view.js';
import type { TransportStats } from '../transport/stats.js';
import { mdSamples } from './md-metrics.js';
import type { TimingObservations } from './timings.js';

export interface MetricsOptions {
  view: () => NodeView;
  subscribe: (fn: (e: ClusterEvent) => void) => () => void;
  /** The daemon's version (package.json) for mdclusterd_build_info. */
  version: string;
  tickMs: number;
  demoteMarginTicks: number;
  transportStats?: () => TransportStats;
  /** PEM files whose notAfter is exported (mdclusterd_tls_cert_not_after_seconds{cert}). */
  certFiles?: Record<string, string>;
  /** prom-client's process/event-loop/GC metrics (off in unit tests that build many registries). */
  defaultMetrics?: boolean;
}

export interface Metrics {
  registry: Registry;
  observeCommitMs(ms: number, outcome: 'ok' | 'error'): void;
  observeWalSaveMs(ms: number): void;
  observePeerRttMs(peer: string, ms: number): void;
  /** How late the Raft tick timer ran (node.ts onTick): event-loop lag on the timing-critical path. */
  observeTickLagMs(ms: number): void;
  observeTimings(t: TimingObservations): void;
  close(): void;
}

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Event-loop lag: fine below the heartbeat interval, up to stalls that cost a lease; 0.05 is issue 15's p99 target. */
export const LOOP_LAG_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];
const FAILOVER_BUCKETS_S = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 2, 5, 10, 30];

/** A Counter fed from a total kept elsewhere: adds the growth per label set since the last scrape. */
function totalCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Iterable<[Record<string, string>, number]>): void {
  const last = new Map<string, number>();
  new Counter({
    name, help, labelNames, registers: [registry],
    collect(this: Counter) {
      for (const [labels, total] of read()) {
        const key = JSON.stringify(labels);
        const grew = total - (last.get(key) ?? 0);
        last.set(key, total);
        if (grew > 0) this.inc(labels, grew);
        else this.inc(labels, 0);
      }
    },
  });
}

function certNotAfterSeconds(file: string): number | null {
  try { return Math.floor(Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000); } catch { return null; }
}

const PEER_COUNTERS = [
  ['sentFrames', 'sent_frames', 'Frames handed to the peer socket.'],
  ['sentBytes', 'sent_bytes', 'Bytes handed to the peer socket (frame headers included).'],
  ['receivedFrames', 'received_frames', 'Valid frames received from the peer.'],
  ['receivedBytes', 'received_bytes', 'Bytes of valid frames received from the peer.'],
  ['connects', 'connects', 'Outbound links opened to the peer.'],
  ['disconnects', 'disconnects', 'Outbound links to the peer closed after being open.'],
  ['dialFailures', 'dial_failures', 'Dial attempts to the peer that failed.'],
  ['deadLinks', 'dead_links', 'Links to the peer terminated for missing pongs.'],
  ['inboundAccepted', 'inbound_accepted', 'Inbound links accepted from the peer.'],
] as const;
const DROP_REASONS = [
  ['droppedQueueFull', 'queue_full'], ['droppedBlocked', 'blocked'], ['droppedTooLarge', 'too_large'],
  ['droppedProtocol', 'protocol'], ['oversizedFrames', 'oversized'],
] as const;

export function createMetrics(o: MetricsOptions): Metrics {
  const registry = new Registry();
  if (o.defaultMetrics !== false) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: METRICS_EVENT_LOOP_RESOLUTION_MS });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge, v: NodeView) => void): void => {
    new Gauge({ name, help, labelNames, registers: [registry], collect(this: Gauge) { this.reset(); collect(this, o.view()); } });
  };
  const self = o.view().id;
  new Gauge({ name: 'mdclusterd_build_info', help: 'Always 1; labels say which build runs.', labelNames: ['version', 'node', 'nodejs'], registers: [registry] })
    .set({ version: o.version, node: self, nodejs: process.version }, 1);

  // ---- the cluster view of the arrays: the leader only ----
  const mdHelp: Record<string, string> = {
    mdclusterd_md_state: 'Cluster view: 1 for the array\'s current state (active, inactive, recovering, resync, check). Exported by the Raft leader only.',
    mdclusterd_md_disks: 'Cluster view: members by state (active = in sync, down = slots not in sync, failed, spare). Leader only.',
    mdclusterd_md_disks_required: 'Cluster view: raid disks of the array. Leader only.',
    mdclusterd_md_blocks: 'Cluster view: array size in KiB. Leader only.',
    mdclusterd_md_blocks_synced: 'Cluster view: KiB synced on md\'s sync scale (mdstat\'s done of done/total: per member for recovery and raid4/5/6); equals blocks when no sync runs. Leader only.',
    mdclusterd_md_sync_completed_ratio: 'Cluster view: fraction of the running resync/recovery/check done (the master\'s last checkpoint); 1 when none runs. Leader only.',
  };
  // mdclusterd_md_state is registered first and its collect fills all of them from one view
  // (prom-client collects in registration order).
  const mdGauges = new Map<string, Gauge>();
  const fillMd = (): void => {
    for (const g of mdGauges.values()) g.reset();
    const v = o.view();
    if (v.role !== 'leader') return;
    for (const s of mdSamples(v.state.arrays)) mdGauges.get(s.name)!.set(s.labels, s.value);
  };
  for (const [name, help] of Object.entries(mdHelp)) {
    const labelNames = name === 'mdclusterd_md_state' || name === 'mdclusterd_md_disks' ? ['device', 'state'] : ['device'];
    mdGauges.set(name, new Gauge({ name, help, labelNames, registers: [registry], ...(name === 'mdclusterd_md_state' ? { collect: fillMd } : {}) }));
  }

  // ---- this node ----
  gauge('mdclusterd_raft_term', 'Current Raft term.', [], (g, v) => g.set(v.term));
  gauge('mdclusterd_raft_commit_index', 'Raft commit index.', [], (g, v) => g.set(v.commit));
  gauge('mdclusterd_raft_applied_index', 'Index of the last applied entry.', [], (g, v) => g.set(v.state.appliedIndex));
  gauge('mdclusterd_is_leader', '1 if this node is the Raft leader.', [], (g, v) => g.set(v.role === 'leader' ? 1 : 0));
  gauge('mdclusterd_is_writer', '1 if this node holds the writer (master) role.', [], (g, v) => g.set(v.writer ? 1 : 0));
  gauge('mdclusterd_leader_known', '1 if this node knows a Raft leader (0: no quorum reachable from here).', [], (g, v) => g.set(v.lead === null ? 0 : 1));
  gauge('mdclusterd_raft_voters', 'Voters in the Raft configuration.', [], (g, v) => g.set(v.conf.voters.length));
  gauge('mdclusterd_peer_up', '1 if the peer link is up.', ['peer'], (g, v) => { for (const [p, peer] of v.peers) if (peer.up !== null) g.set({ peer: p }, peer.up ? 1 : 0); });
  gauge('mdclusterd_lease_remaining_seconds', 'Leader only: time left on the writer lease.', [], (g, v) => {
    if (v.role === 'leader' && v.lease.endTick !== null) g.set(Math.max(0, v.lease.endTick - v.lease.nowTick) * o.tickMs / 1000);
  });
  gauge('mdclusterd_lease_demote_margin_seconds', 'The writer gives up its arrays this long before its lease ends.', [], (g) => g.set(o.demoteMarginTicks * o.tickMs / 1000));
  if (o.certFiles) {
    const files = o.certFiles;
    gauge('mdclusterd_tls_cert_not_after_seconds', 'Expiry (notAfter, seconds since the epoch) of a certificate this node uses.', ['cert'], (g) => {
      for (const [cert, file] of Object.entries(files)) { const t = certNotAfterSeconds(file); if (t !== null) g.set({ cert }, t); }
    });
  }

  // ---- counters ----
  totalCounter(registry, 'mdclusterd_dropped_frames_total', 'Peer frames, gossip bodies and Raft messages dropped as malformed.', [], () => [[{}, o.view().counters.droppedFrames]]);
  totalCounter(registry, 'mdclusterd_reconcile_passes_total', 'Reconcile passes run.', [], () => [[{}, o.view().counters.reconcilePasses]]);
  totalCounter(registry, 'mdclusterd_reconcile_failures_total', 'md actions that failed during reconcile.', [], () => [[{}, o.view().counters.reconcileFailures]]);
  totalCounter(registry, 'mdclusterd_fence_actions_total', 'Demotion failures escalated to a fence action.', [], () => [[{}, o.view().counters.fenceActions]]);
  const leaderChanges = new Counter({ name: 'mdclusterd_leader_changes_total', help: 'Master changes applied on this node (MasterChanged events).', registers: [registry] });
  leaderChanges.inc(0);
  const unsubscribe = o.subscribe((e) => { if (e.name === 'MasterChanged') leaderChanges.inc(); });
  if (o.transportStats) {
    const stats = o.transportStats;
    for (const [key, name, help] of PEER_COUNTERS) {
      totalCounter(registry, `mdclusterd_transport_${name}_total`, help, ['peer'], () => Object.entries(stats().peers).map(([peer, c]) => [{ peer }, c[key]]));
    }
    totalCounter(registry, 'mdclusterd_transport_dropped_frames_total', 'Peer frames dropped by the transport, by reason.', ['peer', 'reason'], () =>
      Object.entries(stats().peers).flatMap(([peer, c]) => DROP_REASONS.map(([key, reason]) => [{ peer, reason }, c[key]] as [Record<string, string>, number])));
    totalCounter(registry, 'mdclusterd_transport_refused_connections_total', 'Inbound connections refused after TLS.', [], () => [[{}, stats().refusedConnections]]);
    totalCounter(registry, 'mdclusterd_transport_tls_errors_total', 'Inbound TLS handshakes that failed.', [], () => [[{}, stats().tlsErrors]]);
    totalCounter(registry, 'mdclusterd_transport_refusals_total', 'Inbound peer-port connections refused or failed, by reason (transport/stats.ts REFUSAL_REASONS).', ['reason'], () =>
      Object.entries(stats().refusals).map(([reason, n]) => [{ reason }, n ?? 0] as [Record<string, string>, number]));
    gauge('mdclusterd_transport_inbound_sockets', 'Inbound peer-port sockets held now, by stage (pending: before TLS completes; open) and of them from non-peer addresses (strangers).', ['stage'], (g) => {
      const a = stats().admission;
      g.set({ stage: 'pending' }, a.pending); g.set({ stage: 'open' }, a.open); g.set({ stage: 'strangers' }, a.strangers);
    });
    totalCounter(registry, 'mdclusterd_transport_local_stalls_total', 'Heartbeat sweeps that ran late (this process was stalled).', [], () => [[{}, stats().localStalls]]);
    gauge('mdclusterd_transport_queued_frames', 'Frames waiting in the send queue to the peer.', ['peer'], (g) => { for (const [peer, c] of Object.entries(stats().peers)) g.set({ peer }, c.queuedFrames); });
  }

  // ---- histograms ----
  const commit = new Histogram({ name: 'mdclusterd_commit_latency_seconds', help: 'Control-socket proposals on this node: submit to answer (commit, apply and md verdict when waited for).', labelNames: ['outcome'], buckets: LATENCY_BUCKETS_S, registers: [registry] });
  const wal = new Histogram({ name: 'mdclusterd_wal_fsync_seconds', help: 'Raft storage saves that had to be durable (write + fdatasync).', buckets: LATENCY_BUCKETS_S, registers: [registry] });
  const rtt = new Histogram({ name: 'mdclusterd_peer_rtt_seconds', help: 'Peer link ping to pong round trip.', labelNames: ['peer'], buckets: LATENCY_BUCKETS_S, registers: [registry] });
  const loopLag = new Histogram({ name: 'mdclusterd_event_loop_lag_seconds',
    help: 'How late the Raft tick timer ran (time since the previous tick beyond tick-ms): event-loop lag on the path that runs ticks, heartbeats and the lease. Over a window, histogram_quantile(0.99, rate(..._bucket[5m])) is the p99 (nodejs_eventloop_lag_p99_seconds is prom-client\'s, reset at every scrape and including its own 10 ms interval).',
    buckets: LOOP_LAG_BUCKETS_S, registers: [registry] });
  const promotion = new Histogram({ name: 'mdclusterd_promotion_seconds', help: 'Becoming Raft leader to holding the writer role, on this node (sampled).', buckets: FAILOVER_BUCKETS_S, registers: [registry] });
  const failover = new Histogram({ name: 'mdclusterd_failover_seconds', help: 'Master lost to another master applied and reachable, as this node saw it (sampled).', buckets: FAILOVER_BUCKETS_S, registers: [registry] });
  return {
    registry,
    observeCommitMs: (ms, outcome) => commit.observe({ outcome }, ms / 1000),
    observeWalSaveMs: (ms) => wal.observe(ms / 1000),
    observePeerRttMs: (peer, ms) => rtt.observe({ peer }, ms / 1000),
    observeTickLagMs: (ms) => loopLag.observe(ms / 1000),
    observeTimings: (t) => {
      if (t.promotionMs !== undefined) promotion.observe(t.promotionMs / 1000);
      if (t.failoverMs !== undefined) failover.observe(t.failoverMs / 1000);
    },
    close: () => { unsubscribe(); },
  };
}
