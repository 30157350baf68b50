// Fence commands of a new master against earlier masters (node/writer.ts decides when). Owns:
// running the configured command for one earlier master in one term, and which fences are
// running or succeeded.
// Invariants:
// - At most one run per "node:term" at a time; a success counts only while the claim of that
//   term is still ours (claimedTerm() === term when it finishes).
// - Bound: both sets hold at most the cluster's earlier masters; newClaim() empties `fenced`,
//   and `fencing` holds only runs in progress.
// - Every run is reported (writer-reports.ts fence-ran entry) with its exit status.
import type { NodeId } from '../common/types.js';
import type { CommandRunner, Logger } from './deps.js';
import type { WriterReports } from './writer-reports.js';

export interface FenceSettings {
  /** argv of the fence command; "{node}" in an argument is the fenced node's id, else it is appended. */
  fenceCommand: readonly string[];
  fenceTimeoutMs: number;
}

export class FenceRunner {
  private readonly fencing = new Set<string>();
  private readonly fenced = new Set<string>();

  constructor(private readonly s: FenceSettings, private readonly commands: CommandRunner, private readonly logger: Logger,
    private readonly reports: WriterReports, private readonly self: () => NodeId, private readonly claimedTerm: () => number) {}

  /** A fence of `old` succeeded in `term` (this claim). */
  fencedIn(old: string, term: number): boolean {
    return this.fenced.has(`${old}:${term}`);
  }

  running(old: string, term: number): boolean {
    return this.fencing.has(`${old}:${term}`);
  }

  /** A new term's claim: earlier fences prove nothing for it. */
  newClaim(): void {
    this.fenced.clear();
  }

  run(old: string, term: number): Promise<void> {
    const key = `${old}:${term}`;
    this.fencing.add(key);
    const [cmd, ...args] = this.s.fenceCommand;
    const argv = args.some((a) => a.includes('{node}')) ? args.map((a) => a.replaceAll('{node}', old)) : [...args, old];
    return this.commands.run(cmd, argv, this.s.fenceTimeoutMs).then((r) => {
      this.fencing.delete(key);
      if (r.ok && this.claimedTerm() === term) this.fenced.add(key);
      if (r.ok) this.logger.warn({ old }, 'fenced the previous master');
      else this.logger.error({ old, err: r.message }, 'fence command failed');
      this.reports.fenceRan(this.self(), old, term, r);
    });
  }
}
