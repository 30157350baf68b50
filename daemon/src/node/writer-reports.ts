// What the writer role records in the log about its own failures and fences: a replicated
// demote-failed entry when an array could not be switched read-only (the DemoteFailed alert)
// and a fence-ran entry for each fence command run, with its exit status (the FenceRan alert).
// Entries, not local events, so every node raises the alert from the same index and the master
// delivers it once (node/alert-delivery.ts). Owns: which runs become entries.
// Invariants:
// - demote-failed: once per (term, array) on this node (a demotion retried every tick while md
//   refuses is one entry). Bound: MD_MAX_ARRAYS keys (cleared when exceeded).
// - fence-ran: once per (fenced node, term, exit status): a failing fence command retried every
//   tick is one entry until its status changes. Bound: the cluster's nodes (reset per claim).
import { MD_MAX_ARRAYS, SESSION_MAX_MESSAGE_CHARS } from '../common/limits.js';
import type { NodeId } from '../common/types.js';
import type { Command } from '../cluster/commands.js';
import type { CommandResult } from './deps.js';

export type DemoteEscalation = 'stop-array' | 'reboot' | 'none';

export class WriterReports {
  private readonly demoteReported = new Set<string>();
  private readonly fenceReported = new Map<string, number | null>();

  constructor(private readonly propose: (cmd: Command) => void) {}

  /** A new claim: fence runs of the earlier terms are not compared with the new ones. */
  newClaim(): void {
    this.fenceReported.clear();
  }

  demoteFailed(node: NodeId, term: number, array: string, action: DemoteEscalation, err: Error): void {
    const key = `${term}:${array}`;
    if (this.demoteReported.has(key)) return;
    if (this.demoteReported.size >= MD_MAX_ARRAYS) this.demoteReported.clear();
    this.demoteReported.add(key);
    this.propose({ op: 'demote-failed', node, term, array, action, message: err.message.slice(0, SESSION_MAX_MESSAGE_CHARS) });
  }

  fenceRan(by: NodeId, fenced: string, term: number, r: CommandResult): void {
    const key = `${fenced}:${term}`;
    const status = r.ok ? 0 : (r.status ?? null);
    if (this.fenceReported.has(key) && this.fenceReported.get(key) === status) return;
    this.fenceReported.set(key, status);
    this.propose({ op: 'fence-ran', node: fenced as NodeId, by, term, status, message: (r.ok ? '' : r.message).slice(0, SESSION_MAX_MESSAGE_CHARS) });
  }
}
