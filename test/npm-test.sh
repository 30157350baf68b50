#!/usr/bin/env bash
# `npm test`: lint, build (typecheck), the vitest lanes (unit, paper, sim checks; then integration)
# and 300 fixed simulation seeds. Every step runs even if an earlier one failed, so one run shows
# everything that is broken; the exit status is non-zero if any step failed. A failed build
# stops the steps that need dist/.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
npm run -s lint || rc=1
if npm run -s build; then
  npm run -s test:unit || rc=1
  # Real daemon processes with leases and timeouts: one file at a time, after the CPU-heavy
  # unit lanes, so the machine's own load does not stall their event loops. No global retry: a
  # failed safety assertion (writer overlap, lost data, divergence, exactly-once) must fail the
  # run. A test whose only flakiness is environmental (a latency bound) carries { retry: 1 } in
  # its own code, with the reason beside it.
  npm run -s test:integration || rc=1
  npm run -s sim -- --seeds "${SIM_SEEDS:-300}" || rc=1
else
  rc=1
fi
exit $rc
