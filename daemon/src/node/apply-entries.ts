// Applying committed Raft entries to the ClusterState, for the Ready loop (node/ready-loop.ts).
// Owns: decoding each entry once, applying it (cluster/apply.ts, the only code that changes a
// ClusterState), the events it yields, and which request sessions it answers.
// Invariants: entries are applied in index order, each at most once (one at or below the
// applied index is skipped: a snapshot holds it); a conf entry moves only the applied index; a
// refused command changes nothing but the applied index (and is logged).
import type { NodeId } from '../common/types.js';
import { applyDecoded } from '../cluster/apply.js';
import { decodeCommand } from '../cluster/commands.js';
import type { SessionRef } from '../cluster/sessions.js';
import type { ClusterState } from '../cluster/types.js';
import { decodeConfChange } from '../raft/codec-conf.js';
import type { ConfState, Entry } from '../raft/types.js';
import type { Logger } from './deps.js';
import type { ClusterEvents } from './events.js';

export interface ApplyContext {
  id: NodeId;
  events: ClusterEvents;
  logger: Logger;
  /** The log's membership (for the log line of a conf entry). */
  conf(): ConfState;
}

/** What a run of applied entries means for the node: sessions to answer, and whether any cluster command was among them. */
export interface Applied {
  sessions: SessionRef[];
  commands: boolean;
}

/** Applies one committed entry (its session, if any, goes to `sessions`); returns true if it was a cluster command. */
export function applyEntry(state: ClusterState, e: Entry, sessions: SessionRef[], ctx: ApplyContext): boolean {
  if (e.index <= state.appliedIndex) return false; // already in the snapshot
  if (e.type === 'conf') {
    state.appliedIndex = e.index;
    const cc = decodeConfChange(e.data);
    if (cc) ctx.logger.info({ index: e.index, change: cc.type, node: cc.node, conf: ctx.conf() }, 'membership change applied');
    return false;
  }
  const before = state.master;
  const d = e.data.length > 0 ? decodeCommand(e.data) : null;
  ctx.events.capture(d && d.ok ? d.command : null, state);
  const result = applyDecoded(state, d, e.index); // decoded once, above
  if (d && d.ok) ctx.events.onApplied(d.command, result, e.index, before, state);
  if (d?.session) sessions.push(d.session);
  if (d?.ok && d.command.op === 'md-done') sessions.push({ client: d.command.client, seq: d.command.seq });
  if (d?.ok && d.command.op === 'node-remove' && d.command.node === ctx.id && result.ok) {
    ctx.logger.warn({ index: e.index }, 'this node was removed from the cluster\'s node records');
  }
  if (!result.ok) ctx.logger.info({ index: e.index, code: result.code, msg: result.message }, 'command refused at apply');
  return e.data.length > 0;
}
