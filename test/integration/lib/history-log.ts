// Offline reading of the replicated log a stopped daemon left on disk, for the history checks:
// which client requests were applied (and how often), at which index, with which final outcome,
// and the state each node's committed log leads to. Owns: a private copy of a node's data
// directory (DiskStorage.open may repair a torn tail: the original stays as the daemon left it,
// for a replay of a failure) and the replay of its committed entries through the daemon's own
// applyEntry (cluster/apply.ts), so "applied" means exactly what the daemon's state machine did.
// Invariants: only entries at or below the node's durable commit index are replayed; a log that
// starts after a snapshot is replayed from the snapshot's state and says so (snapshotIndex > 0:
// requests applied before it are not visible here).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEntry } from '../../../daemon/src/cluster/apply.js';
import { decodeCommand } from '../../../daemon/src/cluster/commands.js';
import { findResult } from '../../../daemon/src/cluster/sessions.js';
import { emptyClusterState, sessionsOf, type ClusterState } from '../../../daemon/src/cluster/types.js';
import { logIndex } from '../../../daemon/src/common/types.js';
import { DiskStorage } from '../../../daemon/src/storage/disk-storage.js';
import type { Entry } from '../../../daemon/src/raft/types.js';

/** One client request's appearances in a committed log. */
export interface RequestTrace {
  client: string;
  seq: number;
  op: string;
  /** Indexes at which it went through applyCommand (not answered as a duplicate, not expired). */
  appliedAt: number[];
  /** Indexes of later copies answered from the session table. */
  duplicateAt: number[];
  /** Indexes of copies refused as E_SESSION_EXPIRED. */
  expiredAt: number[];
  /** The first application's verdict at apply time. */
  applyOk: boolean | null;
  applyCode: string | null;
}

export interface NodeLog {
  node: string;
  /** Index of the snapshot the log continues (0: the whole history is in the log). */
  snapshotIndex: number;
  /** The durable commit index: entries up to it were replayed. */
  commit: number;
  /** Committed entries after the snapshot, in index order. */
  entries: Entry[];
  /** The state the log starts from (the snapshot's, or the empty state), as JSON. */
  baseStateJson: string;
  /** The state after the last replayed entry. */
  state: ClusterState;
  /** client#seq -> trace, for every entry carrying a session. */
  requests: Map<string, RequestTrace>;
  /** client#seq -> the applied md-done verdicts on it. */
  verdicts: Map<string, { index: number; ok: boolean; code?: string }[]>;
}

export const requestKey = (client: string, seq: number): string => `${client}#${seq}`;

const SILENT = { warn: (): void => undefined, info: (): void => undefined };

