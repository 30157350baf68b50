// What the status endpoint shows, computed from the node on each request: the status JSON,
// the cluster-wide mdstat and Prometheus metrics. Owns: the /api/v1/status shape and metric
// names (node_exporter's node_md_* where they fit, mdclusterd_* for Raft and the cluster).
// Invariants: everything here is derived from one read model of the node (NodeView,
// node/view.ts), taken per request or per metric, never from Raft's status directly; the
// cluster-wide mdstat is identical on every node that applied the same index.
import { Gauge, Registry } from 'prom-client';
import { degradedCount } from '../cluster/redundancy.js';
import { inSyncSlots } from '../cluster/validate.js';
import { newestStartedFirst } from '../cluster/types.js';
import { clusterArrayView } from '../cluster/view.js';
import { mdstatFromArrays } from '../md/format/mdstat-from-arrays.js';
import { moduleOfLevel, personalitiesForModules } from '../md/format/levels.js';
import { renderMdstat } from '../md/format/mdstat-render.js';
import type { ClusterNode } from '../node/node.js';
import type { NodeView } from '../node/view.js';
import type { StatusSource } from './server.js';
import { STATUS_READ_TIMEOUT_MS } from '../common/limits.js';

export function clusterMdstat(view: Pick<NodeView, 'state'>): string {
  const running = view.state.arrays.filter((a) => a.run === 'running' && a.materialized);
  const views = newestStartedFirst(running).map(clusterArrayView);
  // md keeps a personality registered once its module loaded, after the last array using it
  // stopped: the header lists the levels of every array that ran (oldest started first), not
  // only the running ones (an empty "Personalities :" line when none runs was wrong).
  const everRan = newestStartedFirst(view.state.arrays.filter((a) => a.materialized)).reverse();
  const personalities = personalitiesForModules(everRan.map((a) => moduleOfLevel(a.level)));
  return renderMdstat(mdstatFromArrays(views, { personalities }));
}

export function statusJson(v: NodeView): Record<string, unknown> {
  const s = v.state;
  const master = s.master && v.lead !== null ? s.master.node : null;
  const voters = new Set(v.conf.voters);
  const learners = new Set(v.conf.learners);
  const nodes = s.nodes.map((n) => {
    const up = n.id === v.id ? true : v.peers.get(n.id)?.up === true;
    const role = !up ? 'down' : learners.has(n.id) ? 'learner' : n.id === master ? 'master' : voters.has(n.id) ? 'standby' : 'learner';
    return { id: n.id, address: n.address, role, healthy: up, appliedIndex: n.id === v.id ? s.appliedIndex : (v.peers.get(n.id)?.applied ?? null) };
  });
  const arrays = s.arrays.map((a) => ({
    device: `/dev/${a.device}`, uuid: a.uuid, name: a.name, level: a.level,
    state: a.run === 'stopped' ? 'stopped' : a.adminReadOnly ? 'read-only' : degradedCount(a.raidDisks, inSyncSlots(a)) > 0 ? 'degraded' : 'clean',
    writableOn: a.run === 'running' && !a.adminReadOnly ? master : null,
    members: a.members.filter((m) => m.role !== 'removed').map((m) => ({ device: m.path, role: m.role === 'active' ? (m.slot ?? -1) : m.role, state: m.role === 'active' ? (m.inSync ? 'in_sync' : 'recovering') : m.role })),
    sync: { action: a.sync.action, doneSectors: a.sync.doneSectors, totalSectors: a.sync.totalSectors },
  }));
  return {
    node: v.id, term: v.term, master, leader: v.lead, role: v.role, commitIndex: v.commit, appliedIndex: s.appliedIndex,
    writer: v.writer, lease: v.lease,
    nodes, arrays, writerLog: v.writerLog,
  };
}

export interface StatusExtras {
  /** notAfter (epoch ms) of this node's certificate and of the CA in use (tls-material.ts tlsExpiryMs). */
  tlsExpiryMs?: () => { certMs: number; caMs: number };
}

export function makeStatusSource(node: ClusterNode, extras: StatusExtras = {}): StatusSource {
  const freshen = async (stale: boolean): Promise<void> => {
    if (!stale) await node.readState({ local: false, timeoutMs: STATUS_READ_TIMEOUT_MS });
  };
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => void) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect(this: Gauge) { this.reset(); collect(this); } });
  const view = (): NodeView => node.view();
  g('node_md_disks', 'Number of member disks of the array by state (cluster view).', ['device', 'state'], (m) => {
    for (const a of view().state.arrays) for (const st of ['active', 'failed', 'spare'] as const) {
      const n = a.members.filter((x) => (st === 'active' ? x.role === 'active' : st === 'failed' ? x.role === 'faulty' : x.role === 'spare')).length;
      m.set({ device: a.device, state: st }, n);
    }
  });
  g('node_md_disks_required', 'Total number of disks of the array.', ['device'], (m) => { for (const a of view().state.arrays) m.set({ device: a.device }, a.raidDisks); });
  g('node_md_blocks_synced', 'Sectors synced of the current resync/recovery (master checkpoint).', ['device'], (m) => { for (const a of view().state.arrays) m.set({ device: a.device }, a.sync.doneSectors); });
  g('mdclusterd_raft_term', 'Current Raft term.', [], (m) => m.set(view().term));
  g('mdclusterd_raft_commit_index', 'Raft commit index.', [], (m) => m.set(view().commit));
  g('mdclusterd_raft_applied_index', 'Index of the last applied entry.', [], (m) => m.set(view().state.appliedIndex));
  g('mdclusterd_is_leader', '1 if this node is the Raft leader.', [], (m) => m.set(view().role === 'leader' ? 1 : 0));
  g('mdclusterd_is_writer', '1 if this node holds the writer (master) role.', [], (m) => m.set(view().writer ? 1 : 0));
  g('mdclusterd_peer_up', '1 if the peer link is up.', ['peer'], (m) => { for (const [p, peer] of view().peers) if (peer.up !== null) m.set({ peer: p }, peer.up ? 1 : 0); });
  g('mdclusterd_dropped_frames_total', 'Peer frames dropped as malformed.', [], (m) => m.set(view().counters.droppedFrames));
  g('mdclusterd_reconcile_failures_total', 'md actions that failed during reconcile.', [], (m) => m.set(view().counters.reconcileFailures));
  g('mdclusterd_fence_actions_total', 'Demotion failures escalated to a fence action.', [], (m) => m.set(view().counters.fenceActions));
  const expiry = extras.tlsExpiryMs;
  if (expiry) {
    g('mdclusterd_tls_cert_expiry_seconds', 'Seconds until the certificate expires (negative: expired); cert="node" is this node\'s, cert="ca" the cluster CA.', ['cert'], (m) => {
      const e = expiry();
      const nowMs = Date.now();
      m.set({ cert: 'node' }, Math.floor((e.certMs - nowMs) / 1000));
      m.set({ cert: 'ca' }, Math.floor((e.caMs - nowMs) / 1000));
    });
  }
  return {
    freshen,
    statusJson: () => statusJson(node.view()),
    mdstatText: () => clusterMdstat(node.view()),
    metricsText: () => registry.metrics(),
    metricsContentType: registry.contentType,
    healthy: () => {
      const st = node.view();
      if (st.stopping) return { ok: false, reason: 'stopping' };
      if (st.lead === null) return { ok: false, reason: 'no leader known' };
      return { ok: true, reason: `term ${st.term}, leader ${st.lead}` };
    },
    subscribe: (fn) => node.events.subscribe(fn),
  };
}
