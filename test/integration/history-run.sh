#!/usr/bin/env bash
# `npm run test:history -- --rounds N`: the history test (history.test.ts) with N rounds
# (default 40, the issue-12 target), its cluster directory kept for inspection.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=40
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2;;
    --rounds=*) rounds=${1#--rounds=}; shift;;
    *) echo "usage: npm run test:history -- [--rounds N]" >&2; exit 2;;
  esac
done
case "$rounds" in ''|*[!0-9]*) echo "--rounds must be a positive integer" >&2; exit 2;; esac
npx tsc -p tsconfig.json
MDCI_HISTORY_ROUNDS=$rounds exec npx vitest run test/integration/history.test.ts test/integration/history-mdctl.test.ts --no-file-parallelism
