// mdadm --monitor's spare migration made cluster-wide: which spare the master moves, and where.
// mdadm moves a spare from an array of a spare-group to another array of the same group that
// is degraded and has no spare; in the cluster the master proposes the move as one replicated
// member change (commands.ts move-spare, checked again at apply by validate.ts). Owns: the choice.
// Pure and deterministic: the same record and groups give the same move on every node.
// Invariants: a move is chosen only when validate.ts spareMoveRefusal allows it (so it is never
// proposed to be refused); receivers and donors are taken in device order, spares in path order.
import type { CommandOf } from './commands.js';
import type { ArrayRecord, ClusterState } from './types.js';
import { spareMoveRefusal } from './validate.js';

/** A spare group as configured: its name and its arrays by md device ("md0") or UUID (colon form). */
export interface SpareGroup {
  name: string;
  arrays: readonly string[];
}

/** The group of an array: the first group naming its device or UUID, or null. */
export function groupOf(a: Pick<ArrayRecord, 'device' | 'uuid'>, groups: readonly SpareGroup[]): string | null {
  return groups.find((g) => g.arrays.includes(a.device) || g.arrays.includes(`/dev/${a.device}`) || g.arrays.includes(a.uuid))?.name ?? null;
}

/** The spare move mdadm --monitor would make now (null: none), for the master of `term`. */
export function chooseSpareMove(state: ClusterState, groups: readonly SpareGroup[], term: number): CommandOf<'move-spare'> | null {
  if (groups.length === 0) return null;
  for (const to of state.arrays) {
    const g = groupOf(to, groups);
    if (g === null) continue;
    for (const from of state.arrays) {
      if (from === to || groupOf(from, groups) !== g || spareMoveRefusal(from, to) !== null) continue;
      const spare = from.members.filter((m) => m.role === 'spare' && m.pendingAdd === null && m.replacementFor === null).map((m) => m.path).sort()[0];
      if (spare !== undefined) return { op: 'move-spare', from: from.device, to: to.device, member: spare, term };
    }
  }
  return null;
}
