// Event-triggered faults: the part of the fault schedule that reacts to what the cluster does
// rather than firing at random instants. Owns: "kill the next leader a few Ready cycles into its
// reign" and "cut a leader off at the first commit of its term" (the catch-up window right after
// an election, where Figure 8 (§5.4.2) style bugs live).
// Invariants: acts only during the safety phase (disarm() at the liveness phase); each armed
// trigger fires at most once; the random cut draws from the nemesis's own PRNG stream.
import type { Rand } from './rand.js';

/** What the nemesis may do to the simulated cluster. */
export interface NemesisPort {
  crash(id: string, tornWrites: boolean, afterReadies: number, restartUs: number | null): void;
  /** Blocks every link from and to `id`. */
  cutOff(id: string): void;
  note(kind: string, node: string, detail: string): void;
}

export class Nemesis {
  /** Armed: the next node seen leading dies after that many Readies, then restarts. */
  private nextLeaderCrash: { afterReadies: number; restartUs: number | null } | null = null;
  /** Armed: the next leader to make its first commit of a term is cut off. */
  private cutOnCommit = false;
  /** node -> its commit index when first seen leading `term`, and whether it committed since. */
  private readonly leaderBase = new Map<string, { term: number; commit: number; done: boolean }>();
  private active = true;

  /** cutOnFirstCommitRate: the chance any leader is cut at its first commit, unarmed. */
  constructor(private readonly rand: Rand, private readonly cutOnFirstCommitRate: number) {}

  armLeaderCrash(afterReadies: number, restartUs: number | null): void {
    if (this.active) this.nextLeaderCrash = { afterReadies, restartUs };
  }

  armCutOnCommit(): void {
    if (this.active) this.cutOnCommit = true;
  }

  disarm(): void {
    this.active = false;
    this.nextLeaderCrash = null;
    this.cutOnCommit = false;
  }

  /** Called after every step of a node that is leading `term` with commit index `commit`. */
  onLeader(p: NemesisPort, id: string, term: number, commit: number): void {
    if (!this.active) return;
    if (this.nextLeaderCrash !== null) {
      p.crash(id, true, this.nextLeaderCrash.afterReadies, this.nextLeaderCrash.restartUs);
      this.nextLeaderCrash = null;
    }
    const b = this.leaderBase.get(id);
    if (b === undefined || b.term !== term) {
      this.leaderBase.set(id, { term, commit, done: false });
      return;
    }
    if (b.done || commit <= b.commit) return;
    b.done = true;
    if (!this.cutOnCommit && !this.rand.chance(this.cutOnFirstCommitRate)) return;
    this.cutOnCommit = false;
    p.cutOff(id);
    p.note('fault', id, `cut off at its first commit of term ${term} (index ${commit})`);
  }
}
