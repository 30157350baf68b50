// What the status endpoint shows, computed from the node on each request: the status JSON,
// the cluster-wide mdstat and Prometheus metrics. Owns: the /api/v1/status shape and metric
// names (node_exporter's node_md_* where they fit, mdclusterd_* for Raft and the cluster).
// Invariant: everything here is derived from the replicated state and the node's Raft status;
// the cluster-wide mdstat is identical on every node that applied the same index.
import { Gauge, Registry } from 'prom-client';
import { degradedCount } from '../cluster/redundancy.js';
import { inSyncSlots } from '../cluster/validate.js';
import { newestStartedFirst } from '../cluster/types.js';
import { clusterArrayView } from '../cluster/view.js';
import { mdstatFromArrays } from '../md/format/mdstat-from-arrays.js';
import { renderMdstat } from '../md/format/mdstat-render.js';
import type { ClusterNode } from '../node/node.js';
import type { StatusSource } from './server.js';
import { STATUS_READ_TIMEOUT_MS } from '../common/limits.js';

export function clusterMdstat(node: ClusterNode): string {
  const running = node.state.arrays.filter((a) => a.run === 'running' && a.materialized);
  const views = newestStartedFirst(running).map(clusterArrayView);
  return renderMdstat(mdstatFromArrays(views));
}

export function statusJson(node: ClusterNode): Record<string, unknown> {
  const st = node.raft.status();
  const s = node.state;
  const master = s.master && st.lead !== null ? s.master.node : null;
  const voters = new Set(st.conf.voters);
  const learners = new Set(st.conf.learners);
  const nodes = s.nodes.map((n) => {
    const up = n.id === st.id ? true : node.peerUp.get(n.id) === true;
    const role = !up ? 'down' : learners.has(n.id) ? 'learner' : n.id === master ? 'master' : voters.has(n.id) ? 'standby' : 'learner';
    return { id: n.id, address: n.address, role, healthy: up, appliedIndex: n.id === st.id ? s.appliedIndex : (node.peerApplied.get(n.id) ?? null) };
  });
  const arrays = s.arrays.map((a) => ({
    device: `/dev/${a.device}`, uuid: a.uuid, name: a.name, level: a.level,
    state: a.run === 'stopped' ? 'stopped' : a.adminReadOnly ? 'read-only' : degradedCount(a.raidDisks, inSyncSlots(a)) > 0 ? 'degraded' : 'clean',
    writableOn: a.run === 'running' && !a.adminReadOnly ? master : null,
    members: a.members.filter((m) => m.role !== 'removed').map((m) => ({ device: m.path, role: m.role === 'active' ? (m.slot ?? -1) : m.role, state: m.role === 'active' ? (m.inSync ? 'in_sync' : 'recovering') : m.role })),
    sync: { action: a.sync.action, doneSectors: a.sync.doneSectors, totalSectors: a.sync.totalSectors },
  }));
  return {
    node: st.id, term: st.term, master, leader: st.lead, role: st.role, commitIndex: st.commit, appliedIndex: s.appliedIndex,
    writer: node.writer.isWriter(), lease: { valid: node.raft.leaseValid(), endTick: st.leaseEndTick, nowTick: st.nowTick },
    nodes, arrays, writerLog: node.writerLog.recent(),
  };
}

export function makeStatusSource(node: ClusterNode): StatusSource {
  const freshen = async (stale: boolean): Promise<void> => {
    if (!stale) await node.readState({ local: false, timeoutMs: STATUS_READ_TIMEOUT_MS });
  };
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[], collect: (gauge: Gauge) => void) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect(this: Gauge) { this.reset(); collect(this); } });
  g('node_md_disks', 'Number of member disks of the array by state (cluster view).', ['device', 'state'], (m) => {
    for (const a of node.state.arrays) for (const st of ['active', 'failed', 'spare'] as const) {
      const n = a.members.filter((x) => (st === 'active' ? x.role === 'active' : st === 'failed' ? x.role === 'faulty' : x.role === 'spare')).length;
      m.set({ device: a.device, state: st }, n);
    }
  });
  g('node_md_disks_required', 'Total number of disks of the array.', ['device'], (m) => { for (const a of node.state.arrays) m.set({ device: a.device }, a.raidDisks); });
  g('node_md_blocks_synced', 'Sectors synced of the current resync/recovery (master checkpoint).', ['device'], (m) => { for (const a of node.state.arrays) m.set({ device: a.device }, a.sync.doneSectors); });
  g('mdclusterd_raft_term', 'Current Raft term.', [], (m) => m.set(node.raft.status().term));
  g('mdclusterd_raft_commit_index', 'Raft commit index.', [], (m) => m.set(node.raft.status().commit));
  g('mdclusterd_raft_applied_index', 'Index of the last applied entry.', [], (m) => m.set(node.state.appliedIndex));
  g('mdclusterd_is_leader', '1 if this node is the Raft leader.', [], (m) => m.set(node.raft.status().role === 'leader' ? 1 : 0));
  g('mdclusterd_is_writer', '1 if this node holds the writer (master) role.', [], (m) => m.set(node.writer.isWriter() ? 1 : 0));
  g('mdclusterd_peer_up', '1 if the peer link is up.', ['peer'], (m) => { for (const [p, up] of node.peerUp) m.set({ peer: p }, up ? 1 : 0); });
  g('mdclusterd_dropped_frames_total', 'Peer frames dropped as malformed.', [], (m) => m.set(node.droppedFrames + node.raft.status().droppedMessages));
  g('mdclusterd_reconcile_failures_total', 'md actions that failed during reconcile.', [], (m) => m.set(node.reconciler.failures));
  g('mdclusterd_fence_actions_total', 'Demotion failures escalated to a fence action.', [], (m) => m.set(node.writer.fenceActions));
  return {
    freshen,
    statusJson: () => statusJson(node),
    mdstatText: () => clusterMdstat(node),
    metricsText: () => registry.metrics(),
    metricsContentType: registry.contentType,
    healthy: () => {
      const st = node.raft.status();
      if (node.stopped) return { ok: false, reason: 'stopping' };
      if (st.lead === null) return { ok: false, reason: 'no leader known' };
      return { ok: true, reason: `term ${st.term}, leader ${st.lead}` };
    },
    subscribe: (fn) => node.events.subscribe(fn),
  };
}
