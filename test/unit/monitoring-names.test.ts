// The shipped Grafana dashboard and alert rules name only metrics /metrics really exports (a
// renamed metric must not leave a silent panel or an alert that can never fire).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodeView } from '../../daemon/src/node/view.js';
import { createMetrics } from '../../daemon/src/status/metrics.js';
import { newPeerCounters } from '../../daemon/src/transport/stats.js';
import { arrayRecord } from './record-fixtures.js';

const view = {
  id: 'n1', role: 'leader', term: 2, lead: 'n1', commit: 1, lastIndex: 1, conf: { voters: ['n1'], learners: [] },
  lease: { valid: true, endTick: 10, nowTick: 1 }, writer: true, state: { arrays: [arrayRecord()], appliedIndex: 1, master: null },
  peers: new Map([['n2', { up: true, applied: 1 }]]), counters: { droppedFrames: 0, reconcilePasses: 0, reconcileFailures: 0, fenceActions: 0 }, writerLog: [], stopping: false,
} as unknown as NodeView;

async function exported(): Promise<Set<string>> {
  const m = createMetrics({
    view: () => view, subscribe: () => () => undefined, version: 't', tickMs: 10, demoteMarginTicks: 4,
    transportStats: () => ({ self: view.id, peers: { n2: { ...newPeerCounters(), up: true, blocked: false, inbound: false, queuedFrames: 0, queuedBytes: 0 } }, refusedConnections: 0, tlsErrors: 0, droppedUnknownDestination: 0, localStalls: 0, refusedAtAccept: 0, refusals: { 'handshake-timeout': 2 }, admission: { pending: 0, open: 1, strangers: 0, knownAddresses: 2 } }),
    certFiles: {},
  });
  const names = new Set<string>();
  for (const line of (await m.registry.metrics()).split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!t) continue;
    names.add(t[1]!);
    if (t[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(t[1]! + s);
  }
  m.close();
  return names;
}
const referenced = (text: string): string[] => [...new Set(text.match(/\b(?:mdclusterd|process|nodejs)_[a-z0-9_]+/g) ?? [])];

describe('monitoring files name exported metrics', () => {
  it('etc/grafana/mdclusterd.json', async () => {
    const names = await exported();
    const dash = JSON.parse(readFileSync('etc/grafana/mdclusterd.json', 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    const missing = referenced(exprs).filter((n) => !names.has(n));
    expect(missing).toEqual([]);
    expect(referenced(exprs).length).toBeGreaterThan(15);
  });
  it('etc/prometheus/alerts.yml', async () => {
    const names = await exported();
    const rules = readFileSync('etc/prometheus/alerts.yml', 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(referenced(rules).filter((n) => !names.has(n))).toEqual([]);
  });
});
