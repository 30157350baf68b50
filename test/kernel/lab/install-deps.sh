#!/usr/bin/env bash
# Kernel lab: installs the Debian packages the kernel lane needs, only when one is missing.
# Owns: the package list of the lane. Invariants: `apt-get update` runs at most once per call
# and only when something must be installed; the dpkg lock is waited for (other sessions on
# this machine may be installing too), never broken. Exit status 0 iff every package is
# installed afterwards; on failure the last line on stderr says which packages are missing.
set -euo pipefail

LAB_PACKAGES=(qemu-system-x86 linux-image-amd64 busybox-static mdadm cpio kmod xz-utils zstd iproute2)
LOCK_WAIT_SECONDS=600

missing_packages() {
  local pkg status
  for pkg in "${LAB_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || printf '%s\n' "$pkg"
  done
}

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}) and not root, cannot apt-get install" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o "DPkg::Lock::Timeout=$LOCK_WAIT_SECONDS" -o Acquire::Retries=3 -q)
apt-get "${apt_opts[@]}" update >&2
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2

mapfile -t still_missing < <(missing_packages)
if [ "${#still_missing[@]}" -ne 0 ]; then
  echo "install-deps: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
