// What the status endpoint shows, computed from the node on each request: the status JSON,
// the cluster-wide mdstat; Prometheus metrics come from metrics.ts. Owns: the /api/v1/status
// shape (fields are only ever added, never renamed: the dashboard and scripts read it).
// Invariants: everything here is derived from one read model of the node (NodeView,
// node/view.ts), taken per request, never from Raft's status directly; the
// cluster-wide mdstat is identical on every node that applied the same index.
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
import type { Metrics } from './metrics.js';
import type { TimingSample } from './timings.js';
import type { ClusterEvent } from '../control/protocol.js';
import { blocksKiB } from './md-metrics.js';
import { STATUS_JSON_EVENTS, STATUS_READ_TIMEOUT_MS } from '../common/limits.js';

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

export function statusJson(v: NodeView, events: readonly ClusterEvent[] = []): Record<string, unknown> {
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
    sync: { action: a.sync.action, doneSectors: a.sync.doneSectors, totalSectors: a.sync.totalSectors, speedKiBps: a.sync.speedKiBps, finishSec: finishSec(a.sync) },
    sizeKiB: blocksKiB(a), raidDisks: a.raidDisks,
  }));
  return {
    node: v.id, term: v.term, master, leader: v.lead, role: v.role, commitIndex: v.commit, appliedIndex: s.appliedIndex,
    writer: v.writer, lease: v.lease,
    nodes, arrays, writerLog: v.writerLog,
    leaseRemainingTicks: v.lease.endTick === null ? null : Math.max(0, v.lease.endTick - v.lease.nowTick),
    events: events.slice(-STATUS_JSON_EVENTS),
  };
}

/** Seconds left of a running sync at the recorded speed (null: idle or speed unknown). */
export function finishSec(s: { action: string; doneSectors: number; totalSectors: number; speedKiBps: number }): number | null {
  if (s.action === 'idle' || s.speedKiBps <= 0 || s.totalSectors <= 0) return null;
  return Math.ceil(Math.max(0, s.totalSectors - s.doneSectors) / 2 / s.speedKiBps);
}

export function makeStatusSource(node: ClusterNode, metrics: Metrics): StatusSource {
  const freshen = async (stale: boolean): Promise<void> => {
    if (!stale) await node.readState({ local: false, timeoutMs: STATUS_READ_TIMEOUT_MS });
  };
  return {
    freshen,
    statusJson: () => statusJson(node.view(), node.events.history),
    mdstatText: () => clusterMdstat(node.view()),
    metricsText: () => metrics.registry.metrics(),
    metricsContentType: metrics.registry.contentType,
    healthy: () => {
      const st = node.view();
      if (st.stopping) return { ok: false, reason: 'stopping' };
      if (st.lead === null) return { ok: false, reason: 'no leader known' };
      return { ok: true, reason: `term ${st.term}, leader ${st.lead}` };
    },
    subscribe: (fn) => node.events.subscribe(fn),
  };
}

/** The facts the promotion/failover timings (timings.ts) are sampled from. */
export function timingSample(v: NodeView): TimingSample {
  const master = v.state.master?.node ?? null;
  return { role: v.role, term: v.term, lead: v.lead, writer: v.writer, master, masterUp: master === v.id || v.peers.get(master ?? '')?.up === true };
}