/** Reads a stopped node's data directory (through a copy) and replays its committed log. */
export async function readNodeLog(node: string, dataDir: string): Promise<NodeLog> {
  const copy = mkdtempSync(join(tmpdir(), `mdci-histlog-${node}-`));
  try {
    // The daemon keeps its Raft storage in <data dir>/raft (daemon/src/daemon.ts).
    cpSync(join(dataDir, 'raft'), copy, { recursive: true });
    const { storage, recovered } = await DiskStorage.open(copy, SILENT);
    await storage.close();
    const snapshotIndex = recovered.snapshot?.meta.index ?? 0;
    const commit = recovered.hardState?.commit ?? snapshotIndex;
    const entries = recovered.entries.filter((e) => e.index <= commit);
    const baseStateJson = recovered.snapshot ? new TextDecoder().decode(recovered.snapshot.data) : JSON.stringify(emptyClusterState());
    return { node, snapshotIndex, commit, entries, baseStateJson, ...replay(JSON.parse(baseStateJson) as ClusterState, entries) };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** Applies `entries` to `state` as a node does (conf entries only move appliedIndex). */
export function replay(state: ClusterState, entries: readonly Entry[]): Pick<NodeLog, 'state' | 'requests' | 'verdicts'> {
  const requests = new Map<string, RequestTrace>();
  const verdicts: NodeLog['verdicts'] = new Map();
  for (const e of entries) {
    if (e.index <= state.appliedIndex) continue;
    if (e.type === 'conf') {
      state.appliedIndex = logIndex(e.index);
      continue;
    }
    const d = e.data.length > 0 ? decodeCommand(e.data) : null;
    const r = applyEntry(state, e.data, logIndex(e.index));
    if (d?.ok && d.command.op === 'md-done' && r.ok && !r.duplicate) {
      const k = requestKey(d.command.client, d.command.seq);
      verdicts.set(k, [...(verdicts.get(k) ?? []), { index: e.index, ok: d.command.ok, ...(d.command.code ? { code: d.command.code } : {}) }]);
    }
    if (!d?.session) continue;
    const key = requestKey(d.session.client, d.session.seq);
    let t = requests.get(key);
    if (!t) {
      t = { client: d.session.client, seq: d.session.seq, op: d.ok ? d.command.op : '(undecodable)', appliedAt: [], duplicateAt: [], expiredAt: [], applyOk: null, applyCode: null };
      requests.set(key, t);
    }
    if (r.duplicate) t.duplicateAt.push(e.index);
    else if (!r.ok && r.code === 'E_SESSION_EXPIRED') t.expiredAt.push(e.index);
    else {
      t.appliedAt.push(e.index);
      if (t.applyOk === null) { t.applyOk = r.ok; t.applyCode = r.ok ? null : r.code; }
    }
  }
  return { state, requests, verdicts };
}

/** The final stored result of (client, seq) in `state` (md verdicts included), if still kept. */
export function finalResult(state: ClusterState, client: string, seq: number): { ok: boolean; code?: string; md: string; index: number } | undefined {
  const r = findResult(sessionsOf(state), client, seq);
  return r ? { ok: r.ok, code: r.code, md: r.md, index: r.index } : undefined;
}

/**
 * Log divergence among nodes: every index committed on two nodes must hold the same term and
 * bytes (Raft's state machine safety). Returns one line per difference (empty: none).
 */
export function logDivergence(logs: readonly NodeLog[]): string[] {
  const out: string[] = [];
  const byIndex = logs.map((l) => new Map(l.entries.map((e) => [e.index, e])));
  for (let a = 0; a < logs.length; a++) {
    for (let b = a + 1; b < logs.length; b++) {
      for (const [i, ea] of byIndex[a]) {
        const eb = byIndex[b].get(i);
        if (!eb) continue;
        if (ea.term !== eb.term || ea.type !== eb.type || Buffer.compare(Buffer.from(ea.data), Buffer.from(eb.data)) !== 0) {
          out.push(`index ${i}: ${logs[a].node} has term ${ea.term} ${Buffer.from(ea.data).toString('utf8').slice(0, 200)}; ${logs[b].node} has term ${eb.term} ${Buffer.from(eb.data).toString('utf8').slice(0, 200)}`);
        }
      }
    }
  }
  return out;
}

/** JSON with object keys sorted: equal states give equal text whatever their key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** The state `log` reaches at `index` (at most its commit), without its session table. */
export function stateAt(log: NodeLog, index: number): Omit<ClusterState, 'sessions'> {
  const { sessions: _sessions, ...rest } = replay(JSON.parse(log.baseStateJson) as ClusterState, log.entries.filter((e) => e.index <= index)).state;
  return rest;
}

/**
 * State divergence: each node's log replayed to the lowest commit index among them must give
 * the same state. Returns the nodes whose state differs from the first one's (empty: none).
 */
export function stateDivergence(logs: readonly NodeLog[]): string[] {
  const upTo = Math.min(...logs.map((l) => l.commit));
  const states = logs.map((l) => {
    const s = replay(JSON.parse(l.baseStateJson) as ClusterState, l.entries.filter((e) => e.index <= upTo)).state;
    return canonicalJson(s);
  });
  return logs.flatMap((l, k) => (states[k] === states[0] ? [] : [`${l.node}'s state at index ${upTo} differs from ${logs[0].node}'s`]));
}

/** The committed log with the most history: the lowest snapshot, then the highest commit. */
export function fullestLog(logs: readonly NodeLog[]): NodeLog {
  return [...logs].sort((x, y) => x.snapshotIndex - y.snapshotIndex || y.commit - x.commit)[0];
}
