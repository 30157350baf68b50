#!/usr/bin/env bash
# `npm run mutation [-- scope... [-- stryker options]]`: one Stryker run per folder (raft, cluster,
# node; all three by default), then the per-folder score table (report.mjs). Not part of
# `npm test`: a full run from scratch takes hours on two cores; incremental files
# (test/mutation/incremental/) make reruns test only what changed.
# Every scope runs even if an earlier one failed; the exit status is non-zero if a run failed
# or a folder missed its target. Example: npm run mutation -- raft -- --concurrency 1
set -uo pipefail
cd "$(dirname "$0")/../.."
scopes=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do scopes+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#scopes[@]} -eq 0 ] && scopes=(raft cluster node)
rc=0
reports=()
for s in "${scopes[@]}"; do
  case "$s" in raft|cluster|node) ;; *) echo "mutation: unknown scope '$s' (raft, cluster, node)" >&2; exit 2 ;; esac
  start=$(date +%s)
  MUTATION_SCOPE="$s" npx stryker run "$@" || rc=1
  echo "=== mutation $s: $(( $(date +%s) - start )) s wall"
  reports+=("reports/mutation/$s.json")
done
node test/mutation/report.mjs "${reports[@]}" || rc=1
exit $rc
