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

/**
 * Why an array the cluster does not manage is refused, when this node's md holds it with
 * external metadata (a DDF/IMSM container or a volume in one): the note mdctl prints (with
 * E_EXTERNAL_METADATA, as the daemon refuses such commands); null otherwise, or when the local
 * kernel view cannot be read (the caller's "not managed" note stands).
 */
export async function externalMetadataNote(ctx: Ctx, device: string): Promise<string | null> {
  try {
    const c = await ctx.daemon();
    const a = (await c.request<{ arrays: ArrayState[] }>('kernel', { device })).arrays[0];
    if (a === undefined || !a.metadataVersion.startsWith('external:')) return null;
    return `/dev/${device} has external metadata (${a.metadataVersion}): cluster operations on external-metadata (DDF/IMSM) arrays are not supported yet [E_EXTERNAL_METADATA]`;
  } catch {
    return null;
  }
}
