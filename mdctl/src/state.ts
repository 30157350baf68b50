// Reading the cluster state through the daemon, with the types mdctl uses from it.
// Owns: the shapes of the daemon's 'state' reply as mdctl sees them (type-only imports).
import type { ArrayRecord, ClusterState } from '../../daemon/src/cluster/types.js';
import type { ArrayState } from '../../daemon/src/md/types.js';
import type { Ctx } from './context.js';

export interface StateReply {
  status: {
    node: string; term: number; master: string | null; leader: string | null; role: string; commitIndex: number; appliedIndex: number;
    writer: boolean; lease: { valid: boolean; endTick: number | null; nowTick: number };
    nodes: { id: string; address: string; role: string; healthy: boolean; appliedIndex: number | null }[];
  };
  state: ClusterState;
  views: ArrayState[];
}

export async function readState(ctx: Ctx): Promise<StateReply> {
  return ctx.read<StateReply>('state', { local: ctx.args.values.local === true });
}

export function findRecord(s: StateReply, device: string): { rec: ArrayRecord; view: ArrayState } | null {
  const i = s.state.arrays.findIndex((a) => a.device === device);
  return i < 0 ? null : { rec: s.state.arrays[i], view: s.views[i] };
}
