// Spare groups on the master: mdadm --monitor's spare migration as replicated member changes.
// Owns: proposing the move cluster/spare-groups.ts chooses, while this node is the writer.
// Invariants: only the writer proposes; the same move is proposed again only after
// MOVE_RETRY_TICKS (an applied move changes the record, so the next choice differs); the
// groups come from [spare-groups] of this node's configuration (the master's groups apply).
import { chooseSpareMove, type SpareGroup } from '../cluster/spare-groups.js';
import type { Command } from '../cluster/commands.js';
import type { ClusterState } from '../cluster/types.js';

/** Ticks before the same move is proposed again while it is not yet applied. */
const MOVE_RETRY_TICKS = 50;

export interface SpareMoverHooks {
  state(): ClusterState;
  /** The writer role now and its term, and the Raft tick. */
  writer(): { writer: boolean; term: number; nowTick: number };
  propose(cmd: Command): void;
}

export class SpareMover {
  private last: { key: string; tick: number } | null = null;

  constructor(private readonly hooks: SpareMoverHooks, private readonly groups: readonly SpareGroup[]) {}

  /** onTick has work only with spare groups configured (then on every tick, as the writer). */
  get active(): boolean {
    return this.groups.length > 0;
  }

  onTick(): void {
    if (this.groups.length === 0) return;
    const w = this.hooks.writer();
    if (!w.writer) return;
    const cmd = chooseSpareMove(this.hooks.state(), this.groups, w.term);
    if (cmd === null) return;
    const key = `${cmd.term}:${cmd.from}:${cmd.to}:${cmd.member}`;
    if (this.last !== null && this.last.key === key && w.nowTick - this.last.tick < MOVE_RETRY_TICKS) return;
    this.last = { key, tick: w.nowTick };
    this.hooks.propose(cmd);
  }
}
