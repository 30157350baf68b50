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
# Debian tools some tests run for real (promtool for the alert rules, man-db and lintian for the
# package): installed here when missing and this is root with apt-get (as .ci/run does); else
# the tests that need them fail and say what is missing (never skipped as passes).
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v lintian >/dev/null 2>&1 || need+=(lintian)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "npm test: installing Debian packages ${need[*]}"
    { apt-get install -y --no-install-recommends "${need[@]}" || { apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; }; } >/tmp/mdclusterd-npm-test-apt.log 2>&1 \
      || echo "npm test: apt-get install ${need[*]} FAILED (see /tmp/mdclusterd-npm-test-apt.log): the tests that need them will fail"
  else
    echo "npm test: MISSING Debian packages ${need[*]} (not root: install them): the tests that need them will fail"
  fi
fi
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
