#!/usr/bin/env bash
# `npm test`: lint, build (typecheck), the vitest lanes (unit, paper, sim checks; then integration)
# and 300 fixed simulation seeds. Every step runs even if an earlier one failed, so one run shows
# everything that is broken; the exit status is non-zero if any step failed. A failed build
# stops the steps that need dist/. Each step's duration is printed ("step <name>: <s> s").
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
# timed NAME CMD...: runs CMD, prints its duration in seconds, returns its status.
timed() {
  local name=$1 t0=$SECONDS st
  shift
  "$@"; st=$?
  echo "step $name: $((SECONDS - t0)) s (exit $st)"
  return $st
}
timed lint npm run -s lint || rc=1
if timed build npm run -s build; then
  timed unit npm run -s test:unit || rc=1
  # Real daemon processes with leases and timeouts: one file at a time, after the CPU-heavy
  # unit lanes, so the machine's own load does not stall their event loops. No global retry: a
  # failed safety assertion (writer overlap, lost data, divergence, exactly-once) must fail the
  # run. A test whose only flakiness is environmental (a latency bound) carries { retry: 1 } in
  # its own code, with the reason beside it.
  timed integration npm run -s test:integration || rc=1
  timed sim npm run -s sim -- --seeds "${SIM_SEEDS:-300}" || rc=1
else
  rc=1
fi
exit $rc
