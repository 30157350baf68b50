// Quorum arithmetic for the Raft core. Owns: the commit index a set of voters has reached, the
// lease tick a quorum has acknowledged, and vote tallies. Pure functions of their inputs.
// Invariants: a quorum is a strict majority of the voters (floor(n/2) + 1); with no voters
// nothing is ever reached (committedIndex returns 0, quorumValue returns null).

/**
 * The largest value v such that a majority of `values` are >= v, or null when values is
 * empty. For match indexes this is the commit index the voters' logs support.
 */
export function quorumValue(values: readonly number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = values.slice().sort((a, b) => b - a);
  return sorted[Math.floor(n / 2)]!;
}

/** The highest index replicated on a majority of voters (0 with no voters). */
export function committedIndex(matchIndexes: readonly number[]): number {
  return quorumValue(matchIndexes) ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * Tallies votes among `voters`: won when a majority granted, lost when a majority can no
 * longer be reached. Votes from non-voters are ignored.
 */
export function voteResult(voters: readonly string[], votes: ReadonlyMap<string, boolean>): VoteResult {
  if (voters.length === 0) return 'lost';
  const need = Math.floor(voters.length / 2) + 1;
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= need) return 'won';
  if (voters.length - rejected < need) return 'lost';
  return 'pending';
}

/** True when at least a majority of voters satisfy `active`. */
export function quorumActive(voters: readonly string[], active: (id: string) => boolean): boolean {
  if (voters.length === 0) return false;
  let n = 0;
  for (const v of voters) if (active(v)) n++;
  return n >= Math.floor(voters.length / 2) + 1;
}
