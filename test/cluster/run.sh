#!/usr/bin/env bash
# The cluster lane (`npm run test:cluster` [-- vitest args, e.g. a file]): mdclusterd on three
# real Linux kernels (qemu guests of the kernel lab) sharing raw disk files. Owns the lane's
# preparation and verdict; the guests themselves come from test/kernel/lab (not forked here):
#   1. reaps what dead earlier lab runs left (netns, qemu, run dirs of owners that died);
#   2. installs the Debian packages when missing (test/kernel/lab/install-deps.sh);
#   3. checks the machine (qemu, mdadm, busybox, mkfs.ext4, netns) and picks the accelerator;
#   4. builds/reuses the guest vmlinux + initramfs (test/kernel/lab/build-guest.sh);
#   5. compiles the project to dist/, always (incremental: seconds when nothing changed; a
#      `tsc --noEmit` refreshes tsbuildinfo without emitting, so mtimes cannot tell staleness;
#      guests run the agent dist/test/cluster/guest/agent.js over 9p);
#   6. builds the Debian package from dist/ (pkg/build-deb.ts, as `npm run package` does) into
#      dist/cluster-package and exports CLUSTER_DEB: every guest installs it with dpkg
#      and runs mdclusterd from the installed unit, mdctl from /usr/bin (not from the tree);
#   7. runs vitest with test/cluster/vitest.config.ts, bounded by CLUSTER_LANE_TIMEOUT_S.
# Verdict: 0 all passed; 1 a test failed or the lane timed out; 2 the lane could NOT RUN
# (banner "CLUSTER LANE NOT RUN: <why>"; counted as a failure unless CLUSTER_LANE_OPTIONAL=1).
# Environment: CLUSTER_RESULTS=FILE (vitest's JSON report; .ci/run counts tests from it),
# CLUSTER_LANE_TIMEOUT_S (default 3600: every guest boot, reboots included, installs the package, ~70 s under TCG), CLUSTER_LANE_RAID10=0 (leave out the raid10
# twins), CLUSTER_FAILOVER_RUNS (default 5), LAB_ACCEL=kvm|tcg, LAB_KEEP_RUNS=1.
# Failed tests leave per-node logs, /proc/mdstat and /mdstat in test/cluster/.cache/artifacts/.
set -uo pipefail

cd "$(dirname "$0")/../.."
LAB_DIR=test/kernel/lab
LANE_TIMEOUT_S=${CLUSTER_LANE_TIMEOUT_S:-3600}
started=$(date +%s)

not_run() {
  {
    echo
    echo "################################################################################"
    echo "#  CLUSTER LANE NOT RUN: $*"
    if [ "${CLUSTER_LANE_OPTIONAL:-0}" = 1 ]; then echo "#  CLUSTER_LANE_OPTIONAL=1: exiting 0, but NO CLUSTER TEST RAN."
    else echo "#  This counts as a FAILURE (set CLUSTER_LANE_OPTIONAL=1 to make it non-fatal)."; fi
    echo "################################################################################"
    echo
  } >&2
  [ "${CLUSTER_LANE_OPTIONAL:-0}" = 1 ] && exit 0
  exit 2
}

# shellcheck source=../kernel/lab/reap-stale.sh
source "$LAB_DIR/reap-stale.sh"

check_machine() {
  local tool
  for tool in qemu-system-x86_64 mdadm mkfs.ext4 ip; do command -v "$tool" >/dev/null || not_run "$tool is not installed"; done
  [ -x /bin/busybox ] || not_run "/bin/busybox (busybox-static) is not installed"
  local probe="mdlab-$$-probe"
  ip netns add "$probe" 2>/dev/null || not_run "cannot create a network namespace (ip netns add needs root / CAP_SYS_ADMIN)"
  ip netns del "$probe" 2>/dev/null || true
  if [ -z "${LAB_ACCEL:-}" ]; then
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then LAB_ACCEL=kvm; else LAB_ACCEL=tcg; fi
  fi
  export LAB_ACCEL
  echo "cluster lane: accelerator $LAB_ACCEL; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Type errors in files other lanes are still editing must not stop this lane: tsc emits anyway,
# and the lane checks that what the guests run was emitted.
build_dist() {
  echo "cluster lane: compiling to dist/ (incremental)"
  npx tsc -p tsconfig.json > "${TMPDIR:-/tmp}/cluster-lane-tsc.$$" 2>&1 || {
    echo "cluster lane: WARNING: tsc reported errors (first lines below); running with what it emitted" >&2
    head -n 20 "${TMPDIR:-/tmp}/cluster-lane-tsc.$$" >&2
  }
  rm -f "${TMPDIR:-/tmp}/cluster-lane-tsc.$$"
  for f in dist/daemon/src/main.js dist/mdctl/src/main.js dist/test/cluster/guest/agent.js dist/pkg/build-deb.js; do
    [ -f "$f" ] || not_run "compiling did not produce $f"
  done
}

build_package() {
  local out=dist/cluster-package deb
  echo "cluster lane: building the .deb (pkg/build-deb.ts) into $out"
  deb=$(node dist/pkg/build-deb.js --out "$out" | tail -n1) || not_run "building the Debian package failed"
  [ -f "$deb" ] || not_run "the package build printed '$deb', which is not a file"
  CLUSTER_DEB=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
  export CLUSTER_DEB
  echo "cluster lane: guests install $CLUSTER_DEB"
}

main() {
  reap_stale
  [ -d node_modules/vitest ] || not_run "node_modules is missing (run npm ci first)"
  bash "$LAB_DIR/install-deps.sh" || not_run "the Debian packages could not be installed (see above)"
  check_machine
  local guest_dir status
  guest_dir=$(bash "$LAB_DIR/build-guest.sh" test/kernel/.cache | tail -n1) || not_run "building the guest kernel/initramfs failed"
  [ -f "$guest_dir/vmlinux" ] || not_run "no guest vmlinux in '$guest_dir'"
  export LAB_GUEST_DIR=$guest_dir
  build_dist
  build_package
  local report=()
  [ "${CLUSTER_LANE_RAID10:-1}" != 0 ] || echo "cluster lane: CLUSTER_LANE_RAID10=0: the raid10 scenarios are NOT run" >&2
  if [ -n "${CLUSTER_RESULTS:-}" ]; then
    rm -f "$CLUSTER_RESULTS"
    report=(--reporter=default --reporter=json "--outputFile.json=$CLUSTER_RESULTS")
  fi
  timeout --kill-after=30 "$LANE_TIMEOUT_S" npx vitest run --config test/cluster/vitest.config.ts "${report[@]}" "$@"
  status=$?
  [ "$status" -ne 124 ] || echo "cluster lane: TIMED OUT after ${LANE_TIMEOUT_S}s" >&2
  echo "cluster lane: finished with status $status in $(( $(date +%s) - started ))s (bound ${LANE_TIMEOUT_S}s)"
  reap_stale
  [ "$status" -eq 0 ] || exit 1
  exit 0
}

main "$@"
